"""Recorded equivalences (closure) and computed similarity on a hand-built fixture.

Similarity of P1 (skills Python + statistics, EQF 6, 5 ECTS, ISCED-F 0613), weights
skills 0.5, level 0.2, workload 0.15, field 0.15, worked out by hand:
- P3 (same skills, EQF 6, 6 ECTS, 0613): 0.5 + 0.2 + 0.15 * 5/6 + 0.15 = 0.975
- P2 (same skills, EQF 5, 5 ECTS, 0613): 0.5 + 0.2 * 0.75 + 0.15 + 0.15 = 0.95
- P5 (programming, broader than Python: 0.5 one way, 1 the other, 0 for statistics
  -> 1.5 / 3; EQF 6; 137.5 h = 5 ECTS; 0612 shares 3 digits -> 0.66):
  0.5 * 0.5 + 0.2 + 0.15 + 0.15 * 0.66 = 0.699
- P4 shares no skill and no field: not a candidate. P6 has P1's provider: left out.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.services import equivalence
from credgraph.graph.store.interface import Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "services"


def load(store, name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    store.load_graph(f"urn:credgraph:source:test-{name}", triples, Provenance("source", name, "sha256:test"))

EX = "http://example.org/spec/"
P1, P2, P3, P4, P5, P6 = (EX + f"P{i}" for i in range(1, 7))


@pytest.fixture
def fx(store):
    load(store, "recognition.ttl")
    return store


def test_closure_is_symmetric_and_transitive(fx):
    answer = equivalence.recorded_equivalents(fx, P1)
    got = {e.spec: (e.strength, e.distance) for e in answer.equivalents}
    assert got == {P2: ("exact", 1), P3: ("close", 2)}
    via = next(e for e in answer.equivalents if e.spec == P3).path
    assert [(l.source, l.target, l.relation) for l in via] == [(P1, P2, "exact"), (P2, P3, "close")]
    # symmetric: from P3, P1 is reached through P2
    back = {e.spec: e.distance for e in equivalence.recorded_equivalents(fx, P3).equivalents}
    assert back == {P2: 1, P1: 2}
    assert equivalence.recorded_equivalents(fx, P4).equivalents == []


def test_similarity_ranking_and_breakdown(fx):
    answer = equivalence.most_similar(fx, P1, top=10)
    assert [(r.spec, r.score) for r in answer.results] == [(P3, 0.975), (P2, 0.95), (P5, 0.699)]
    p5 = answer.results[2]
    factors = {f.factor: f for f in p5.factors}
    assert factors["skills"].score == 0.5 and factors["skills"].contribution == 0.25
    assert factors["field"].score == 0.66
    assert factors["workload"].detail == "5 vs 5 ECTS"
    assert sum(f.contribution for f in p5.factors) == pytest.approx(p5.score)


def test_similarity_same_provider_and_top(fx):
    everyone = equivalence.most_similar(fx, P1, top=10, other_providers_only=False)
    assert everyone.results[0].spec == P6 and everyone.results[0].score == 1.0
    assert [r.spec for r in equivalence.most_similar(fx, P1, top=1).results] == [P3]
    with pytest.raises(ValueError, match="unknown specification"):
        equivalence.most_similar(fx, EX + "nope")


def test_similarity_score_equals_the_equivalence_services_score():
    import random

    from credgraph.graph.services.equivalence import covered_skills, similarity, similarity_score
    from credgraph.graph.services.specifications import SpecFacts

    rng = random.Random(7)
    skills = [f"http://data.europa.eu/esco/skill/s{i}" for i in range(12)]
    # Some skills narrower than others, so that half matches (0.5) occur.
    ancestors = {s: set(rng.sample(skills, 2)) for s in skills[:6]}
    fields = ["http://data.europa.eu/esco/isced-f/" + c for c in ("0613", "0612", "0611", "0688", "0412", "041", "0731")]

    def facts(i: int) -> SpecFacts:
        return SpecFacts(
            iri=f"https://example.org/spec/{i}", skills=set(rng.sample(skills, rng.choice([0, 1, 2, 3, 5]))),
            eqf=rng.choice([None, 4, 5, 6, 7, 8]), ects=rng.choice([None, 0.0, 2.5, 5, 6, 30]),
            hours=rng.choice([None, 25.0, 60.0, 150.0]), fields=set(rng.sample(fields, rng.choice([0, 1, 1, 2]))),
        )

    specs = [facts(i) for i in range(80)]
    codes = {f.iri: f.field_codes for f in specs}
    covered = {f.iri: covered_skills(f.skills, ancestors) for f in specs}
    pairs = [(a, b) for a in specs for b in specs if a is not b]
    assert all(similarity_score(a, b, ancestors, codes, covered) == similarity(a, b, ancestors)[0] for a, b in pairs)
    assert len({similarity(a, b, ancestors)[0] for a, b in pairs}) > 100  # the pairs vary every factor
