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

Stacking completions need every learner's credentials, which is by far the
dearest read (about 0.7 s of SPARQL at 100,000 credentials); what it reads is
kept per store, and brought up to date from the graphs added since (the meta
graph's provenance shows them), or read again after a replace or drop.
Given a file (:func:`completions_file`: ``<data_dir>/derived/completions.json``),
what was read is also kept there with the store's fingerprint, so that a new
process answers from it while the store is unchanged; imports refresh it
(:func:`refresh_completions`). It holds aggregates only: distinct holdings
(specification keys and issue dates) with how many learners hold each, never a
learner pseudonym.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from credgraph import queries
from credgraph.graph.services import stacking
from credgraph.graph.store.binding import Term
from credgraph.graph.services.specifications import SpecFacts, labels, load_specs, skill_ancestors, spec_graphs
from credgraph.graph.store.interface import Store
from credgraph.settings import Settings

if TYPE_CHECKING:
    from credgraph.graph.workspace import Workspace

log = logging.getLogger(__name__)

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


def _per_spec_set(store: Store) -> Counter[frozenset[str]]:
    """Issued credentials per set of specifications they award (usually one)."""
    counts: Counter[frozenset[str]] = Counter()
    for row in store.select(queries.load("stats-credentials-per-spec-set")).rows:
        counts[frozenset(row["specs"].value.split(" "))] += int(row["credentials"].value)
    return counts


def _grouped(store: Store, name: str) -> dict[str, int]:
    return {r["key"].value: int(r["credentials"].value) for r in store.select(queries.load(name)).rows if r.get("key")}


def issuance_stats(store: Store, by: str, *, k: int = DEFAULT_K, at: date | None = None,
                   kept: Path | None = None) -> StatsTable:
    """Issuance counts by ``by`` (one of :data:`DIMENSIONS`), cells below ``k`` suppressed.

    ``kept``: the file completions are kept in across processes (see :func:`completions`).
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown statistic {by!r}; expected one of {', '.join(DIMENSIONS)}")
    if k < 1:
        raise ValueError(f"--k must be at least 1, not {k}")
    if by in ("eqf", "field", "skill"):
        # Per credential, not per specification: a credential falls in each cell
        # one of its specifications does, once, however many of them do.
        per_set = _per_spec_set(store)
        facts = load_specs(store, sorted({spec for specs in per_set for spec in specs}), core=True)
        counts: Counter[str] = Counter()
        for specs, n in per_set.items():
            keys: set[str] = set()
            for spec in specs:
                f = facts[spec]
                keys.update({"eqf": [f.eqf_iri] if f.eqf_iri else [], "field": sorted(f.fields), "skill": sorted(f.skills)}[by])
            if not keys and by != "skill":
                keys = {"unknown"}
            for key in keys:
                counts[key] += n
        names = labels(store, [c for c in counts if c != "unknown"])
        if by == "eqf":
            names = {c: ("EQF " + c.rsplit("/", 1)[-1]) if c != "unknown" else "level unknown" for c in counts}
        elif by == "field":
            names = {c: (f"{c.rsplit('/', 1)[-1]} {names.get(c, '')}".strip() if c != "unknown" else "field unknown") for c in counts}
        total = sum(per_set.values())
        several = {"eqf": "levels", "field": "fields", "skill": "skills"}[by]
        note = (f"{total:,} credentials; one that awards several {several} counts once in each of its cells"
                + (", one with none in no cell" if by == "skill" else ""))
        table = _table(by, dict(counts), names, k, note=note)
        table.extra["credentials"] = total
        return table
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
    return completions(store, k=k, at=at, kept=kept)


def completions(store: Store, *, k: int = DEFAULT_K, at: date | None = None, cached: bool = True,
                kept: Path | None = None) -> StatsTable:
    """Learners whose issued credentials meet each stacking rule's target (stacking completions).

    The store groups the records per learner (without returning the pseudonyms)
    into short tokens, dated only where a rule limits age or span; learners with
    the same tokens hold the same credentials, so each distinct holding is
    evaluated once and counted as often as it occurs.

    What is read from the store is kept per store and checked against the
    store's fingerprint (named query ``stats-fingerprint``) on every call: when
    graphs were only added (credentials issued), only the learners in them are
    read again; after a replace or drop, everything. ``cached=False`` reads
    everything again (and neither reads nor writes ``kept``).

    ``kept`` (see :func:`completions_file`): when nothing is cached in this
    process for the store's current fingerprint, the file is used if it was
    written for that fingerprint; whatever is read or evaluated anew is written
    back to it. A missing, unreadable or outdated file is only ignored.
    """
    at = at or date.today()
    counts, names = _completion_counts(store, at, cached, kept if cached else None)
    return _table("completions", dict(counts), names, k, measure="learners",
                  note=f"learners whose issued credentials meet a stacking rule (evaluated at {at.isoformat()})")


@dataclass
class _Completions:
    """What counting completions reads from the store, and what each holding earns per application date.

    A holding is kept as its tokens (see :func:`_holding_tokens`): a token is the
    hexadecimal index of the specification in ``specs``, followed by ``@`` and the
    issue date for ``dated`` specifications.
    """

    fingerprint: tuple
    specs: list[str]
    dated: set[str]
    gating: set[str]
    tokens: Counter[tuple[str, ...]]
    rules: list[stacking.Rule]
    facts: dict
    fact_graphs: dict[str, str] | None  # the graph each specification's facts were read from, once looked up
    ancestors: dict[str, set[str]]
    # Per application date, the targets each holding earns (rules, facts and skills being these).
    earned: dict[date, dict[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    parsed: dict[tuple[str, ...], list[stacking.HeldCredential]] = field(default_factory=dict)

    def held(self, items: tuple[str, ...]) -> list[stacking.HeldCredential]:
        """The credentials of a holding given as tokens."""
        held = self.parsed.get(items)
        if held is None:
            held = self.parsed[items] = []
            for token in items:
                key, _, issued = token.partition("@")
                held.append(stacking.HeldCredential(self.specs[int(key, 16)], stacking.parse_date(issued or None)))
        return held

    def names(self, targets: Iterable[str]) -> dict[str, str]:
        """The titles of ``targets``."""
        return {t: self.facts[t].title for t in targets if t in self.facts}


_cache: "weakref.WeakKeyDictionary[Store, _Completions]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()
_DATES_KEPT = 8  # application dates whose answers stay cached (usually only today's is asked for)
_MAX_NEW_GRAPHS = 2000  # more graphs added since the last reading: read everything again


def _fingerprint(store: Store) -> tuple[int, Term | None]:
    """How many graphs the store records and the latest import time: changes with every graph written or dropped."""
    row = store.select(queries.load("stats-fingerprint")).rows[0]
    return int(row["graphs"].value), row.get("latest")


def _completion_counts(store: Store, at: date, cached: bool, kept: Path | None,
                       keep_always: bool = False) -> tuple[Counter[str], dict[str, str]]:
    # The fingerprint is read first: a write made while the rest is read changes it, so
    # what was read then is never reused for the newer data.
    fingerprint = _fingerprint(store) if cached else (0, None)
    entry = None
    renewed = False  # read or brought up to date here, not as cached or kept
    if cached:
        with _cache_lock:
            entry = _cache.get(store)
        if entry is None or entry.fingerprint != fingerprint:
            # Another process (an import) may have kept the current state already: cheaper than any reading.
            found = _load_kept(kept, fingerprint) if kept else None
            if found is not None:
                entry = found
            elif entry is not None:
                entry = _added_to(store, entry, fingerprint)
                renewed = entry is not None
    if entry is None:
        entry = _read_completions(store, fingerprint)
        renewed = True
    new_date = False
    if cached:
        with _cache_lock:
            _cache[store] = entry
            while at not in entry.earned and len(entry.earned) >= _DATES_KEPT:
                entry.earned.pop(next(iter(entry.earned)))
            memo = entry.earned.setdefault(at, {})
            new_date = entry.tokens is not None and len(memo) < len(entry.tokens)
    counts = _count_completions(entry, at)
    if kept and (renewed or new_date or keep_always):
        _keep(kept, entry)
    return counts, entry.names(counts)


# -- kept across processes -------------------------------------------------------------

_FORMAT = 1
_SET_FIELDS = frozenset(f.name for f in fields(SpecFacts) if f.default_factory is set)


def completions_file(settings: Settings) -> Path | None:
    """Where completions are kept for the store of ``settings``; None for an in-memory store (nothing outlives it)."""
    if settings.store == "memory:":
        return None
    return Path(settings.data_dir) / "derived" / "completions.json"


def refresh_completions(store: Store, kept: Path | None, at: date | None = None) -> None:
    """Bring the completions of ``store`` up to date and keep them in ``kept`` (after an import).

    Uses the in-process cache when there is one (only the added graphs are
    read), else reads everything; with ``kept`` None only the in-process cache
    is brought up to date. Never raises: the import it follows has succeeded,
    and a later statistics request reads the store anyway. Concurrent calls
    for the same file (or store) are folded into one more run.
    """
    key = str(kept) if kept is not None else f"store {id(store)}"
    with _refresh_lock:
        if key in _refreshing:
            _refreshing[key] = True  # the running refresh goes round once more
            return
        _refreshing[key] = False
    try:
        while True:
            try:
                _completion_counts(store, at or date.today(), True, kept, keep_always=kept is not None)
            except Exception as exc:  # noqa: BLE001 - see docstring
                log.warning("stacking completions not refreshed (%s: %s)", type(exc).__name__, exc)
            with _refresh_lock:
                if not _refreshing[key]:
                    return
                _refreshing[key] = False
    finally:
        with _refresh_lock:
            _refreshing.pop(key, None)


def refresh_after_import(workspace: "Workspace") -> None:
    """:func:`refresh_completions` for the workspace's public store and file (CLI and API import handlers)."""
    refresh_completions(workspace.learners, completions_file(workspace.settings))


def warm_completions(store: Store, kept: Path | None) -> threading.Thread:
    """Start :func:`refresh_completions` in a background (daemon) thread and return it (server start-up)."""
    thread = threading.Thread(target=refresh_completions, args=(store, kept), name="credgraph-completions-warm", daemon=True)
    thread.start()
    return thread


_refresh_lock = threading.Lock()
_refreshing: dict[str, bool] = {}  # file -> another refresh was asked for while one runs


def _term_json(term: Term | None) -> list | None:
    if term is None:
        return None
    if isinstance(term, Literal):
        return ["literal", term.value, term.datatype.value]
    return ["iri", term.value]


def _term(data: list | None) -> Term | None:
    if data is None:
        return None
    if data[0] == "literal":
        return Literal(data[1], datatype=NamedNode(data[2]))
    if data[0] == "iri":
        return NamedNode(data[1])
    raise ValueError(f"unknown term kind {data[0]!r}")


def _facts_json(facts: SpecFacts) -> dict:
    return {f.name: sorted(getattr(facts, f.name)) if f.name in _SET_FIELDS else getattr(facts, f.name)
            for f in fields(SpecFacts)}


def _facts_from(data: dict) -> SpecFacts:
    return SpecFacts(**{name: set(value) if name in _SET_FIELDS else value for name, value in data.items()})


def _rule_from(data: dict) -> stacking.Rule:
    return stacking.Rule(**{**data, "conditions": [stacking.Condition(**c) for c in data["conditions"]]})


def _keep(path: Path, entry: _Completions) -> None:
    """Write ``entry`` to ``path`` (a temporary file renamed over it: a reader sees the old or the new file whole)."""
    with _cache_lock:
        memos = {at: dict(memo) for at, memo in entry.earned.items()}
    holdings = list(entry.tokens) if entry.tokens is not None else None
    targets = sorted({t for memo in memos.values() for ts in memo.values() for t in ts})
    index = {t: n for n, t in enumerate(targets)}
    data = {
        "format": _FORMAT,
        "note": "credgraph stacking completions: distinct holdings (specification keys and issue dates) and how many "
                "learners hold each; no learner is named. Rewritten from the store whenever it is out of date.",
        "fingerprint": [entry.fingerprint[0], _term_json(entry.fingerprint[1])],
        "specs": entry.specs,
        "dated": sorted(entry.dated),
        "gating": sorted(entry.gating),
        "holdings": holdings,
        "learners": [entry.tokens[h] for h in holdings] if holdings is not None else None,
        "rules": [asdict(rule) for rule in entry.rules],
        "facts": {iri: _facts_json(f) for iri, f in entry.facts.items()},
        "fact_graphs": entry.fact_graphs,
        "ancestors": {skill: sorted(broader) for skill, broader in entry.ancestors.items()},
        "targets": targets,
        # Per application date, per holding (same order): the targets it earns, null if not evaluated yet.
        "earned": {at.isoformat(): [sorted(index[t] for t in memo[h]) if h in memo else None for h in holdings or ()]
                   for at, memo in memos.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".completions-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as exc:
        log.warning("stacking completions not kept in %s (%s)", path, exc.strerror or exc)


def _load_kept(path: Path, fingerprint: tuple) -> _Completions | None:
    """What ``path`` keeps, if it was written for ``fingerprint`` and reads back whole; else None."""
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != _FORMAT:
            return None
        count, latest = data["fingerprint"]
        if (int(count), _term(latest)) != fingerprint:
            return None
        specs = [str(s) for s in data["specs"]]
        holdings = data["holdings"]
        tokens = None
        if holdings is not None:
            holdings = list(map(tuple, holdings))
            learners = data["learners"]
            if len(learners) != len(holdings) or not all(type(n) is int and n > 0 for n in learners):
                raise ValueError("holdings and learner counts disagree")
            keys = {t.partition("@")[0] for t in set().union(*holdings)}
            if any(not 0 <= int(key, 16) < len(specs) for key in keys):
                raise ValueError("a holding names an unknown specification")
            tokens = Counter(dict(zip(holdings, learners)))
        targets = [str(t) for t in data["targets"]]
        earned = {}
        for day, answers in data["earned"].items():
            if len(answers) != len(holdings or ()):
                raise ValueError("earned targets and holdings disagree")
            # Most holdings earn the same few target sets: one frozenset each.
            sets = {tuple(ts): frozenset(targets[i] for i in ts) for ts in {tuple(ts) for ts in answers if ts is not None}}
            earned[date.fromisoformat(day)] = {h: sets[tuple(ts)] for h, ts in zip(holdings, answers) if ts is not None}
        entry = _Completions(
            fingerprint, specs, set(data["dated"]), set(data["gating"]), tokens,
            [_rule_from(r) for r in data["rules"]],
            {iri: _facts_from(f) for iri, f in data["facts"].items()},
            data["fact_graphs"],
            {skill: set(broader) for skill, broader in data["ancestors"].items()},
            earned=earned)
        missing = {r.target for r in entry.rules} - set(entry.facts)
        if missing:
            raise ValueError("a rule's target has no facts")
        return entry
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        log.warning("ignoring %s: %s (%s); reading the store instead", path, type(exc).__name__, exc)
        return None


def _rules(store: Store) -> list[stacking.Rule]:
    return stacking.load_rules(store) + stacking.implied_rules(store, None)


def _facts(store: Store, rules: list[stacking.Rule], specs: Iterable[str], known: _Completions | None = None,
           added: set[str] = frozenset()) -> tuple[dict, dict[str, str] | None, dict[str, set[str]]]:
    """The facts of every issued specification and rule target, the graphs they are read from, and the broader skills.

    When bringing ``known`` up to date, its facts are reused if they were read
    from the same graphs and none of those is among the ``added`` graphs (graphs
    not added are unchanged). Broader skills are read only if a rule requires skills.
    """
    specs = set(specs)
    wanted = specs | {r.target for r in rules} | {c for r in rules for c in r.components()}
    graphs = spec_graphs(store, wanted) if known is not None else None  # a first reading needs no comparison
    if known is not None and set(known.facts) == wanted and known.fact_graphs == graphs and added.isdisjoint(graphs.values()):
        facts = known.facts
    else:
        facts = load_specs(store, wanted, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    return facts, graphs, ancestors


def _read_completions(store: Store, fingerprint: tuple) -> _Completions:
    """The rules, every distinct holding and the facts of the specifications involved."""
    rules = _rules(store)
    issued = [row["spec"] for row in store.select(queries.load("stats-credentials-per-spec")).rows]
    specs = [s.value for s in issued]
    dated, gating = _dated_specs(rules, issued), _gating_specs(rules, issued)
    tokens = _holding_tokens(store, issued, dated, gating) if rules and issued else None
    return _Completions(fingerprint, specs, dated, gating, tokens, rules, *_facts(store, rules, specs))


def _added_to(store: Store, entry: _Completions, fingerprint: tuple) -> _Completions | None:
    """``entry`` brought up to date when graphs were only added since it was read, else None.

    Only the learners with records in the added graphs can hold something
    else: their records are read (old ones and new ones), and each moves from
    its old holding to its new one. Rules, facts and skills are read again
    (cheap; facts only where they come from an added graph); if the rules now
    need other tokens for the specifications issued before, None.
    """
    count, _ = fingerprint
    before, since = entry.fingerprint
    if entry.tokens is None or since is None or not 0 < count - before <= _MAX_NEW_GRAPHS:
        return None
    added = [row["graph"] for row in store.select(queries.load("stats-graphs-since"), {"since": since}).rows]
    if len(added) != count - before:  # something was replaced or dropped too
        return None
    learners = [row["learner"] for row in store.select(queries.load("stats-graph-learners"),
                                                        values=[{"graph": g} for g in added]).rows]
    rows = (store.select(queries.load("stats-learner-records"), values=[{"learner": learner} for learner in learners]).rows
            if learners else [])
    # A specification issued for the first time gets the next key; tokens read before never name it.
    specs = entry.specs + sorted({row["spec"].value for row in rows} - set(entry.specs))
    issued = [NamedNode(s) for s in specs]
    rules = _rules(store)
    dated, gating = _dated_specs(rules, issued), _gating_specs(rules, issued)
    before_specs = set(entry.specs)
    if not rules or not (dated ^ entry.dated).isdisjoint(before_specs) or not (gating ^ entry.gating).isdisjoint(before_specs):
        return None
    keys = {spec: f"{n:x}" for n, spec in enumerate(specs)}
    new_graphs = {g.value for g in added}
    held: dict[str, tuple[list[str], list[str], list[bool], list[bool]]] = {}
    for row in rows:
        spec = row["spec"].value
        token = f"{keys[spec]}@{row['issued'].value}" if spec in dated else keys[spec]
        old, new, old_gates, new_gates = held.setdefault(row["learner"].value, ([], [], [], []))
        new.append(token)
        new_gates.append(spec in gating)
        if row["graph"].value not in new_graphs:
            old.append(token)
            old_gates.append(spec in gating)
    tokens = Counter(entry.tokens)
    for old, new, old_gates, new_gates in held.values():
        if any(old_gates):
            tokens[tuple(sorted(old))] -= 1
        if any(new_gates):
            tokens[tuple(sorted(new))] += 1
    tokens = Counter({items: n for items, n in tokens.items() if n > 0})
    facts, graphs, ancestors = _facts(store, rules, specs, entry, new_graphs)
    # Keys only ever get added, so parsed holdings stay right; what a holding earns, if the rules,
    # facts and skills are the same.
    same = facts is entry.facts and rules == entry.rules and ancestors == entry.ancestors
    with _cache_lock:
        memos = list(entry.earned.items()) if same else []
    return _Completions(fingerprint, specs, dated, gating, tokens, rules, facts, graphs, ancestors,
                        earned={at: {t: memo[t] for t in tokens if t in memo} for at, memo in memos},
                        parsed={t: entry.parsed[t] for t in tokens if t in entry.parsed})


def _count_completions(data: _Completions, at: date) -> Counter[str]:
    """How many learners earn each target at ``at``, from the distinct holdings (each evaluated once per date)."""
    memo = data.earned.get(at)
    if memo is None:
        memo = {}
    counts: Counter[str] = Counter()
    earns = None
    for items, learners in (data.tokens.items() if data.tokens else ()):
        targets = memo.get(items)
        if targets is None:
            earns = earns or _evaluator(data, at)
            targets = memo[items] = earns(data.held(items))
        for target in targets:
            counts[target] += learners
    return counts


def _evaluator(data: _Completions, at: date) -> Callable[[list[stacking.HeldCredential]], frozenset[str]]:
    """A function giving the targets a holding earns at ``at``."""
    rules, facts = data.rules, data.facts
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

    def earns(held: list[stacking.HeldCredential]) -> frozenset[str]:
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
        return frozenset(earned)

    return earns


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


def _holding_tokens(store: Store, specs: list[Term], dated: set[str], gating: set[str]) -> Counter[tuple[str, ...]]:
    """Each distinct holding (the tokens of one learner's credentials, sorted) and how many learners have it.

    A token is the hexadecimal index of the specification in ``specs``, with
    ``@`` and the issue date for ``dated`` specifications only: the others
    never reach a date check (see :func:`_dated_specs`). Learners holding none
    of the ``gating`` specifications are left out: they meet no rule.
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
    return tokens
