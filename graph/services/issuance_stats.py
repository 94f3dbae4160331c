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
(:func:`refresh_completions`; the file's format is in
:mod:`~credgraph.graph.services.completions_kept`, the reading and counting in
:mod:`~credgraph.graph.services.completions_reading`). It holds aggregates only: distinct holdings
(specification keys and issue dates) with how many learners hold each, never a
learner pseudonym.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import Counter
from typing import TYPE_CHECKING
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from credgraph import queries
from credgraph.graph.store.binding import Term
from credgraph.graph.services.specifications import labels, load_specs
from credgraph.graph.store.interface import Store
from credgraph.settings import Settings
from credgraph.graph.services.completions_kept import keep_completions, load_kept_completions
from credgraph.graph.services.completions_reading import added_to, cache_lock, Completions, count_completions, read_completions


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


_cache: "weakref.WeakKeyDictionary[Store, Completions]" = weakref.WeakKeyDictionary()
_DATES_KEPT = 8  # application dates whose answers stay cached (usually only today's is asked for)


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
        with cache_lock:
            entry = _cache.get(store)
        if entry is None or entry.fingerprint != fingerprint:
            # Another process (an import) may have kept the current state already: cheaper than any reading.
            found = load_kept_completions(kept, fingerprint) if kept else None
            if found is not None:
                entry = found
            elif entry is not None:
                entry = added_to(store, entry, fingerprint)
                renewed = entry is not None
    if entry is None:
        entry = read_completions(store, fingerprint)
        renewed = True
    new_date = False
    if cached:
        with cache_lock:
            _cache[store] = entry
            while at not in entry.earned and len(entry.earned) >= _DATES_KEPT:
                entry.earned.pop(next(iter(entry.earned)))
            memo = entry.earned.setdefault(at, {})
            new_date = entry.tokens is not None and len(memo) < len(entry.tokens)
    counts = count_completions(entry, at)
    if kept and (renewed or new_date or keep_always):
        keep_completions(kept, entry)
    return counts, entry.names(counts)


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
