"""An issued credential (EDC, or an Open Badge mapped to ELM) -> public triples, private triples, issuance record.

:func:`split_edc` reads an EDC credential graph (already normalised to ELM 3.1)
and returns a :class:`CredentialSplit`: the whole document graph for the
private store, and for the public store the non-personal description of what
was awarded (specifications, their outcomes, the awarding body and issuer with
their country) plus a ``cg:IssuanceRecord`` carrying a keyed learner pseudonym.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources import privacy
from credgraph.graph.sources.datatypes import parse_datetime_date
from credgraph.graph.sources.jsonld_templates import Statements
from credgraph.graph.sources.privacy import Graph

E = ns.ELM
SPEC_TYPES = {
    E + "LearningAchievementSpecification": "spec",
    E + "Qualification": "spec",
    E + "LearningActivitySpecification": "spec",
    E + "LearningAssessmentSpecification": "spec",
    E + "LearningEntitlementSpecification": "spec",
    E + "Organisation": "org",
}
CLAIM_PREDICATES = (E + "hasClaim",)
XSD_DATE = ox.NamedNode(ns.XSD + "date")
COUNTRY_TABLE = "http://publications.europa.eu/resource/authority/country/"


class CredentialError(ValueError):
    """The document is JSON-LD but not an issued credential credgraph can store."""


@dataclass
class CredentialSplit:
    """One issued credential, split for the two stores."""

    credential_id: str | None
    private: list[ox.Triple]
    public: list[ox.Triple]
    record: ox.NamedNode | None = None  # the issuance record node in ``public``
    specifications: list = field(default_factory=list)
    awarding_body: object | None = None
    issuer_country: ox.NamedNode | None = None
    issued: str | None = None
    issued_from: str | None = None  # the property the issue date was read from (an IRI)
    learner: str | None = None  # the pseudonym (never the key)
    forbidden: set = field(default_factory=set)  # personal terms: never public, scrubbed from messages
    public_specs: dict = field(default_factory=dict)  # a claimed specification's key (IRI or "_:label") -> its public term
    readings: object | None = None  # readings.Readings: values stated on the claims (assessment type, ID verification, QA)


def source_id(kind: str, stable_key: str) -> str:
    """``<kind>-<first 16 hex of SHA-256(stable_key)>`` (DESIGN.md)."""
    return f"{kind}-{hashlib.sha256(stable_key.encode('utf-8')).hexdigest()[:16]}"


def term_key(term) -> str:
    """An RDF term as the validator names a focus node: the IRI, or ``_:label``."""
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def find_credential(graph: Graph, name: str):
    """The credential node: an ``elm:EuropeanDigitalCredential`` or ``cred:VerifiableCredential``."""
    for type_iri in (E + "EuropeanDigitalCredential", ns.CRED + "VerifiableCredential"):
        found = graph.subjects_of_type(type_iri)
        if found:
            return found[0]
    raise CredentialError(f"{name}: no credential found (expected a VerifiableCredential / EuropeanDigitalCredential)")


def is_country(term) -> bool:
    """Whether ``term`` is a concept of the EU country authority table (``.../authority/country/<code>``).

    Regions (``.../authority/atu/IRL_CTH_DUB``, NUTS codes) are address
    detail, not countries, whatever property carries them.
    """
    return isinstance(term, ox.NamedNode) and bool(_COUNTRY_CONCEPT.match(term.value))


_COUNTRY_CONCEPT = re.compile(r"^" + re.escape(COUNTRY_TABLE) + r"[A-Z0-9]{3}$")


def country_of(graph: Graph, org) -> list[ox.NamedNode]:
    """Countries of an organisation's locations, from the country authority table only.

    Address ``elm:countryCode`` values come first, then location
    ``elm:spatialCode`` values; a spatial code that is a region (an ATU or
    NUTS code) is left where it is, as address detail, and never taken for
    the country.
    """
    by_address, by_spatial = [], []
    for loc in graph.objects(org, E + "location"):
        for address in graph.objects(loc, E + "address"):
            by_address.extend(c for c in graph.objects(address, E + "countryCode") if is_country(c))
        by_spatial.extend(c for c in graph.objects(loc, E + "spatialCode") if is_country(c))
    return sorted(set(by_address), key=str) + sorted(set(by_spatial) - set(by_address), key=str)


# Where the record's issue date is read from, in order: ELM's own issue date,
# then VC 1.1's, then VC 2.0's validity start (which may be years before the
# credential was issued: an EBSI diploma valid from graduation), then the
# claims' awarding date.
ISSUE_DATE_PROPERTIES = (ns.CRED + "issued", ns.CRED + "issuanceDate", ns.CRED + "validFrom")


def issue_date(graph: Graph, credential, claims: list) -> tuple[str | None, str | None]:
    """The issue date (YYYY-MM-DD) and the property it was read from (:data:`ISSUE_DATE_PROPERTIES`, then elm:awardingDate)."""
    for prop in ISSUE_DATE_PROPERTIES:
        for value in graph.objects(credential, prop):
            if isinstance(value, ox.Literal) and parse_datetime_date(value.value):
                return parse_datetime_date(value.value), prop
    for claim in claims:
        for process in graph.objects(claim, E + "awardedBy"):
            value = graph.first(process, E + "awardingDate")
            if isinstance(value, ox.Literal) and parse_datetime_date(value.value):
                return parse_datetime_date(value.value), E + "awardingDate"
    return None, None


def split_edc(triples: list[ox.Triple], name: str, pseudonym_key: bytes, id_kind: str = "cred") -> CredentialSplit:
    """Split an EDC credential graph into private and public parts with an issuance record."""
    graph = Graph(triples)
    credential = find_credential(graph, name)
    persons = graph.objects(credential, ns.CRED + "credentialSubject")
    if not persons:
        raise CredentialError(f"{name}: the credential has no credentialSubject")
    claims = [c for p in persons for pred in CLAIM_PREDICATES for c in graph.objects(p, pred)]
    claims += [c for claim in list(claims) for c in graph.objects(claim, E + "hasPart")]
    specs = sorted({s for c in claims for s in graph.objects(c, E + "specifiedBy")}, key=str)
    bodies = sorted({b for c in claims for p in graph.objects(c, E + "awardedBy") for b in graph.objects(p, E + "awardingBody")}, key=str)
    issuer = graph.first(credential, ns.CRED + "issuer")
    awarding_body = bodies[0] if bodies else issuer

    body_countries = country_of(graph, awarding_body) if awarding_body is not None else []
    issuer_countries = country_of(graph, issuer) if issuer is not None else []
    shared = [c for c in issuer_countries if c in body_countries]
    country = (shared or issuer_countries or body_countries or [None])[0]

    personal_nodes = {credential, *persons, *claims}
    roots = [*specs, *bodies, *([issuer] if issuer is not None else [])]
    public = privacy.public_closure(graph, roots, personal_nodes)
    public, mapping = privacy.mint_local(public, graph, SPEC_TYPES)

    cred_key = credential.value if isinstance(credential, ox.NamedNode) else None
    learner_keys = [k for k in (privacy.learner_key(graph, p) for p in persons) if k]
    learner = privacy.pseudonym(pseudonym_key, learner_keys[0]) if learner_keys else None
    issued, issued_from = issue_date(graph, credential, claims)
    from credgraph.graph.sources import annex_i  # annex_i imports this module
    from credgraph.graph.sources import readings

    stated = readings.read(graph, credential, annex_i.main_claims(graph))
    split = CredentialSplit(
        credential_id=cred_key,
        private=triples if isinstance(triples, Statements) else list(triples),  # Statements are read-only
        public=public,
        specifications=[mapping.get(s, s) for s in specs],
        awarding_body=mapping.get(awarding_body, awarding_body) if awarding_body is not None else None,
        issuer_country=country,
        issued=issued,
        issued_from=issued_from,
        learner=learner,
        readings=stated,
    )
    split.forbidden = privacy.personal_terms(graph, persons, credential)
    split.public_specs = {term_key(s): mapping.get(s, s) for s in specs}
    privacy.assert_public(split.public, split.forbidden, name)
    return split


def issuance_record(split: CredentialSplit, slug: str, graph: ox.NamedNode | None = None) -> tuple[ox.NamedNode, list]:
    """The ``cg:IssuanceRecord`` of ``split`` (DESIGN.md), minted under ``issuance/<slug>``.

    With ``graph``, the statements are quads in that graph (the graph the record is written to).
    """
    cg = ns.CG
    node = ox.NamedNode(f"{ns.CG_ID}issuance/{slug}")
    statement = ox.Triple if graph is None else lambda s, p, o: ox.Quad(s, p, o, graph)
    triples = [statement(node, ox.NamedNode(ns.RDF + "type"), ox.NamedNode(cg + "IssuanceRecord"))]
    for spec in split.specifications:
        triples.append(statement(node, ox.NamedNode(cg + "specification"), spec))
    if split.awarding_body is not None:
        triples.append(statement(node, ox.NamedNode(cg + "awardingBody"), split.awarding_body))
    if split.issuer_country is not None:
        triples.append(statement(node, ox.NamedNode(cg + "issuerCountry"), split.issuer_country))
    if split.issued:
        triples.append(statement(node, ox.NamedNode(cg + "issued"), ox.Literal(split.issued, datatype=XSD_DATE)))
    if split.issued_from:
        triples.append(statement(node, ox.NamedNode(cg + "issuedFrom"), ox.NamedNode(split.issued_from)))
    if split.learner:
        triples.append(statement(node, ox.NamedNode(cg + "learner"), ox.Literal(split.learner)))
    stated = split.readings
    if stated is not None:  # what the credential states on its claims (graph/sources/readings.py)
        triples += [statement(node, ox.NamedNode(cg + "assessmentType"), c) for c in stated.assessment_types]
        triples += [statement(node, ox.NamedNode(cg + "idVerification"), c) for c in stated.id_verifications]
        if stated.accredited:
            triples.append(statement(node, ox.NamedNode(cg + "accredited"), ox.Literal("true", datatype=ox.NamedNode(ns.XSD + "boolean"))))
        triples += [statement(node, ox.NamedNode(cg + "qualityAssuranceType"), c) for c in stated.quality_assurance_types]
    return node, triples
