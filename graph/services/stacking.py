"""Stacking: which larger credentials a set of credentials earns, and what is missing.

Rules are RDF data (``vocabularies/credgraph-stacking.ttl``): a ``cg:StackingRule``
has a target specification and conditions (all of, at least N of, minimum ECTS
from a set, required ESCO skills), optionally filtered by minimum EQF level,
maximum age at the application date and maximum span between the credentials
used. A specification with ``elm:hasPart`` and no explicit rule stacks by the
implied rule "all of its parts".

Per request the service runs a handful of targeted queries (the learner's
records, the rules that can concern them, those rules in full, the facts of the
specifications involved, the broader skills) and evaluates in Python, so every
answer reflects the store as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from pyoxigraph import BlankNode, Literal, NamedNode

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.services.specifications import SpecFacts, covers, labels, load_specs, skill_ancestors
from credgraph.graph.store.interface import Store

CG = ns.CG
KINDS = {
    CG + "AllOf": "all-of",
    CG + "AtLeast": "at-least",
    CG + "MinimumCredits": "min-credits",
    CG + "RequiredSkills": "skills",
}
YEAR_DAYS = 365.25


# -- inputs ------------------------------------------------------------------
@dataclass(frozen=True)
class HeldCredential:
    """One credential a learner holds: its specification and issue date.

    ``record`` is the issuance record IRI when it came from the store; credentials
    given as documents (parsed by the ingest) have none.
    """

    spec: str
    issued: date | None = None
    record: str | None = None


def parse_date(text: str | None) -> date | None:
    """An xsd:date / xsd:dateTime lexical value as a date (None if absent or unreadable)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


# -- rules -------------------------------------------------------------------
@dataclass
class Condition:
    """One condition of a stacking rule."""

    iri: str
    kind: str  # all-of | at-least | min-credits | skills
    components: list[str] = field(default_factory=list)
    min_count: int | None = None
    min_credits: float | None = None
    min_level: int | None = None
    max_age: float | None = None
    skills: list[str] = field(default_factory=list)


@dataclass
class Rule:
    """A stacking rule as read from the store (or implied by ``elm:hasPart``)."""

    iri: str
    target: str
    title: str | None = None
    pathway: str | None = None
    pathway_title: str | None = None
    min_level: int | None = None
    max_age: float | None = None
    max_span: float | None = None
    conditions: list[Condition] = field(default_factory=list)
    implied: bool = False

    def components(self) -> set[str]:
        """Every specification named by any condition."""
        return {c for cond in self.conditions for c in cond.components}


def _num(term) -> float | None:
    try:
        return float(term.value)
    except (ValueError, AttributeError):
        return None


def load_rules(store: Store, rule_iris: Iterable[str] | None = None) -> list[Rule]:
    """The stacking rules ``rule_iris`` in full (every rule when None); one query."""
    iris = None if rule_iris is None else sorted(set(rule_iris))
    if iris is not None and not iris:
        return []
    values = None if iris is None else [{"rule": NamedNode(i)} for i in iris]
    result = store.select(queries.load("stacking-rule-details"), values=values)
    rules: dict[str, Rule] = {}
    conds: dict[tuple[str, str], Condition] = {}
    for row in result.rows:
        rid = row["rule"].value
        rule = rules.setdefault(rid, Rule(rid, target=""))
        key, value = row["key"].value, row["value"]
        cond_term = row.get("condition")
        if cond_term is None:
            if key == "target":
                rule.target = value.value
            elif key == "title":
                rule.title = rule.title or value.value
            elif key == "pathway":
                rule.pathway = value.value
            elif key == "pathwayTitle":
                rule.pathway_title = rule.pathway_title or value.value
            elif key == "minLevel":
                rule.min_level = int(_num(value) or 0) or None
            elif key == "maxAge":
                rule.max_age = _num(value)
            elif key == "maxSpan":
                rule.max_span = _num(value)
            continue
        ckey = (rid, cond_term.value)
        cond = conds.get(ckey)
        if cond is None:
            # A blank-node condition gets a stable name below (blank node ids differ per backend).
            cond = conds[ckey] = Condition("" if isinstance(cond_term, BlankNode) else cond_term.value, kind="")
            rule.conditions.append(cond)
        if key == "type" and value.value in KINDS:
            cond.kind = KINDS[value.value]
        elif key == "component":
            if value.value not in cond.components:
                cond.components.append(value.value)
        elif key == "minCount":
            cond.min_count = int(_num(value) or 0)
        elif key == "minCredits":
            cond.min_credits = _num(value)
        elif key == "minLevel":
            cond.min_level = int(_num(value) or 0) or None
        elif key == "maxAge":
            cond.max_age = _num(value)
        elif key == "skill":
            if value.value not in cond.skills:
                cond.skills.append(value.value)
    for rule in rules.values():
        for cond in rule.conditions:
            cond.components.sort()
            cond.skills.sort()
            if not cond.kind:  # untyped: infer from what it states
                cond.kind = ("skills" if cond.skills else "min-credits" if cond.min_credits is not None
                             else "at-least" if cond.min_count is not None else "all-of")
        rule.conditions.sort(key=lambda c: (c.iri == "", c.iri, c.kind, c.components, c.skills))
        for n, cond in enumerate(rule.conditions, 1):
            cond.iri = cond.iri or f"{rule.iri}#condition-{n}"
    return sorted((r for r in rules.values() if r.target), key=lambda r: r.iri)


def implied_rules(store: Store, specs: Iterable[str] | None) -> list[Rule]:
    """Rules "all of its parts" for larger specifications (elm:hasPart) that have no explicit rule.

    With ``specs`` None: every such specification (declared with elm:hasPart).
    """
    if specs is None:
        result = store.select(queries.load("stacking-all-implied-rules"))
    else:
        wanted = sorted(set(specs))
        if not wanted:
            return []
        # Two steps, each with one side bound: in one query the parts would be joined across every
        # credential graph's copy of the description.
        found = store.select(queries.load("stacking-implied-rules"), values=[{"spec": NamedNode(s)} for s in wanted])
        targets = sorted({row["target"].value for row in found.rows})
        if targets:
            ruled = store.select(queries.load("stacking-ruled-targets"), values=[{"target": NamedNode(t)} for t in targets])
            targets = sorted(set(targets) - {row["target"].value for row in ruled.rows})
        if not targets:
            return []
        result = store.select(queries.load("stacking-parts"), values=[{"target": NamedNode(t)} for t in targets])
    parts: dict[str, set[str]] = {}
    for row in result.rows:
        parts.setdefault(row["target"].value, set()).add(row["part"].value)
    return [
        Rule(iri=target, target=target, title=None, implied=True,
             conditions=[Condition(iri=target + "#parts", kind="all-of", components=sorted(p))])
        for target, p in sorted(parts.items())
    ]


def candidate_rules(store: Store, specs: Iterable[str]) -> list[Rule]:
    """Every rule (explicit or implied) that any of ``specs`` may count towards."""
    wanted = sorted(set(specs))
    if not wanted:
        return []
    result = store.select(queries.load("stacking-candidate-rules"), values=[{"spec": NamedNode(s)} for s in wanted])
    rule_iris = {row["rule"].value for row in result.rows}
    return load_rules(store, rule_iris) + implied_rules(store, wanted)


# -- results -----------------------------------------------------------------
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


def _context(store: Store, rules: list[Rule], specs: Iterable[str], at: date) -> Context:
    iris = set(specs)
    for rule in rules:
        iris.add(rule.target)
        iris |= rule.components()
    facts = load_specs(store, iris, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    return Context(facts, ancestors, at)


def evaluate(store: Store, held: Sequence[HeldCredential], *, at: date | None = None, closest: int = 5) -> StackingAnswer:
    """Every larger credential ``held`` fully satisfies, and the ``closest`` others with their gaps.

    ``held`` can come from the store (:func:`learner_credentials`) or from
    credential documents parsed by the ingest (specification IRI, issue date).
    ``at`` is the application date (default today) for age limits.
    """
    at = at or date.today()
    held = list(held)
    specs = sorted({h.spec for h in held})
    rules = candidate_rules(store, specs)
    ctx = _context(store, rules, specs, at)
    results = [evaluate_rule(rule, held, ctx) for rule in rules]
    satisfied = sorted((r for r in results if r.met), key=lambda r: (r.target_title, r.rule))
    near = sorted((r for r in results if not r.met and r.progress > 0), key=lambda r: (-r.progress, r.target_title, r.rule))
    titles = {iri: f.title for iri, f in ctx.facts.items() if f.found}
    missing_skills = {s for r in near[:closest] for c in r.conditions for s in c.missing_skills}
    titles.update(labels(store, missing_skills))
    return StackingAnswer(
        held=[{"spec": h.spec, "issued": h.issued.isoformat() if h.issued else None, "record": h.record} for h in held],
        application_date=at.isoformat(), satisfied=satisfied, closest=near[:closest], titles=titles,
    )


def learner_credentials(store: Store, pseudonym: str) -> list[HeldCredential]:
    """The credentials of one learner, from the pseudonymised issuance records."""
    result = store.select(queries.load("stacking-learner-credentials"), {"learner": Literal(pseudonym)})
    return [
        HeldCredential(row["spec"].value, parse_date(row["issued"].value if row.get("issued") else None), row["record"].value)
        for row in result.rows
    ]


def evaluate_learner(store: Store, pseudonym: str, *, at: date | None = None, closest: int = 5) -> StackingAnswer:
    """:func:`evaluate` for the learner with this pseudonym."""
    held = learner_credentials(store, pseudonym)
    if not held:
        raise ValueError("no issuance records for that learner pseudonym")
    return evaluate(store, held, at=at, closest=closest)


def stacks_into(store: Store, spec: str, *, at: date | None = None) -> SpecStacking:
    """What ``spec`` can stack into, and with which other components (per condition)."""
    at = at or date.today()
    rules = candidate_rules(store, [spec])
    ctx = _context(store, rules, [spec], at)
    if not ctx.facts[spec].found and not rules:
        raise ValueError(f"unknown specification {spec}")
    options = []
    for rule in rules:
        _, rule_excluded = _filter([HeldCredential(spec, at)], rule.min_level, None, ctx)
        conditions = []
        for cond in rule.conditions:
            _, cond_excluded = _filter([HeldCredential(spec, at)], cond.min_level, None, ctx)
            reasons = [e.reason for e in rule_excluded + cond_excluded]
            contributes = (
                spec in cond.components
                or (cond.kind == "min-credits" and not cond.components and ctx.credits(spec) is not None)
                or (cond.kind == "skills" and any(
                    covers(s, r, ctx.ancestors) for s in ctx.facts[spec].skills for r in cond.skills))
            )
            conditions.append({
                "kind": cond.kind, "rule_text": describe_condition(cond, ctx),
                "counts": contributes and not reasons,
                "other_components": [c for c in cond.components if c != spec],
                "note": "; ".join(reasons) if contributes else "",
            })
        if any(c["counts"] or c["note"] for c in conditions):
            options.append(StackOption(
                rule=rule.iri, target=rule.target, target_title=ctx.title(rule.target), implied=rule.implied,
                pathway=rule.pathway, pathway_title=rule.pathway_title, filters=describe_filters(rule, at),
                conditions=conditions, counts=any(c["counts"] for c in conditions),
            ))
    options.sort(key=lambda o: (o.target_title, o.rule))
    titles = {iri: f.title for iri, f in ctx.facts.items() if f.found}
    return SpecStacking(spec=spec, title=ctx.title(spec), options=options, titles=titles)


# -- importing a rules file ----------------------------------------------------------
@dataclass
class RulesImport:
    """What ``credgraph import rules`` wrote."""

    graph: str
    triples: int
    rules: int
    status: str  # loaded | replaced | unchanged

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def rules_source_id(name: str) -> str:
    """The source id of a rules file: ``rules-<16 hex of SHA-256 of its base name>``."""
    import hashlib
    from pathlib import Path

    return "rules-" + hashlib.sha256(Path(name).name.encode("utf-8")).hexdigest()[:16]


def import_rules_file(store: Store, path: str) -> RulesImport:
    """Load a Turtle file of stacking rules, equivalences and decisions as one source graph.

    The file is checked first (named query ``stacking-rule-problems`` on a scratch
    store); any problem rejects the whole file with messages naming the file and
    the resource, and the store keeps its earlier state.
    """
    from pathlib import Path

    import pyoxigraph as ox

    from credgraph.graph.store.interface import Provenance, content_hash
    from credgraph.graph.store.embedded import EmbeddedStore

    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=file.resolve().as_uri())]
    except SyntaxError as exc:
        raise ValueError(f"{path}: not valid Turtle: {exc}") from exc
    scratch = EmbeddedStore(None)
    scratch.load_graph("urn:credgraph:check", triples, Provenance("source", str(path), content_hash(data)))
    problems = scratch.select(queries.load("stacking-rule-problems")).rows
    if problems:
        lines = []
        for row in problems:
            subject = row["subject"]
            where = f"a condition of {row['rule'].value}" if isinstance(subject, BlankNode) and row.get("rule") else subject.value
            lines.append(f"{path}: {where}: {row['problem'].value}")
        raise ValueError("; ".join(lines))
    rules = sum(1 for t in triples if t.predicate.value == ns.RDF + "type" and t.object.value == CG + "StackingRule")
    graph = ns.source_graph(rules_source_id(file.name))
    digest = content_hash(data)
    current = store.graph_hash(graph)
    if current == digest:
        return RulesImport(graph, len(set(triples)), rules, "unchanged")
    store.load_graph(graph, triples, Provenance(kind="source", source=file.name, content_hash=digest, title=f"rules: {file.name}"))
    return RulesImport(graph, len(set(triples)), rules, "loaded" if current is None else "replaced")
