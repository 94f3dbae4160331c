"""Comparability reports on a hand-built fixture (tests/fixtures/services/recognition.ttl).

P1 and P2 differ only in EQF level (6 vs 5): under the default policy (any level
difference is substantial) the level element is a substantial difference and
every other element is equivalent.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.services import equivalence
from credgraph.graph.services import recognition
from credgraph.graph.namespaces import ELM
from credgraph.graph.services.recognition_policy import load_policy
from credgraph.graph.store.interface import Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "services"
EX = "http://example.org/spec/"
P1, P2, P3, P4, P5, P6 = (EX + f"P{i}" for i in range(1, 7))
RECORD = "https://w3id.org/credgraph/id/issuance/fixture1"
OTHERS = ["workload", "learning outcomes", "quality assurance", "field", "assessment type",
          "form of participation", "identity verification"]


def load(store, name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    store.load_graph(f"urn:credgraph:source:test-{name}", triples, Provenance("source", name, "sha256:test"))


@pytest.fixture
def fx(store):
    load(store, "recognition.ttl")
    return store


def test_level_only_difference_under_default_policy(fx):
    report = recognition.compare(fx, P1, P2)
    level = report.element("level")
    assert (level.subject_value, level.reference_value, level.verdict) == ("EQF 6", "EQF 5", "substantial difference")
    assert level.measure == 1
    # The default policy has no minor band for levels: the threshold says so instead of "minor if <= 0".
    assert level.threshold == ("equivalent if the number of EQF levels apart is 0; otherwise a substantial difference "
                               "(this policy has no band for a minor difference)")
    assert {e.value for e in level.evidence} == {"http://data.europa.eu/snb/eqf/6", "http://data.europa.eu/snb/eqf/5"}
    for name in OTHERS:
        assert report.element(name).verdict == "equivalent", name
    assert report.overall == "substantial difference"
    assert report.policy == "https://w3id.org/credgraph/id/policy/default"
    assert [e.element for e in report.elements] == ["level"] + OTHERS


def test_policy_passed_per_request(fx):
    lenient = load_policy(FIXTURES / "lenient-policy.ttl")
    report = recognition.compare(fx, P1, P2, lenient)
    assert report.element("level").verdict == "minor difference"
    assert report.overall == "minor difference"  # no rule for outcomes etc.: those cannot be determined
    assert report.element("learning outcomes").verdict == "cannot be determined"
    # P5's 137.5 h at this policy's 25 h/ECTS = 5.5 ECTS; vs 5: 0.5/5.5 = 0.0909 <= 0.2
    wl = recognition.compare(fx, P5, P1, lenient).element("workload")
    assert wl.subject_value.startswith("5.5 ECTS (from 137.5 h") and wl.verdict == "equivalent"


def test_workload_and_missing_values(fx):
    # 6 vs 5 ECTS: relative difference 1/6 = 0.1667: above 0.10, within 0.25 -> minor
    wl = recognition.compare(fx, P3, P1).element("workload")
    assert wl.verdict == "minor difference" and wl.measure == pytest.approx(0.1667, abs=1e-4)
    report = recognition.compare(fx, P5, P1)
    # P5 has no accreditation: default policy says substantial for the subject missing it
    assert report.element("quality assurance").verdict == "substantial difference"
    assert report.element("assessment type").verdict == "cannot be determined"
    # programming (P5) is broader than Python: it does not cover it; statistics not covered: 0 of 2
    assert report.element("learning outcomes").measure == 0.0
    # the other way: P1's Python is narrower than P5's programming: covered, 1 of 1
    assert recognition.compare(fx, P1, P5).element("learning outcomes").verdict == "equivalent"
    # field 0612 vs 0613: 3 digits shared: >= 2 -> minor
    assert report.element("field").verdict == "minor difference" and report.element("field").measure == 3


def test_credential_as_input(fx):
    report = recognition.compare(fx, RECORD, P2)
    assert report.subject == P1 and report.subject_credential == RECORD
    assert report.element("level").verdict == "substantial difference"
    with pytest.raises(ValueError, match="unknown specification or credential"):
        recognition.compare(fx, EX + "missing", P2)


def test_recorded_decision_is_a_precedent_and_an_equivalence(fx):
    first = recognition.compare(fx, P5, P6)
    assert first.precedents == []
    recorded = recognition.record_decision(fx, first, decided_by="Test ENIC", recognised=True, note="approved")
    assert recorded.graph.startswith("urn:credgraph:source:decision-")
    again = recognition.compare(fx, P5, P6)
    assert [(p.decision, p.relation, p.recognised, p.decided_by) for p in again.precedents] == [
        (recorded.decision, "same pair", True, "Test ENIC")]
    assert again.precedents[0].verdict == first.overall
    reverse = recognition.compare(fx, P6, P5)
    assert [p.relation for p in reverse.precedents] == ["same pair, reversed"]
    # P6 is not recorded as equivalent to P1; P1 = P2 is: a decision on (P5, P1) is a precedent for (P5, P2)
    recognition.record_decision(fx, recognition.compare(fx, P5, P1), decided_by="Test ENIC", recognised=True)
    relations = sorted(p.relation for p in recognition.compare(fx, P5, P2).precedents)
    assert relations == ["equivalent pair"]
    # a recognising decision joins the equivalence closure
    closure = {e.spec: e.strength for e in equivalence.recorded_equivalents(fx, P6).equivalents}
    assert closure[P5] == "recognised" and closure[P1] == "recognised"


def test_report_is_plain_data_and_policy_errors(fx, tmp_path):
    data = recognition.compare(fx, P1, P2).to_dict()
    assert data["elements"][0]["verdict"] == "substantial difference"
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix cg: <https://w3id.org/credgraph/ns#> . <x:p> a cg:RecognitionPolicy ; cg:policyRule <x:r> . "
                   "<x:r> cg:element cg:Level ; cg:equivalentAtMost \"zero\" .")
    with pytest.raises(ValueError, match="bad.ttl.*not a number"):
        load_policy(bad)
    (tmp_path / "none.ttl").write_text("<x:a> <x:b> <x:c> .")
    with pytest.raises(ValueError, match="exactly one"):
        load_policy(tmp_path / "none.ttl")
    (tmp_path / "broken.ttl").write_text("<x:a> <x:b> .")
    with pytest.raises(ValueError, match="not valid Turtle"):
        load_policy(tmp_path / "broken.ttl")


def _cli_store(store, tmp_path) -> str:
    """The --store for the CLI: the remote server itself, or a fresh on-disk embedded store."""
    return store.location if store.location.startswith("http") else str(tmp_path / "store")


def test_cli_import_compare_equivalent_stack_stats(store, tmp_path, capsys):
    import json

    from credgraph.cli import main

    where = ["--data", str(tmp_path / "data"), "--store", _cli_store(store, tmp_path)]
    assert main(where + ["import", "rules", str(FIXTURES / "recognition.ttl"), str(FIXTURES / "stacking.ttl")]) == 0
    assert "loaded" in capsys.readouterr().out
    assert main(where + ["compare", P1, P2, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"] == "substantial difference" and report["elements"][0]["verdict"] == "substantial difference"
    assert main(where + ["compare", P1, P2, "--policy", str(FIXTURES / "lenient-policy.ttl"), "--record", "--decided-by", "CLI test"]) == 0
    text = capsys.readouterr().out
    assert "level: MINOR DIFFERENCE" in text and "Recorded decision" in text
    assert main(where + ["compare", P1, P2]) == 0
    assert "CLI test: recognised (minor difference; same pair)" in capsys.readouterr().out
    assert main(where + ["equivalent", P1, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["spec"] for r in data["similar"]["results"]][:2] == [P3, P2]
    assert main(where + ["stack", "held", "http://example.org/spec/A@2025-01-01", "http://example.org/spec/B@2025-02-01", "--at", "2026-01-01"]) == 0
    assert "Data Badge" in capsys.readouterr().out
    # Learner counts read the research store (docs/privacy.md); the record this fixture loads as
    # rules into the public store is no learner's there, so nothing is counted.
    assert main(where + ["stats", "issuance", "--by", "learners", "--k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == []
    assert main(where + ["stack", "held", "http://example.org/spec/A@2025-13-01"]) == 2
    assert "is not a date" in capsys.readouterr().err


def test_cli_rejects_bad_rules_file_whole(store, tmp_path, capsys):
    from credgraph.cli import main

    bad = tmp_path / "rules.ttl"
    bad.write_text("@prefix cg: <https://w3id.org/credgraph/ns#> .\n"
                   "<http://example.org/r1> a cg:StackingRule ; cg:target <http://example.org/T> ;\n"
                   "  cg:condition [ a cg:AtLeast ; cg:component <http://example.org/A> ] .\n")
    where = ["--data", str(tmp_path / "data"), "--store", _cli_store(store, tmp_path)]
    assert main(where + ["import", "rules", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "rules.ttl: a condition of http://example.org/r1: cg:AtLeast without cg:minCount" in err
    assert main(where + ["graphs"]) == 0
    assert "rules-" not in capsys.readouterr().out


def test_report_speaks_in_labels_and_thresholds_that_read(fx):
    from credgraph.graph.sources import vocab

    assert recognition.compare(fx, P3, P1).element("field").subject_value == "ISCED-F 0613"  # no labels loaded
    vocab.load_shipped(fx, ["isced-f"])
    report = recognition.compare(fx, P3, P1)
    workload = report.element("workload")
    assert workload.threshold == ("equivalent if the difference of the workloads (share of the larger) is at most 10 %; "
                                  "a minor difference if at most 25 %; otherwise a substantial difference")
    assert workload.rule.endswith("16.6667 %")
    field = report.element("field")
    # The field by its ISCED-F name, the code beside it (not the bare code "0613").
    assert field.subject_value == field.reference_value == "software and applications development and analysis (0613)"
    outcomes = report.element("learning outcomes")
    assert "at least 80 %; a minor difference if at least 50 %" in outcomes.threshold


def test_evidence_cites_only_properties_of_the_elm_model(fx):
    from credgraph import vocabularies

    model = {t.value for tr in ox.parse(vocabularies.read_bytes("elm.ttl"), ox.RdfFormat.TURTLE)
             for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, ox.NamedNode)}
    cited, via = set(), set()
    for pair in ((P1, P2), (P5, P1), (P1, P6)):
        for element in recognition.compare(fx, *pair).elements:
            for ev in element.evidence:
                cited.add(ev.property)
                if ev.via:
                    via.add((element.element, ev.via, ev.property))
    assert cited and cited | {v for _, v, _ in via} <= model, sorted(cited - model)
    # A value of the node a specification points to names both steps, each a real property (not ".../provenBy/dc:type").
    assert ("assessment type", ELM + "provenBy", "http://purl.org/dc/terms/type") in via


def test_a_precedent_with_another_verdict_says_what_changed(fx):
    lenient = load_policy(FIXTURES / "lenient-policy.ttl")
    then = recognition.compare(fx, P1, P2, lenient)
    assert then.overall == "minor difference"
    recognition.record_decision(fx, then, decided_by="Test ENIC", recognised=True)
    now = recognition.compare(fx, P1, P2)  # the default policy: a level apart is substantial
    [precedent] = now.precedents
    assert (precedent.verdict, now.overall) == ("minor difference", "substantial difference")
    why = " | ".join(precedent.differences)
    assert "another policy" in why and lenient.iri in why
    assert "level: the same values (EQF 6 against EQF 5), minor difference then and substantial difference now" in why
    # The same verdict today: nothing to explain.
    recognition.record_decision(fx, now, decided_by="Test ENIC", recognised=False)
    same = [p for p in recognition.compare(fx, P1, P2).precedents if p.verdict == "substantial difference"]
    assert same and all(p.differences == [] for p in same)


def test_a_precedent_made_on_other_data_says_the_data_changed(fx):
    first = recognition.compare(fx, P3, P1)  # 6 ECTS against 5: a minor difference in workload
    recognition.record_decision(fx, first, decided_by="Test ENIC", recognised=True)
    # The subject is re-described at 12 ECTS: the workload is now substantially different.
    twelve = [ox.Triple(ox.NamedNode(P3), ox.NamedNode(ELM + "creditPoint"), ox.BlankNode("cp12"))]
    twelve += [ox.Triple(ox.BlankNode("cp12"), ox.NamedNode(ELM + "point"), ox.Literal("12"))]
    data = (FIXTURES / "recognition.ttl").read_bytes()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.TURTLE)
               if not (q.subject == ox.NamedNode(P3) and q.predicate.value.endswith("creditPoint"))]
    fx.load_graph("urn:credgraph:source:test-recognition.ttl", triples + twelve, Provenance("source", "recognition.ttl", "sha256:v2"))
    now = recognition.compare(fx, P3, P1)
    assert now.element("workload").verdict == "substantial difference"
    [precedent] = [p for p in now.precedents if p.relation == "same pair"]
    assert any(d.startswith("workload: the data changed: then 6 ECTS against 5 ECTS (minor difference), "
                            "now 12 ECTS against 5 ECTS (substantial difference)") for d in precedent.differences), precedent.differences
