"""The fictional providers and their catalogues: every provider's micro-credentials and larger
qualifications (:func:`build_catalogue`), and one catalogue spreadsheet per provider in the format
of ``docs/catalogue-csv.md`` (:func:`catalogue_csv`).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from credgraph.graph import namespaces as ns
from credgraph.graph.sources.catalogue_csv import org_iri, spec_iri
from credgraph.graph.sources.catalogue_terms import ASSESSMENTS, COUNTRIES
from credgraph.demo.topics import OUTCOME_TEMPLATES, SKILLS, TOPICS, TOPIC_SKILLS, description_text


ESCO_SKILL = ns.ESCO_SKILL


@dataclass(frozen=True)
class Provider:
    """A fictional provider."""

    name: str
    slug: str
    prefix: str
    country: str  # ISO alpha-2
    kind: str  # university | vet | academy
    topics: tuple[str, ...]
    second: str  # de | fr: the second language of titles and outcomes
    teaching: tuple[str, ...]  # languages of instruction (ISO 639-1)
    agency: str
    hours_per_credit: int = 25

    @property
    def iri(self) -> str:
        return org_iri(self.slug)

    @property
    def country3(self) -> str:
        return COUNTRIES[self.country]


PROVIDERS = (
    Provider("Hochschule Nordhafen (fictional)", "hs-nordhafen", "NH", "DE", "university", ("data", "ai", "databases"), "de", ("de", "en"), "Akkreditierungsagentur Nord (fictional)"),
    Provider("Technische Akademie Südwald (fictional)", "ta-suedwald", "TS", "DE", "vet", ("software", "networks", "cloud"), "de", ("de",), "Akkreditierungsagentur Nord (fictional)"),
    Provider("Université de Valmont (fictional)", "univ-valmont", "UV", "FR", "university", ("data", "green", "teaching"), "fr", ("fr", "en"), "Haut conseil d'évaluation de Valmont (fictional)"),
    Provider("Institut numérique de Lorbac (fictional)", "in-lorbac", "IL", "FR", "academy", ("cyber", "cloud", "networks"), "fr", ("fr",), "Haut conseil d'évaluation de Valmont (fictional)"),
    Provider("Hogeschool Zeewijk (fictional)", "hs-zeewijk", "HZ", "NL", "university", ("marketing", "entrepreneurship", "data"), "de", ("nl", "en"), "Accreditatieorgaan Delta (fictional)"),
    Provider("Digitale Academie Veenstad (fictional)", "da-veenstad", "DV", "NL", "academy", ("software", "ai", "databases"), "de", ("nl", "en"), "Accreditatieorgaan Delta (fictional)"),
    Provider("Universidad de Almarena (fictional)", "u-almarena", "UA", "ES", "university", ("green", "projects", "entrepreneurship"), "fr", ("es", "en"), "Agencia de Calidad Costa Azul (fictional)", 27),
    Provider("Centro de Formación Sierra Clara (fictional)", "cf-sierra-clara", "SC", "ES", "vet", ("networks", "cyber", "software"), "fr", ("es",), "Agencia de Calidad Costa Azul (fictional)", 27),
    Provider("Università di Montecorvo (fictional)", "u-montecorvo", "UM", "IT", "university", ("ai", "data", "projects"), "fr", ("it", "en"), "Agenzia Qualità Appennino (fictional)"),
    Provider("Politechnika Wiślana (fictional)", "p-wislana", "PW", "PL", "university", ("cyber", "software", "cloud"), "de", ("pl", "en"), "Komisja Akredytacyjna Przykład (fictional)"),
    Provider("Järvikaupunki University of Applied Sciences (fictional)", "jarvikaupunki-uas", "JK", "FI", "university", ("teaching", "green", "marketing"), "de", ("fi", "en"), "Laatuvirasto Esimerkki (fictional)", 27),
    Provider("Fachhochschule Alpenrand (fictional)", "fh-alpenrand", "FA", "AT", "university", ("projects", "databases", "entrepreneurship"), "de", ("de", "en"), "Qualitätsagentur Alpen (fictional)"),
    Provider("Open Skills Academy Brightwater (fictional)", "osa-brightwater", "OB", "IE", "academy", ("marketing", "teaching", "ai"), "fr", ("en",), "Quality Council Brightwater (fictional)"),
    Provider("Haute École de Rivebelle (fictional)", "he-rivebelle", "HR", "BE", "university", ("cyber", "networks", "data"), "fr", ("fr", "nl", "en"), "Agence qualité Rivebelle (fictional)"),
)
SPECS_PER_PROVIDER = (5, 3, 3)  # from the major, second and third topic
EQF_BY_KIND = {"university": (6, 6, 6, 7, 7, 8), "vet": (4, 4, 5, 5), "academy": (5, 5, 6, 6, 7)}
QA_BY_KIND = {"university": ("institutional-quality", "programme-quality"), "vet": ("institutional-licence",), "academy": ("programme-licence",)}
SETTING_BY_KIND = {"university": "formal", "vet": "formal", "academy": "non-formal"}
MODES_BY_KIND = {
    "university": ("online", "blended", "blended", "on-site", "project-based", "research"),
    "vet": ("on-site", "work-based", "blended", "work-based"),
    "academy": ("online", "online", "blended"),
}
ECTS_CHOICES = (1, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6, 10, 15)
ASSESSMENT_KEYS = tuple(ASSESSMENTS)
PREREQUISITES = (
    "", "", "Basic computer literacy.", "A bachelor's degree or equivalent professional experience.",
    "School-leaving certificate (EQF 4) or equivalent.", "Good English (B2).", "Completion of an introductory course in the field.",
)


YEAR_START, YEAR_END = date(2024, 1, 1), date(2025, 12, 31)


@dataclass
class Spec:
    """One generated catalogue entry."""

    provider: Provider
    local_id: str
    kind: str  # micro-credential | qualification
    topic: str
    titles: dict[str, str]
    ects: int
    hours: int
    eqf: int
    isced: str
    modes: list[str]
    setting: str
    languages: list[str]
    assessments: list[str]
    qa: str
    prerequisites: str
    outcomes: list[tuple[dict[str, str], list[str]]]  # (texts per language, skill uuids)
    part_of: list[str] = field(default_factory=list)  # local ids
    parts: list[str] = field(default_factory=list)  # local ids (qualifications)
    start: str = ""
    duration: str = ""
    price: int = 0
    opportunity_type: str = "course"
    base_title: str = ""

    @property
    def iri(self) -> str:
        return spec_iri(self.provider.slug, self.local_id)

    @property
    def homepage(self) -> str:
        return f"https://{self.provider.slug}.example.org/catalogue/{self.local_id.lower()}"


# -- catalogue ---------------------------------------------------------------------------------------


def build_catalogue(rng: random.Random) -> list[Spec]:
    """Every provider's specifications and qualifications."""
    specs: list[Spec] = []
    for p_index, provider in enumerate(PROVIDERS):
        number = 100
        own: list[Spec] = []
        for topic, count in zip(provider.topics, SPECS_PER_PROVIDER, strict=True):
            titles = rng.sample(TOPICS[topic]["titles"], count)
            for title in titles:
                number += 1
                own.append(_micro(rng, provider, f"{provider.prefix}-{number}", topic, title))
        # The first ten providers each offer one larger credential in their major topic.
        if p_index < 10:
            major = [s for s in own if s.topic == provider.topics[0]]
            parts = major[: rng.choice((3, 4, 5))]
            qual = _qualification(rng, provider, f"{provider.prefix}-CERT", provider.topics[0], parts)
            for part in parts:
                part.part_of.append(qual.local_id)
            own.insert(0, qual)
        specs.extend(own)
    return specs


def _outcomes(rng: random.Random, provider: Provider, topic: str, n: int) -> list[tuple[dict[str, str], list[str]]]:
    pool = TOPIC_SKILLS[topic]
    n = min(n, len(pool) // 2)
    chosen = rng.sample(pool, n * 2)
    outcomes = []
    for i in range(n):
        skills = chosen[2 * i: 2 * i + rng.choice((1, 2))]
        first = SKILLS[skills[0]]
        template = rng.randrange(3)
        labels = {"en": first[0], "de": first[1], "fr": first[2]}
        texts = {lang: OUTCOME_TEMPLATES[lang][template].format(labels[lang]) for lang in ("en", provider.second)}
        outcomes.append((texts, skills))
    return outcomes


def _micro(rng: random.Random, provider: Provider, local_id: str, topic: str, title: tuple[str, str, str]) -> Spec:
    ects = rng.choice(ECTS_CHOICES)
    eqf = rng.choice(EQF_BY_KIND[provider.kind])
    titles = {"en": title[0], provider.second: title[1] if provider.second == "de" else title[2]}
    modes = [rng.choice(MODES_BY_KIND[provider.kind])]
    if rng.random() < 0.15 and modes[0] != "online":
        modes.append("online")
    assessments = rng.sample(ASSESSMENT_KEYS, rng.choice((1, 1, 2, 2, 3)))
    start = YEAR_START + timedelta(days=rng.randrange(0, 900))
    online = modes == ["online"]
    return Spec(
        provider=provider, local_id=local_id, kind="micro-credential", topic=topic, titles=titles,
        ects=ects, hours=ects * provider.hours_per_credit, eqf=eqf, isced=TOPICS[topic]["isced"],
        modes=modes, setting=SETTING_BY_KIND[provider.kind],
        languages=list(provider.teaching[: rng.choice((1, len(provider.teaching)))]),
        assessments=assessments, qa=rng.choice(QA_BY_KIND[provider.kind]),
        prerequisites=rng.choice(PREREQUISITES), outcomes=_outcomes(rng, provider, topic, rng.choice((2, 3, 3, 4))),
        start=start.isoformat(), duration=f"P{max(2, min(16, ects * 2 + rng.randrange(0, 3)))}W",
        price=0 if online and rng.random() < 0.4 else 50 * rng.randrange(2, 30),
        opportunity_type="MOOC" if online and provider.kind == "academy" else "course",
        base_title=title[0],
    )


def _qualification(rng: random.Random, provider: Provider, local_id: str, topic: str, parts: list[Spec]) -> Spec:
    title = TOPICS[topic]["qualification"]
    ects = sum(p.ects for p in parts)
    skills = sorted({s for p in parts for _, sk in p.outcomes for s in sk})
    texts = {
        "en": f"Combine the learning outcomes of {len(parts)} micro-credentials in a capstone task.",
        "de": f"Die Lernergebnisse von {len(parts)} Microcredentials in einer Abschlussaufgabe verbinden.",
        "fr": f"Combiner les acquis de {len(parts)} microcertifications dans un projet de synthèse.",
    }
    return Spec(
        provider=provider, local_id=local_id, kind="qualification", topic=topic,
        titles={"en": title[0], provider.second: title[1] if provider.second == "de" else title[2]},
        ects=ects, hours=ects * provider.hours_per_credit, eqf=max(p.eqf for p in parts), isced=TOPICS[topic]["isced"],
        modes=["blended"], setting="formal", languages=list(provider.teaching[:1]), assessments=["portfolio"],
        qa=QA_BY_KIND[provider.kind][0], prerequisites="",
        outcomes=[({"en": texts["en"], provider.second: texts[provider.second]}, skills[:4])],
        parts=[p.local_id for p in parts], start="2024-09-01", duration="P12M", price=0,
        opportunity_type="short learning programme", base_title=title[0],
    )


CSV_COLUMNS = [
    "id", "kind", "title_en", "title_de", "title_fr", "description_en", "description_de", "description_fr",
    "provider_name", "provider_id", "provider_homepage", "country", "ects", "hours", "eqf_level", "isced_f",
    "mode", "learning_setting", "language", "assessment", "qa_type", "qa_agent", "prerequisites",
] + [f"outcome_{n}_{suffix}" for n in range(1, 5) for suffix in ("en", "de", "fr", "skills")] + [
    "part_of", "opportunity_type", "start_date", "duration", "price", "homepage",
]


def catalogue_csv(provider: Provider, specs: list[Spec]) -> bytes:
    """One provider's catalogue spreadsheet (docs/catalogue-csv.md)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in specs:
        row = {
            "id": s.local_id, "kind": s.kind, "provider_name": provider.name, "provider_id": provider.slug,
            "provider_homepage": f"https://{provider.slug}.example.org", "country": provider.country,
            "ects": s.ects, "hours": s.hours, "eqf_level": s.eqf, "isced_f": s.isced, "mode": " | ".join(s.modes),
            "learning_setting": s.setting, "language": "|".join(s.languages), "assessment": "|".join(s.assessments),
            "qa_type": s.qa, "qa_agent": provider.agency, "prerequisites": s.prerequisites,
            "part_of": "|".join(s.part_of), "opportunity_type": s.opportunity_type, "start_date": s.start,
            "duration": s.duration, "price": f"{s.price} EUR", "homepage": s.homepage,
        }
        for lang, title in s.titles.items():
            row[f"title_{lang}"] = title
            row[f"description_{lang}"] = description_text(s.kind, lang, ects=s.ects, eqf=s.eqf, title=title)
        for n, (texts, skills) in enumerate(s.outcomes, start=1):
            for lang, text in texts.items():
                row[f"outcome_{n}_{lang}"] = text
            row[f"outcome_{n}_skills"] = "|".join(ESCO_SKILL + k for k in skills)
        writer.writerow(row)
    return out.getvalue().encode("utf-8")
