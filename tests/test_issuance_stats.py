"""Issuance statistics with small-cell suppression, on hand-counted records.

Records (learner, spec, month, country, provider):
- S1 (EQF 5, 0613, Python + statistics): L1..L7, DEU, uni1; L1..L4 in 2025-01, L5..L7 in 2025-02
- S2 (EQF 6, 0613, Python twice):       L1..L6, FRA, uni2; 2025-02
- S3 (EQF 6, 0714, no skill):            L8..L10, DEU, uni1; 2025-03
So: EQF 5: 7, EQF 6: 9; DEU 10, FRA 6; 0613: 13, 0714: 3; Python 13, statistics 7;
uni1 10, uni2 6; 2025-01: 4, 2025-02: 9, 2025-03: 3; 10 learners, 16 credentials.
Completions: "S1 and S2": L1..L6 = 6; "Any S3": 3; "Ten credits" (any two): L1..L6 = 6.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.services.issuance_stats import issuance_stats
from credgraph.graph.store.interface import Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "services"
EX = "http://example.org/spec/"
CG = "https://w3id.org/credgraph/ns#"
NAL = "http://publications.europa.eu/resource/authority/country/"


def records():
    rows = [(f"L{i}", "S1", "2025-01-15" if i <= 4 else "2025-02-15", "DEU", "uni1") for i in range(1, 8)]
    rows += [(f"L{i}", "S2", "2025-02-20", "FRA", "uni2") for i in range(1, 7)]
    rows += [(f"L{i}", "S3", "2025-03-01", "DEU", "uni1") for i in range(8, 11)]
    return rows


def record_triples():
    out = []
    for n, (learner, spec, day, country, org) in enumerate(records()):
        rec = ox.NamedNode(f"https://w3id.org/credgraph/id/issuance/r{n}")
        out += [
            ox.Triple(rec, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(CG + "IssuanceRecord")),
            ox.Triple(rec, ox.NamedNode(CG + "specification"), ox.NamedNode(EX + spec)),
            ox.Triple(rec, ox.NamedNode(CG + "learner"), ox.Literal(f"pseudo-{learner}")),
            ox.Triple(rec, ox.NamedNode(CG + "issued"), ox.Literal(day, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))),
            ox.Triple(rec, ox.NamedNode(CG + "issuerCountry"), ox.NamedNode(NAL + country)),
            ox.Triple(rec, ox.NamedNode(CG + "awardingBody"), ox.NamedNode("http://example.org/org/" + org)),
        ]
    return out


@pytest.fixture
def fx(store):
    data = (FIXTURES / "issuance.ttl").read_bytes()
    spec_triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    store.load_graph("urn:credgraph:source:test-issuance", spec_triples, Provenance("source", "issuance.ttl", "sha256:t"))
    store.load_graph("urn:credgraph:source:test-records", record_triples(), Provenance("source", "records", "sha256:r"))
    return store


def shown(table):
    return [(c.label, c.count) for c in table.cells]


def test_counts_by_each_dimension(fx):
    assert shown(issuance_stats(fx, "eqf")) == [("EQF 6", 9), ("EQF 5", 7)]
    assert shown(issuance_stats(fx, "country")) == [("DEU", 10), ("FRA", 6)]
    assert shown(issuance_stats(fx, "skill")) == [("Python", 13), ("statistics", 7)]
    assert shown(issuance_stats(fx, "provider")) == [("University One", 10), ("University Two", 6)]
    learners = issuance_stats(fx, "learners")
    assert shown(learners) == [("distinct learners", 10), ("issued credentials", 16)]


def test_small_cells_are_suppressed_never_shown(fx):
    field = issuance_stats(fx, "field")
    assert shown(field) == [("0613 Software and applications development and analysis", 13)]
    assert field.suppressed_cells == 1 and field.total_shown == 13
    assert "0714" not in str(field.to_dict())
    month = issuance_stats(fx, "month")
    assert [(c.key, c.count) for c in month.cells] == [("2025-02", 9)] and month.suppressed_cells == 2
    strict = issuance_stats(fx, "eqf", k=8)
    assert shown(strict) == [("EQF 6", 9)] and strict.suppressed_cells == 1 and strict.total_shown == 9
    assert shown(issuance_stats(fx, "learners", k=11)) == [("issued credentials", 16)]


def test_stacking_completions(fx):
    table = issuance_stats(fx, "completions")
    assert shown(table) == [("S1 and S2", 6), ("Ten credits", 6)]
    assert table.suppressed_cells == 1  # "Any S3": 3 learners
    assert shown(issuance_stats(fx, "completions", k=3)) == [("S1 and S2", 6), ("Ten credits", 6), ("Any S3", 3)]


def test_bad_requests(fx):
    with pytest.raises(ValueError, match="unknown statistic 'colour'"):
        issuance_stats(fx, "colour")
    with pytest.raises(ValueError, match="at least 1"):
        issuance_stats(fx, "eqf", k=0)


def test_cli_text_never_shows_a_suppressed_cell(store, tmp_path, capsys):
    from credgraph.cli import main
    from credgraph.graph.store.interface import open_store

    if store.location.startswith("http"):
        target = store.location
    else:
        target = str(tmp_path / "store")
        store = open_store(target)
    data = (FIXTURES / "issuance.ttl").read_bytes()
    spec_triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    store.load_graph("urn:credgraph:source:test-issuance", spec_triples, Provenance("source", "issuance.ttl", "sha256:t"))
    store.load_graph("urn:credgraph:source:test-records", record_triples(), Provenance("source", "records", "sha256:r"))
    if not target.startswith("http"):
        store.close()
    assert main(["--data", str(tmp_path / "data"), "--store", target, "stats", "issuance", "--by", "field"]) == 0
    out = capsys.readouterr().out
    assert "0613 Software" in out and "13" in out
    assert "0714" not in out and "1 cell(s) suppressed" in out
    assert main(["--data", str(tmp_path / "data"), "--store", target, "stats"]) == 0
    assert "source" in capsys.readouterr().out  # the store overview is unchanged


GATED_RULES = """
@prefix ex: <http://example.org/spec/> .
@prefix cg: <https://w3id.org/credgraph/ns#> .
@prefix dc: <http://purl.org/dc/terms/> .
@prefix elm: <http://data.europa.eu/snb/model/elm/> .
ex:A a elm:LearningAchievementSpecification ; dc:title "A"@en ; elm:creditPoint [ elm:point "5" ] .
ex:D a elm:LearningAchievementSpecification ; dc:title "D"@en ; elm:creditPoint [ elm:point "2" ] .
<http://example.org/rule/g1> a cg:StackingRule ; cg:target ex:G1 ; cg:maxSpanYears 3 ;
    cg:condition [ a cg:AllOf ; cg:component ex:A, ex:B ] .
<http://example.org/rule/g2> a cg:StackingRule ; cg:target ex:G2 ;
    cg:condition [ a cg:AtLeast ; cg:minCount 1 ; cg:component ex:C ] .
<http://example.org/rule/g3> a cg:StackingRule ; cg:target ex:G3 ; cg:maxAgeYears 5 ;
    cg:condition [ a cg:MinimumCredits ; cg:minCredits 6 ; cg:component ex:A, ex:D ] .
"""


@pytest.mark.parametrize("rules", ["stacking.ttl", "gated"])
def test_completions_match_evaluating_each_learner(store, rules):
    """Completions equal the explaining evaluator run learner by learner, over varied learners.

    stacking.ttl: age, span, credit, skill and implied rules (an open rule: every learner counts).
    gated: every rule needs one of its components, so learners holding only E are left out.
    """
    import random
    from collections import Counter
    from datetime import date, timedelta

    from credgraph.graph.services import stacking
    from credgraph.graph.services.stacking_rules import HeldCredential

    data = (FIXTURES / "stacking.ttl").read_bytes() if rules == "stacking.ttl" else GATED_RULES.encode()
    store.load_graph("urn:credgraph:source:test-stacking", [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)],
                     Provenance("source", "rules", "sha256:s"))
    rng = random.Random(7)
    held: dict[str, list[HeldCredential]] = {}
    triples = []
    for n in range(40):
        learner = f"pseudo-{n}"
        specs = ["E"] if n % 7 == 0 else rng.sample("ABCDE", rng.randint(1, 5)) + (["A"] if n % 9 == 0 else [])  # some hold A twice
        day = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
        for m, spec in enumerate(specs):
            day += timedelta(days=rng.randrange(0, 500))
            rec = ox.NamedNode(f"https://w3id.org/credgraph/id/issuance/s{n}-{m}")
            triples += [
                ox.Triple(rec, ox.NamedNode(CG + "specification"), ox.NamedNode(EX + spec)),
                ox.Triple(rec, ox.NamedNode(CG + "learner"), ox.Literal(learner)),
                ox.Triple(rec, ox.NamedNode(CG + "issued"), ox.Literal(day.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))),
            ]
            held.setdefault(learner, []).append(HeldCredential(EX + spec, day))
    store.load_graph("urn:credgraph:source:test-many", triples, Provenance("source", "many", "sha256:m"))
    at = date(2026, 1, 1)
    expected = Counter(t for items in held.values() for t in {r.target for r in stacking.evaluate(store, items, at=at).satisfied})
    assert len(expected) >= (5 if rules == "stacking.ttl" else 3)  # most targets are earned, dated ones included
    table = issuance_stats(store, "completions", k=1, at=at)
    assert {c.key: c.count for c in table.cells} == dict(expected)
    assert table.suppressed_cells == 0


def test_completions_without_records_or_rules(store):
    assert issuance_stats(store, "completions").cells == []
    store.load_graph("urn:credgraph:source:test-records", record_triples(), Provenance("source", "records", "sha256:r"))
    table = issuance_stats(store, "completions", k=1)
    assert table.cells == [] and table.suppressed_cells == 0


def test_completions_follow_replaced_and_dropped_records(fx):
    """The cached completions are read again when the records graph is replaced or dropped."""
    assert shown(issuance_stats(fx, "completions", k=3)) == [("S1 and S2", 6), ("Ten credits", 6), ("Any S3", 3)]
    # L1..L3 lose S2 (the graph is replaced): "S1 and S2" and "Ten credits" keep L4..L6.
    kept = [t for t in record_triples()
            if not any(t.subject.value.endswith(f"/r{n}") for n, (learner, spec, *_) in enumerate(records())
                       if spec == "S2" and learner in ("L1", "L2", "L3"))]
    fx.load_graph("urn:credgraph:source:test-records", kept, Provenance("source", "records", "sha256:r2"))
    assert shown(issuance_stats(fx, "completions", k=3)) == [("Any S3", 3), ("S1 and S2", 3), ("Ten credits", 3)]
    assert shown(issuance_stats(fx, "completions")) == []
    fx.drop_graphs(["urn:credgraph:source:test-records"])
    table = issuance_stats(fx, "completions", k=1)
    assert table.cells == [] and table.suppressed_cells == 0


def test_a_credential_awarding_two_specifications_counts_once_per_cell(store):
    """Two specifications at the same EQF level in one credential: one credential in that cell, not two."""
    from credgraph.graph.services.issuance_stats import issuance_stats

    cg, elm = "https://w3id.org/credgraph/ns#", "http://data.europa.eu/snb/model/elm/"
    n = ox.NamedNode
    triples = []
    for i, specs in enumerate([("a", "b"), ("a",), ("c",)]):
        record = n(f"https://w3id.org/credgraph/id/issuance/r{i}")
        triples.append(ox.Triple(record, n(ns_rdf_type()), n(cg + "IssuanceRecord")))
        triples += [ox.Triple(record, n(cg + "specification"), n(f"https://w3id.org/credgraph/id/spec/t/{s}")) for s in specs]
    levels = {"a": "5", "b": "5", "c": "6"}
    for spec, level in levels.items():
        iri = n(f"https://w3id.org/credgraph/id/spec/t/{spec}")
        triples.append(ox.Triple(iri, n(ns_rdf_type()), n(elm + "LearningAchievementSpecification")))
        triples.append(ox.Triple(iri, n(elm + "EQFLevel"), n(f"http://data.europa.eu/snb/eqf/{level}")))
    store.load_graph("urn:credgraph:source:two-specs", triples, Provenance("source", "t", "sha256:2"))
    table = issuance_stats(store, "eqf", k=1)
    assert {c.key.rsplit("/", 1)[-1]: c.count for c in table.cells} == {"5": 2, "6": 1}
    assert table.extra["credentials"] == 3 and "3 credentials" in table.note


def ns_rdf_type() -> str:
    return "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
