"""Formats credgraph does not import are refused by name (EDC XML), and a directory import says what it skipped."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from credgraph.cli import main
from credgraph.graph.sources import ingest
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import dump_lines


@pytest.fixture
def samples(shared_data) -> Path:
    return shared_data / "samples"


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(store="memory:", data_dir=tmp_path / "ws"))
    vocab.load_shipped(w.store)
    yield w
    w.close()


def test_edc_xml_is_refused_naming_the_format_and_the_rest_of_the_batch_imports(ws, samples):
    before_public, before_private = dump_lines(ws.store), dump_lines(ws.private)
    xml = samples / "EDC_WileECoyote_Simple.xml"
    summary = ingest.ingest_paths(ws, [xml])
    [result] = summary.documents
    assert result.status == "rejected"
    assert result.problems == [f"{xml}: EDC XML (ELM v2) credential: not supported; credgraph imports EDC JSON-LD "
                               "(ELM 3.x) credentials: issue it again as JSON-LD from EDC"]
    assert "JSON" not in result.problems[0].split("not supported")[0]  # never "malformed JSON"
    assert (dump_lines(ws.store), dump_lines(ws.private)) == (before_public, before_private)
    summary = ingest.ingest_paths(ws, [xml, samples / "written-mc-annex1-unsigned.jsonld"])
    assert [d.status for d in summary.documents] == ["rejected", "imported"]


def test_other_xml_is_refused_as_xml(ws, tmp_path):
    path = tmp_path / "feed.json"
    path.write_bytes(b'\xef\xbb\xbf  <?xml version="1.0"?><rss><channel/></rss>')
    [result] = ingest.ingest_paths(ws, [path]).documents
    assert result.problems == [f"{path}: an XML document: not supported; credgraph imports JSON-LD credentials (EDC ELM 3.x, Open Badges 3.0)"]


def test_directory_import_reports_skipped_files_and_counts_refused_xml(ws, samples, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(samples / "EDC_WileECoyote_Simple.xml", folder / "old.xml")
    shutil.copy(samples / "written-mc-annex1-unsigned.jsonld", folder / "mc.jsonld")
    (folder / "README.md").write_text("notes")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")
    summary = ingest.ingest_paths(ws, [folder])
    assert sorted((Path(d.name).name, d.status) for d in summary.documents) == [("mc.jsonld", "imported"), ("old.xml", "rejected")]
    assert [(Path(f).name, why.split(",")[0]) for f, why in summary.skipped] == [("README.md", "a .md file"), ("scan.pdf", "a .pdf file")]
    assert all("not a credential document" in why for _, why in summary.skipped)

    monkeypatch.setenv("CREDGRAPH_DATA", str(tmp_path / "cli"))
    code = main(["import", "credentials", str(folder), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 imported, 0 replaced, 0 unchanged, 1 rejected, 0 quarantined, 2 files skipped" in captured.out
    assert f"skipped: {folder / 'README.md'}: a .md file, not a credential document" in captured.err
    assert "EDC XML (ELM v2) credential: not supported" in captured.err
    code = main(["import", "credentials", str(folder), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["rejected"] == 1 and out["unchanged"] == 1
    assert [Path(s["file"]).name for s in out["skipped"]] == ["README.md", "scan.pdf"]


def test_zip_entries_that_are_no_documents_are_reported(ws, samples, tmp_path):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(samples / "EDC_WileECoyote_Simple.xml", "a/old.xml")
        z.write(samples / "written-ebsi-elm32-diploma.jsonld", "a/diploma.jsonld")
        z.writestr("a/notes.txt", "x")
    summary = ingest.ingest_paths(ws, [archive])
    assert sorted(d.status for d in summary.documents) == ["imported", "rejected"]
    assert [f for f, _ in summary.skipped] == [f"{archive}!a/notes.txt"]


def test_edc_upload_form_imports_as_its_unsigned_credential(ws, samples):
    """The EC publishes samples in the EDC issuer's upload form ({"credential": ...} without @context):
    read with the contexts EDC gives it, it states exactly what the unsigned JSON-LD states."""
    [unsigned] = ingest.ingest_paths(ws, [samples / "written-mc-annex1-unsigned.jsonld"]).documents
    assert unsigned.status == "imported", unsigned.problems
    def statements():  # provenance (file hash, time) aside
        return [q for q in dump_lines(ws.store) + dump_lines(ws.private) if not q.endswith(b"<urn:credgraph:meta> .")]

    before = statements()
    [upload] = ingest.ingest_paths(ws, [samples / "written-mc-annex1-upload.json"]).documents
    assert upload.status == "replaced", upload.problems
    assert statements() == before


def test_a_credential_wrapper_without_a_credential_is_refused(ws, tmp_path):
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"credential": {"id": "urn:x", "type": "Thing"}}))
    [result] = ingest.ingest_paths(ws, [path]).documents
    assert result.status == "rejected"
    assert result.problems == [f'{path}: {{"credential": ...}} holds no EuropeanDigitalCredential or VerifiableCredential']


def test_ill_formed_duration_in_a_batch_cli(samples, tmp_path, capsys, monkeypatch):
    """Bad input: one line naming file and property, exit 1, store unchanged by it, the rest of the batch imported."""
    monkeypatch.setenv("CREDGRAPH_DATA", str(tmp_path / "cli"))
    doc = json.loads((samples / "written-ebsi-elm32-diploma.jsonld").read_text())
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["maximumDuration"] = "three weeks"
    bad = tmp_path / "bad.jsonld"
    bad.write_text(json.dumps(doc))
    good = samples / "written-mc-annex1-unsigned.jsonld"
    assert main(["import", "credentials", str(good), "--quiet"]) == 0
    capsys.readouterr()
    ws = Workspace(Settings.from_env())
    try:
        before = dump_lines(ws.store), dump_lines(ws.private)
    finally:
        ws.close()
    code = main(["import", "credentials", str(bad), str(samples / "written-ob3-alignment.json"), "--quiet"])
    out = capsys.readouterr()
    assert code == 1
    lines = [line.strip() for line in out.err.splitlines() if "maximumDuration" in line]
    # The EDC context types the value xsd:duration, so it is checked as one.
    assert lines == [f'{bad}: elm:maximumDuration of <urn:epass:qualification:1>: "three weeks" is not a valid xsd:duration']
    assert "1 imported" in out.out and "1 rejected" in out.out
    ws = Workspace(Settings.from_env())
    try:
        after_public, after_private = dump_lines(ws.store), dump_lines(ws.private)
    finally:
        ws.close()
    assert not any(b"qualification" in line or b"three weeks" in line for line in set(after_public) - set(before[0]))
    assert not any(b"three weeks" in line for line in after_private)


def test_api_names_edc_xml(shared_data, tmp_path):
    from fastapi.testclient import TestClient

    from credgraph.api import create_app
    from credgraph.api.config import ApiSettings

    ws = Workspace(Settings(store="memory:", data_dir=tmp_path))
    vocab.load_shipped(ws.store)
    body = (shared_data / "samples" / "EDC_WileECoyote_Simple.xml").read_bytes()
    try:
        with TestClient(create_app(ws, ApiSettings(keys_file=tmp_path / "k.json", audit_log=tmp_path / "a.log"))) as client:
            as_json = client.post("/api/v1/verify", content=body, headers={"Content-Type": "application/json"})
            assert as_json.status_code == 422
            assert "EDC XML (ELM v2) credential: not supported" in as_json.json()["detail"]
            as_xml = client.post("/api/v1/verify", content=body, headers={"Content-Type": "application/xml"})
            assert as_xml.status_code == 415 and "EDC XML, ELM v2" in as_xml.json()["detail"]
    finally:
        ws.close()
