#!/usr/bin/env python3
"""Build the shipped vocabularies in ``vocabularies/`` from ../shared/data and curated tables.

Derived from reference data (../shared/data, see its README):

* ``elm.ttl``      the ELM 3.1 terms credgraph uses, copied with their labels and
                   definitions from ``elm-3.1/ELM.ttl`` / ``ELM-external.ttl``
* ``isced-f.ttl``  the 220 ISCED-F 2013 fields, from the ESCO skill groups
                   (en v1.1.1, fr v1.1.1, de v1.2.0) and ESCO's broader relations

Curated here, with the public source of every label (see ``docs/vocabularies.md``):
``eqf``, ``learning-setting``, ``learning-assessment``, ``assessment``,
``supervision-verification``, ``education-credit``, ``learning-opportunity``,
``credential``, ``countries``, ``languages``.

Usage::

    python scripts/build_vocabularies.py            # write vocabularies/*.ttl
    python scripts/build_vocabularies.py --check    # exit 1 if a file is out of date

``credgraph.ttl`` (the cg: vocabulary) is written by hand and not touched here.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
VOCAB_DIR = ROOT / "vocabularies"
DEFAULT_SHARED = Path(os.environ.get("CREDGRAPH_SHARED", ROOT.parent / "shared")) / "data"

ELM = "http://data.europa.eu/snb/model/elm/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SNB = "http://data.europa.eu/snb/"
NAL = "http://publications.europa.eu/resource/authority/"
ESCO_ISCED = "http://data.europa.eu/esco/isced-f/"
RDF_TYPE = RDF + "type"

PREFIXES = {
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dct": DCT,
    "elm": ELM, "cred": "https://www.w3.org/2018/credentials#", "foaf": "http://xmlns.com/foaf/0.1/",
    "adms": "http://www.w3.org/ns/adms#", "rov": "http://www.w3.org/ns/regorg#", "cc": "http://creativecommons.org/ns#",
    "person": "http://www.w3.org/ns/person#", "locn": "http://www.w3.org/ns/locn#", "org": "http://www.w3.org/ns/org#",
}

# --------------------------------------------------------------------------
# Minimal deterministic Turtle writer (sorted, prefixed, with a header comment),
# so that a rebuild from the same inputs gives byte-identical files and
# ``credgraph init`` reports them "unchanged".
# --------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))


def _local_ok(local: str) -> bool:
    return bool(local) and all(c.isalnum() or c in "_-" for c in local) and local[0].isalpha()


def _term(term: ox.NamedNode | ox.Literal, prefixes: dict[str, str]) -> str:
    if isinstance(term, ox.NamedNode):
        for prefix, ns in prefixes.items():
            if term.value.startswith(ns) and _local_ok(term.value[len(ns):]):
                return f"{prefix}:{term.value[len(ns):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        text = f'"{_escape(term.value)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype.value != XSD + "string":
            return f"{text}^^{_term(term.datatype, prefixes)}"
        return text
    raise TypeError(f"blank nodes are not written by this serializer: {term!r}")


def to_turtle(triples: list[ox.Triple], header: str, prefixes: dict[str, str] | None = None) -> str:
    """Serialize ``triples`` as sorted Turtle with ``header`` as leading comment lines."""
    prefixes = dict(prefixes or PREFIXES)
    by_subject: dict[str, dict[str, set]] = {}
    for t in triples:
        by_subject.setdefault(t.subject.value, {}).setdefault(t.predicate.value, set()).add(t.object)
    iris = {t.subject.value for t in triples} | {t.predicate.value for t in triples}
    iris |= {t.object.value if isinstance(t.object, ox.NamedNode) else t.object.datatype.value for t in triples}
    used = [p for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)]
    prefixes = {p: prefixes[p] for p in sorted(used)}
    lines = [f"# {line}".rstrip() for line in header.strip("\n").splitlines()]
    lines.append("")
    lines += [f"@prefix {p}: <{ns}> ." for p, ns in prefixes.items()]
    lines.append("")

    def sort_key(term) -> tuple:
        if isinstance(term, ox.Literal):
            return (1, term.language or "", term.value)
        return (0, "", term.value)

    for subject in sorted(by_subject):
        preds = by_subject[subject]
        order = sorted(preds, key=lambda p: (p != RDF_TYPE, p))
        parts = []
        for pred in order:
            objs = ", ".join(_term(o, prefixes) for o in sorted(preds[pred], key=sort_key))
            pname = "a" if pred == RDF_TYPE else _term(ox.NamedNode(pred), prefixes)
            parts.append(f"    {pname} {objs}")
        lines.append(_term(ox.NamedNode(subject), prefixes))
        lines.append(" ;\n".join(parts) + " .")
        lines.append("")
    return "\n".join(lines)


def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def lit(value: str, lang: str | None = None, datatype: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(value, language=lang)
    if datatype:
        return ox.Literal(value, datatype=iri(datatype))
    return ox.Literal(value)


def triple(s: str, p: str, o) -> ox.Triple:
    return ox.Triple(iri(s), iri(p), o)


# --------------------------------------------------------------------------
# ELM subset
# --------------------------------------------------------------------------

# Terms named in docs/DESIGN.md / DOMAIN.md and those a catalogue needs. Terms used by
# the EC sample credentials are added automatically (see sample_elm_terms).
ELM_REQUIRED = [
    # classes
    "EuropeanDigitalCredential", "Person", "LearningAchievement", "LearningAchievementSpecification",
    "Qualification", "LearningOutcome", "CreditPoint", "Accreditation", "Organisation", "Address",
    "AwardingProcess", "AwardingOpportunity", "LearningAssessment", "LearningAssessmentSpecification",
    "LearningActivity", "LearningActivitySpecification", "LearningEntitlement", "LearningEntitlementSpecification",
    "LearningOpportunity", "Specification", "Claim", "Agent", "Note", "Identifier", "LegalIdentifier",
    "WebResource", "MediaObject", "GradingScheme", "ShortenedGrading", "ContactPoint", "Mailbox", "PriceDetail",
    "Grant", "DisplayParameter",
    # properties
    "hasClaim", "awardedBy", "awardingBody", "awardingDate", "provenBy", "specifiedBy", "grade",
    "idVerification", "learningOutcome", "relatedESCOSkill", "relatedSkill", "creditPoint", "framework", "point",
    "volumeOfLearning", "EQFLevel", "NQFLevel", "ISCEDFCode", "mode", "learningSetting", "entryRequirement",
    "hasPart", "isPartOf", "entitlesTo", "isPartialQualification", "accreditation", "accreditingAgent",
    "location", "address", "countryCode", "spatialCode", "additionalNote", "supplementaryDocument",
    "gradingScheme", "learningOpportunity", "learningAchievementSpecification", "providedBy", "credentialProfiles",
    "educationSubject", "educationLevel", "targetGroup", "learningSchedule", "duration", "startDate", "endDate",
    "workload", "maximumDuration", "priceDetail", "admissionProcedure", "applicationDeadline", "landingPage",
    "contactPoint", "learningOutcomeSummary", "awardingOpportunity", "dateOfBirth",
    "nationalId", "fullAddress", "status", "decision", "report", "limitQualification", "limitField",
    "limitEQFLevel", "limitJurisdiction", "limitOrganisation", "learningActivitySpecification", "proves",
    "awards", "reusabilityLevel", "qualificationCode",
]
# Terms ELM reuses from other vocabularies, documented in ELM-external.ttl.
EXTERNAL_REQUIRED = [
    "http://purl.org/dc/terms/Location", "http://www.w3.org/2004/02/skos/core#Concept",
    "http://purl.org/dc/terms/title", "http://purl.org/dc/terms/description", "http://purl.org/dc/terms/type",
    "http://purl.org/dc/terms/language", "http://purl.org/dc/terms/issued",
    "http://www.w3.org/ns/regorg#legalName", "http://xmlns.com/foaf/0.1/homepage",
    "http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2004/02/skos/core#notation",
    "http://www.w3.org/ns/adms#Identifier",
]


def _context_map(context: dict, out: dict[str, set[str]], prefixes: dict[str, str]) -> None:
    """Collect term -> IRIs of a JSON-LD context, including scoped contexts."""
    def expand(value: str) -> str:
        if ":" in value and not value.startswith("http"):
            prefix, local = value.split(":", 1)
            if prefix in prefixes:
                return prefixes[prefix] + local
        return value
    for key, value in context.items():
        if key.startswith("@"):
            continue
        if isinstance(value, str):
            out.setdefault(key, set()).add(expand(value))
        elif isinstance(value, dict):
            if "@id" in value:
                out.setdefault(key, set()).add(expand(value["@id"]))
            if isinstance(value.get("@context"), dict):
                _context_map(value["@context"], out, prefixes)


def sample_elm_terms(shared: Path) -> set[str]:
    """ELM IRIs of the properties and types used in the EC sample credentials."""
    context = json.loads((shared / "elm-3.1/ap/edc-ap-context.jsonld").read_text(encoding="utf-8"))["@context"]
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.startswith("http")}
    terms: dict[str, set[str]] = {}
    _context_map(context, terms, prefixes)
    used: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                used.add(key)
                if key == "type":
                    used.update([value] if isinstance(value, str) else value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for name in ("Sample-CertOfPart-unsigned.jsonld", "credential-sample.jsonld"):
        walk(json.loads((shared / "samples" / name).read_text(encoding="utf-8")))
    return {iri_ for key in used for iri_ in terms.get(key, ()) if iri_.startswith(ELM)}


def profile_terms(shared: Path) -> set[str]:
    """IRIs the EC's Learning Opportunities and Qualifications profile (catalogue data) uses."""
    triples = ox.parse(path=str(shared / "elm-3.1/ap/LOQ-constraints.ttl"), format=ox.RdfFormat.TURTLE)
    return {term.value for t in triples for term in (t.subject, t.object) if isinstance(term, ox.NamedNode)}


def build_elm(shared: Path) -> str:
    """The ELM 3.1 subset credgraph uses, with ELM's own labels and definitions."""
    elm_triples = list(ox.parse(path=str(shared / "elm-3.1/ELM.ttl"), format=ox.RdfFormat.TURTLE))
    ext_triples = list(ox.parse(path=str(shared / "elm-3.1/ELM-external.ttl"), format=ox.RdfFormat.TURTLE))
    defined = {t.subject.value for t in elm_triples if t.subject.value.startswith(ELM)}
    required = {ELM + name for name in ELM_REQUIRED}
    missing = sorted(required - defined)
    if missing:
        raise SystemExit(f"ELM.ttl does not define: {', '.join(missing)}")
    # The EDC context maps some sample keys to IRIs the ontology lacks (elm:nationalID for
    # elm:nationalId, a known defect); only terms the ontology defines are copied.
    loq = profile_terms(shared)
    wanted = required | (sample_elm_terms(shared) & defined) | (loq & defined)
    external = set(EXTERNAL_REQUIRED) | (loq & {t.subject.value for t in ext_triples})
    ontology = "http://data.europa.eu/snb/model/elm"
    keep_ontology = {RDF_TYPE, RDFS + "label", DCT + "title", DCT + "license", OWL + "versionInfo",
                     DCT + "modified", DCT + "created", "http://creativecommons.org/ns#attributionName",
                     "http://creativecommons.org/ns#attributionURL", DCT + "publisher"}
    out = [t for t in elm_triples if t.subject.value in wanted]
    out += [t for t in elm_triples if t.subject.value == ontology and t.predicate.value in keep_ontology]
    out += [t for t in ext_triples if t.subject.value in external]
    # Record, on each copied term, which ontology defines it.
    out += [triple(s, RDFS + "isDefinedBy", iri(ontology)) for s in sorted(wanted)]
    header = f"""
European Learning Model (ELM) 3.1 - the subset of terms credgraph uses ({len(wanted)} ELM terms,
plus {len(external)} reused external terms as ELM-external.ttl describes them): the terms credgraph's
design names, those the EC sample credentials use, and those the EC's LOQ profile
(LOQ-constraints.ttl, catalogue data) uses.
Source: European Learning Model ontology v3.1.0, rdf/ontology/ELM.ttl and ELM-external.ttl,
  https://github.com/european-commission-empl/European-Learning-Model (commit 9d7c5d2),
  copied unchanged (labels, comments, domains, ranges); terms not used by credgraph are left out.
Licence: CC BY 4.0, (c) European Commission (https://creativecommons.org/licenses/by/4.0/).
Generated by scripts/build_vocabularies.py - do not edit by hand.
"""
    return to_turtle(out, header)


# --------------------------------------------------------------------------
# ISCED-F 2013 from ESCO
# --------------------------------------------------------------------------

ISCED_SCHEME = SNB + "isced-f/25831c2"
ESCO_FILES = {
    "en": ("esco/v1.1.1-en/skillGroups_en.csv", "ESCO v1.1.1 (en)"),
    "fr": ("esco/v1.1.1-fr-partial/skillGroups_fr.csv", "ESCO v1.1.1 (fr)"),
    "de": ("esco/v1.2.0-de-partial/skillGroups_de.csv", "ESCO v1.2.0 (de)"),
}
ESCO_BROADER = "esco/v1.1.1-en/broaderRelationsSkillPillar.csv"
ISCED_COUNT = 220


def build_isced(shared: Path) -> str:
    """ISCED-F 2013 fields: en/de/fr labels and broad > narrow > detailed hierarchy from ESCO."""
    labels: dict[str, dict[str, str]] = {}
    for lang, (rel, _) in ESCO_FILES.items():
        found = 0
        with open(shared / rel, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                uri = row["conceptUri"]
                if uri.startswith(ESCO_ISCED):
                    labels.setdefault(uri[len(ESCO_ISCED):], {})[lang] = row["preferredLabel"].strip()
                    found += 1
        if found != ISCED_COUNT:
            raise SystemExit(f"{rel}: expected {ISCED_COUNT} ISCED-F fields, found {found}")
    incomplete = sorted(c for c, ls in labels.items() if set(ls) != set(ESCO_FILES))
    if incomplete:
        raise SystemExit(f"ISCED-F fields without en/de/fr labels: {', '.join(incomplete)}")
    broader: dict[str, str] = {}
    with open(shared / ESCO_BROADER, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            c, b = row["conceptUri"], row["broaderUri"]
            if c.startswith(ESCO_ISCED) and b.startswith(ESCO_ISCED):
                broader[c[len(ESCO_ISCED):]] = b[len(ESCO_ISCED):]
    for code in labels:
        expected = code[:-1] if len(code) > 2 else None
        if broader.get(code) != expected:
            raise SystemExit(f"ISCED-F {code}: ESCO gives broader {broader.get(code)!r}, expected {expected!r}")
    tsv = shared / "elm-3.1/snb-concept-iris_ELMv2-genericschema_2020.tsv"
    snb_codes = {line.split("\t")[1].strip().rsplit("/", 1)[1] for line in tsv.read_text().splitlines()
                 if line.startswith("IscedFOetCodeEnumType")}
    if snb_codes != set(labels):
        raise SystemExit("ISCED-F codes in ESCO and in the EC concept list differ: "
                         f"{sorted(snb_codes ^ set(labels))}")

    out = [
        triple(ISCED_SCHEME, RDF_TYPE, iri(SKOS + "ConceptScheme")),
        triple(ISCED_SCHEME, SKOS + "prefLabel", lit("ISCED-F 2013: fields of education and training", "en")),
        triple(ISCED_SCHEME, DCT + "source", iri("http://data.europa.eu/esco/concept-scheme/isced-f")),
    ]
    level = {2: "broad field", 3: "narrow field", 4: "detailed field"}
    for code in sorted(labels):
        c = SNB + "isced-f/" + code
        out += [
            triple(c, RDF_TYPE, iri(SKOS + "Concept")),
            triple(c, SKOS + "inScheme", iri(ISCED_SCHEME)),
            triple(c, SKOS + "notation", lit(code)),
            triple(c, SKOS + "exactMatch", iri(ESCO_ISCED + code)),
            triple(c, SKOS + "scopeNote", lit(f"ISCED-F 2013 {level[len(code)]}", "en")),
        ]
        out += [triple(c, SKOS + "prefLabel", lit(text, lang)) for lang, text in labels[code].items()]
        if len(code) == 2:
            out += [triple(c, SKOS + "topConceptOf", iri(ISCED_SCHEME)),
                    triple(ISCED_SCHEME, SKOS + "hasTopConcept", iri(c))]
        else:
            out.append(triple(c, SKOS + "broader", iri(SNB + "isced-f/" + broader[code])))
    header = f"""
ISCED-F 2013 (International Standard Classification of Education: Fields of education and
training), {ISCED_COUNT} fields as the EU controlled list http://data.europa.eu/snb/isced-f/25831c2.
Concept IRIs http://data.europa.eu/snb/isced-f/<code> (codes checked against the ELM concept list
snb-concept-iris_ELMv2-genericschema_2020.tsv); skos:exactMatch to the ESCO concept
http://data.europa.eu/esco/isced-f/<code>.
Labels and hierarchy: ESCO skillGroups_* and broaderRelationsSkillPillar (en: {ESCO_FILES['en'][1]},
fr: {ESCO_FILES['fr'][1]}, de: {ESCO_FILES['de'][1]}); broader relations from ESCO v1.1.1.
This service uses the ESCO classification of the European Commission (data filtered to ISCED-F).
Generated by scripts/build_vocabularies.py - do not edit by hand.
"""
    return to_turtle(out, header)


# --------------------------------------------------------------------------
# Curated concept schemes
# --------------------------------------------------------------------------

EUF = "https://github.com/EuropeanUniversityFoundation/elm_vocabularies_php/blob/"
EUF_PO = EUF + "554191d12bf213ca11310c03aa8c565a3416f66c/translations/{lang}/LC_MESSAGES/{name}.po"
EC_SAMPLE = ("https://github.com/european-commission-empl/European-Learning-Model/blob/master/"
             "Credentials/JSON-LD%20Examples%20(ELM%20v3)/Sample-CertOfPart-unsigned.jsonld")
ELM_XSD_LIST = ("https://github.com/european-commission-empl/European-Learning-Model/blob/"
                "0fa6403bb2ae301eb81bae49ea673b74216eb235/Credentials/XSD/flatten/genericschema.xsd")
EQF_REC = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32017H0615(01)"


@dataclass
class Concept:
    code: str
    labels: dict[str, str]
    sources: list[str]
    note: str
    definition: dict[str, str] = field(default_factory=dict)
    notation: bool = True


@dataclass
class Scheme:
    name: str
    title: dict[str, str]
    concepts: list[Concept]
    description: str
    base: str = ""           # concept IRI base; default http://data.europa.eu/snb/<name>/
    scheme_iri: str = ""     # default http://data.europa.eu/snb/<name>/25831c2

    def concept_iri(self, code: str) -> str:
        return (self.base or f"{SNB}{self.name}/") + code

    def iri(self) -> str:
        return self.scheme_iri or f"{SNB}{self.name}/25831c2"


def _euf(path_commit: str, name: str, code: str, en: str, de: str, fr: str, definition: str = "") -> Concept:
    src_en = EUF + path_commit
    return Concept(
        code, {"en": en, "de": de, "fr": fr},
        [src_en, EUF_PO.format(lang="de", name=name), EUF_PO.format(lang="fr", name=name)],
        f"en label from {src_en} (generated there from the EU Vocabularies concept scheme); "
        f"de/fr labels from the same repository's translations/{{de,fr}}/LC_MESSAGES/{name}.po",
        {"en": definition} if definition else {},
    )


ASSESSMENT_SRC = "1eadae0ada5cde89070351e284be47d4f84c113e/src/AssessmentType.php"
OPPORTUNITY_SRC = "c9ba97af1fc6d132e6c6c1de13ecbc8d197a1634/src/LearningOpportunityType.php"
SETTING_SRC = "0c237ec7de5abd4223da6919aa30baff50671231/src/LearningSettingType.php"
MODE_SRC = "c9ba97af1fc6d132e6c6c1de13ecbc8d197a1634/src/ModeOfLearningAndAssessment.php"

# EQF level names: "Level 1".."Level 8" (en), "Niveau 1".."Niveau 8" (de, fr) as in the level
# descriptor table of the Council Recommendation of 22 May 2017 on the EQF, Annex II.
EQF = Scheme(
    "eqf", {"en": "European Qualifications Framework (EQF)", "de": "Europäischer Qualifikationsrahmen (EQR)",
            "fr": "Cadre européen des certifications (CEC)"},
    [Concept(str(n), {"en": f"Level {n}", "de": f"Niveau {n}", "fr": f"Niveau {n}"},
             [EQF_REC, ELM_XSD_LIST],
             "code from the ELM XSD concept list; labels: level names of the Council Recommendation "
             "2017/C 189/03 on the EQF, Annex II (en/de/fr language versions)")
     for n in range(1, 9)],
    "The eight reference levels of the European Qualifications Framework.",
)

LEARNING_SETTING = Scheme(
    "learning-setting", {"en": "Learning setting type", "de": "Art der Lernumgebung", "fr": "Type de cadre d’apprentissage"},
    [
        _euf(SETTING_SRC, "LearningSettingType", "6fd4685715", "formal learning", "Formales Lernen", "Apprentissage formel",
             "Learning which takes place in an organised and structured environment, specifically dedicated to "
             "learning, and typically leads to the award of a qualification, usually in the form of a certificate "
             "or a diploma; it includes systems of general education, initial vocational training and higher education."),
        _euf(SETTING_SRC, "LearningSettingType", "e207a81fc7", "non-formal learning", "Nichtformales Lernen",
             "Apprentissage non formel"),
    ],
    "Whether learning is formal or non-formal (elm:learningSetting).",
)

LEARNING_ASSESSMENT = Scheme(
    "learning-assessment", {"en": "Mode of learning and assessment", "de": "Lern- und Beurteilungsmethode",
                            "fr": "Mode d’apprentissage et d’évaluation"},
    [
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "920fbb3cbe", "Online", "Online", "En ligne"),
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "e92d221e4d", "Blended", "Blended Learning", "Mixte"),
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "9191af2ed9", "Presential", "Präsenz", "Présentiel"),
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "729f3bed4b", "Workbased", "Berufspraktisch",
             "Fondé sur des travaux"),
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "7813801c77", "Project based", "Projektbasiert",
             "Fondé sur un projet"),
        _euf(MODE_SRC, "ModeOfLearningAndAssessment", "ed4c557045", "Research-Lab based", "Arbeit im Forschungslabor",
             "Fondé sur des recherches en laboratoire"),
    ],
    "Form of participation: how learning and assessment take place (elm:mode).",
)

ASSESSMENT = Scheme(
    "assessment", {"en": "Assessment type", "de": "Beurteilungsart", "fr": "Type d’évaluation"},
    [
        _euf(ASSESSMENT_SRC, "AssessmentType", "6e6cb2cc78", "written examination", "Schriftliche Prüfung", "Examen écrit"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "d30284d7df", "oral examination", "Mündliche Prüfung", "Examen oral"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "2939dae15f", "marked assignment", "Benotete Aufgabe", "Travail noté"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "3484bd7e51", "continuous evaluation", "Fortlaufende Evaluierung",
             "Évaluation continue"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "19a2e5e671", "peer assessment", "Peer Assessment",
             "Évaluation par les pairs", "Peers grade you."),
        _euf(ASSESSMENT_SRC, "AssessmentType", "4f03b91c0e", "portfolio", "Portfolio", "Portfolio"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "7331eb4762", "level of attendance", "Anwesenheit",
             "Taux de fréquentation"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "795dac4096", "project work", "Projektarbeit",
             "Travail consacré à un projet"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "56539a6507", "group performance", "Gruppenleistung",
             "Présentation en groupe"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "6a4db9f11d", "practical assessment", "Praktische Beurteilung",
             "Évaluation pratique"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "de4d165a6c", "artefact assessment", "Beurteilung eines Werks",
             "Évaluation d’un objet"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "b1b68f6735", "quiz", "Quiz", "Quiz",
             "recall test based on multiple choice entries"),
        _euf(ASSESSMENT_SRC, "AssessmentType", "812e3b0ae1", "peer review", "Peer-Review", "Examen par les pairs",
             "Test of presentation and/or synthesis skills. Peers provide feedback, but teacher grades you."),
        _euf(ASSESSMENT_SRC, "AssessmentType", "c4256a2726", "problem based learning", "Problemorientiertes Lernen",
             "Apprentissage fondé sur des problèmes", "test of practical problem solving skills"),
    ],
    "Type of assessment (dc:type of elm:LearningAssessmentSpecification).",
)

EC_DS_EXAMPLE = ("https://github.com/european-commission-empl/European-Learning-Model/blob/"
                 "9d8bebe2b5a4b765e218574ca495493fe5e95758/Credentials/XML%20Examples/EDC_DiplomaSupplement_AA.xml")
EDUNEXT = ("https://github.com/eduNEXT/platform-plugin-elm-credentials/blob/"
           "5ebac346363104dbe60a086db1de64cd3440aad0/platform_plugin_elm_credentials/models.py")
SUPERVISION = Scheme(
    "supervision-verification",
    {"en": "Europass Standard List of Methods Of Supervision And Verification",
     "es": "Lista normalizada de métodos de supervisión y verificación de Europass"},
    [
        Concept("70be69aaf9", {"en": "Supervised with ID Verification", "es": "Supervisado con verificación de la identidad"},
                [EC_DS_EXAMPLE, ELM_XSD_LIST],
                "en/es labels from the EC example credential EDC_DiplomaSupplement_AA.xml "
                "(idVerificationMethod targetName); code also in the ELM v2 XSD concept list"),
        Concept("df2880c5cb", {"en": "Unsupervised with ID verification"}, [EDUNEXT, ELM_XSD_LIST],
                "en label from eduNEXT/platform-plugin-elm-credentials models.py (IdVerification prefLabel "
                "for this code); code also in the ELM v2 XSD concept list"),
        Concept("c598449d64", {"en": "Unsupervised without ID verification"}, [ELM_XSD_LIST],
                "meaning from credgraph's domain primer (shared/docs/DOMAIN.md: 'c598449d64 unsupervised "
                "without ID verification'), worded like the two labels above; code in the ELM v2 XSD concept list; "
                "no public source with this code's label was found"),
    ],
    "Supervision of the assessment and verification of the learner's identity (elm:idVerification). "
    "The fourth code of the list, 44314532f9, is left out: no public source gives its meaning "
    "(see docs/vocabularies.md).",
)

EDUCATION_CREDIT = Scheme(
    "education-credit", {"en": "Education credit system"},
    [
        Concept("6fcec5c5af", {"en": "European Credit Transfer System"},
                ["https://github.com/ild-thl/php-european-learning-model"],
                "label as given with this concept in public ELM credential builders (e.g. "
                "ild-thl/php-european-learning-model tests: 'European Credit Transfer System'); "
                "alt label ECTS is the system's usual abbreviation"),
    ],
    "Credit systems for elm:CreditPoint/elm:framework.",
)

LEARNING_OPPORTUNITY = Scheme(
    "learning-opportunity", {"en": "Learning opportunity type", "de": "Art der Lernmöglichkeit",
                             "fr": "Type de possibilité d'apprentissage"},
    [
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "05053c1cbe", "Course", "Kurs", "Cours"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "0f7dac46ca", "Programme module", "Programmmodul",
             "Module de programme"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "11252a5207", "Mentoring", "Mentoring",
             "Encadrement (mentorat/tutorat/parrainage)"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "17744a2647", "MOOC", "MOOC",
             "MOOC/CLOM (cours en ligne ouverts et massifs)"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "63f9f6180c", "Apprenticeship", "Ausbildung/Lehre", "Apprentissage"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "65a4cf5de2", "Study visit", "Studienbesuch", "Visite d’étude"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "74a4a268e8", "Short learning programme", "Kurzlernprogramm",
             "Programme d’apprentissage court"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "77b99de990", "Internship", "Praktikum", "Stage"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "79343569f3", "Educational programme", "Bildungsprogramm",
             "Programme de formation"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "7e1ac538db", "Class", "Unterricht", "Leçon"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "8b965da2d4", "Service learning", "Lernen durch Engagement",
             "Apprentissage par le service"),
        _euf(OPPORTUNITY_SRC, "LearningOpportunityType", "b2434ca358", "Thesis", "Abschlussarbeit", "Thèse/mémoire"),
    ],
    "Type of a learning opportunity (dc:type of elm:LearningOpportunity).",
)

DSJP = ("https://github.com/iuliadanaila-tremend/dsjp-profile/blob/8f2b95ee62e268829594f9990d96a662a011c0b2/"
        "modules/custom/dsjp_content/src/InstallHelper.php")
EDC_REPO = "https://github.com/european-commission-empl/european-digital-credentials"
DSJP_NOTE = ("en label from the Digital Skills and Jobs Platform Drupal profile (dsjp_content InstallHelper, "
             "buildAllowedValuesForCredential)")
EDC_NOTE = ("en label: the credential type name EDC itself gives this code "
            "(ControlledListConcept.{const} / RDFSparqlBridgeService.searchTypeAndSchemaForCredType returns "
            "'{name}'), in european-commission-empl/european-digital-credentials")
CREDENTIAL = Scheme(
    "credential",
    {"en": "Europass Standard List of Credential Types", "es": "Lista normalizada de tipos de credenciales de Europass"},
    [
        Concept("e34929035b", {"en": "Generic"}, [EC_SAMPLE, ELM_XSD_LIST, DSJP],
                "label from the EC sample credential Sample-CertOfPart-unsigned.jsonld (prefLabel 'Generic'); "
                "same in the DSJP list; code in the ELM v2 XSD CredentialTypeEnumType"),
        Concept("6dff8a0f87", {"en": "Diploma Supplement", "es": "Suplemento Europeo al Título"}, [EC_DS_EXAMPLE, DSJP],
                "en/es labels from the EC example credential EDC_DiplomaSupplement_AA.xml (type targetName); "
                "same en label in the DSJP list"),
        Concept("48b514e72a", {"en": "Learning Activity"}, [DSJP, EDC_REPO],
                DSJP_NOTE + "; EDC maps this code to its 'only one activity' schema"),
        Concept("6cf8e68c43", {"en": "Qualification Award"}, [DSJP], DSJP_NOTE),
        Concept("bdc47cb449", {"en": "Learning Entitlement"}, [DSJP, EDC_REPO],
                DSJP_NOTE + "; EDC maps this code to its 'entitlements only' schema; used by the EC sample "
                "credential-sample.jsonld"),
        Concept("c_7e400154", {"en": "Converted"}, [EDC_REPO],
                EDC_NOTE.format(const="CREDENTIAL_TYPE_CONVERTED", name="Converted")),
        Concept("c_ae121a00", {"en": "Accredited"}, [EDC_REPO],
                EDC_NOTE.format(const="CREDENTIAL_TYPE_ACCREDITATION", name="Accredited")),
        Concept("c_9a31f32a", {"en": "Issued by mandate"}, [EDC_REPO],
                EDC_NOTE.format(const="CREDENTIAL_TYPE_ISSUED_MANDATE", name="IssuedByMandate")
                + " (written here with spaces)"),
    ],
    "Credential profiles (elm:credentialProfiles) of European Digital Credentials; each selects an EDC "
    "application profile (generic, diploma supplement, accredited, converted, issued by mandate).",
)

# EU NAL country authority table: EU member states and EEA EFTA states.
STYLE_GUIDE = "https://style-guide.europa.eu/en/content/-/isg/topic?identifier=annex-a6-country-and-territory-codes"
NAL_COUNTRY = "http://publications.europa.eu/resource/authority/country"
COUNTRIES = [
    ("AUT", "Austria", "Österreich", "Autriche"), ("BEL", "Belgium", "Belgien", "Belgique"),
    ("BGR", "Bulgaria", "Bulgarien", "Bulgarie"), ("HRV", "Croatia", "Kroatien", "Croatie"),
    ("CYP", "Cyprus", "Zypern", "Chypre"), ("CZE", "Czechia", "Tschechien", "Tchéquie"),
    ("DNK", "Denmark", "Dänemark", "Danemark"), ("EST", "Estonia", "Estland", "Estonie"),
    ("FIN", "Finland", "Finnland", "Finlande"), ("FRA", "France", "Frankreich", "France"),
    ("DEU", "Germany", "Deutschland", "Allemagne"), ("GRC", "Greece", "Griechenland", "Grèce"),
    ("HUN", "Hungary", "Ungarn", "Hongrie"), ("IRL", "Ireland", "Irland", "Irlande"),
    ("ITA", "Italy", "Italien", "Italie"), ("LVA", "Latvia", "Lettland", "Lettonie"),
    ("LTU", "Lithuania", "Litauen", "Lituanie"), ("LUX", "Luxembourg", "Luxemburg", "Luxembourg"),
    ("MLT", "Malta", "Malta", "Malte"), ("NLD", "Netherlands", "Niederlande", "Pays-Bas"),
    ("POL", "Poland", "Polen", "Pologne"), ("PRT", "Portugal", "Portugal", "Portugal"),
    ("ROU", "Romania", "Rumänien", "Roumanie"), ("SVK", "Slovakia", "Slowakei", "Slovaquie"),
    ("SVN", "Slovenia", "Slowenien", "Slovénie"), ("ESP", "Spain", "Spanien", "Espagne"),
    ("SWE", "Sweden", "Schweden", "Suède"),
    ("ISL", "Iceland", "Island", "Islande"), ("LIE", "Liechtenstein", "Liechtenstein", "Liechtenstein"),
    ("NOR", "Norway", "Norwegen", "Norvège"),
]
# EU NAL language authority table: the 24 official languages of the EU.
LANGUAGES = [
    ("BUL", "Bulgarian", "Bulgarisch", "bulgare"), ("CES", "Czech", "Tschechisch", "tchèque"),
    ("DAN", "Danish", "Dänisch", "danois"), ("DEU", "German", "Deutsch", "allemand"),
    ("ELL", "Greek", "Griechisch", "grec"), ("ENG", "English", "Englisch", "anglais"),
    ("EST", "Estonian", "Estnisch", "estonien"), ("FIN", "Finnish", "Finnisch", "finnois"),
    ("FRA", "French", "Französisch", "français"), ("GLE", "Irish", "Irisch", "irlandais"),
    ("HRV", "Croatian", "Kroatisch", "croate"), ("HUN", "Hungarian", "Ungarisch", "hongrois"),
    ("ITA", "Italian", "Italienisch", "italien"), ("LAV", "Latvian", "Lettisch", "letton"),
    ("LIT", "Lithuanian", "Litauisch", "lituanien"), ("MLT", "Maltese", "Maltesisch", "maltais"),
    ("NLD", "Dutch", "Niederländisch", "néerlandais"), ("POL", "Polish", "Polnisch", "polonais"),
    ("POR", "Portuguese", "Portugiesisch", "portugais"), ("RON", "Romanian", "Rumänisch", "roumain"),
    ("SLK", "Slovak", "Slowakisch", "slovaque"), ("SLV", "Slovenian", "Slowenisch", "slovène"),
    ("SPA", "Spanish", "Spanisch", "espagnol"), ("SWE", "Swedish", "Schwedisch", "suédois"),
]
NAL_NOTE = ("en/de/fr names as in the EU Interinstitutional Style Guide and the EU NAL authority table "
            "({table}); transcribed by hand and cross-checked against {iso} of the Debian iso-codes 4.15.0 "
            "package (identical in en, de and fr{iso_note})")
ISO_CHECK = {
    "country": ("the ISO 3166-1 common names", ""),
    "language": ("the ISO 639-2 names", ", except where ISO lists several names or a qualified name: "
                 "ELL 'Greek, Modern (1453-)', NLD 'Dutch; Flemish', RON 'Romanian; Moldavian; Moldovan', "
                 "SPA 'Spanish; Castilian'"),
}
IN_SAMPLE = {("country", "ITA"), ("country", "ESP"), ("country", "BEL"), ("country", "FRA"), ("language", "ENG")}


def _nal(kind: str, rows: list[tuple[str, str, str, str]], title: dict[str, str], description: str) -> Scheme:
    table = f"{NAL}{kind}"
    concepts = []
    for code, en, de, fr in rows:
        iso, iso_note = ISO_CHECK[kind]
        note = NAL_NOTE.format(table=table, iso=iso, iso_note=iso_note)
        sources = [table, STYLE_GUIDE]
        if kind == "language":
            sources.append(DSJP)
            note += "; en labels identical to the Digital Skills and Jobs Platform's list of EU languages (DSJP InstallHelper)"
        if (kind, code) in IN_SAMPLE:
            note += "; the en label matches the EC sample credentials"
        concepts.append(Concept(code, {"en": en, "de": de, "fr": fr}, sources, note))
    return Scheme(kind, title, concepts, description, base=table + "/", scheme_iri=table)


COUNTRIES_SCHEME = _nal("country", COUNTRIES, {"en": "Countries (EU and EEA)"},
                        "EU NAL country concepts for the EU member states and the EEA EFTA states.")
LANGUAGES_SCHEME = _nal("language", LANGUAGES, {"en": "Languages (EU official languages)"},
                        "EU NAL language concepts for the 24 official languages of the EU.")


def build_scheme(scheme: Scheme, file_name: str) -> str:
    """A SKOS concept scheme with its concepts, sources recorded per concept."""
    s = scheme.iri()
    out = [triple(s, RDF_TYPE, iri(SKOS + "ConceptScheme")),
           triple(s, DCT + "description", lit(scheme.description, "en"))]
    out += [triple(s, SKOS + "prefLabel", lit(text, lang)) for lang, text in scheme.title.items()]
    for concept in scheme.concepts:
        c = scheme.concept_iri(concept.code)
        out += [
            triple(c, RDF_TYPE, iri(SKOS + "Concept")),
            triple(c, SKOS + "inScheme", iri(s)),
            triple(c, SKOS + "topConceptOf", iri(s)),
            triple(s, SKOS + "hasTopConcept", iri(c)),
            triple(c, SKOS + "editorialNote", lit("Label sources: " + concept.note, "en")),
        ]
        if concept.notation:
            out.append(triple(c, SKOS + "notation", lit(concept.code)))
        out += [triple(c, SKOS + "prefLabel", lit(text, lang)) for lang, text in concept.labels.items()]
        out += [triple(c, SKOS + "definition", lit(text, lang)) for lang, text in concept.definition.items()]
        out += [triple(c, DCT + "source", iri(src)) for src in concept.sources]
        if scheme is EDUCATION_CREDIT and concept.code == "6fcec5c5af":
            out.append(triple(c, SKOS + "altLabel", lit("ECTS", "en")))
    header = f"""
{scheme.title['en']} - {len(scheme.concepts)} concepts of the controlled list <{s}>.
{scheme.description}
Every concept records where its labels come from (dct:source, skos:editorialNote).
Codes are never invented: a code whose meaning could not be established is left out
(see docs/vocabularies.md).
Generated by scripts/build_vocabularies.py ({file_name}) - do not edit by hand.
"""
    return to_turtle(out, header)


CURATED = {
    "eqf": EQF, "learning-setting": LEARNING_SETTING, "learning-assessment": LEARNING_ASSESSMENT,
    "assessment": ASSESSMENT, "supervision-verification": SUPERVISION, "education-credit": EDUCATION_CREDIT,
    "learning-opportunity": LEARNING_OPPORTUNITY, "credential": CREDENTIAL,
    "countries": COUNTRIES_SCHEME, "languages": LANGUAGES_SCHEME,
}


def build_all(shared: Path) -> dict[str, str]:
    """Every generated vocabulary: file name -> Turtle text."""
    files = {"elm.ttl": build_elm(shared), "isced-f.ttl": build_isced(shared)}
    for name, scheme in CURATED.items():
        files[f"{name}.ttl"] = build_scheme(scheme, f"{name}.ttl")
    for name, text in files.items():
        ox.parse(text.encode("utf-8"), ox.RdfFormat.TURTLE)  # fail here, not at `credgraph init`
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=VOCAB_DIR, help="where to write the .ttl files")
    parser.add_argument("--check", action="store_true", help="only report files that differ from a rebuild")
    args = parser.parse_args(argv)
    if not (args.shared / "elm-3.1/ELM.ttl").is_file():
        print(f"error: reference data not found under {args.shared} (use --shared)", file=sys.stderr)
        return 2
    stale = []
    for name, text in build_all(args.shared).items():
        target = args.out / name
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target} ({text.count(chr(10))} lines)")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
