"""Stacking completions on the generated demo catalogue and rules, against a learner-by-learner evaluation.

The demo rules cover every kind of condition (all of, at least N, credits from a
set or from any credential, required skills) and every filter (EQF level,
maximum age, maximum span), so the counting path's shortcuts (distinct
holdings, set-based answers, pruning by gating specifications, the cache) are
all exercised against the explaining evaluator, which has none of them.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.demo import generator as demo_data
from credgraph.graph.sources import catalogue_import
from credgraph.graph.services import stacking
from credgraph.graph.services.stacking_rules import HeldCredential, import_rules_file
from credgraph.graph.services.issuance_stats import completions, suppress
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

CG = "https://w3id.org/credgraph/ns#"
SPEC = "https://w3id.org/credgraph/id/spec/"
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
AT = date(2026, 1, 1)


@pytest.fixture
def demo(store, tmp_path):
    """The demo catalogues and rules in ``store``, and the issued specifications' pathways."""
    ws = Workspace(Settings(store="memory:", data_dir=tmp_path), store=store)  # the store under test (embedded or oxigraph serve)
    files = tmp_path / "demo"
    demo_data.generate(files, scale=0.001, seed=3)
    parts: dict[str, list[str]] = {}
    micro: list[str] = []
    for path in sorted((files / "catalogues").glob("*.csv")):
        result = catalogue_import.ingest_catalogue(ws, path)
        assert not result.problems, result.problems[:3]
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                iri = f"{SPEC}{row['provider_id']}/{row['id']}"
                if row["part_of"]:
                    parts.setdefault(f"{SPEC}{row['provider_id']}/{row['part_of']}", []).append(iri)
                if row["kind"] != "qualification":
                    micro.append(iri)
    import_rules_file(store, str(files / "rules" / "stacking-rules.ttl"))
    return store, sorted(parts.values()), sorted(micro)


def issue(store, graph: str, learners: list[str], pathways: list[list[str]], micro: list[str], seed: int) -> dict[str, list[HeldCredential]]:
    """Issue credentials to ``learners`` (most along one pathway) in one graph; what each gets."""
    rng = random.Random(seed)
    held: dict[str, list[HeldCredential]] = {}
    triples = []
    for n, learner in enumerate(learners):
        specs = rng.sample(path := rng.choice(pathways), rng.randint(1, len(path))) if rng.random() < 0.7 else rng.sample(micro, rng.randint(1, 3))
        if rng.random() < 0.1:
            specs.append(specs[0])  # the same credential twice, at another date
        day = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
        for m, spec in enumerate(specs):
            day += timedelta(days=rng.randrange(10, 400))
            record = ox.NamedNode(f"https://w3id.org/credgraph/id/issuance/{graph}-{n}-{m}")
            triples += [
                ox.Triple(record, ox.NamedNode(CG + "specification"), ox.NamedNode(spec)),
                ox.Triple(record, ox.NamedNode(CG + "learner"), ox.Literal(learner)),
                ox.Triple(record, ox.NamedNode(CG + "issued"), ox.Literal(day.isoformat(), datatype=XSD_DATE)),
            ]
            held.setdefault(learner, []).append(HeldCredential(spec, day))
    store.load_graph(f"urn:credgraph:source:test-{graph}", triples, Provenance("source", graph, f"sha256:{graph}"))
    return held


def evaluated(store, held: dict[str, list[HeldCredential]]) -> Counter[str]:
    """Learners per target, by the explaining evaluator run for each learner."""
    return Counter(t for items in held.values() for t in {r.target for r in stacking.evaluate(store, items, at=AT).satisfied})


def test_completions_equal_a_learner_by_learner_evaluation(demo):
    store, pathways, micro = demo
    held = issue(store, "first", [f"pseudo-{n}" for n in range(160)], pathways, micro, seed=1)
    expected = evaluated(store, held)
    assert len(expected) >= 8  # nearly every demo target is earned by someone, dated rules included
    table = completions(store, k=1, at=AT)
    assert {c.key: c.count for c in table.cells} == dict(expected)
    assert completions(store, k=1, at=AT, cached=False).to_dict() == table.to_dict()
    # With the default k, exactly the cells a plain suppression of the reference leaves.
    cells, hidden = suppress(dict(expected), {}, 5)
    table = completions(store, at=AT)
    assert {c.key: c.count for c in table.cells} == {c.key: c.count for c in cells}
    assert table.suppressed_cells == hidden > 0
    assert all(c.count >= 5 for c in table.cells)
    # Another application date: the age limits exclude more, from the same cached holdings.
    later = date(2029, 6, 1)
    reference = Counter(t for items in held.values() for t in {r.target for r in stacking.evaluate(store, items, at=later).satisfied})
    assert {c.key: c.count for c in completions(store, k=1, at=later).cells} == dict(reference)


def test_issuing_more_credentials_changes_the_counts(demo, monkeypatch):
    """After credentials are issued only their learners are read again; after a drop, everything."""
    from credgraph.graph.services import issuance_stats

    store, pathways, micro = demo
    held = issue(store, "first", [f"pseudo-{n}" for n in range(60)], pathways, micro, seed=1)
    before = completions(store, k=1, at=AT)
    assert {c.key: c.count for c in before.cells} == dict(evaluated(store, held))
    full_reads = []
    read = issuance_stats.read_completions
    monkeypatch.setattr(issuance_stats, "read_completions", lambda *a: full_reads.append(1) or read(*a))
    # More credentials for a third of the learners, and new learners.
    more = issue(store, "second", [f"pseudo-{n}" for n in range(0, 60, 3)] + [f"pseudo-{n}" for n in range(60, 90)],
                 pathways, micro, seed=2)
    for learner, items in more.items():
        held.setdefault(learner, []).extend(items)
    after = completions(store, k=1, at=AT)
    assert not full_reads  # brought up to date from the added graph alone
    assert {c.key: c.count for c in after.cells} == dict(evaluated(store, held))
    assert after.to_dict() == completions(store, k=1, at=AT, cached=False).to_dict()
    assert after.to_dict() != before.to_dict()
    # Once more, with specifications issued before (seed 2 again): the facts and what each
    # holding earns are carried over.
    for learner, items in issue(store, "third", [f"pseudo-{n}" for n in range(1, 90, 4)], pathways, micro, seed=2).items():
        held.setdefault(learner, []).extend(items)
    third = completions(store, k=1, at=AT)
    assert len(full_reads) == 1  # only the uncached call above
    assert {c.key: c.count for c in third.cells} == dict(evaluated(store, held))
    store.drop_graphs(["urn:credgraph:source:test-second", "urn:credgraph:source:test-third"])
    assert completions(store, k=1, at=AT).to_dict() == before.to_dict()
    assert len(full_reads) == 2  # after the drop
