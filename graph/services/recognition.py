"""Recognition: a comparability report for two credentials or specifications.

Element by element (level, workload, learning outcomes, quality assurance, and
the profile: field, assessment type, form of participation, identity
verification) the report gives the two values, a verdict, the rule and
threshold applied, and the evidence. The thresholds are an agency policy kept
as data (``vocabularies/policies/default-policy.ttl`` by default). Earlier
decisions on the same pair, or on pairs recorded as equivalent, are listed as
precedents; a report can be recorded as a decision that later comparisons find.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from pyoxigraph import Literal, NamedNode, Triple

from credgraph import queries
from credgraph import vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.services.equivalence import closure, skill_match
from credgraph.graph.services.specifications import SpecFacts, add_credential_facts, isced_code, labels, load_specs, resolve_credentials, skill_ancestors
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


# -- policy ------------------------------------------------------------------
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


# -- report ------------------------------------------------------------------
@dataclass
class Evidence:
    """A statement a verdict rests on: ``subject`` has ``property`` ``value``.

    ``via``: when the value belongs to a node the subject points to (its
    assessment, its accreditation), the property that leads there; both are
    real ELM / Dublin Core properties (subject -via-> node -property-> value).
    """

    subject: str
    property: str
    value: str
    via: str | None = None


@dataclass
class ElementResult:
    """The comparison of one element."""

    element: str
    group: str
    subject_value: str
    reference_value: str
    verdict: str
    rule: str
    threshold: str
    measure: float | None = None
    evidence: list[Evidence] = field(default_factory=list)


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


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _percent(x: float) -> str:
    return f"{x * 100:g} %"


def _bands(measure_name: str, equivalent: float | None, minor: float | None, better: str, show=_fmt) -> str:
    """The policy's thresholds for a measure as a sentence.

    ``better``: how the measure compares on the good side (``at most`` / ``at
    least``). A minor band that is empty (its bound no wider than the
    equivalent one) is said to be absent rather than printed as "minor if <= 0".
    """
    if equivalent is None:
        return f"the policy sets no threshold for {measure_name}: cannot be determined"
    exact = equivalent == 0 and better == "at most"
    text = f"equivalent if {measure_name} is {'0' if exact else f'{better} {show(equivalent)}'}"
    wider = minor is not None and (minor > equivalent if better == "at most" else minor < equivalent)
    if wider:
        return text + f"; a minor difference if {better} {show(minor)}; otherwise a substantial difference"
    return text + "; otherwise a substantial difference (this policy has no band for a minor difference)"


def _by_difference(element: str, a: float | None, b: float | None, rule: PolicyRule, measure_name: str,
                   measure, evidence: list[Evidence], show, show_measure=_fmt) -> ElementResult:
    group = ELEMENTS[element][1]
    sv, rv = show(a), show(b)
    missing = _missing(a is None, b is None, rule)
    threshold = _bands(measure_name, rule.equivalent_at_most, rule.minor_at_most, "at most", show_measure)
    if missing:
        return ElementResult(element, group, sv, rv, missing[0], missing[1], threshold, None, evidence)
    value = measure(a, b)
    if rule.equivalent_at_most is None:
        verdict = UNDETERMINED
    elif value <= rule.equivalent_at_most + 1e-9:
        verdict = EQUIVALENT
    elif rule.minor_at_most is not None and value <= rule.minor_at_most + 1e-9:
        verdict = MINOR
    else:
        verdict = SUBSTANTIAL
    return ElementResult(element, group, sv, rv, verdict, f"{measure_name}: {show_measure(value)}", threshold, round(value, 4), evidence)


def _by_similarity(element: str, value: float | None, sv: str, rv: str, rule: PolicyRule, measure_name: str,
                   missing: tuple[str, str] | None, evidence: list[Evidence]) -> ElementResult:
    group = ELEMENTS[element][1]
    threshold = _bands(measure_name, rule.equivalent_at_least, rule.minor_at_least, "at least",
                       _percent if measure_name.startswith("share") else _fmt)
    if missing:
        return ElementResult(element, group, sv, rv, missing[0], missing[1], threshold, None, evidence)
    assert value is not None
    if rule.equivalent_at_least is None:
        verdict = UNDETERMINED
    elif value >= rule.equivalent_at_least - 1e-9:
        verdict = EQUIVALENT
    elif rule.minor_at_least is not None and value >= rule.minor_at_least - 1e-9:
        verdict = MINOR
    else:
        verdict = SUBSTANTIAL
    shown = _percent(value) if measure_name.startswith("share") else _fmt(value)
    return ElementResult(element, group, sv, rv, verdict, f"{measure_name}: {shown}", threshold, round(value, 4), evidence)


def _missing(subject_missing: bool, reference_missing: bool, rule: PolicyRule) -> tuple[str, str] | None:
    """(verdict, rule text) when a value is missing, None when both are there."""
    if subject_missing and reference_missing:
        return UNDETERMINED, "no value on either side"
    if subject_missing:
        return (rule.when_subject_missing or UNDETERMINED), "the subject has no value"
    if reference_missing:
        return (rule.when_reference_missing or UNDETERMINED), "the reference has no value"
    return None


def _by_sets(element: str, a: set[str], b: set[str], rule: PolicyRule, prop: str, sa: str, sb: str,
             names: dict[str, str], via: str | None = None) -> ElementResult:
    group = ELEMENTS[element][1]
    show = lambda values: ", ".join(sorted(names.get(v, v.rsplit("/", 1)[-1]) for v in values))  # noqa: E731
    evidence = [Evidence(sa, prop, v, via) for v in sorted(a)] + [Evidence(sb, prop, v, via) for v in sorted(b)]
    threshold = f"the same values: equivalent; different values: {rule.when_different or UNDETERMINED}"
    missing = _missing(not a, not b, rule)
    if missing:
        return ElementResult(element, group, show(a), show(b), missing[0], missing[1], threshold, None, evidence)
    if a == b:
        return ElementResult(element, group, show(a), show(b), EQUIVALENT, "the values are the same", threshold, None, evidence)
    return ElementResult(element, group, show(a), show(b), rule.when_different or UNDETERMINED,
                         "the values differ" + (" (partly shared)" if a & b else ""), threshold, None, evidence)


ELM = ns.ELM


def assess(a: SpecFacts, b: SpecFacts, ancestors: dict[str, set[str]], policy: Policy, names: dict[str, str]) -> list[ElementResult]:
    """Every element of the comparison of subject ``a`` with reference ``b`` under ``policy``."""
    out: list[ElementResult] = []
    # level
    ev = [Evidence(s.iri, ELM + "EQFLevel", s.eqf_iri) for s in (a, b) if s.eqf_iri]
    out.append(_by_difference("level", a.eqf, b.eqf, policy.rule("level"), "the number of EQF levels apart",
                              lambda x, y: abs(x - y), ev, lambda v: "" if v is None else f"EQF {v}"))
    # workload
    ca, cb = a.credits(policy.hours_per_credit), b.credits(policy.hours_per_credit)
    ev = []
    for s in (a, b):
        if s.ects is not None:
            ev.append(Evidence(s.iri, ELM + "creditPoint", f"{s.ects:g} ECTS"))
        if s.hours is not None:
            ev.append(Evidence(s.iri, ELM + "volumeOfLearning", f"{s.hours:g} h"))

    def show_credits(value, spec_hours=None):
        return "" if value is None else f"{value:g} ECTS"

    wl = _by_difference("workload", ca, cb, policy.rule("workload"), "the difference of the workloads (share of the larger)",
                        lambda x, y: abs(x - y) / max(x, y) if max(x, y) else 0.0, ev, show_credits, _percent)
    for s, attr in ((a, "subject_value"), (b, "reference_value")):
        if s.ects is None and s.hours is not None:
            setattr(wl, attr, getattr(wl, attr) + f" (from {s.hours:g} h at {policy.hours_per_credit:g} h/ECTS)")
    out.append(wl)
    # learning outcomes: share of the reference's skills covered by the subject's
    ev = [Evidence(a.iri, ELM + "relatedESCOSkill", s) for s in sorted(a.skills)]
    ev += [Evidence(b.iri, ELM + "relatedESCOSkill", s) for s in sorted(b.skills)]
    rule = policy.rule("learning outcomes")
    missing = _missing(not a.skills, not b.skills, rule)
    coverage = None
    if not missing:
        covered = [s for s in b.skills if skill_match(s, a.skills, ancestors) == 1.0]
        coverage = len(covered) / len(b.skills)
    sv = f"{len(a.skills)} ESCO skills" if a.skills else ""
    rv = f"{len(b.skills)} ESCO skills" if b.skills else ""
    lo = _by_similarity("learning outcomes", coverage, sv, rv, rule, "share of the reference's skills covered", missing, ev)
    if coverage is not None:
        lo.rule += f" ({round(coverage * len(b.skills))} of {len(b.skills)}; a narrower skill covers a broader one)"
    out.append(lo)
    # quality assurance
    rule = policy.rule("quality assurance")
    ev = [Evidence(s.iri, ELM + "accreditation", v) for s in (a, b) for v in sorted(s.accreditations)]
    ev += [Evidence(s.iri, ns.DC + "type", v, ELM + "accreditation") for s in (a, b) for v in sorted(s.qa_types)]
    show = lambda s: ("accredited" + (f" ({', '.join(sorted(names.get(t, t.rsplit('/', 1)[-1]) for t in s.qa_types))})" if s.qa_types else "")) if s.accreditations else ""  # noqa: E731
    threshold = f"both accredited: equivalent, different accreditation types: {rule.when_different or UNDETERMINED}; subject not accredited: {rule.when_subject_missing or UNDETERMINED}; reference not accredited: {rule.when_reference_missing or UNDETERMINED}"
    missing = _missing(not a.accreditations, not b.accreditations, rule)
    if missing:
        out.append(ElementResult("quality assurance", "quality", show(a), show(b), missing[0], missing[1], threshold, None, ev))
    elif a.qa_types and b.qa_types and not (a.qa_types & b.qa_types):
        out.append(ElementResult("quality assurance", "quality", show(a), show(b), rule.when_different or UNDETERMINED,
                                 "both accredited, by different types of quality assurance", threshold, None, ev))
    else:
        out.append(ElementResult("quality assurance", "quality", show(a), show(b), EQUIVALENT, "both accredited", threshold, None, ev))
    # profile: field
    rule = policy.rule("field")
    ev = [Evidence(s.iri, ELM + "ISCEDFCode", f) for s in (a, b) for f in sorted(s.fields)]
    missing = _missing(not a.fields, not b.fields, rule)
    digits = None
    if not missing:
        digits = max((4 if x == y else next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y))))
                     for x in a.field_codes for y in b.field_codes)
    out.append(_by_similarity("field", digits, _fields(a, names), _fields(b, names),
                              rule, "the number of leading ISCED-F digits the fields share", missing, ev))
    out.append(_by_sets("assessment type", a.assessments, b.assessments, policy.rule("assessment type"),
                        ns.DC + "type", a.iri, b.iri, names, via=ELM + "provenBy"))
    out.append(_by_sets("form of participation", a.modes, b.modes, policy.rule("form of participation"),
                        ELM + "mode", a.iri, b.iri, names))
    out.append(_by_sets("identity verification", a.id_verifications, b.id_verifications, policy.rule("identity verification"),
                        ELM + "idVerification", a.iri, b.iri, names, via=ELM + "provenBy"))
    return out


def _fields(spec: SpecFacts, names: dict[str, str]) -> str:
    """The ISCED-F fields of ``spec`` by name, each with its code: "statistics (0542)"."""
    shown = []
    for iri in sorted(spec.fields):
        code = isced_code(iri)
        shown.append(f"{names[iri]} ({code})" if iri in names else f"ISCED-F {code}")
    return ", ".join(shown)


def overall(elements: list[ElementResult]) -> tuple[str, str]:
    """The overall verdict (the most severe determined one) and a one-paragraph summary."""
    determined = [e for e in elements if e.verdict != UNDETERMINED]
    undetermined = [e.element for e in elements if e.verdict == UNDETERMINED]
    if not determined:
        return UNDETERMINED, "No element could be assessed."
    worst = max(determined, key=lambda e: SEVERITY[e.verdict]).verdict
    by = {v: [e.element for e in determined if e.verdict == v] for v in (SUBSTANTIAL, MINOR, EQUIVALENT)}
    parts = []
    if by[SUBSTANTIAL]:
        parts.append(f"substantial difference in {', '.join(by[SUBSTANTIAL])}")
    if by[MINOR]:
        parts.append(f"minor difference in {', '.join(by[MINOR])}")
    if by[EQUIVALENT]:
        parts.append(f"equivalent in {', '.join(by[EQUIVALENT])}")
    summary = "; ".join(parts).capitalize() + "."
    if undetermined:
        summary += f" Cannot be determined: {', '.join(undetermined)}."
    if worst == SUBSTANTIAL:
        summary += " A substantial difference is shown, so recognition may be refused or made conditional."
    else:
        summary += " No substantial difference is shown: under the Lisbon Recognition Convention the credential should be recognised."
    return worst, summary


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
