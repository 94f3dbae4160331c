"""Stacking completions kept in a file across processes (``<data_dir>/derived/completions.json``),
with the store's fingerprint, so that a new process answers from it while the store is unchanged.

The file holds aggregates only: distinct holdings (specification keys and issue dates) with how
many learners hold each, never a learner pseudonym. It is written atomically (a temporary file
renamed); a file of another format or fingerprint is ignored.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import Counter
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from credgraph.graph.services.stacking_rules import Condition, Rule
from credgraph.graph.store.binding import Term
from credgraph.graph.services.specifications import SpecFacts
from credgraph.graph.services.completions_reading import cache_lock, Completions


log = logging.getLogger(__name__)

_FORMAT = 1
_SET_FIELDS = frozenset(f.name for f in fields(SpecFacts) if f.default_factory is set)


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


def _rule_from(data: dict) -> Rule:
    return Rule(**{**data, "conditions": [Condition(**c) for c in data["conditions"]]})


def keep_completions(path: Path, entry: Completions) -> None:
    """Write ``entry`` to ``path`` (a temporary file renamed over it: a reader sees the old or the new file whole)."""
    with cache_lock:
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


def load_kept_completions(path: Path, fingerprint: tuple) -> Completions | None:
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
        entry = Completions(
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
