"""Annex I judged per claim: the achievements a credential is about count; activities and assessments are parts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from credgraph.cli import main
from credgraph.graph.sources import annex_i
from credgraph.graph.sources import chunk_checks
from credgraph.graph.sources import ingest
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import validation
from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS
from credgraph.graph.sources import vocab
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

CG = "https://w3id.org/credgraph/ns#"


@pytest.fixture
def mc(shared_data) -> dict:
    """The micro-credential written after the EC sample: one achievement, three activities."""
    return json.loads((shared_data / "samples" / "written-mc-annex1-unsigned.jsonld").read_text(encoding="utf-8"))


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(store="memory:", data_dir=tmp_path))
    vocab.load_shipped(w.store)
    yield w
    w.close()


def judge(doc: dict) -> annex_i.AnnexIVerdict:
    triples = jsonld.to_triples(doc, "doc")
    return annex_i.judge(validation.validate(triples, "annex-i-credential"), triples, ANNEX_I_ELEMENTS)


def claim(verdict, title: str) -> annex_i.ClaimVerdict:
    [found] = [c for c in verdict.claims if c.title == title]
    return found


def test_activities_never_make_the_main_claim_miss_anything(mc):
    verdict = judge(mc)
    main_claim = claim(verdict, "Building digital micro-credentials")
    assert (main_claim.main, main_claim.kind) == (True, "achievement")
    assert not {"M6", "M7", "M9", "M10"} & set(verdict.missing)
    assert verdict.missing == ["M8", "M11", "O1", "O4", "O5"]  # M11: the credential's own; M8 etc.: the achievement's
    for title in ("EDC building training course", "Data model webinar", "Credential design workshop"):
        part = claim(verdict, title)
        assert (part.main, part.kind) == (False, "activity")
        assert {"M6", "M9", "M10"} <= set(part.missing)  # reported on the part, named


def test_a_second_achievement_missing_outcomes_makes_the_credential_miss_them(mc):
    second = copy.deepcopy(mc["credentialSubject"]["hasClaim"][0])
    second["id"] = "urn:epass:learningAchievement:2"
    second["title"] = {"en": "Second achievement"}
    second["specifiedBy"] = dict(second["specifiedBy"], id="urn:epass:learningAchievementSpec:2", title={"en": "Second achievement"})
    del second["specifiedBy"]["learningOutcome"]
    mc["credentialSubject"]["hasClaim"].append(second)
    verdict = judge(mc)
    assert "M6" in verdict.missing and not verdict.conforms
    assert claim(verdict, "Second achievement").missing[:1] == ["M6"]
    assert "M6" not in claim(verdict, "Building digital micro-credentials").missing


def test_without_an_achievement_every_claim_is_what_the_credential_is_about(mc):
    mc["credentialSubject"]["hasClaim"] = mc["credentialSubject"]["hasClaim"][1:]  # the three activities only
    verdict = judge(mc)
    assert all(c.main for c in verdict.claims)
    assert {"M6", "M9", "M10"} <= set(verdict.missing)


def test_assessment_stated_on_the_achievement_counts_for_it(mc):
    verdict = judge(mc)
    assert {"M9", "O2", "O3"} <= set(claim(verdict, "Building digital micro-credentials").present)


def test_import_reports_per_claim_and_publishes_no_claim(ws, mc, tmp_path):
    path = tmp_path / "mc.jsonld"
    path.write_text(json.dumps(mc))
    [result] = ingest.ingest_paths(ws, [path]).documents
    assert result.status == "imported", result.problems
    assert result.compliance.missing == ["M8", "M11", "O1", "O4", "O5"]
    text = chunk_checks.compliance_text(result.compliance)
    assert 'claim "Building digital micro-credentials" (achievement) misses M8, O1, O4, O5' in text
    assert "the credential misses M11" in text
    rows = ws.store.select(
        f"SELECT ?role ?kind ?spec (GROUP_CONCAT(?e; separator=',') AS ?missing) WHERE {{ ?c a <{CG}ClaimCompliance> ; "
        f"<{CG}claimRole> ?role ; <{CG}claimKind> ?kind ; <{CG}claimSpecification> ?spec . OPTIONAL {{ ?c <{CG}missingElement> ?e }} }} "
        "GROUP BY ?role ?kind ?spec").rows
    assert sorted((r["role"].value, r["kind"].value) for r in rows) == [("main", "achievement")] + [("part", "activity")] * 3
    assert all(r["spec"].value.startswith("https://w3id.org/credgraph/id/spec/") for r in rows)
    # The claims themselves stay private: no claim IRI in the public store.
    leaks = ws.store.select("SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'urn:epass:activity') "
                            "|| CONTAINS(STR(?o), 'urn:epass:activity') || CONTAINS(STR(?s), 'urn:epass:learningAchievement:')) }").rows
    assert leaks == []


def test_require_annex_i_names_the_claim(ws, mc, tmp_path):
    second = copy.deepcopy(mc["credentialSubject"]["hasClaim"][0])
    second["id"] = "urn:epass:learningAchievement:2"
    second["title"] = {"en": "Second achievement"}
    second["specifiedBy"] = dict(second["specifiedBy"], id="urn:epass:learningAchievementSpec:2", title={"en": "Second achievement"})
    del second["specifiedBy"]["learningOutcome"]
    mc["credentialSubject"]["hasClaim"].append(second)
    path = tmp_path / "two.jsonld"
    path.write_text(json.dumps(mc))
    [result] = ingest.ingest_paths(ws, [path], IngestOptions(require=frozenset({"annex-i"}))).documents
    assert result.status == "rejected"
    assert any('not Annex I compliant' in p and 'claim "Second achievement" (achievement) misses M6' in p for p in result.problems)


def test_validate_cli_prints_each_claim(mc, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CREDGRAPH_DATA", str(tmp_path / "data"))
    path = tmp_path / "mc.jsonld"
    path.write_text(json.dumps(mc))
    main(["validate", str(path), "--profile", "annex-i-credential"])
    out = capsys.readouterr().out
    assert 'main claim "Building digital micro-credentials" (achievement): missing M8, O1, O4, O5' in out
    assert 'part claim "Data model webinar" (activity): missing M6' in out and "(a part: not counted)" in out


def test_api_validate_and_verify_report_per_claim(mc, tmp_path):
    from fastapi.testclient import TestClient

    from credgraph.api import create_app
    from credgraph.api.config import ApiSettings

    ws = Workspace(Settings(store="memory:", data_dir=tmp_path))
    vocab.load_shipped(ws.store)
    try:
        with TestClient(create_app(ws, ApiSettings(keys_file=tmp_path / "k.json", audit_log=tmp_path / "a.log"))) as client:
            body = json.dumps(mc).encode()
            answer = client.post("/api/v1/validate", content=body, headers={"Content-Type": "application/ld+json"}).json()
            verdict = answer["annex_i"]
            assert verdict["missing"] == ["M8", "M11", "O1", "O4", "O5"]
            roles = sorted((c["role"], c["kind"]) for c in verdict["claims"])
            assert roles == [("main", "achievement")] + [("part", "activity")] * 3
            verified = client.post("/api/v1/verify", content=body, headers={"Content-Type": "application/ld+json"}).json()
            assert verified["annex_i"]["missing"] == verdict["missing"]
            assert verified["verdicts"]["annex_i"] is False  # M11: no quality assurance stated
    finally:
        ws.close()
