"""An agency's recognition policy, kept as data: for each element compared (level, workload,
learning outcomes, quality assurance, the profile), the measure and the thresholds of each verdict
(equivalent, minor or substantial difference). Read from a Turtle file
(``vocabularies/policies/default-policy.ttl`` by default) or from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from pyoxigraph import NamedNode, Triple

from credgraph import queries
from credgraph import vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, Store, content_hash


CG = ns.CG
EQUIVALENT, MINOR, SUBSTANTIAL, UNDETERMINED = "equivalent", "minor difference", "substantial difference", "cannot be determined"
VERDICT_IRI = {
    EQUIVALENT: CG + "Equivalent", MINOR: CG + "MinorDifference",
    SUBSTANTIAL: CG + "SubstantialDifference", UNDETERMINED: CG + "CannotBeDetermined",
}
VERDICT_OF = {v: k for k, v in VERDICT_IRI.items()}
SEVERITY = {EQUIVALENT: 0, MINOR: 1, SUBSTANTIAL: 2}
# element key -> (element concept, group)
ELEMENTS = {
    "level": (CG + "Level", "level"),
    "workload": (CG + "Workload", "workload"),
    "learning outcomes": (CG + "LearningOutcomes", "learning outcomes"),
    "quality assurance": (CG + "QualityAssurance", "quality"),
    "field": (CG + "Field", "profile"),
    "assessment type": (CG + "AssessmentType", "profile"),
    "form of participation": (CG + "FormOfParticipation", "profile"),
    "identity verification": (CG + "IdentityVerification", "profile"),
}
ELEMENT_KEY = {iri: key for key, (iri, _) in ELEMENTS.items()}
DEFAULT_POLICY = "policies/default-policy.ttl"
RDF_TYPE = NamedNode(ns.RDF + "type")
XSD = ns.XSD


@dataclass
class PolicyRule:
    """The thresholds of a policy for one element."""

    element: str
    equivalent_at_most: float | None = None
    minor_at_most: float | None = None
    equivalent_at_least: float | None = None
    minor_at_least: float | None = None
    when_different: str | None = None
    when_subject_missing: str | None = None
    when_reference_missing: str | None = None


@dataclass
class Policy:
    """An agency's recognition policy."""

    iri: str
    title: str
    hours_per_credit: float
    rules: dict[str, PolicyRule]
    source: str

    def rule(self, element: str) -> PolicyRule:
        """The rule for ``element``; an element the policy does not cover has none (all verdicts undetermined)."""
        return self.rules.get(element) or PolicyRule(element)


def _policy_from_rows(rows, source: str) -> list[Policy]:
    policies: dict[str, Policy] = {}
    for row in rows:
        iri = row["policy"].value
        policy = policies.setdefault(iri, Policy(iri, iri, 27.5, {}, source))
        key, value = row["key"].value, row["value"]
        if key == "title":
            policy.title = value.value
        elif key == "hoursPerCredit":
            policy.hours_per_credit = float(value.value)
        else:
            element = ELEMENT_KEY.get(row["element"].value)
            if element is None:
                raise ValueError(f"{source}: policy rule {row['rule'].value} names an unknown element {row['element'].value}")
            rule = policy.rules.setdefault(element, PolicyRule(element))
            if key.startswith("when"):
                verdict = VERDICT_OF.get(value.value)
                if verdict is None:
                    raise ValueError(f"{source}: {key} of {row['rule'].value} is {value.value}, not a cg: verdict")
                setattr(rule, {"whenDifferent": "when_different", "whenSubjectMissing": "when_subject_missing",
                               "whenReferenceMissing": "when_reference_missing"}[key], verdict)
            else:
                try:
                    number = float(value.value)
                except ValueError:
                    raise ValueError(f"{source}: {key} of {row['rule'].value} is {value.value!r}, not a number") from None
                setattr(rule, {"equivalentAtMost": "equivalent_at_most", "minorAtMost": "minor_at_most",
                               "equivalentAtLeast": "equivalent_at_least", "minorAtLeast": "minor_at_least"}[key], number)
    return list(policies.values())


def load_policy(path: str | Path | None = None) -> Policy:
    """A policy from a Turtle file (the shipped default when ``path`` is None).

    The file must describe exactly one ``cg:RecognitionPolicy``.
    """
    if path is None:
        data, source = vocabularies.read_bytes(DEFAULT_POLICY), f"credgraph:vocabularies/{DEFAULT_POLICY}"
    else:
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read the policy file {source}: {exc.strerror}") from exc
    from credgraph.graph.store.embedded import EmbeddedStore

    scratch = EmbeddedStore(None)
    try:
        triples = [Triple(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        raise ValueError(f"{source}: not valid Turtle: {exc}") from exc
    scratch.load_graph("urn:credgraph:policy", triples, Provenance("source", source, content_hash(data)))
    policies = _policy_from_rows(scratch.select(queries.load("recognition-policy")).rows, source)
    if len(policies) != 1:
        raise ValueError(f"{source}: expected exactly one cg:RecognitionPolicy, found {len(policies)}")
    return policies[0]


def policy_from_store(store: Store, iri: str) -> Policy:
    """A policy kept in the store (e.g. imported with ``credgraph import rules``)."""
    policies = _policy_from_rows(store.select(queries.load("recognition-policy"), {"policy": NamedNode(iri)}).rows, iri)
    if not policies:
        raise ValueError(f"no cg:RecognitionPolicy {iri} in the store")
    return policies[0]
