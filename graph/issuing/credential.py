"""Issuing European Digital Credentials from the catalogue: the specification in the store + one learner's row.

The credential has the EC's structure (``Sample-CertOfPart-unsigned.jsonld``, the
demo credentials): a ``VerifiableCredential`` + ``EuropeanDigitalCredential``
with the EDC context, the awarding body as issuer, and a ``credentialSubject``
whose ``hasClaim`` is a ``LearningAchievement`` ``specifiedBy`` the
specification, with the specification's description exactly as the catalogue
holds it (same IRIs, same values), so that importing the credential back gives
the catalogue's public description.

The specification part is read from the store and turned into JSON-LD once
per specification (:func:`load_specification`): every statement of the
specification's own nodes becomes a key of the EDC context (the context is
read backwards: IRI -> term), so whatever the catalogue holds is carried, not a
hand-picked list. Concepts carry their scheme and labels from the loaded
vocabularies.

Validation runs once per *shape*, not per learner (:func:`check_shapes`): two
learners whose rows fill the same columns give credentials that differ only in
literal values the learners file has already checked, so one credential per
set of filled columns is validated against the EC ``EDC-generic-no-cv``
profile and credgraph's Annex I credential profile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache

import pyoxigraph as ox

from credgraph import queries, vocabularies
from credgraph.graph.sources import jsonld
from credgraph.graph.services import specifications
from credgraph.graph.sources import validation
from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.catalogue_terms import country_code
from credgraph.graph.sources.catalogue_csv import spec_iri as catalogue_spec_iri
from credgraph.graph.issuing.learners_csv import Learner
from credgraph.graph.store.interface import Store

CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]
EDC_PROFILE = "edc-generic"
ANNEX_I_PROFILE = "annex-i-credential"
PROFILES = (EDC_PROFILE, ANNEX_I_PROFILE)
SPEC_CLASSES = {ns.ELM + "LearningAchievementSpecification", ns.ELM + "Qualification"}
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
GENERIC_PROFILE = ns.SNB + "credential/e34929035b"
PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
_RDF_TYPE = ns.RDF + "type"
_STACKING_LINKS = {ns.ELM + "hasPart", ns.ELM + "isPartOf"}
_HAS_PART = ox.NamedNode(ns.ELM + "hasPart")
_IS_PART_OF = ox.NamedNode(ns.ELM + "isPartOf")


class IssueError(ValueError):
    """Nothing can be issued (one line naming what is wrong)."""


# -- the EDC context, read backwards -------------------------------------------------


@dataclass(frozen=True)
class _Term:
    name: str
    datatype: str | None  # "@id", an XSD IRI, or None
    language_map: bool


@cache
def _context_terms() -> tuple[dict[str, _Term], dict[str, str]]:
    """(property IRI -> term, class IRI -> term) of the bundled EDC context."""
    context = json.loads(vocabularies.read_bytes("contexts/edc-ap-context.jsonld"))["@context"]
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def expand(curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else curie

    properties: dict[str, _Term] = {}
    classes: dict[str, str] = {}
    for name, value in context.items():
        if name.startswith("@") or name in prefixes:
            continue
        if isinstance(value, str):
            classes.setdefault(expand(value), name)
        elif isinstance(value, dict) and isinstance(value.get("@id"), str):
            datatype = value.get("@type")
            term = _Term(name, expand(datatype) if datatype and datatype != "@id" else datatype, value.get("@container") == "@language")
            properties.setdefault(expand(value["@id"]), term)
    return properties, classes


# -- the specification, read once -------------------------------------------------------


@dataclass
class Specification:
    """What every credential of one specification shares, as JSON-LD values."""

    iri: str
    graph: str
    spec: dict  # the specification's node, embedded in hasClaim/specifiedBy
    body: dict  # the awarding body's node (issuer and awarding body)
    titles: dict[str, str]  # language -> title
    languages: list[str]  # language concept IRIs of the specification
    primary_language: dict


def with_legal_identifier(spec: Specification, country: str, notation: str) -> Specification:
    """``spec`` with its awarding body carrying an eIDAS legal identifier (the EC profile requires one on the issuer).

    The catalogue does not hold it; it comes from the seal certificate
    (``organizationIdentifier``) or from the issuer's settings.
    """
    body = dict(spec.body)
    body["eIDASIdentifier"] = {"id": f"{spec.body['id']}#eidas-identifier", "type": "LegalIdentifier", "notation": notation,
                               "spatial": {"id": COUNTRY + country, "type": "Concept",
                                           "inScheme": {"id": COUNTRY.rstrip("/"), "type": "ConceptScheme"}}}
    return Specification(spec.iri, spec.graph, spec.spec, body, spec.titles, spec.languages, spec.primary_language)


def parse_legal_identifier(value: str) -> tuple[str, str]:
    """``CC:NOTATION`` (ISO alpha-2 or NAL alpha-3 country, then the registration number) -> (NAL code, notation)."""
    country, _, notation = value.partition(":")
    code = country_code(country) if country else None
    if code is None or not notation.strip() or any(ch.isspace() or ord(ch) < 32 for ch in notation.strip()):
        raise IssueError(f"--legal-id {value!r}: expected COUNTRY:NUMBER, e.g. DE:HRB-12345")
    return code, notation.strip()


def resolve_spec_iri(value: str) -> str:
    """A specification IRI from ``value``: an IRI, or ``provider/ID`` as in the catalogue CSV."""
    if value.startswith(("http://", "https://", "urn:")):
        return value
    provider, _, local = value.partition("/")
    if not provider or not local:
        raise IssueError(f"{value!r}: not a specification IRI nor provider/ID (e.g. hs-beispielstadt/DS-101)")
    return catalogue_spec_iri(provider, local)


def load_specification(store: Store, iri: str) -> Specification:
    """Read the specification ``iri`` and its awarding body from the catalogue graph that describes it."""
    graph = specifications.spec_graphs(store, [iri]).get(iri)
    if graph is None:
        raise IssueError(f"{iri}: no such specification in the store (import its catalogue first: credgraph import catalogue)")
    g = ox.NamedNode(graph)
    statements = _describe(store, iri, g)
    types = {o.value for s, p, o in statements if s == ox.NamedNode(iri) and p.value == _RDF_TYPE}
    if not types & SPEC_CLASSES:
        raise IssueError(f"{iri}: not a LearningAchievementSpecification or Qualification in {graph}")
    bodies = [row["org"] for row in store.select(queries.load("issue-awarding-body"), {"spec": ox.NamedNode(iri), "graph": g}).rows]
    if not bodies:
        raise IssueError(f"{iri}: the catalogue names no awarding body (publisher or provider) for it")
    body_iri = bodies[0].value
    root = ox.NamedNode(iri)
    linked = [row["linked"] for row in store.select(queries.load("issue-linked-specifications"), {"spec": root, "graph": g}).rows]
    for other in linked:
        # A specification it stacks with is described, but of its stacking links only its part-of
        # the issued one: the EC profile would otherwise hold the catalogue's whole structure against
        # this credential.
        statements += [(s, p, o) for s, p, o in _describe(store, other.value, g)
                       if not (s == other and p.value in _STACKING_LINKS) or (s == other and p == _IS_PART_OF and o == root)]
    if ns.ELM + "Qualification" in types:
        # The EC profile lets a qualification have only qualifications as parts; micro-credential
        # parts are stated from their side (isPartOf, kept above), as the LOQ export does.
        qualifications = {s for s, p, o in statements if p.value == _RDF_TYPE and o.value == ns.ELM + "Qualification"}
        statements = [(s, p, o) for s, p, o in statements if not (s == root and p == _HAS_PART and o not in qualifications)]
    body_statements = _describe(store, body_iri, g)
    statements = list(dict.fromkeys(statements))  # linked specifications share nodes (the accrediting agent)
    concepts = _concepts(store, statements + body_statements)
    index = _index(statements + body_statements)
    _add_reference_types(store, index, concepts, g)
    embedded: set = set()
    spec = _node(root, index, concepts, embedded, path=())
    parts = [s for s, p, o in statements if p == _IS_PART_OF and o == root and s not in embedded]
    if parts:
        # Parts only the parts' isPartOf names (see above) hang from the specification the other way round.
        spec["@reverse"] = {"isPartOf": [_node(part, index, concepts, embedded, path=(root,)) for part in dict.fromkeys(parts)]}
    body = _node(ox.NamedNode(body_iri), index, concepts, set(), path=())
    titles = {}
    for s, p, o in statements:
        if s.value == iri and p.value == ns.DC + "title" and isinstance(o, ox.Literal) and o.language:
            titles.setdefault(o.language, o.value)
    languages = sorted(o.value for s, p, o in statements if s.value == iri and p.value == ns.DC + "language")
    primary = languages[0] if languages else LANGUAGE + "ENG"
    return Specification(iri, graph, spec, body, titles, languages, _concept_node(primary, concepts))


def _describe(store: Store, root: str, graph: ox.NamedNode) -> list[tuple]:
    rows = store.select(queries.load("issue-specification"), {"root": ox.NamedNode(root), "graph": graph}).rows
    return [(r["s"], r["p"], r["o"]) for r in rows]


def _index(statements: list[tuple]) -> dict:
    index: dict = {}
    for s, p, o in statements:
        index.setdefault(s, []).append((p, o))
    return index


def _add_reference_types(store: Store, index: dict, concepts: dict, graph: ox.NamedNode) -> None:
    """Give the resources only referred to (other specifications, organisations) their types: the EC profile checks classes."""
    referred = sorted({o for pairs in index.values() for p, o in pairs if isinstance(o, ox.NamedNode) and o not in index
                       and o.value not in concepts and p.value != _RDF_TYPE}, key=str)
    if not referred:
        return
    rows = store.select(queries.load("issue-types"), values=[{"node": n, "graph": graph} for n in referred]).rows
    for row in rows:
        index.setdefault(row["node"], []).append((ox.NamedNode(_RDF_TYPE), row["type"]))


def _concepts(store: Store, statements: list[tuple]) -> dict[str, tuple[str, dict[str, str]]]:
    """concept IRI -> (scheme IRI, language -> label) for the object IRIs the vocabularies know."""
    described = {s for s, _, _ in statements}
    cited = sorted({o for _, p, o in statements if isinstance(o, ox.NamedNode) and o not in described and p.value != _RDF_TYPE}, key=str)
    found: dict[str, tuple[str, dict[str, str]]] = {}
    if not cited:
        return found
    for row in store.select(queries.load("concept-schemes-labels"), values=[{"concept": c} for c in cited]).rows:
        scheme, labels = found.setdefault(row["concept"].value, (row["scheme"].value, {}))
        label = row.get("label")
        if label is not None and label.language and label.language in ("en", "de", "fr"):
            labels.setdefault(label.language, label.value)
    return found


def _concept_node(iri: str, concepts: dict) -> dict:
    scheme, labels = concepts.get(iri, (None, {}))
    node: dict = {"id": iri, "type": "Concept"}
    if scheme:
        node["inScheme"] = {"id": scheme, "type": "ConceptScheme"}
    if labels:
        node["prefLabel"] = dict(sorted(labels.items()))
    return node


def _node(subject, index: dict, concepts: dict, embedded: set, path: tuple) -> dict:
    """The JSON-LD node of ``subject``, its owned nodes embedded (generic: every statement, EDC terms).

    A node is described in full once (``embedded``); anywhere else, and for a
    node that is an ancestor, only its id and class are repeated (JSON-LD
    merges the statements about one IRI).
    """
    if isinstance(subject, ox.NamedNode):
        embedded.add(subject)
    properties, classes = _context_terms()
    node: dict = {} if isinstance(subject, ox.BlankNode) else {"id": subject.value}
    statements = index.get(subject, [])
    types = sorted(o.value for p, o in statements if p.value == _RDF_TYPE)
    if types:
        names = [classes.get(t, t) for t in types]
        node["type"] = names[0] if len(names) == 1 else names
    values: dict[str, list] = {}
    maps: dict[str, dict] = {}
    for p, o in statements:
        if p.value == _RDF_TYPE:
            continue
        term = properties.get(p.value)
        key = term.name if term else p.value
        if isinstance(o, ox.Literal):
            if term and term.language_map and o.language:
                language_map = maps.setdefault(key, {})
                if o.language in language_map:
                    previous = language_map[o.language]
                    language_map[o.language] = (previous if isinstance(previous, list) else [previous]) + [o.value]
                else:
                    language_map[o.language] = o.value
            elif term and not o.language and (term.datatype == o.datatype.value or (term.datatype is None and o.datatype.value == ns.XSD + "string")):
                values.setdefault(key, []).append(o.value)
            elif o.language:
                values.setdefault(key, []).append({"@value": o.value, "@language": o.language})
            else:
                values.setdefault(key, []).append({"@value": o.value, "@type": o.datatype.value})
            continue
        if term is not None and term.datatype not in (None, "@id"):
            key = p.value  # an IRI where the context expects a literal: keep the statement as it is
        if o in index and (o in path or o in embedded or len(index[o]) == len(_types(index, o))):
            # Only referred to (another specification, an ancestor, a node the graph only types): its id and class.
            names = [classes.get(t, t) for t in sorted(_types(index, o))]
            values.setdefault(key, []).append({"id": o.value, "type": names[0] if len(names) == 1 else names})
        elif o in index:
            values.setdefault(key, []).append(_node(o, index, concepts, embedded, path + (subject,)))
        elif isinstance(o, ox.NamedNode) and o.value in concepts:
            values.setdefault(key, []).append(_concept_node(o.value, concepts))
        else:
            values.setdefault(key, []).append({"id": o.value} if isinstance(o, ox.NamedNode) else {"@id": str(o)})
    for key in sorted(set(values) | set(maps)):
        if key in maps:
            node[key] = maps[key]
        else:
            found = values[key]
            node[key] = found[0] if len(found) == 1 else found
    return node


def _types(index: dict, node) -> set[str]:
    return {o.value for p, o in index.get(node, ()) if p.value == _RDF_TYPE}


# -- one credential ----------------------------------------------------------------------


def credential_id(key: bytes, spec: str, learner_id: str, reissue: bool = False) -> str:
    """The credential's id: the same for the same learner and specification (keyed, not guessable), or new with ``reissue``."""
    if reissue:
        return f"urn:credential:{uuid.uuid4()}"
    digest = hmac.new(key, f"credential\n{spec}\n{learner_id}".encode("utf-8"), hashlib.sha256).digest()
    return f"urn:credential:{uuid.UUID(bytes=digest[:16], version=4)}"


def _iso_now(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(spec: Specification, learner: Learner, cred_id: str, issued: datetime) -> dict:
    """The unsigned EDC of ``learner`` for ``spec``, issued at ``issued``."""
    when = _iso_now(issued)
    language = spec.primary_language
    lang = "en"
    person: dict = {
        "id": "urn:epass:person:1", "type": "Person",
        "givenName": {lang: learner.given_name}, "familyName": {lang: learner.family_name},
        "fullName": {lang: f"{learner.given_name} {learner.family_name}"},
        "identifier": {"id": "urn:epass:identifier:1", "type": "Identifier", "schemeName": "learner id", "notation": learner.learner_id},
    }
    if learner.date_of_birth:
        person["dateOfBirth"] = f"{learner.date_of_birth}T00:00:00Z"
    if learner.email:
        person["contactPoint"] = {"id": "urn:epass:contactPoint:1", "type": "ContactPoint",
                                  "emailAddress": {"id": "mailto:" + learner.email, "type": "Mailbox"}}
    if learner.national_id:
        person["nationalID"] = {"id": "urn:epass:legalIdentifier:1", "type": "LegalIdentifier", "notation": learner.national_id,
                                "spatial": {"id": COUNTRY + learner.national_id_country, "type": "Concept",
                                            "inScheme": {"id": COUNTRY.rstrip("/"), "type": "ConceptScheme"}}}
    claim: dict = {
        "id": "urn:epass:learningAchievement:1", "type": "LearningAchievement", "title": spec.titles,
        "awardedBy": {"id": "urn:epass:awardingProcess:1", "type": "AwardingProcess",
                      "awardingBody": spec.body, "awardingDate": f"{learner.date_of_award}T00:00:00Z"},
        "specifiedBy": spec.spec,
    }
    if learner.grade:
        claim["provenBy"] = {"id": "urn:epass:learningAssessment:1", "type": "LearningAssessment", "title": {lang: "Assessment"},
                             "awardedBy": {"id": "urn:epass:awardingProcess:1", "type": "AwardingProcess"},
                             "grade": {"id": "urn:epass:note:1", "type": "Note", "noteLiteral": {lang: learner.grade}}}
    person["hasClaim"] = claim
    display = {
        "id": "urn:epass:displayParameter:1", "type": "DisplayParameter", "title": spec.titles,
        "primaryLanguage": language, "language": [language],
        "individualDisplay": {"id": "urn:epass:individualDisplay:1", "type": "IndividualDisplay", "language": language,
                              "displayDetail": {"id": "urn:epass:displayDetail:1", "type": "DisplayDetail", "page": 1, "image": {
                                  "id": "urn:epass:mediaObject:1", "type": "MediaObject", "content": PIXEL_PNG,
                                  "contentEncoding": {"id": ns.SNB + "encoding/6146cde7dd", "type": "Concept",
                                                      "inScheme": {"id": ns.SNB + "encoding/25831c2", "type": "ConceptScheme"}},
                                  "contentType": {"id": "http://publications.europa.eu/resource/authority/file-type/PNG", "type": "Concept",
                                                  "inScheme": {"id": "http://publications.europa.eu/resource/authority/file-type", "type": "ConceptScheme"}}}}},
    }
    return {
        "@context": CONTEXT, "id": cred_id, "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": {"id": GENERIC_PROFILE, "type": "Concept",
                               "inScheme": {"id": ns.SNB + "credential/25831c2", "type": "ConceptScheme"}},
        "credentialSchema": {"id": "http://data.europa.eu/snb/model/ap/edc-generic-no-cv", "type": "ShaclValidator2017"},
        "displayParameter": display, "issuer": spec.body,
        "issuanceDate": when, "issued": when, "validFrom": when,
        "credentialSubject": person,
    }


def credential_bytes(credential: dict) -> bytes:
    """The credential as the bytes that are sealed or written (compact UTF-8 JSON)."""
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CredentialWriter:
    """``credential_bytes(build_credential(...))`` for many learners of one specification, faster.

    The specification, the awarding body and the display parameter are the
    same in every credential (most of its bytes): they are serialised once, and
    each credential serialises only its learner's part around placeholders
    (random tokens, so that no learner's value can be one).
    """

    def __init__(self, spec: Specification) -> None:
        token = uuid.uuid4().hex
        self._spec = Specification(spec.iri, spec.graph, f"{token}-spec", f"{token}-body", spec.titles, spec.languages,
                                   spec.primary_language)
        dump = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
        self._parts = [(dump(f"{token}-spec"), dump(spec.spec)), (dump(f"{token}-body"), dump(spec.body))]

    def render(self, learner: Learner, cred_id: str, issued: datetime) -> bytes:
        text = json.dumps(build_credential(self._spec, learner, cred_id, issued), ensure_ascii=False, separators=(",", ":"))
        for placeholder, value in self._parts:
            text = text.replace(placeholder, value)
        return text.encode("utf-8")


# -- validation once per shape ---------------------------------------------------------


@dataclass
class ShapeCheck:
    """The reports of one representative credential per set of filled learner columns."""

    reports: dict[tuple[str, ...], dict[str, validation.ValidationReport]] = field(default_factory=dict)
    rows: dict[tuple[str, ...], int] = field(default_factory=dict)  # the learner row each shape was checked with

    def problems(self, spec: str) -> list[str]:
        """One line per failing shape: what the catalogue lacks (Annex I) or what breaks the EC profile."""
        found = []
        for filled, reports in self.reports.items():
            annex = reports[ANNEX_I_PROFILE]
            missing = [e for e in annex.elements_missing() if e.startswith("M")]
            if missing:
                named = ", ".join(f"{e} ({ANNEX_I_ELEMENTS[e]})" for e in missing)
                found.append(f"{spec}: the catalogue lacks mandatory Annex I element(s) {named}; nothing issued")
            edc = reports[EDC_PROFILE]
            if not edc.conforms:
                violations = [r for r in edc.results if r.severity == "violation"]
                if violations:
                    first = violations[0]
                    found.append(f"{spec}: the credential breaks the EC EDC-generic-no-cv profile ({len(violations)} violation(s), "
                                 f"first: {first.path or first.focus_node}: {first.message}) for learners filling "
                                 f"{', '.join(filled) or 'only the required columns'}; nothing issued")
        return sorted(set(found))


def check_shapes(spec: Specification, learners: list[Learner], key: bytes, issued: datetime) -> ShapeCheck:
    """Validate one credential per distinct set of filled optional columns (both profiles, one validator call each)."""
    check = ShapeCheck()
    representatives: dict[tuple[str, ...], Learner] = {}
    for learner in learners:
        representatives.setdefault(learner.filled(), learner)
    graphs = []
    for filled, learner in representatives.items():
        document = build_credential(spec, learner, credential_id(key, spec.iri, learner.learner_id), issued)
        graphs.append(jsonld.to_triples(document, f"row {learner.row}"))
        check.rows[filled] = learner.row
    reports = validation.validate_profiles(graphs, PROFILES)
    for i, filled in enumerate(representatives):
        check.reports[filled] = {profile: reports[profile][i] for profile in PROFILES}
    return check
