"""``credgraph export loq``: the catalogue as Europass LOQ data, validated by the EC's LOQ-constraints profile."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox

from credgraph import vocabularies
from credgraph.cli import main
from credgraph.graph.sources import catalogue_import
from credgraph.graph.services import loq_export
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

CATALOGUE = Path(__file__).parent / "data" / "issuing" / "catalogue.csv"


def _ws(tmp_path: Path, catalogue: Path = CATALOGUE) -> Workspace:
    ws = Workspace(Settings(store="memory:", private_store="memory:", data_dir=tmp_path / "data"))
    vocab.load_shipped(ws.store)
    assert catalogue_import.ingest_catalogue(ws, catalogue).status == "imported"
    return ws


def test_micro_credentials_conform_and_report_by_shape(tmp_path):
    # Only the micro-credential row: the profile's every constraint holds.
    rows = list(csv.reader(CATALOGUE.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    micro = [r for r in rows[1:] if r[header.index("kind")] != "qualification"]
    for r in micro:
        r[header.index("part_of")] = ""
    path = tmp_path / "micro.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header] + micro)
    with _ws(tmp_path, path) as ws:
        export = loq_export.export_loq(ws.store)
    assert export.conforms, export.report_text()
    by_shape = {line.target: line for line in export.shapes}
    assert by_shape["elm:LearningAchievementSpecification"].nodes == 1
    assert by_shape["elm:LearningOpportunity"].nodes == 1
    assert by_shape["skos:Concept"].nodes >= 8  # EQF, ISCED-F, modes, language, ESCO skills...
    assert all(not line.failures for line in export.shapes)


def test_qualification_without_nqf_level_is_reported_by_shape(tmp_path):
    with _ws(tmp_path) as ws:
        export = loq_export.export_loq(ws.store)
    assert not export.conforms
    by_shape = {line.target: line for line in export.shapes}
    qualification = by_shape["elm:Qualification"]
    assert qualification.nodes == 1
    assert [(path, constraint, count) for path, constraint, count, _ in qualification.failures] == [("elm:NQFLevel", "MinCount", 1)]
    assert export.violations == 1
    # The parts are stated from the part's side only (the profile allows hasPart between qualifications only).
    has_part = ox.NamedNode(ns.ELM + "hasPart")
    is_part_of = ox.NamedNode(ns.ELM + "isPartOf")
    assert not [t for t in export.triples if t.predicate == has_part]
    assert [t for t in export.triples if t.predicate == is_part_of]
    assert "Qualification Shape (elm:Qualification): 1 node(s), 1 violation(s)" in export.report_text()


def test_cli_writes_jsonld_turtle_and_report(tmp_path, capsys):
    data = tmp_path / "data"
    main(["--data", str(data), "init"])
    capsys.readouterr()
    assert main(["--data", str(data), "export", "loq", str(tmp_path / "empty")]) == 2
    assert "no catalogue" in capsys.readouterr().err
    assert main(["--data", str(data), "import", "catalogue", str(CATALOGUE)]) == 0
    capsys.readouterr()
    out = tmp_path / "loq"
    assert main(["--data", str(data), "export", "loq", str(out)]) == 1  # one violation: the NQF level
    text = capsys.readouterr().out
    assert "loq.jsonld" in text and "LOQ-constraints: does not conform" in text
    turtle = set(ox.parse((out / "loq.ttl").read_bytes(), ox.RdfFormat.TURTLE))
    jsonld = set(ox.parse((out / "loq.jsonld").read_bytes(), ox.RdfFormat.JSON_LD))
    assert turtle == jsonld and len(turtle) > 100
    json.loads((out / "loq.jsonld").read_text(encoding="utf-8"))
    assert "elm:NQFLevel MinCount" in (out / "loq-report.txt").read_text(encoding="utf-8")


def test_shipped_profile_is_the_ecs_unchanged(shared_data):
    shipped = vocabularies.path("shapes/loq-constraints.ttl")
    assert shipped.read_bytes() == (shared_data / "elm-3.1" / "ap" / "LOQ-constraints.ttl").read_bytes()
