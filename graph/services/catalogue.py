"""The catalogue service: search with facets, and the detail of specifications,
providers and ESCO skills.

One computation shared by the API (``GET /api/v1/catalogue``) and the static
site. The whole catalogue is read with a handful of bulk SELECT queries
(:mod:`~credgraph.graph.services.catalogue_reading`) into a
:class:`~credgraph.graph.services.catalogue_records.Catalogue`, which is cached
per store until a named graph changes; search and facet counts then run in
memory, with exactly the rules the site's offline search applies in the
browser (``site/static/search.js``): text tokens must all match; values of one
facet are alternatives (OR), different facets all apply (AND); the counts of a
facet are computed with every *other* facet applied, so they show what
choosing a value would give. What it returns is plain data
(:mod:`~credgraph.graph.services.catalogue_results`); keys, page paths and
text normalisation are in :mod:`~credgraph.graph.services.catalogue_naming`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from credgraph.graph.store.interface import Store
from credgraph.graph.services.catalogue_naming import (
    ECTS_RANGES,
    FACETS,
    LANGUAGES,
    facet_key,
    key_of,
    normalise,
    page_path,
    pick,
    pick_optional,
    slug_of,
)
from credgraph.graph.services.catalogue_reading import load_catalogue
from credgraph.graph.services.catalogue_records import Catalogue, Organisation, SearchDoc, SpecRecord
from credgraph.graph.services.catalogue_results import (
    AnnexElement,
    FacetValue,
    OutcomeDetail,
    ProviderDetail,
    QualityAssurance,
    SearchResult,
    SkillDetail,
    SpecSummary,
    SpecificationDetail,
    Stackability,
    Text,
)


# Annex I of Council Recommendation 2022/C 243/02, as it applies to a
# specification (M1 and M5 concern an issued credential, not a catalogue entry).
ANNEX_I = (
    ("M2", "title"),
    ("M3", "provider"),
    ("M3", "country"),
    ("M6", "outcomes"),
    ("M7", "workload"),
    ("M8", "eqf"),
    ("M9", "assessment"),
    ("M10", "participation"),
    ("M11", "quality_assurance"),
    ("O1", "prerequisites"),
    ("O2", "id_verification"),
    ("O4", "stackability"),
)








# -- search ------------------------------------------------------------------


def _clean_filters(cat: Catalogue, filters: Mapping[str, Iterable[str] | str] | None) -> dict[str, set[str]]:
    clean: dict[str, set[str]] = {}
    for name, values in (filters or {}).items():
        if name not in FACETS:
            raise ValueError(f"unknown facet {name!r}; facets are {', '.join(FACETS)}")
        if isinstance(values, str):
            values = [values]
        keys = set()
        for value in values:
            if not value:
                continue
            if name == "ects":
                if value not in {k for k, _, _ in ECTS_RANGES}:
                    raise ValueError(f"unknown ECTS range {value!r}; ranges are {', '.join(k for k, _, _ in ECTS_RANGES)}")
                keys.add(value)
            elif value.startswith(("http://", "https://", "urn:")):
                keys.add(facet_key(name, value))
            else:
                keys.add(value)
        if keys:
            clean[name] = keys
    return clean


def search(
    store: Store,
    text: str | None = None,
    lang: str = "en",
    filters: Mapping[str, Iterable[str] | str] | None = None,
    page: int = 1,
    page_size: int = 20,
    *,
    catalogue: Catalogue | None = None,
) -> SearchResult:
    """Search the catalogue.

    ``text``: words that must all occur (case and accents ignored) in the
    title, description, outcomes, skills, field or provider, in ``lang``
    (falling back to another language where the data has no text in it).
    ``filters``: facet name -> keys or IRIs (``{"eqf": ["6", "7"], "country":
    ["DEU"], "ects": ["3-5"]}``). Facets: eqf, ects, field, mode, language,
    country, provider, skill.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size must be at least 1")
    cat = catalogue or load_catalogue(store)
    chosen = _clean_filters(cat, filters)
    tokens = normalise(text or "").split()
    docs = [d for d in cat.docs(lang).values() if all(t in d.text for t in tokens)]

    def passes(doc: SearchDoc, skip: str | None = None) -> bool:
        for name, keys in chosen.items():
            if name != skip and keys.isdisjoint(doc.facets[name]):
                return False
        return True

    hits = [d for d in docs if passes(d)]
    title_tokens = tokens
    hits.sort(key=lambda d: (not all(t in d.title_norm for t in title_tokens), d.title_norm, d.iri))
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        counts: dict[str, int] = defaultdict(int)
        for doc in docs:
            if passes(doc, skip=name):
                for key in set(doc.facets[name]):
                    counts[key] += 1
        for key in chosen.get(name, ()):
            counts.setdefault(key, 0)
        facets[name] = _facet_values(cat, name, counts, chosen.get(name, set()), lang)
    start = (page - 1) * page_size
    items = [cat.summary(cat.specs[d.iri], lang) for d in hits[start:start + page_size]]
    return SearchResult(len(hits), page, page_size, items, facets)


def _facet_values(cat: Catalogue, name: str, counts: Mapping[str, int], selected: set[str], lang: str) -> list[FacetValue]:
    values = []
    for key, count in counts.items():
        if name == "ects":
            label = Text(key.replace("-", "–") + " ECTS", lang)
        else:
            iri = cat.facet_iri(name, key)
            label = cat.label(iri, lang) if iri else Text(key, "", True)
        values.append(FacetValue(key, label, count, key in selected))
    if name == "ects":
        order = [k for k, _, _ in ECTS_RANGES]
        values.sort(key=lambda v: order.index(v.value) if v.value in order else 99)
    elif name == "eqf":
        values.sort(key=lambda v: (len(v.value), v.value))
    else:
        values.sort(key=lambda v: (-v.count, normalise(v.label.text)))
    return values


# -- details -----------------------------------------------------------------


def specification(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> SpecificationDetail | None:
    """Every Annex I element of the specification ``iri`` (None if the store has no such specification)."""
    cat = catalogue or load_catalogue(store)
    spec = cat.specs.get(iri)
    if spec is None:
        return None
    return specification_detail(cat, spec, lang)


def specification_detail(cat: Catalogue, spec: SpecRecord, lang: str) -> SpecificationDetail:
    """Build the :class:`SpecificationDetail` of a catalogue record."""
    outcomes = [
        OutcomeDetail(o.iri, pick_optional(o.titles, lang), [cat.ref(s, lang, "skill") for s in o.skills])
        for o in spec.outcomes
    ]
    qa = [
        QualityAssurance(a.iri, pick_optional(a.titles, lang), cat.ref(a.type, lang), cat.ref(a.agent, lang, "provider"))
        for a in spec.accreditations
    ]
    stack = Stackability(
        is_part_of=[cat.ref(x, lang, "spec") for x in spec.many("isPartOf")],
        has_part=[cat.ref(x, lang, "spec") for x in spec.many("hasPart")],
        entitles_to=[cat.ref(x, lang, "spec") for x in spec.many("entitlesTo")],
    )
    modes = [cat.ref(m, lang, "mode") for m in spec.many("mode")]
    settings = [cat.ref(m, lang) for m in spec.many("setting")]
    country = cat.ref(cat.country_of(spec), lang, "country")
    present = {
        "title": bool(spec.titles),
        "provider": bool(spec.provider),
        "country": country is not None,
        "outcomes": bool(outcomes),
        "workload": spec.ects is not None or spec.hours is not None,
        "eqf": spec.eqf is not None,
        "assessment": bool(spec.many("assessment")),
        "participation": bool(modes or settings),
        "quality_assurance": bool(qa),
        "prerequisites": bool(spec.prerequisites),
        "id_verification": bool(spec.many("idVerification")),
        "stackability": not stack.empty,
    }
    return SpecificationDetail(
        iri=spec.iri,
        slug=slug_of("spec", spec.iri),
        path=page_path("spec", spec.iri),
        title=pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True),
        titles=dict(spec.titles),
        description=pick_optional(spec.descriptions, lang),
        provider=cat.ref(spec.provider, lang, "provider"),
        country=country,
        ects=spec.ects,
        hours=spec.hours,
        eqf=cat.ref(spec.eqf, lang, "eqf"),
        field=cat.ref(spec.field, lang, "field"),
        outcomes=outcomes,
        assessment=[cat.ref(x, lang) for x in spec.many("assessment")],
        modes=modes,
        settings=settings,
        languages=[cat.ref(x, lang, "language") for x in spec.many("language")],
        quality_assurance=qa,
        prerequisites=pick_optional(spec.prerequisites, lang),
        id_verification=[cat.ref(x, lang) for x in spec.many("idVerification")],
        stackability=stack,
        homepages=list(spec.many("homepage")),
        note=pick_optional(spec.notes, lang),
        annex_i=[AnnexElement(code, element, present[element]) for code, element in ANNEX_I],
        kind=spec.kind,
    )


def specs_by(cat: Catalogue, facet: str) -> dict[str, list[SpecRecord]]:
    """Specifications grouped by the IRIs of one facet (provider, skill, eqf, field, country ...)."""
    groups: dict[str, list[SpecRecord]] = defaultdict(list)
    for spec in cat.specs.values():
        if facet == "provider":
            iris = [spec.provider]
        elif facet == "skill":
            iris = spec.skills
        elif facet == "eqf":
            iris = [spec.eqf]
        elif facet == "field":
            iris = [spec.field]
        elif facet == "country":
            iris = [cat.country_of(spec)]
        else:
            iris = spec.many(facet)
        for iri in iris:
            if iri:
                groups[iri].append(spec)
    return groups


def _sorted_summaries(cat: Catalogue, specs: Iterable[SpecRecord], lang: str) -> list[SpecSummary]:
    items = [cat.summary(s, lang) for s in specs]
    items.sort(key=lambda s: (normalise(s.title.text), s.iri))
    return items


def provider(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> ProviderDetail | None:
    """An organisation and the specifications it provides (None if unknown)."""
    cat = catalogue or load_catalogue(store)
    specs = [s for s in cat.specs.values() if s.provider == iri]
    org = cat.orgs.get(iri)
    if org is None and not specs:
        return None
    return provider_detail(cat, iri, specs, lang)


def provider_detail(cat: Catalogue, iri: str, specs: Iterable[SpecRecord], lang: str) -> ProviderDetail:
    """Build the :class:`ProviderDetail` of an organisation."""
    org = cat.orgs.get(iri) or Organisation(iri)
    return ProviderDetail(
        iri=iri,
        slug=slug_of("provider", iri),
        path=page_path("provider", iri),
        name=cat.label(iri, lang),
        country=cat.ref(org.country, lang, "country"),
        homepage=org.homepage,
        specifications=_sorted_summaries(cat, specs, lang),
    )


def skill(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> SkillDetail | None:
    """An ESCO skill and the specifications certifying it (None if no label and no specification is known)."""
    cat = catalogue or load_catalogue(store)
    specs = [s for s in cat.specs.values() if iri in s.skills]
    if not specs and iri not in cat.labels:
        return None
    return skill_detail(cat, iri, specs, lang)


def skill_detail(cat: Catalogue, iri: str, specs: Iterable[SpecRecord], lang: str) -> SkillDetail:
    """Build the :class:`SkillDetail` of an ESCO skill."""
    return SkillDetail(iri, slug_of("skill", iri), page_path("skill", iri), cat.label(iri, lang), _sorted_summaries(cat, specs, lang))
