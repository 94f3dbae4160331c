"""Annex I verdicts per claim: which claim of a credential an element is missing from.

The ``annex-i-credential`` SHACL profile reports each element on its focus
node: the credential (M1 learner, M3 issuer country, M5 date, M11 quality
assurance), a claim (M2, M4, M6-M10, O1-O5), or the specification of a claim
(M8 for a qualification). A credential often claims more than what it is
about: the EC's micro-credential sample claims one LearningAchievement and,
beside it, the LearningActivities that led to it. Their activity
specifications state no outcomes, credits or mode, nor should they.

The rule (docs/validation.md, "Annex I per claim"):

- the *main claims* are the credential's ``elm:LearningAchievement`` claims
  (what the credential is about, with their specifications); a credential
  without any achievement claim is about all its claims (e.g. a certificate of
  participation that claims one activity);
- every other claim (activities, assessments, entitlements) is a *part*: its
  verdict is reported, named, but never makes the credential miss anything;
- the credential misses an element when the credential itself misses it or a
  main claim does; it conforms when neither it nor a main claim has a violation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources.edc import term_key as _key
from credgraph.graph.sources.privacy import Graph

E = ns.ELM
ACHIEVEMENT = E + "LearningAchievement"
_KINDS = {
    E + "LearningAchievement": "achievement",
    E + "LearningActivity": "activity",
    E + "LearningAssessment": "assessment",
    E + "LearningEntitlement": "entitlement",
}


@dataclass
class ClaimVerdict:
    """The Annex I elements of one claim."""

    claim: str  # the claim's IRI or blank node label (private: never published)
    title: str  # its dc:title (any language), or its IRI when it has none
    kind: str  # achievement | activity | assessment | entitlement | claim
    main: bool  # a claim the credential is about (its verdict counts), or a part
    specifications: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # elements missing with severity violation

    @property
    def role(self) -> str:
        """``main`` or ``part``."""
        return "main" if self.main else "part"

    def to_dict(self) -> dict:
        """Plain JSON-ready data (with the role; without the claim's and its specification's
        document-local ids, which can be the learner's record ids)."""
        return {"title": self.title, "kind": self.kind, "role": self.role, "present": list(self.present),
                "missing": list(self.missing), "violations": list(self.violations)}


@dataclass
class AnnexIVerdict:
    """The credential's Annex I verdict: over the credential and its main claims, with every claim's own."""

    conforms: bool
    present: list[str]
    missing: list[str]
    claims: list[ClaimVerdict]


def claims_of(graph: Graph) -> list:
    """Every claim of the document (objects of ``elm:hasClaim``), in order."""
    has_claim = ox.NamedNode(E + "hasClaim")
    return list(dict.fromkeys(t.object for t in graph.triples if t.predicate == has_claim))


def main_claims(graph: Graph, claims: list | None = None) -> list:
    """The claims the credential is about: its achievement claims, else all its claims (see the module rule)."""
    claims = claims_of(graph) if claims is None else claims
    achievements = [c for c in claims if ACHIEVEMENT in graph.types(c)]
    return achievements or list(claims)


def judge(report, triples: Iterable[ox.Triple], elements: Iterable[str]) -> AnnexIVerdict:
    """The per-claim verdict of an ``annex-i-credential`` ``report`` on the document ``triples``."""
    from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS

    elements = list(elements)
    order = {e: i for i, e in enumerate(ANNEX_I_ELEMENTS)}
    graph = Graph(triples)
    claim_nodes = claims_of(graph)
    main = set(main_claims(graph, claim_nodes))

    owner: dict[str, str] = {}  # focus node -> the claim it belongs to (the claim, or its specification)
    verdicts: dict[str, ClaimVerdict] = {}
    for claim in claim_nodes:
        key = _key(claim)
        kind = next((_KINDS[t] for t in graph.types(claim) if t in _KINDS), "claim")
        specs = graph.objects(claim, E + "specifiedBy")
        title = graph.first(claim, ns.DC + "title")
        verdicts[key] = ClaimVerdict(key, title.value if isinstance(title, ox.Literal) else key, kind, claim in main,
                                     [_key(s) for s in specs])
        owner[key] = key
        for spec in specs:
            owner.setdefault(_key(spec), key)

    document_missing: set[str] = set()
    document_violations = False
    claim_missing: dict[str, set[str]] = {k: set() for k in verdicts}
    claim_violations: dict[str, set[str]] = {k: set() for k in verdicts}
    for result in report.results:
        if not result.element or result.severity not in ("violation", "info"):
            continue
        claim = owner.get(result.focus_node)
        if claim is None:  # the credential (or a node no claim owns): the document's own element
            document_missing.add(result.element)
            document_violations |= result.severity == "violation"
        else:
            claim_missing[claim].add(result.element)
            if result.severity == "violation":
                claim_violations[claim].add(result.element)
    if report.elements_missing() == elements and not report.elements_present():  # no credential at all
        document_missing.update(elements)
        document_violations = True

    for key, verdict in verdicts.items():
        verdict.missing = sorted(claim_missing[key], key=order.get)
        verdict.violations = sorted(claim_violations[key], key=order.get)
        verdict.present = [e for e in elements if e not in claim_missing[key] and e not in document_missing]
    mains = [v for v in verdicts.values() if v.main]
    missing = document_missing.union(*(claim_missing[v.claim] for v in mains))
    conforms = not document_violations and not any(v.violations for v in mains)
    ordered = sorted(missing, key=lambda e: order.get(e, 99))
    return AnnexIVerdict(conforms, [e for e in elements if e not in missing], ordered,
                         sorted(verdicts.values(), key=lambda v: (not v.main, v.title, v.claim)))
