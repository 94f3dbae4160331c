"""Open Badges 3.0 ``OpenBadgeCredential`` -> ELM 3.1.

The achievement becomes an ``elm:LearningAchievementSpecification`` (title,
description); each alignment becomes an ``elm:LearningOutcome`` that keeps
the alignment's target (name, URL, code, framework, type, description), with
``elm:relatedESCOSkill`` when its target is an ESCO skill (by IRI, or an ESCO
framework's code), else ``elm:relatedSkill`` to its target URL; the issuer
profile becomes an ``elm:Organisation`` (legal name, country from
``address.addressCountryCode``). The badge itself is an issued credential:
an issuance record in public, the whole original document in private.

:func:`elm_view` also gives the ELM shape of the whole badge (credential,
learner, claim), used only to check Annex I compliance, never stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources import privacy
from credgraph.graph.sources.catalogue_terms import country_code
from credgraph.graph.sources.edc import CredentialError, CredentialSplit
from credgraph.graph.sources.datatypes import parse_datetime_date

OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
ESCO_PREFIXES = ("http://data.europa.eu/esco/skill/", "https://data.europa.eu/esco/skill/")
COUNTRY_NAL = "http://publications.europa.eu/resource/authority/country/"
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
E = ns.ELM


def types_of(node: dict) -> set[str]:
    """The JSON-LD types of a node (``type`` or ``@type``)."""
    value = node.get("type", node.get("@type", []))
    return set([value] if isinstance(value, str) else value if isinstance(value, list) else [])


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):  # a language map or a value object
        for key in ("en", "@value"):
            if isinstance(value.get(key), str):
                return value[key]
        texts = [v for v in value.values() if isinstance(v, str)]
        return texts[0] if texts else None
    return None


def _is_global(iri: object) -> bool:
    return isinstance(iri, str) and iri.startswith(("http://", "https://"))


def _mint(kind: str, key: str) -> ox.NamedNode:
    return ox.NamedNode(f"{ns.CG_ID}{kind}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}")


def _country(code: object) -> ox.NamedNode | None:
    if not isinstance(code, str):
        return None
    nal = country_code(code)
    return ox.NamedNode(COUNTRY_NAL + nal) if nal else None


@dataclass
class Badge:
    """The parts of an OpenBadgeCredential credgraph uses."""

    credential: dict
    subject: dict
    achievement: dict
    issuer: dict


def read_badge(document: dict, name: str) -> Badge:
    """Check that ``document`` is an OpenBadgeCredential and pick its parts."""
    if not types_of(document) & {"OpenBadgeCredential", "AchievementCredential"}:
        raise CredentialError(f"{name}: not an OpenBadgeCredential (type is {sorted(types_of(document))})")
    subject = document.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if not isinstance(subject, dict):
        raise CredentialError(f"{name}: credentialSubject is missing")
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict):
        raise CredentialError(f"{name}: credentialSubject.achievement is missing")
    if not _text(achievement.get("name")):
        raise CredentialError(f"{name}: credentialSubject.achievement.name is missing")
    issuer = document.get("issuer")
    if isinstance(issuer, str):
        issuer = {"id": issuer}
    if not isinstance(issuer, dict):
        raise CredentialError(f"{name}: issuer is missing")
    return Badge(document, subject, achievement, issuer)


def badge_to_elm(badge: Badge) -> tuple[list[ox.Triple], ox.NamedNode, ox.NamedNode, ox.NamedNode | None]:
    """The public ELM triples of a badge; returns (triples, specification, organisation, country)."""
    a, issuer = badge.achievement, badge.issuer
    issuer_key = issuer.get("id") if isinstance(issuer.get("id"), str) else _text(issuer.get("name")) or ""
    spec = ox.NamedNode(a["id"]) if _is_global(a.get("id")) else _mint("spec", f"badge|{issuer_key}|{_text(a.get('name'))}")
    org = ox.NamedNode(issuer["id"]) if _is_global(issuer.get("id")) else _mint("org", f"badge-issuer|{issuer_key}")
    t: list[ox.Triple] = [
        ox.Triple(spec, RDF_TYPE, ox.NamedNode(E + "LearningAchievementSpecification")),
        ox.Triple(spec, ox.NamedNode(ns.DC + "title"), ox.Literal(_text(a["name"]))),
    ]
    if _text(a.get("description")):
        t.append(ox.Triple(spec, ox.NamedNode(ns.DC + "description"), ox.Literal(_text(a["description"]))))
    criteria = a.get("criteria")
    if isinstance(criteria, dict) and _text(criteria.get("narrative")):
        note = ox.BlankNode()
        t += [
            ox.Triple(spec, ox.NamedNode(E + "additionalNote"), note),
            ox.Triple(note, RDF_TYPE, ox.NamedNode(E + "Note")),
            ox.Triple(note, ox.NamedNode(E + "noteLiteral"), ox.Literal(_text(criteria["narrative"]))),
        ]
    if _is_global(a.get("id")):
        t.append(ox.Triple(spec, ox.NamedNode(ns.FOAF + "homepage"), ox.NamedNode(a["id"])))
    alignments = a.get("alignment") or []
    for i, alignment in enumerate(alignments if isinstance(alignments, list) else [alignments]):
        if not isinstance(alignment, dict):
            continue
        target = alignment.get("targetUrl")
        outcome = _mint("outcome", f"{spec.value}|{i}|{target}")
        t += [
            ox.Triple(spec, ox.NamedNode(E + "learningOutcome"), outcome),
            ox.Triple(outcome, RDF_TYPE, ox.NamedNode(E + "LearningOutcome")),
        ]
        title = _text(alignment.get("targetName")) or _text(alignment.get("targetDescription"))
        if title:
            t.append(ox.Triple(outcome, ox.NamedNode(ns.DC + "title"), ox.Literal(title)))
        t += _alignment_triples(outcome, alignment)
    t += [ox.Triple(org, RDF_TYPE, ox.NamedNode(E + "Organisation"))]
    if _text(issuer.get("name")):
        t.append(ox.Triple(org, ox.NamedNode(ns.ROV + "legalName"), ox.Literal(_text(issuer["name"]))))
    address = issuer.get("address") if isinstance(issuer.get("address"), dict) else {}
    country = _country(address.get("addressCountryCode"))
    if country is not None:
        location, addr = ox.BlankNode(), ox.BlankNode()
        t += [
            ox.Triple(org, ox.NamedNode(E + "location"), location),
            ox.Triple(location, RDF_TYPE, ox.NamedNode(ns.DC + "Location")),
            ox.Triple(location, ox.NamedNode(E + "address"), addr),
            ox.Triple(addr, RDF_TYPE, ox.NamedNode(E + "Address")),
            ox.Triple(addr, ox.NamedNode(E + "countryCode"), country),
        ]
    return t, spec, org, country


# The Open Badges Alignment terms kept on the outcome, as the OB 3.0 context names them.
SCHEMA = "https://schema.org/"
ALIGNMENT_TERMS = {
    "targetName": SCHEMA + "targetName",
    "targetDescription": SCHEMA + "targetDescription",
    "targetFramework": SCHEMA + "targetFramework",
    "targetCode": OB + "targetCode",
    "targetType": OB + "targetType",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def esco_skill(alignment: dict) -> str | None:
    """The ESCO skill IRI an alignment targets: its ``targetUrl``, or an ESCO framework's ``targetCode``."""
    url, code, framework = alignment.get("targetUrl"), alignment.get("targetCode"), _text(alignment.get("targetFramework"))
    if isinstance(url, str) and url.startswith(ESCO_PREFIXES) and _UUID.match(url.rsplit("/", 1)[-1]):
        return ESCO_PREFIXES[0] + url.rsplit("/", 1)[-1]
    if isinstance(code, str) and code.startswith(ESCO_PREFIXES):
        return esco_skill({"targetUrl": code})
    if isinstance(code, str) and _UUID.match(code) and framework and "esco" in framework.lower():
        return ESCO_PREFIXES[0] + code
    return None


def _alignment_triples(outcome: ox.NamedNode, alignment: dict) -> list[ox.Triple]:
    """What an Alignment says, kept on its outcome; its target linked as an ESCO skill or another framework's skill."""
    t = []
    for key, prop in ALIGNMENT_TERMS.items():
        value = _text(alignment.get(key))
        if value:
            t.append(ox.Triple(outcome, ox.NamedNode(prop), ox.Literal(value)))
    url = alignment.get("targetUrl")
    target = None
    if isinstance(url, str) and _is_global(url):
        try:
            target = ox.NamedNode(url)
        except ValueError:
            target = None
    if target is not None:
        t.append(ox.Triple(outcome, ox.NamedNode(SCHEMA + "targetUrl"), target))
    skill = esco_skill(alignment)
    if skill is not None:
        t.append(ox.Triple(outcome, ox.NamedNode(E + "relatedESCOSkill"), ox.NamedNode(skill)))
    elif target is not None:
        t.append(ox.Triple(outcome, ox.NamedNode(E + "relatedSkill"), target))
    return t


def badge_learner_key(badge: Badge) -> str | None:
    """A stable key for the badge's learner: subject id, else identity hash, else e-mail."""
    s = badge.subject
    if isinstance(s.get("id"), str) and s["id"]:
        return "iri:" + s["id"]
    identifiers = s.get("identifier") or []
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(ident, dict) and isinstance(ident.get("identityHash"), str):
            return f"ob-identity:{ident.get('identityType', '')}:{ident['identityHash']}"
    if isinstance(s.get("email"), str):
        return "mail:" + s["email"].strip().lower()
    return None


# The JSON key of a badge's date and the property it stands for (the record's cg:issuedFrom).
_BADGE_DATES = (
    ("issuanceDate", ns.CRED + "issuanceDate"),
    ("validFrom", ns.CRED + "validFrom"),
    ("awardedDate", "https://purl.imsglobal.org/spec/vc/ob/vocab.html#awardedDate"),
)


def badge_issue_date(badge: Badge) -> tuple[str | None, str | None]:
    """The issue date and the property it came from: issuanceDate (VC 1.1), validFrom (VC 2.0), then awardedDate.

    The same order as EDC credentials (:data:`credgraph.graph.sources.edc.ISSUE_DATE_PROPERTIES`).
    """
    for key, prop in _BADGE_DATES:
        value = badge.credential.get(key)
        if isinstance(value, str) and parse_datetime_date(value):
            return parse_datetime_date(value), prop
    return None, None


def split_badge(document: dict, rdf: list[ox.Triple], name: str, pseudonym_key: bytes) -> CredentialSplit:
    """Split a badge into private (its whole RDF graph) and public ELM triples."""
    badge = read_badge(document, name)
    public, spec, org, country = badge_to_elm(badge)
    key = badge_learner_key(badge)
    issued, issued_from = badge_issue_date(badge)
    split = CredentialSplit(
        credential_id=document.get("id") if isinstance(document.get("id"), str) else None,
        private=list(rdf),
        public=public,
        specifications=[spec],
        awarding_body=org,
        issuer_country=country,
        issued=issued,
        issued_from=issued_from,
        learner=privacy.pseudonym(pseudonym_key, key) if key else None,
    )
    split.forbidden = personal_terms(badge)
    split.public_specs = {spec.value: spec}
    privacy.assert_public(public, split.forbidden, name)
    return split


def personal_terms(badge: Badge) -> set:
    """Terms of the badge that identify the learner or the credential (never public)."""
    terms: set = set()
    if isinstance(badge.credential.get("id"), str):
        terms.add(ox.NamedNode(badge.credential["id"]))
    s = badge.subject
    if isinstance(s.get("id"), str):
        try:
            terms.add(ox.NamedNode(s["id"]))
        except ValueError:
            pass
    for key in ("name", "email", "identifier"):
        value = s.get(key)
        if isinstance(value, str):
            terms.add(ox.Literal(value))
    return terms


def elm_view(split: CredentialSplit, badge_document: dict, public: list[ox.Triple]) -> list[ox.Triple]:
    """An ELM-shaped credential graph of a badge (for Annex I checks only; never stored)."""
    cred, person, claim, process = ox.BlankNode(), ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    spec = split.specifications[0]
    t = list(public) + [
        ox.Triple(cred, RDF_TYPE, ox.NamedNode(E + "EuropeanDigitalCredential")),
        ox.Triple(cred, ox.NamedNode(ns.CRED + "credentialSubject"), person),
        ox.Triple(person, RDF_TYPE, ox.NamedNode(E + "Person")),
        ox.Triple(person, ox.NamedNode(E + "hasClaim"), claim),
        ox.Triple(claim, RDF_TYPE, ox.NamedNode(E + "LearningAchievement")),
        ox.Triple(claim, ox.NamedNode(E + "specifiedBy"), spec),
        ox.Triple(claim, ox.NamedNode(E + "awardedBy"), process),
        ox.Triple(process, RDF_TYPE, ox.NamedNode(E + "AwardingProcess")),
    ]
    title = next((x.object for x in public if x.subject == spec and x.predicate.value == ns.DC + "title"), None)
    if title is not None:
        t.append(ox.Triple(claim, ox.NamedNode(ns.DC + "title"), title))
    if split.awarding_body is not None:
        t.append(ox.Triple(process, ox.NamedNode(E + "awardingBody"), split.awarding_body))
        t.append(ox.Triple(cred, ox.NamedNode(ns.CRED + "issuer"), split.awarding_body))
    if split.issued:
        t.append(ox.Triple(cred, ox.NamedNode(ns.CRED + "issued"), ox.Literal(split.issued + "T00:00:00Z", datatype=ox.NamedNode(ns.XSD + "dateTime"))))
    subject = badge_document.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("name"), str):
        t.append(ox.Triple(person, ox.NamedNode(ns.FOAF + "fullName"), ox.Literal(subject["name"])))
    return t
