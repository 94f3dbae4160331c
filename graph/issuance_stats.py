"""Issuance statistics over the pseudonymised issuance records, with small-cell suppression.

Counts of issued credentials by EQF level, issuer country, ISCED-F field, ESCO
skill, awarding body and month; distinct learners; and stacking completions
(learners whose credentials meet a stacking rule). A cell counting fewer than
``k`` (default 5) is suppressed: neither its count nor its key is shown, only
how many cells were suppressed, and totals are sums of the shown cells, so a
suppressed value cannot be recovered by subtraction.

EQF level, field and skill are counted in two steps (credentials per
specification in SPARQL, then the specifications' facts) because one
specification carries each fact once: the sums are exact and far cheaper than
joining every record to its specification's outcomes.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from pyoxigraph import Literal

from credgraph import queries
from credgraph.graph import stacking
from credgraph.graph.binding import Term
from credgraph.graph.specifications import load_specs, labels, skill_ancestors
from credgraph.graph.store import Store

DIMENSIONS = ("eqf", "country", "field", "skill", "provider", "month", "learners", "completions")
DEFAULT_K = 5


@dataclass
class Cell:
    """One shown cell: a group and its count."""

    key: str
    label: str
    count: int


@dataclass
class StatsTable:
    """Counts for one dimension, small cells suppressed."""

    dimension: str
    measure: str  # what is counted: credentials | learners
    k: int
    cells: list[Cell]
    suppressed_cells: int
    total_shown: int
    note: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def suppress(counts: dict[str, int], names: dict[str, str], k: int) -> tuple[list[Cell], int]:
    """The cells with a count of at least ``k`` (largest first) and how many were dropped."""
    shown = [Cell(key, names.get(key, key), n) for key, n in counts.items() if n >= k]
    shown.sort(key=lambda c: (-c.count, c.label, c.key))
    return shown, sum(1 for n in counts.values() if 0 < n < k)


def _table(dimension: str, counts: dict[str, int], names: dict[str, str], k: int, measure: str = "credentials",
           note: str = "") -> StatsTable:
    cells, hidden = suppress(counts, names, k)
    if dimension == "month":
        cells.sort(key=lambda c: c.key)
    return StatsTable(dimension, measure, k, cells, hidden, sum(c.count for c in cells), note)


def _per_spec(store: Store) -> dict[str, int]:
    rows = store.select(queries.load("stats-credentials-per-spec")).rows
    return {r["spec"].value: int(r["credentials"].value) for r in rows}


def _grouped(store: Store, name: str) -> dict[str, int]:
    return {r["key"].value: int(r["credentials"].value) for r in store.select(queries.load(name)).rows if r.get("key")}


def issuance_stats(store: Store, by: str, *, k: int = DEFAULT_K, at: date | None = None) -> StatsTable:
    """Issuance counts by ``by`` (one of :data:`DIMENSIONS`), cells below ``k`` suppressed."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown statistic {by!r}; expected one of {', '.join(DIMENSIONS)}")
    if k < 1:
        raise ValueError(f"--k must be at least 1, not {k}")
    if by in ("eqf", "field", "skill"):
        per_spec = _per_spec(store)
        facts = load_specs(store, per_spec, core=True)
        counts: Counter[str] = Counter()
        for spec, n in per_spec.items():
            f = facts[spec]
            keys = {"eqf": [f.eqf_iri] if f.eqf_iri else ["unknown"], "field": sorted(f.fields) or ["unknown"],
                    "skill": sorted(f.skills)}[by]
            for key in keys:
                counts[key] += n
        names = labels(store, [c for c in counts if c != "unknown"])
        if by == "eqf":
            names = {c: ("EQF " + c.rsplit("/", 1)[-1]) if c != "unknown" else "level unknown" for c in counts}
        elif by == "field":
            names = {c: (f"{c.rsplit('/', 1)[-1]} {names.get(c, '')}".strip() if c != "unknown" else "field unknown") for c in counts}
        note = "credentials per skill: a credential whose specification lists several skills counts once for each" if by == "skill" else ""
        return _table(by, dict(counts), names, k, note=note)
    if by in ("country", "provider", "month"):
        counts = _grouped(store, f"stats-by-{by}")
        if by == "country":
            names = {c: c.rsplit("/", 1)[-1] for c in counts}
        elif by == "provider":
            names = labels(store, counts)
        else:
            names = {}
        return _table(by, counts, names, k)
    if by == "learners":
        row = store.select(queries.load("stats-learners")).rows[0]
        counts = {"learners": int(row["learners"].value), "credentials": int(row["credentials"].value)}
        table = _table(by, counts, {"learners": "distinct learners", "credentials": "issued credentials"}, k, measure="learners")
        table.cells.sort(key=lambda c: c.key != "learners")
        return table
    return completions(store, k=k, at=at)


def completions(store: Store, *, k: int = DEFAULT_K, at: date | None = None, cached: bool = True) -> StatsTable:
    """Learners whose issued credentials meet each stacking rule's target (stacking completions).

    The store groups the records per learner (without returning the pseudonyms)
    into short tokens, dated only where a rule limits age or span; learners with
    the same tokens hold the same credentials, so each distinct holding is
    evaluated once and counted as often as it occurs.

    What is read from the store is kept per store until a graph is added,
    replaced or dropped (named query ``stats-fingerprint``); ``cached=False``
    reads everything again.
    """
    at = at or date.today()
    counts, names = _completion_counts(store, at, cached)
    return _table("completions", dict(counts), names, k, measure="learners",
                  note=f"learners whose issued credentials meet a stacking rule (evaluated at {at.isoformat()})")


@dataclass
class _Completions:
    """What counting completions reads from the store, and the counts per application date."""

    fingerprint: tuple
    rules: list[stacking.Rule]
    holdings: Counter[tuple[stacking.HeldCredential, ...]]
    facts: dict
    ancestors: dict[str, set[str]]
    counts: dict[date, Counter[str]] = field(default_factory=dict)

    def names(self, targets: Iterable[str]) -> dict[str, str]:
        return {t: self.facts[t].title for t in targets if t in self.facts}


_cache: "weakref.WeakKeyDictionary[Store, _Completions]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()
_DATES_KEPT = 8  # application dates whose counts stay cached (usually only today's is asked for)


def _fingerprint(store: Store) -> tuple:
    """Changes whenever a graph is added, replaced or dropped (the store records each in the meta graph)."""
    row = store.select(queries.load("stats-fingerprint")).rows[0]
    return tuple(row[name].value if name in row else None for name in ("graphs", "latest"))


def _completion_counts(store: Store, at: date, cached: bool) -> tuple[Counter[str], dict[str, str]]:
    # The fingerprint is read first: a write made while the rest is read changes it, so
    # what was read then is never reused for the newer data.
    fingerprint = _fingerprint(store) if cached else ()
    entry = None
    if cached:
        with _cache_lock:
            entry = _cache.get(store)
        if entry is not None and entry.fingerprint != fingerprint:
            entry = None
    if entry is None:
        entry = _read_completions(store, fingerprint)
        if cached:
            with _cache_lock:
                _cache[store] = entry
    counts = entry.counts.get(at)
    if counts is None:
        counts = _count_completions(entry, at)
        with _cache_lock:
            while len(entry.counts) >= _DATES_KEPT:
                entry.counts.pop(next(iter(entry.counts)))
            entry.counts[at] = counts
    return counts, entry.names(counts)


def _read_completions(store: Store, fingerprint: tuple) -> _Completions:
    """The rules, every distinct holding and the facts of the specifications involved."""
    rules = stacking.load_rules(store) + stacking.implied_rules(store, None)
    issued_specs = [row["spec"] for row in store.select(queries.load("stats-credentials-per-spec")).rows]
    holdings = (_holdings(store, issued_specs, _dated_specs(rules, issued_specs), _gating_specs(rules, issued_specs))
                if rules and issued_specs else Counter())
    specs = {h.spec for items in holdings for h in items}
    facts = load_specs(store, specs | {r.target for r in rules} | {c for r in rules for c in r.components()}, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    return _Completions(fingerprint, rules, holdings, facts, ancestors)


def _count_completions(data: _Completions, at: date) -> Counter[str]:
    """How many learners earn each target at ``at``, from the distinct holdings."""
    rules, holdings, facts = data.rules, data.holdings, data.facts
    by_spec: dict[str, list[stacking.Rule]] = defaultdict(list)
    open_rules = []
    for rule in rules:
        if any(not c.components for c in rule.conditions):
            open_rules.append(rule)
        for comp in rule.components():
            by_spec[comp].append(rule)
    ctx = stacking.Context(facts, data.ancestors, at)
    dated_rules = {id(r) for r in rules if _uses_dates(r)}
    relaxed = {id(r): _without_dates(r) for r in rules if id(r) in dated_rules}
    monotone = all((f.credits() or 0) >= 0 for f in facts.values())
    # Without dates a rule depends only on the specifications held, and without an open
    # condition only on those among its own components: one evaluation per such set.
    seen_by: dict[int, frozenset[str] | None] = {}
    for rule in rules:
        seen = None if rule in open_rules else frozenset(rule.components())
        seen_by[id(rule)] = seen
        if id(rule) in relaxed:
            seen_by[id(relaxed[id(rule)])] = seen
    # An open rule's conditions that name components must be met too: checked first, per set.
    gates = {}
    for rule in open_rules:
        named = [c for c in rule.conditions if c.components]
        if named:
            gate = replace(relaxed.get(id(rule), rule), conditions=named)
            gates[id(rule)] = gate
            seen_by[id(gate)] = frozenset(rule.components())
    undated: dict[tuple[int, frozenset[str]], bool] = {}

    def _met_by_set(rule: stacking.Rule, held: list[stacking.HeldCredential], held_specs: frozenset[str]) -> bool:
        seen = seen_by[id(rule)]
        key = (id(rule), held_specs if seen is None else held_specs & seen)
        met = undated.get(key)
        if met is None:
            met = undated[key] = stacking.rule_met(rule, held, ctx)
        return met

    counts: Counter[str] = Counter()
    for items, learners in holdings.items():
        held = list(items)
        held_specs = frozenset(h.spec for h in held)
        candidates = {id(r): r for spec in held_specs for r in by_spec.get(spec, ())}
        candidates.update({id(r): r for r in open_rules})
        earned = set()
        for key, rule in candidates.items():
            if key in gates and not _met_by_set(gates[key], held, held_specs):
                met = False
            elif key in dated_rules:
                # Age and span limits only take credentials away, and every condition needs more
                # (credits being non-negative), so a holding that fails the rule without its
                # limits fails it with them: the cheap set-based answer rules most out.
                met = (not monotone or _met_by_set(relaxed[key], held, held_specs)) and stacking.rule_met(rule, held, ctx)
            else:
                met = _met_by_set(rule, held, held_specs)
            if met:
                earned.add(rule.target)
        for target in earned:
            counts[target] += learners
    return counts


def _uses_dates(rule: stacking.Rule) -> bool:
    """Whether issue dates can change whether ``rule`` is met (an age or span limit)."""
    return bool(rule.max_span or rule.max_age or any(c.max_age for c in rule.conditions))


def _without_dates(rule: stacking.Rule) -> stacking.Rule:
    """``rule`` without its age and span limits (it then depends only on the specifications held)."""
    return replace(rule, max_age=None, max_span=None,
                   conditions=[replace(c, max_age=None) for c in rule.conditions])


def _dated_specs(rules: list[stacking.Rule], specs: Iterable[Term]) -> set[str]:
    """The specifications whose issue dates can change whether some rule is met.

    Only rules with an age or span limit look at dates, and only at their
    components, or at every credential if they also have an open condition.
    """
    dated: set[str] = set()
    for rule in rules:
        if _uses_dates(rule):
            if any(not c.components for c in rule.conditions):
                return {s.value for s in specs}
            dated |= rule.components()
    return dated


def _gating_specs(rules: list[stacking.Rule], specs: Iterable[Term]) -> set[str]:
    """Specifications of which a learner must hold one to meet any rule (every issued one if some rule needs none).

    A condition that needs all of, at least one of, or some credits from its
    components is met only by holding one of them.
    """
    gating: set[str] = set()
    for rule in rules:
        gates = [c for c in rule.conditions if c.components and (
            c.kind == "all-of" or (c.kind == "at-least" and (c.min_count or 0) >= 1)
            or (c.kind == "min-credits" and (c.min_credits or 0) > 0))]
        if rule.conditions and not gates:
            return {s.value for s in specs}
        for cond in gates:
            gating |= set(cond.components)
    return gating


def _holdings(store: Store, specs: list[Term], dated: set[str], gating: set[str]) -> Counter[tuple[stacking.HeldCredential, ...]]:
    """Each distinct holding (the credentials of one learner, sorted) and how many learners have it.

    Issue dates are kept for ``dated`` specifications only: the others never
    reach a date check (see :func:`_dated_specs`). Learners holding none of the
    ``gating`` specifications are left out: they meet no rule.
    """
    # Short keys keep the strings the store builds and returns small.
    values = [{"spec": s, "key": Literal(f"{n:x}"), "dated": Literal(s.value in dated), "gating": Literal(int(s.value in gating))}
              for n, s in enumerate(specs)]
    rows = store.select(queries.load("stats-learner-holdings"), values=values).rows
    # Most learners with the same credentials get the same text (tokens in store order):
    # count the texts first, then put each distinct one in canonical (sorted) order.
    texts = Counter(row["held"].value for row in rows)
    tokens: Counter[tuple[str, ...]] = Counter()
    for text, learners in texts.items():
        tokens[tuple(sorted(text.split()))] += learners
    out: Counter[tuple[stacking.HeldCredential, ...]] = Counter()
    for items, learners in tokens.items():
        held = []
        for token in items:
            key, _, issued = token.partition("@")
            held.append(stacking.HeldCredential(specs[int(key, 16)].value, stacking.parse_date(issued or None)))
        out[tuple(held)] += learners
    return out
