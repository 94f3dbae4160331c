"""Recognition: a comparability report for two credentials or specifications.

Element by element (level, workload, learning outcomes, quality assurance, and
the profile: field, assessment type, form of participation, identity
verification) the report gives the two values, a verdict, the rule and
threshold applied, and the evidence. The thresholds are an agency policy kept
as data (``vocabularies/policies/default-policy.ttl`` by default). Earlier
decisions on the same pair, or on pairs recorded as equivalent, are listed as
precedents; a report can be recorded as a decision that later comparisons find.

The policy and its verdicts are in :mod:`~credgraph.graph.services.recognition_policy`,
the element-by-element assessment in :mod:`~credgraph.graph.services.recognition_assessment`;
this module compares, finds and explains precedents, and records decisions.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from pyoxigraph import Literal, NamedNode, Triple

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.services.equivalence import closure
from credgraph.graph.services.specifications import (
    add_credential_facts,
    labels,
    load_specs,
    resolve_credentials,
    skill_ancestors,
)
from credgraph.graph.store.interface import Provenance, Store, content_hash
from credgraph.graph.services.recognition_assessment import ElementResult, assess, overall
from credgraph.graph.services.recognition_policy import (
    CG,
    ELEMENTS,
    ELEMENT_KEY,
    EQUIVALENT,
    MINOR,
    Policy,
    RDF_TYPE,
    VERDICT_IRI,
    VERDICT_OF,
    XSD,
    load_policy,
)


@dataclass
class Precedent:
    """An earlier recorded decision on the same pair or on an equivalent pair."""

    decision: str
    subject: str
    reference: str
    verdict: str | None
    recognised: bool | None
    decided_by: str | None
    decided_at: str | None
    relation: str  # same pair | same pair, reversed | equivalent pair | equivalent pair, reversed
    report: str | None = None
    note: str | None = None
    # Why the precedent's verdict is not today's, when it is not (see explain_precedents): what changed.
    differences: list[str] = field(default_factory=list)


@dataclass
class ComparabilityReport:
    """A comparability report: per element, the values, verdict, rule, threshold and evidence."""

    subject: str
    reference: str
    subject_title: str
    reference_title: str
    policy: str
    policy_title: str
    elements: list[ElementResult]
    overall: str
    summary: str
    precedents: list[Precedent]
    generated_at: str
    subject_credential: str | None = None
    reference_credential: str | None = None
    skill_labels: dict[str, str] = field(default_factory=dict)

    def element(self, name: str) -> ElementResult:
        """The result for one element by name (``level``, ``workload`` ...)."""
        return next(e for e in self.elements if e.element == name)

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def _resolve(store: Store, iri: str) -> tuple[str, str | None]:
    """(specification, credential) for a specification IRI or an issuance record IRI."""
    found = resolve_credentials(store, [iri])
    if iri in found:
        return found[iri].spec, iri
    return iri, None


def precedents(store: Store, subject: str, reference: str) -> list[Precedent]:
    """Recorded decisions on the same pair or on pairs recorded as equivalent to it (either direction).

    Equivalent pairs come from skos:exactMatch / closeMatch only: counting
    decisions too would make every earlier decision a precedent for its neighbours.
    """
    close_a = set(closure(store, subject, decisions=False))
    close_b = set(closure(store, reference, decisions=False))
    result = store.select(queries.load("recognition-decisions"), values=[{"spec": NamedNode(s)} for s in sorted(close_a | close_b)])
    out = []
    for row in result.rows:
        s, r = row["subject"].value, row["reference"].value
        if s == subject and r == reference:
            relation = "same pair"
        elif s == reference and r == subject:
            relation = "same pair, reversed"
        elif s in close_a and r in close_b:
            relation = "equivalent pair"
        elif s in close_b and r in close_a:
            relation = "equivalent pair, reversed"
        else:
            continue
        get = lambda k: row[k].value if row.get(k) else None  # noqa: E731
        out.append(Precedent(
            decision=row["decision"].value, subject=s, reference=r,
            verdict=VERDICT_OF.get(get("verdict") or ""), recognised=(get("recognised") == "true") if get("recognised") else None,
            decided_by=get("decidedBy"), decided_at=get("decidedAt"), relation=relation, report=get("report"), note=get("note"),
        ))
    return out


def explain_precedents(store: Store, found: list[Precedent], elements: list[ElementResult], policy: Policy,
                       overall_verdict: str) -> None:
    """Say, for each precedent whose verdict is not ``overall_verdict``, what changed since (fills ``differences``).

    The recorded report a decision rests on holds its policy and, element by
    element, the values compared and the verdict: an element whose verdict
    moved either compared other values (the data changed: a specification
    was re-described, or the decision was about an equivalent pair) or the
    same values under other thresholds (the policy changed).
    """
    differing = [p for p in found if p.verdict != overall_verdict]
    reports = sorted({p.report for p in differing if p.report})
    recorded: dict[str, dict] = {}
    if reports:
        for row in store.select(queries.load("recognition-report-elements"), values=[{"report": NamedNode(r)} for r in reports]).rows:
            entry = recorded.setdefault(row["report"].value, {"policy": None, "elements": {}})
            if row.get("policy") is not None:
                entry["policy"] = row["policy"].value
            key = ELEMENT_KEY.get(row["element"].value)
            if key:
                entry["elements"][key] = (VERDICT_OF.get(row["verdict"].value), _value(row.get("subjectValue")),
                                          _value(row.get("referenceValue")))
    for p in differing:
        notes = []
        if p.relation.startswith("equivalent pair"):
            notes.append("the decision was about another pair of specifications, recorded as equivalent to this one: "
                         "their data may differ from this pair's")
        entry = recorded.get(p.report or "")
        if entry is None:
            notes.append("no report was recorded with the decision, so what it rested on is not known")
            p.differences = notes
            continue
        other_policy = entry["policy"] is not None and entry["policy"] != policy.iri
        if other_policy:
            notes.append(f"the decision applied another policy (<{entry['policy']}>); this report applies {policy.title}")
        reversed_pair = p.relation.endswith("reversed")
        for e in elements:
            then = entry["elements"].get(e.element)
            if then is None or then[0] == e.verdict:
                continue
            verdict_then, sv, rv = then
            if reversed_pair:  # the decision compared the other way round
                sv, rv = rv, sv
            if (sv, rv) != (e.subject_value, e.reference_value):
                notes.append(f"{e.element}: the data changed: then {sv or 'no value'} against {rv or 'no value'} "
                             f"({verdict_then}), now {e.subject_value or 'no value'} against {e.reference_value or 'no value'} ({e.verdict})")
            else:
                why = "under the other policy" if other_policy else "the policy's thresholds changed"
                notes.append(f"{e.element}: the same values ({sv or 'no value'} against {rv or 'no value'}), "
                             f"{verdict_then} then and {e.verdict} now: {why}")
        if len(notes) == int(p.relation.startswith("equivalent pair")) + int(other_policy):
            notes.append("every element has the verdict it had then: the decision's verdict was the agency's own judgement")
        p.differences = notes


def _value(term) -> str:
    return term.value if term is not None else ""


def compare(store: Store, subject: str, reference: str, policy: Policy | None = None) -> ComparabilityReport:
    """The comparability report of ``subject`` against ``reference`` (specification or issuance record IRIs)."""
    policy = policy or load_policy()
    spec_a, cred_a = _resolve(store, subject)
    spec_b, cred_b = _resolve(store, reference)
    facts = load_specs(store, [spec_a, spec_b])
    for iri, given in ((spec_a, subject), (spec_b, reference)):
        if not facts[iri].found:
            raise ValueError(f"unknown specification or credential {given}")
    a, b = facts[spec_a], facts[spec_b]
    # A credential also states facts on its claims (assessment, ID verification, QA): read where the validator finds them.
    if cred_a:
        a = add_credential_facts(store, a, cred_a)
    if cred_b:
        b = add_credential_facts(store, b, cred_b)
    ancestors = skill_ancestors(store, a.skills | b.skills)
    concepts = set()
    for s in (a, b):
        concepts |= s.skills | s.qa_types | s.assessments | s.modes | s.id_verifications | s.fields
    names = labels(store, concepts)
    elements = assess(a, b, ancestors, policy, names)
    verdict, summary = overall(elements)
    found = precedents(store, spec_a, spec_b)
    explain_precedents(store, found, elements, policy, verdict)
    return ComparabilityReport(
        subject=spec_a, reference=spec_b, subject_title=a.title, reference_title=b.title,
        policy=policy.iri, policy_title=policy.title, elements=elements, overall=verdict, summary=summary,
        precedents=found,
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        subject_credential=cred_a, reference_credential=cred_b,
        skill_labels={s: names[s] for s in sorted(a.skills | b.skills) if s in names},
    )


# -- recording -----------------------------------------------------------------
@dataclass
class RecordedDecision:
    """Where a recorded decision went."""

    decision: str
    report: str
    graph: str
    recognised: bool
    verdict: str

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def report_triples(report: ComparabilityReport, report_iri: str) -> list[Triple]:
    """The report as RDF (cg:ComparabilityReport with one cg:ElementAssessment per element)."""
    r = NamedNode(report_iri)
    cg = lambda local: NamedNode(CG + local)  # noqa: E731
    lit = lambda text: Literal(str(text))  # noqa: E731
    t = [
        Triple(r, RDF_TYPE, cg("ComparabilityReport")),
        Triple(r, cg("subjectSpecification"), NamedNode(report.subject)),
        Triple(r, cg("referenceSpecification"), NamedNode(report.reference)),
        Triple(r, cg("policy"), NamedNode(report.policy)),
        Triple(r, cg("overallVerdict"), NamedNode(VERDICT_IRI[report.overall])),
        Triple(r, NamedNode(ns.DC + "description"), lit(report.summary)),
        Triple(r, NamedNode(ns.PROV + "generatedAtTime"), Literal(report.generated_at, datatype=NamedNode(XSD + "dateTime"))),
    ]
    if report.subject_credential:
        t.append(Triple(r, cg("subjectCredential"), NamedNode(report.subject_credential)))
    if report.reference_credential:
        t.append(Triple(r, cg("referenceCredential"), NamedNode(report.reference_credential)))
    for n, e in enumerate(report.elements, 1):
        node = NamedNode(f"{report_iri}#element-{n}")
        t += [
            Triple(r, cg("assessment"), node),
            Triple(node, RDF_TYPE, cg("ElementAssessment")),
            Triple(node, cg("element"), NamedNode(ELEMENTS[e.element][0])),
            Triple(node, cg("subjectValue"), lit(e.subject_value)),
            Triple(node, cg("referenceValue"), lit(e.reference_value)),
            Triple(node, cg("verdict"), NamedNode(VERDICT_IRI[e.verdict])),
            Triple(node, cg("ruleApplied"), lit(e.rule)),
            Triple(node, cg("threshold"), lit(e.threshold)),
        ]
        if e.measure is not None:
            t.append(Triple(node, cg("measure"), Literal(repr(float(e.measure)), datatype=NamedNode(XSD + "double"))))
        for ev in e.evidence:
            if ev.value.startswith(("http://", "https://", "urn:")):
                t.append(Triple(node, cg("evidence"), NamedNode(ev.value)))
        for spec in {ev.subject for ev in e.evidence}:
            t.append(Triple(node, cg("evidence"), NamedNode(spec)))
    return t


def record_decision(store: Store, report: ComparabilityReport, *, decided_by: str = "", recognised: bool | None = None,
                    note: str = "") -> RecordedDecision:
    """Record ``report`` and a decision based on it in a new source graph (atomically).

    ``recognised`` defaults to "no substantial difference" (the Lisbon
    Recognition Convention's test). A recognising decision makes the pair
    equivalent for later closures and similarity precedents.
    """
    if recognised is None:
        recognised = report.overall in (EQUIVALENT, MINOR)
    decided_at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    key = "|".join([report.subject, report.reference, report.policy, decided_at, decided_by])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    report_iri = f"{ns.CG_ID}report/{digest}"
    decision_iri = f"{ns.CG_ID}decision/{digest}"
    d = NamedNode(decision_iri)
    cg = lambda local: NamedNode(CG + local)  # noqa: E731
    triples = report_triples(report, report_iri) + [
        Triple(d, RDF_TYPE, cg("RecognitionDecision")),
        Triple(d, cg("subjectSpecification"), NamedNode(report.subject)),
        Triple(d, cg("referenceSpecification"), NamedNode(report.reference)),
        Triple(d, cg("basedOnReport"), NamedNode(report_iri)),
        Triple(d, cg("decisionVerdict"), NamedNode(VERDICT_IRI[report.overall])),
        Triple(d, cg("recognised"), Literal("true" if recognised else "false", datatype=NamedNode(XSD + "boolean"))),
        Triple(d, cg("decidedAt"), Literal(decided_at, datatype=NamedNode(XSD + "dateTime"))),
    ]
    if decided_by:
        triples.append(Triple(d, cg("decidedBy"), Literal(decided_by)))
    if note:
        triples.append(Triple(d, NamedNode(ns.DC + "description"), Literal(note)))
    graph = ns.source_graph(f"decision-{digest}")
    store.load_graph(graph, triples, Provenance(
        kind="source", source=f"credgraph compare (decision {digest})", content_hash=content_hash(key.encode()),
        title=f"Recognition decision: {report.subject_title} / {report.reference_title}",
    ))
    return RecordedDecision(decision_iri, report_iri, graph, recognised, report.overall)
