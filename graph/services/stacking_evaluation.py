"""Evaluating stacking rules against held credentials, in Python: whether each condition is met,
with what it counts and what is missing, described in words; and the results the stacking
service returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from credgraph.graph.services.specifications import SpecFacts, covers
from credgraph.graph.services.stacking_rules import Condition, HeldCredential, Rule, YEAR_DAYS


@dataclass
class Excluded:
    """A held credential that does not count for a rule or condition, and why."""

    spec: str
    reason: str


@dataclass
class ConditionResult:
    """How one condition fares against the learner's credentials."""

    condition: str
    kind: str
    rule_text: str
    met: bool
    progress: float  # 0..1
    explanation: str
    used: list[str] = field(default_factory=list)
    missing_components: list[str] = field(default_factory=list)
    components_needed: int = 0
    missing_credits: float = 0.0
    missing_skills: list[str] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


@dataclass
class RuleResult:
    """How one stacking rule fares: met or not, per condition, with explanation."""

    rule: str
    target: str
    target_title: str
    met: bool
    progress: float
    conditions: list[ConditionResult]
    filters: list[str]
    explanation: str
    implied: bool = False
    pathway: str | None = None
    pathway_title: str | None = None
    already_held: bool = False
    window: tuple[str, str] | None = None
    excluded: list[Excluded] = field(default_factory=list)


@dataclass
class StackingAnswer:
    """What a set of credentials earns (``satisfied``) and what is closest (``closest``)."""

    held: list[dict]
    application_date: str
    satisfied: list[RuleResult]
    closest: list[RuleResult]
    titles: dict[str, str]

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass
class StackOption:
    """One larger credential a specification can stack into, and with which other components."""

    rule: str
    target: str
    target_title: str
    implied: bool
    pathway: str | None
    pathway_title: str | None
    filters: list[str]
    conditions: list[dict]  # {kind, rule_text, counts: bool, other_components: [...], note}
    counts: bool


@dataclass
class SpecStacking:
    """What one specification can stack into."""

    spec: str
    title: str
    options: list[StackOption]
    titles: dict[str, str]

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


# -- evaluation ----------------------------------------------------------------
class Context:
    """The facts one evaluation needs: specification facts, titles, skill ancestry."""

    def __init__(self, facts: dict[str, SpecFacts], ancestors: dict[str, set[str]], at: date) -> None:
        self.facts = facts
        self.ancestors = ancestors
        self.at = at

    def title(self, iri: str) -> str:
        spec = self.facts.get(iri)
        return spec.title if spec else iri

    def credits(self, iri: str) -> float | None:
        spec = self.facts.get(iri)
        return spec.credits() if spec else None

    def level(self, iri: str) -> int | None:
        spec = self.facts.get(iri)
        return spec.eqf if spec else None


def _fmt(x: float) -> str:
    return f"{x:g}"


def _names(ctx: Context, iris: Sequence[str]) -> str:
    return ", ".join(ctx.title(i) for i in iris) or "(none)"


def describe_condition(cond: Condition, ctx: Context) -> str:
    """The condition in words."""
    if cond.kind == "all-of":
        text = f"all of: {_names(ctx, cond.components)}"
    elif cond.kind == "at-least":
        text = f"at least {cond.min_count} of: {_names(ctx, cond.components)}"
    elif cond.kind == "min-credits":
        source = _names(ctx, cond.components) if cond.components else "any credential"
        text = f"at least {_fmt(cond.min_credits or 0)} ECTS from: {source}"
    else:
        text = f"ESCO skills covered (a narrower skill counts): {len(cond.skills)} required"
    if cond.min_level:
        text += f"; components at EQF level {cond.min_level} or above"
    if cond.max_age:
        text += f"; earned within {_fmt(cond.max_age)} years of the application"
    return text


def describe_filters(rule: Rule, at: date) -> list[str]:
    """The rule-wide filters in words."""
    out = []
    if rule.min_level:
        out.append(f"components at EQF level {rule.min_level} or above")
    if rule.max_age:
        out.append(f"components earned within {_fmt(rule.max_age)} years of the application ({at.isoformat()})")
    if rule.max_span:
        out.append(f"components earned within {_fmt(rule.max_span)} years of each other")
    return out


def _filter(held: list[HeldCredential], min_level: int | None, max_age: float | None, ctx: Context,
            ) -> tuple[list[HeldCredential], list[Excluded]]:
    kept, excluded = [], []
    for h in held:
        if min_level:
            level = ctx.level(h.spec)
            if level is None:
                excluded.append(Excluded(h.spec, f"EQF level unknown; EQF {min_level}+ required"))
                continue
            if level < min_level:
                excluded.append(Excluded(h.spec, f"EQF level {level} is below the required {min_level}"))
                continue
        if max_age:
            if h.issued is None:
                excluded.append(Excluded(h.spec, f"issue date unknown; must be within {_fmt(max_age)} years"))
                continue
            if h.issued < ctx.at - timedelta(days=max_age * YEAR_DAYS):
                excluded.append(Excluded(h.spec, f"issued {h.issued.isoformat()}, more than {_fmt(max_age)} years before {ctx.at.isoformat()}"))
                continue
        kept.append(h)
    return kept, excluded


def evaluate_condition(cond: Condition, held: list[HeldCredential], ctx: Context) -> ConditionResult:
    """Evaluate one condition against eligible credentials (rule filters already applied)."""
    eligible, excluded = _filter(held, cond.min_level, cond.max_age, ctx)
    have = sorted({h.spec for h in eligible})
    text = describe_condition(cond, ctx)
    if cond.kind in ("all-of", "at-least"):
        needed = len(cond.components) if cond.kind == "all-of" else (cond.min_count or 0)
        used = [c for c in cond.components if c in have]
        missing = [c for c in cond.components if c not in have]
        short = max(0, needed - len(used))
        met = short == 0
        progress = 1.0 if needed == 0 else min(1.0, len(used) / needed)
        if met:
            explanation = f"met: holds {len(used)} of the {needed} needed ({_names(ctx, used)})"
        elif cond.kind == "all-of":
            explanation = f"not met: missing {_names(ctx, missing)}"
        else:
            explanation = f"not met: holds {len(used)} of {needed}; {short} more from: {_names(ctx, missing)}"
        return ConditionResult(cond.iri, cond.kind, text, met, progress, explanation, used,
                               [] if met else missing, short, 0.0, [], excluded)
    if cond.kind == "min-credits":
        pool = [s for s in have if not cond.components or s in cond.components]
        unknown = [s for s in pool if ctx.credits(s) is None]
        counted = [s for s in pool if ctx.credits(s) is not None]
        total = round(sum(ctx.credits(s) or 0 for s in counted), 4)
        need = cond.min_credits or 0
        met = total >= need
        gap = round(max(0.0, need - total), 4)
        options = sorted((c for c in cond.components if c not in have), key=lambda c: (-(ctx.credits(c) or 0), c))
        explanation = f"{'met' if met else 'not met'}: {_fmt(total)} of {_fmt(need)} ECTS"
        if counted:
            explanation += f" ({', '.join(f'{ctx.title(s)} {_fmt(ctx.credits(s) or 0)}' for s in counted)})"
        if not met:
            explanation += f"; {_fmt(gap)} ECTS missing"
            if options:
                explanation += f", e.g. from {_names(ctx, options)}"
        excluded = excluded + [Excluded(s, "no ECTS credits or hours recorded") for s in unknown]
        progress = 1.0 if need <= 0 else min(1.0, total / need)
        return ConditionResult(cond.iri, cond.kind, text, met, progress, explanation, counted,
                               [] if met else options, 0, gap, [], excluded)
    # required skills: a held skill covers a required one if it is the same or narrower.
    held_skills = {s: spec for spec in have for s in ctx.facts.get(spec, SpecFacts(spec)).skills}
    covered, used, missing = [], set(), []
    for required in cond.skills:
        by = next((spec for s, spec in sorted(held_skills.items()) if covers(s, required, ctx.ancestors)), None)
        if by:
            covered.append(required)
            used.add(by)
        else:
            missing.append(required)
    met = not missing
    progress = 1.0 if not cond.skills else len(covered) / len(cond.skills)
    explanation = f"{'met' if met else 'not met'}: {len(covered)} of {len(cond.skills)} required skills covered"
    if missing:
        explanation += f"; missing {len(missing)}"
    return ConditionResult(cond.iri, cond.kind, text, met, progress, explanation, sorted(used),
                           [], 0, 0.0, missing, excluded)


def _keep(h: HeldCredential, min_level: int | None, max_age: float | None, ctx: Context) -> bool:
    """:func:`_filter` for one credential, without the reasons (the fast path for counting)."""
    if min_level:
        level = ctx.level(h.spec)
        if level is None or level < min_level:
            return False
    if max_age and (h.issued is None or h.issued < ctx.at - timedelta(days=max_age * YEAR_DAYS)):
        return False
    return True


def _condition_met(cond: Condition, held: list[HeldCredential], ctx: Context) -> bool:
    have = {h.spec for h in held if _keep(h, cond.min_level, cond.max_age, ctx)}
    if cond.kind == "all-of":
        return all(c in have for c in cond.components)
    if cond.kind == "at-least":
        return sum(1 for c in cond.components if c in have) >= (cond.min_count or 0)
    if cond.kind == "min-credits":
        pool = have if not cond.components else have.intersection(cond.components)
        return round(sum(ctx.credits(s) or 0 for s in pool), 4) >= (cond.min_credits or 0)
    skills = {s for spec in have for s in ctx.facts[spec].skills} if have else set()
    return all(any(covers(s, r, ctx.ancestors) for s in skills) for r in cond.skills)


def rule_met(rule: Rule, held: list[HeldCredential], ctx: Context) -> bool:
    """Whether ``held`` meets ``rule``: the same answer as ``evaluate_rule(...).met``, without explanations.

    Used to count completions over every learner, where building explanations would dominate.
    """
    if not rule.conditions:
        return False
    eligible = [h for h in held if _keep(h, rule.min_level, rule.max_age, ctx)]
    if not rule.max_span:
        return all(_condition_met(c, eligible, ctx) for c in rule.conditions)
    dated = [h for h in eligible if h.issued is not None]
    span = timedelta(days=rule.max_span * YEAR_DAYS)
    starts = sorted({h.issued for h in dated})  # type: ignore[type-var]
    if not starts:
        return all(_condition_met(c, [], ctx) for c in rule.conditions)
    for start in starts:
        pool = [h for h in dated if start <= h.issued <= start + span]  # type: ignore[operator]
        if all(_condition_met(c, pool, ctx) for c in rule.conditions):
            return True
    return False


def evaluate_rule(rule: Rule, held: list[HeldCredential], ctx: Context) -> RuleResult:
    """Evaluate a rule: filters, then (per time window if the rule has a span) every condition."""
    eligible, excluded = _filter(held, rule.min_level, rule.max_age, ctx)
    windows: list[tuple[date, date] | None] = [None]
    if rule.max_span:
        dated = [h for h in eligible if h.issued is not None]
        excluded += [Excluded(h.spec, "issue date unknown; the rule limits the span between components")
                     for h in eligible if h.issued is None]
        eligible = dated
        span = timedelta(days=rule.max_span * YEAR_DAYS)
        windows = [(d, d + span) for d in sorted({h.issued for h in dated})] or [None]  # type: ignore[misc]
    best: tuple[float, list[ConditionResult], tuple[date, date] | None] | None = None
    for window in windows:
        pool = eligible if window is None else [h for h in eligible if window[0] <= h.issued <= window[1]]  # type: ignore[operator]
        results = [evaluate_condition(c, pool, ctx) for c in rule.conditions]
        met = bool(results) and all(r.met for r in results)
        progress = sum(r.progress for r in results) / len(results) if results else 0.0
        score = 2.0 if met else progress
        if best is None or score > best[0]:
            best = (score, results, window)
        if met:
            break
    assert best is not None
    _, results, window = best
    met = bool(results) and all(r.met for r in results)
    progress = 1.0 if met else (sum(r.progress for r in results) / len(results) if results else 0.0)
    title = ctx.title(rule.target)
    held_specs = {h.spec for h in held}
    if met:
        explanation = f"earns {title}: every condition is met"
        if window:
            explanation += f" with credentials issued {window[0].isoformat()} to {min(window[1], ctx.at).isoformat()}"
    else:
        unmet = [r for r in results if not r.met]
        explanation = f"{title}: {len(unmet)} of {len(results)} conditions not met"
    return RuleResult(
        rule=rule.iri, target=rule.target, target_title=title, met=met, progress=round(progress, 4),
        conditions=results, filters=describe_filters(rule, ctx.at), explanation=explanation,
        implied=rule.implied, pathway=rule.pathway, pathway_title=rule.pathway_title,
        already_held=rule.target in held_specs,
        window=(window[0].isoformat(), window[1].isoformat()) if window else None,
        excluded=excluded,
    )
