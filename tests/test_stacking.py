"""Stacking rules on a hand-built fixture; expected answers worked out by hand.

Fixture (tests/fixtures/services/stacking.ttl): A, B, C are 5 ECTS each (A, B at
EQF 5, C at EQF 4); D is 137.5 notional hours (= 5 ECTS at 27.5 h/ECTS), EQF 6.
"""

from __future__ import annotations

from datetime import date
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.services import stacking
from credgraph.graph.services.stacking_evaluation import evaluate_rule, rule_met
from credgraph.graph.services.stacking_rules import implied_rules, load_rules
from credgraph.graph.services.stacking_rules import HeldCredential
from credgraph.graph.store.interface import Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "services"
EX = "http://example.org/spec/"
A, B, C, D = (EX + x for x in "ABCD")
CERT, BADGE, DIPLOMA, SKILLS, RECENT, BUNDLE = (EX + x for x in ("Cert", "Badge", "Diploma", "SkillsCert", "Recent", "Bundle"))
AT = date(2026, 1, 1)


def load(store, name: str, graph: str | None = None) -> None:
    data = (FIXTURES / name).read_bytes()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    store.load_graph(graph or f"urn:credgraph:source:test-{name}", triples, Provenance("source", name, "sha256:test"))


def held(*specs: str, issued: date = date(2025, 6, 1)) -> list[HeldCredential]:
    return [HeldCredential(s, issued) for s in specs]


def targets(answer) -> set[str]:
    return {r.target for r in answer.satisfied}


@pytest.fixture
def fx(store):
    load(store, "stacking.ttl")
    return store


def test_at_least_12_ects_including_a_only_the_full_set_qualifies(fx):
    # 3 x 5 ECTS: any two give 10 < 12; all three give 15 and include A.
    for size in (1, 2, 3):
        for subset in combinations((A, B, C), size):
            answer = stacking.evaluate(fx, held(*subset), at=AT)
            assert (CERT in targets(answer)) == (set(subset) == {A, B, C}), subset


def test_gap_for_a_and_b_is_two_credits_from_c(fx):
    answer = stacking.evaluate(fx, held(A, B), at=AT)
    cert = next(r for r in answer.closest if r.target == CERT)
    credits = next(c for c in cert.conditions if c.kind == "min-credits")
    assert not credits.met and credits.missing_credits == 2.0
    assert credits.missing_components == [C]
    assert "10 of 12 ECTS" in credits.explanation
    # 10/12 of the credits condition, the all-of condition met: progress (5/6 + 1) / 2
    assert cert.progress == pytest.approx((10 / 12 + 1) / 2, abs=1e-4)


def test_minimum_level_excludes_c(fx):
    # Badge: 2 of {A, B, C} at EQF 5+. C is EQF 4, so {A, C} has only one eligible.
    answer = stacking.evaluate(fx, held(A, C), at=AT)
    assert BADGE not in targets(answer)
    badge = next(r for r in answer.closest if r.target == BADGE)
    assert [e.spec for e in badge.excluded] == [C]
    assert "below the required 5" in badge.excluded[0].reason
    assert BADGE in targets(stacking.evaluate(fx, held(A, B), at=AT))


def test_required_skills_with_narrower_skill(fx):
    # Python (A) is narrower than programming; statistics from B.
    assert SKILLS in targets(stacking.evaluate(fx, held(A, B), at=AT))
    only_a = stacking.evaluate(fx, held(A), at=AT)
    rule = next(r for r in only_a.closest if r.target == SKILLS)
    assert rule.conditions[0].missing_skills == ["http://example.org/skill/statistics"]
    assert only_a.titles["http://example.org/skill/statistics"] == "statistics"


def test_span_between_components(fx):
    # Diploma: A, B, D within 2 years of each other.
    spread = [HeldCredential(A, date(2020, 1, 1)), HeldCredential(B, date(2021, 6, 1)), HeldCredential(D, date(2023, 1, 1))]
    assert DIPLOMA not in targets(stacking.evaluate(fx, spread, at=AT))
    close = spread[:2] + [HeldCredential(D, date(2021, 12, 31))]
    answer = stacking.evaluate(fx, close, at=AT)
    diploma = next(r for r in answer.satisfied if r.target == DIPLOMA)
    assert diploma.window == ("2020-01-01", "2021-12-31")
    assert diploma.pathway_title == "Data pathway"


def test_age_at_application(fx):
    # Recent: A issued within 3 years of the application date 2026-01-01.
    assert RECENT not in targets(stacking.evaluate(fx, [HeldCredential(A, date(2022, 6, 1))], at=AT))
    assert RECENT in targets(stacking.evaluate(fx, [HeldCredential(A, date(2023, 6, 1))], at=AT))
    undated = stacking.evaluate(fx, [HeldCredential(A, None)], at=AT)
    assert RECENT not in targets(undated)


def test_implied_rule_from_has_part_and_hours_as_credits(fx):
    answer = stacking.evaluate(fx, held(B, D), at=AT)
    bundle = next(r for r in answer.satisfied if r.target == BUNDLE)
    assert bundle.implied
    # D counts 137.5 h / 27.5 = 5 ECTS: B + D give 10 towards the certificate (D is not in its set).
    cert = next(r for r in answer.closest if r.target == CERT)
    assert next(c for c in cert.conditions if c.kind == "min-credits").missing_credits == 7.0


def test_learner_by_pseudonym_matches_documents(fx):
    cg = "https://w3id.org/credgraph/ns#"
    triples = []
    for n, (spec, day) in enumerate([(A, "2025-01-10"), (B, "2025-03-01"), (C, "2025-05-01")]):
        rec = ox.NamedNode(f"https://w3id.org/credgraph/id/issuance/t{n}")
        triples += [
            ox.Triple(rec, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(cg + "IssuanceRecord")),
            ox.Triple(rec, ox.NamedNode(cg + "specification"), ox.NamedNode(spec)),
            ox.Triple(rec, ox.NamedNode(cg + "learner"), ox.Literal("f00d")),
            ox.Triple(rec, ox.NamedNode(cg + "issued"), ox.Literal(day, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))),
        ]
    fx.load_graph("urn:credgraph:source:test-records", triples, Provenance("source", "records", "sha256:r"))
    by_learner = stacking.evaluate_learner(fx, "f00d", at=AT)
    docs = stacking.evaluate(fx, [HeldCredential(A, date(2025, 1, 10)), HeldCredential(B, date(2025, 3, 1)),
                                  HeldCredential(C, date(2025, 5, 1))], at=AT)
    assert targets(by_learner) == targets(docs) == {CERT, BADGE, SKILLS, RECENT}
    assert [r.target for r in by_learner.closest] == [r.target for r in docs.closest]
    with pytest.raises(ValueError, match="no issuance records"):
        stacking.evaluate_learner(fx, "nobody")


def test_what_a_specification_stacks_into(fx):
    options = {o.target: o for o in stacking.stacks_into(fx, A, at=AT).options}
    assert set(options) == {CERT, BADGE, DIPLOMA, SKILLS, RECENT}
    cert = options[CERT]
    assert [c["other_components"] for c in cert.conditions] == [[B, C], []] or \
        sorted(map(tuple, (c["other_components"] for c in cert.conditions))) == [(), (B, C)]
    assert options[DIPLOMA].pathway_title == "Data pathway"
    c_options = {o.target: o for o in stacking.stacks_into(fx, C, at=AT).options}
    assert not c_options[BADGE].counts  # EQF 4 < 5
    assert "below the required 5" in c_options[BADGE].conditions[0]["note"]
    assert c_options[CERT].counts
    d_options = {o.target for o in stacking.stacks_into(fx, D, at=AT).options}
    assert d_options == {DIPLOMA, BUNDLE}


def test_answers_are_plain_data(fx):
    answer = stacking.evaluate(fx, held(A, B), at=AT)
    data = answer.to_dict()
    assert data["application_date"] == "2026-01-01"
    assert {r["target"] for r in data["satisfied"]} == {BADGE, SKILLS, RECENT}


def test_fast_check_agrees_with_full_evaluation(fx):
    # rule_met (used to count completions) must give evaluate_rule's answer for every set.
    rules = load_rules(fx) + implied_rules(fx, [A, B, C, D])
    days = [date(2020, 1, 1), date(2021, 6, 1), date(2023, 1, 1), date(2025, 6, 1)]
    specs = [A, B, C, D]
    ctx = stacking._context(fx, rules, specs, AT)
    checked = 0
    for size in range(0, 5):
        for subset in combinations(range(4), size):
            for shift in range(3):
                held_set = [HeldCredential(specs[i], days[(i + shift) % 4]) for i in subset]
                for rule in rules:
                    assert rule_met(rule, held_set, ctx) == evaluate_rule(rule, held_set, ctx).met, (rule.iri, subset, shift)
                    checked += 1
    assert checked == 16 * 3 * len(rules)
