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

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from credgraph import queries
from credgraph.graph import stacking
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


def completions(store: Store, *, k: int = DEFAULT_K, at: date | None = None) -> StatsTable:
    """Learners whose issued credentials meet each stacking rule's target (stacking completions)."""
    at = at or date.today()
    query = "stats-holdings" if store.ask(queries.load("stats-open-rules")) else "stats-component-holdings"
    held: dict[str, list[stacking.HeldCredential]] = defaultdict(list)
    for row in store.select(queries.load(query)).rows:
        issued = row.get("issued")
        held[row["learner"].value].append(
            stacking.HeldCredential(row["spec"].value, stacking.parse_date(issued.value if issued else None)))
    specs = {h.spec for items in held.values() for h in items}
    rules = stacking.load_rules(store) + stacking.implied_rules(store, None)
    by_spec: dict[str, list[stacking.Rule]] = defaultdict(list)
    open_rules = []
    for rule in rules:
        comps = rule.components()
        if any(not c.components for c in rule.conditions):
            open_rules.append(rule)
        for comp in comps:
            by_spec[comp].append(rule)
    facts = load_specs(store, specs | {r.target for r in rules} | {c for r in rules for c in r.components()}, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    ctx = stacking.Context(facts, ancestors, at)
    counts: Counter[str] = Counter()
    for items in held.values():
        candidates = {id(r): r for h in items for r in by_spec.get(h.spec, ())}
        candidates.update({id(r): r for r in open_rules})
        earned = {r.target for r in candidates.values() if stacking.rule_met(r, items, ctx)}
        counts.update(earned)
    names = {t: facts[t].title for t in counts if t in facts}
    return _table("completions", dict(counts), names, k, measure="learners",
                  note=f"learners whose issued credentials meet a stacking rule (evaluated at {at.isoformat()})")
