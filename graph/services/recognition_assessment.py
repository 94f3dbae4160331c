"""Assessing two specifications element by element under a policy: for each element the two values,
a verdict, the rule and threshold applied (stated as they read), and the evidence; and the overall
verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from credgraph.graph import namespaces as ns
from credgraph.graph.services.equivalence import skill_match
from credgraph.graph.services.specifications import SpecFacts, isced_code
from credgraph.graph.services.recognition_policy import (
    ELEMENTS,
    EQUIVALENT,
    MINOR,
    Policy,
    PolicyRule,
    SEVERITY,
    SUBSTANTIAL,
    UNDETERMINED,
)


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
