"""Open Badges 3.0 alignments keep their target; an ESCO target links the outcome to the skill."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from credgraph.graph.sources import badges
from credgraph.graph.sources import esco
from credgraph.graph.sources import ingest
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

SCHEMA = "https://schema.org/"
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
ELM = "http://data.europa.eu/snb/model/elm/"
SKILL = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"


@pytest.fixture
def badge(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "written-ob3-alignment.json").read_text(encoding="utf-8"))


def outcomes(doc: dict) -> dict[str, dict[str, set[str]]]:
    """Outcome title -> property -> values, from the badge's public ELM triples."""
    split = badges.split_badge(doc, jsonld.to_triples(doc, "b"), "b", b"k" * 32)
    found: dict = {}
    for t in split.public:
        if t.subject.value.startswith("https://w3id.org/credgraph/id/outcome/"):
            found.setdefault(t.subject.value, {}).setdefault(t.predicate.value, set()).add(t.object.value)
    return {next(iter(p["http://purl.org/dc/terms/title"])): p for p in found.values()}


def test_every_alignment_field_is_kept(badge):
    found = outcomes(badge)
    esco_outcome = found["manage musical staff"]
    assert esco_outcome[SCHEMA + "targetName"] == {"manage musical staff"}
    assert esco_outcome[SCHEMA + "targetUrl"] == {SKILL}
    assert esco_outcome[OB + "targetCode"] == {"0005c151-5b5a-4a66-8aac-60e734beb1ab"}
    assert esco_outcome[SCHEMA + "targetFramework"] == {"ESCO"}
    assert esco_outcome[OB + "targetType"] == {"ceasn:Competency"}
    assert esco_outcome[ELM + "relatedESCOSkill"] == {SKILL}
    other = found["Program Management"]
    assert other[SCHEMA + "targetDescription"] == {"Manage a program of related projects."}
    assert other[ELM + "relatedSkill"] == {"https://credentialfinder.org/competency/ce-cf4dee18-7cea-443a-b920-158a0762c6bf"}
    assert ELM + "relatedESCOSkill" not in other


@pytest.mark.parametrize("alignment, skill", [
    ({"targetUrl": "https://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"}, SKILL),  # https form
    ({"targetCode": "0005c151-5b5a-4a66-8aac-60e734beb1ab", "targetFramework": "ESCO v1.1"}, SKILL),  # code of the ESCO framework
    ({"targetCode": SKILL}, SKILL),
    ({"targetCode": "0005c151-5b5a-4a66-8aac-60e734beb1ab", "targetFramework": "O*NET"}, None),
    ({"targetUrl": "http://data.europa.eu/esco/skill/not-a-uuid"}, None),
    ({"targetUrl": "http://data.europa.eu/esco/occupation/0005c151-5b5a-4a66-8aac-60e734beb1ab"}, None),
])
def test_esco_targets_are_recognised_by_iri_or_framework_code(alignment, skill):
    assert badges.esco_skill(alignment) == skill


def test_imported_badge_outcome_reaches_the_esco_skill(shared_data, tmp_path, badge):
    ws = Workspace(Settings(store="memory:", data_dir=tmp_path))
    try:
        vocab.load_shipped(ws.store)
        esco.import_esco(ws.store, [shared_data / "esco" / "v1.1.1-en"])
        path = tmp_path / "badge.json"
        path.write_text(json.dumps(badge))
        [result] = ingest.ingest_paths(ws, [path]).documents
        assert result.status == "imported", result.problems
        rows = ws.store.select(
            f"SELECT ?title ?label WHERE {{ ?spec <{ELM}learningOutcome> ?o . ?o <http://purl.org/dc/terms/title> ?title ; "
            f"<{ELM}relatedESCOSkill> ?skill . ?skill <http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
            "FILTER(LANG(?label) = 'en') }").rows
        assert [(r["title"].value, r["label"].value) for r in rows] == [("manage musical staff", "manage musical staff")]
    finally:
        ws.close()
