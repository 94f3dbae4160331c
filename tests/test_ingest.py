"""The ingest pipeline and its CLI: EC samples, privacy in the store, bad input, atomicity, re-import."""

from __future__ import annotations

import copy
import json
import uuid
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph import queries
from credgraph.cli import main
from credgraph.graph.sources import chunk_writing
from credgraph.graph.sources import document_reading
from credgraph.graph.sources import document_steps
from credgraph.graph.sources import ingest
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.store.interface import StoreError
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import dump_lines

CRED_ID = "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"
PERSONAL = ["Ana", "Andromeda", "1999-10-01", "LA-234218", "97168A", "ana.andromeda", "Calle Iglesia",
            "urn:epass:person:1", CRED_ID]
VOCABS = ["learning-assessment", "credential", "education-credit", "eqf", "assessment", "learning-setting"]


@pytest.fixture
def samples(shared_data) -> Path:
    return shared_data / "samples"


def make_ws(store, tmp_path, **settings) -> Workspace:
    ws = Workspace(Settings(store="memory:", data_dir=tmp_path, **settings), store=store)  # the public store under test (embedded or oxigraph serve)
    vocab.load_shipped(store, VOCABS)
    return ws


@pytest.fixture
def ws(store, tmp_path):
    w = make_ws(store, tmp_path)
    yield w
    w.close()


def variant(doc: dict, i: int) -> dict:
    """The EC sample with another credential id and another learner."""
    d = copy.deepcopy(doc)
    d["id"] = f"urn:credential:{uuid.UUID(int=i)}"
    s = d["credentialSubject"]
    s["givenName"] = {"en": f"Learner{i}"}
    s["familyName"] = {"en": f"Family{i}"}
    s["fullName"] = {"en": f"Learner{i} Family{i}"}
    s["nationalID"]["notation"] = f"NID-{i:06d}"
    return d


def run(ws, docs: list[tuple[str, bytes]], **options) -> ingest.IngestSummary:
    opts = IngestOptions(max_document_bytes=ws.settings.max_document_bytes, **options)
    return ingest.ingest_documents(ws, [SourceDocument(n, d) for n, d in docs], opts)


# -- the EC samples -------------------------------------------------------------


def test_ec_signed_sample_imports_with_valid_seal_and_unknown_trust(ws, samples, monkeypatch):
    monkeypatch.delenv("CREDGRAPH_TRUST_ANCHORS", raising=False)
    summary = ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-signed.jsonld"])
    [result] = summary.documents
    assert result.status == "imported", result.problems
    assert result.seal.status == "valid" and result.seal.chain_trust == "unknown"
    source = ns.source_graph(result.source_id)
    rows = ws.store.select(
        "PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT ?status ?trust ?issued ?country WHERE { GRAPH ?g {"
        " ?r a cg:IssuanceRecord ; cg:seal ?s ; cg:issued ?issued ; cg:issuerCountry ?country ."
        " ?s cg:sealStatus ?status ; cg:chainTrust ?trust } }", default_graphs=None, named_graphs=[source]).rows
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"].value, row["trust"].value) == ("valid", "unknown")
    assert row["issued"] == ox.Literal("2023-09-27", datatype=ox.NamedNode(ns.XSD + "date"))
    assert row["country"] == ox.NamedNode("http://publications.europa.eu/resource/authority/country/BEL")
    assert ws.private.graph_hash(ns.private_graph(result.source_id)) is not None
    # The learner's pseudonym is in the research store only (docs/privacy.md).
    learner = "PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT ?learner WHERE { ?r cg:learner ?learner }"
    assert ws.store.select(learner).rows == []
    [found] = ws.research.select(learner).rows
    assert len(found["learner"].value) == 64


def test_no_personal_data_reachable_in_public_store(ws, samples):
    ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-signed.jsonld", samples / "ob3-basicOpenBadgeCredential.json"])
    public = b"\n".join(dump_lines(ws.store)).decode()
    for value in PERSONAL + ["did:example:ebfeb1f712ebc6f1c276e12ec21", "http://example.com/credentials/3527"]:
        assert value not in public, value
    assert ws.store.ask(
        "ASK { ?p a <http://data.europa.eu/snb/model/elm/Person> }") is False
    private = b"\n".join(dump_lines(ws.private)).decode()
    assert all(value in private for value in PERSONAL)


def test_unsigned_sample_missing_annex_i_elements_are_reported(ws, samples):
    summary = ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-unsigned.jsonld"])
    [result] = summary.documents
    assert result.status == "imported", result.problems
    compliance = result.compliance
    assert compliance.profile == "annex-i-credential" and compliance.conforms is False
    assert compliance.missing and all(e[0] in "MO" and e[1:].isdigit() for e in compliance.missing + compliance.present)
    # A certificate of participation: no EQF level, no assessment, no quality assurance.
    assert {"M8", "M9", "M11"} <= set(compliance.missing)
    assert "M2" in compliance.present
    rows = ws.store.select(
        "PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT ?m WHERE { ?r cg:compliance ?c . ?c cg:missingElement ?m }").rows
    assert {r["m"].value for r in rows} == set(compliance.missing)


def test_require_annex_i_rejects_the_unsigned_sample(ws, samples):
    before = dump_lines(ws.store), dump_lines(ws.private)
    summary = ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-unsigned.jsonld"], IngestOptions(require=frozenset({"annex-i"})))
    [result] = summary.documents
    assert result.status == "rejected" and "not Annex I compliant" in result.problems[-1] and "M9" in result.problems[-1]
    assert (dump_lines(ws.store), dump_lines(ws.private)) == before


def test_open_badge_imports_as_issued_credential(ws, samples):
    [result] = ingest.ingest_paths(ws, [samples / "ob3-basicOpenBadgeCredential.json"], IngestOptions(kind="badge")).documents
    assert result.status == "imported" and result.source_id.startswith("badge-")
    rows = ws.store.select(
        "PREFIX cg: <https://w3id.org/credgraph/ns#> PREFIX dct: <http://purl.org/dc/terms/> "
        "SELECT ?title WHERE { ?r a cg:IssuanceRecord ; cg:specification ?s . "
        "?s a <http://data.europa.eu/snb/model/elm/LearningAchievementSpecification> ; dct:title ?title }").rows
    assert [r["title"].value for r in rows] == ["Teamwork"]


def test_badges_command_rejects_other_documents(ws, samples):
    [result] = ingest.ingest_paths(ws, [samples / "credential-sample.jsonld"], IngestOptions(kind="badge")).documents
    assert result.status == "rejected" and "not an Open Badges 3.0" in result.problems[0]


# -- re-import, replace, delete ----------------------------------------------------


def test_reimport_is_a_noop_and_changed_content_replaces(ws, samples):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    data = json.dumps(doc).encode()
    assert run(ws, [("a.jsonld", data)]).documents[0].status == "imported"
    before = dump_lines(ws.store), dump_lines(ws.private)
    assert run(ws, [("a.jsonld", data)]).documents[0].status == "unchanged"
    assert (dump_lines(ws.store), dump_lines(ws.private)) == before
    changed = copy.deepcopy(doc)
    changed["credentialSubject"]["hasClaim"]["specifiedBy"]["title"] = {"en": "EDC Webinar, second edition"}
    [result] = run(ws, [("a.jsonld", json.dumps(changed).encode())]).documents
    assert result.status == "replaced"
    titles = {r["t"].value for r in ws.store.select(
        "SELECT ?t WHERE { ?s a <http://data.europa.eu/snb/model/elm/LearningActivitySpecification> ; <http://purl.org/dc/terms/title> ?t }").rows}
    assert titles == {"EDC Webinar, second edition"}
    # One credential graph (its issuance record) and one shared description
    # graph: the description of the first edition went with it.
    sources = sorted(g.name.split(":")[-1].split("-")[0] for g in ws.store.graphs() if g.kind == "source")
    assert sources == ["cred", "desc"]


def test_delete_removes_public_and_private(ws, samples):
    [result] = ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-signed.jsonld"]).documents
    removed = ingest.delete_source(ws, result.source_id)
    assert ns.source_graph(result.source_id) in removed and ns.private_graph(result.source_id) in removed
    assert not [g for g in ws.store.graphs() if g.kind == "source"]
    assert not ws.private.graphs()
    with pytest.raises(ValueError, match="not a source id"):
        ingest.delete_source(ws, "urn:credgraph:source:x")


def test_batch_of_variants_in_several_chunks(ws, samples):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    docs = [(f"v{i}.jsonld", json.dumps(variant(doc, i)).encode()) for i in range(7)]
    summary = run(ws, docs, chunk_size=3)
    assert summary.count("imported") == 7, [r.problems for r in summary.documents]
    learners = ws.research.select(  # learner pseudonyms: research store only (docs/privacy.md)
        "PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT (COUNT(DISTINCT ?l) AS ?n) (COUNT(?r) AS ?records) "
        "(COUNT(DISTINCT ?s) AS ?specs) WHERE { ?r cg:learner ?l ; cg:specification ?s }").rows[0]
    assert (int(learners["n"].value), int(learners["records"].value), int(learners["specs"].value)) == (7, 7, 1)
    assert run(ws, docs, chunk_size=3).count("unchanged") == 7


def test_public_write_failure_leaves_private_store_as_it_was(ws, samples, monkeypatch):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    first = json.dumps(variant(doc, 1)).encode()
    run(ws, [("one.jsonld", first)])
    before = dump_lines(ws.store), dump_lines(ws.private)
    changed = variant(doc, 1)
    changed["credentialSubject"]["givenName"] = {"en": "Renamed"}
    new = json.dumps(variant(doc, 2)).encode()

    def broken(*args, **kwargs):
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr(ws.store, "replace_graphs", broken)
    with pytest.raises(StoreError, match="disk full"):
        run(ws, [("one.jsonld", json.dumps(changed).encode()), ("two.jsonld", new)])
    monkeypatch.undo()
    assert (dump_lines(ws.store), dump_lines(ws.private)) == before


def test_a_failed_chunk_write_stops_the_import_with_nothing_after_it_written(ws, samples, monkeypatch):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    docs = [(f"f{i}.jsonld", json.dumps(variant(doc, i)).encode()) for i in range(4)]
    before = dump_lines(ws.store), dump_lines(ws.private), dump_lines(ws.research)
    write = chunk_writing._write_slice

    def failing(w, batch, timer):
        raise StoreError("disk full (simulated)")

    calls = []
    monkeypatch.setattr(chunk_writing, "_write_slice", lambda w, b, t: (calls.append(len(b)), failing(w, b, t)))
    opts = IngestOptions(max_document_bytes=ws.settings.max_document_bytes, chunk_size=2)
    with pytest.raises(StoreError, match="disk full"):
        ingest.ingest_documents(ws, [SourceDocument(n, d) for n, d in docs], opts)
    assert calls == [2]  # the chunk after the failed one is never written
    monkeypatch.setattr(chunk_writing, "_write_slice", write)
    assert (dump_lines(ws.store), dump_lines(ws.private), dump_lines(ws.research)) == before


# -- bad input: clear error naming the document, store unchanged --------------------------


def _bad_documents(samples: Path, tmp_path: Path, limit: int = 10**6) -> dict[str, tuple[Path, str]]:
    unsigned = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    signed = (samples / "Sample-CertOfPart-signed.jsonld").read_bytes()
    cases: dict[str, tuple[bytes | None, str]] = {}
    cases["malformed.json"] = (b'{"@context": ["https://www.w3.org/2018/credentials/v1"],, "id": 1}', "malformed JSON")
    d = copy.deepcopy(unsigned)
    d["@context"] = ["https://www.w3.org/2018/credentials/v1", "https://example.org/unknown-context.jsonld"]
    cases["remote-context.jsonld"] = (json.dumps(d).encode(), "https://example.org/unknown-context.jsonld")
    d = copy.deepcopy(unsigned)
    d["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"] = {
        "id": "urn:epass:creditPoint:1", "type": "CreditPoint", "point": "five",
        "framework": {"id": "http://data.europa.eu/snb/education-credit/6fcec5c5af", "type": "Concept"}}
    cases["ects-five.jsonld"] = (json.dumps(d).encode(), "(elm:point) is not a number")
    d = copy.deepcopy(unsigned)
    d["validFrom"] = "2024-13-45T10:00:00Z"
    cases["bad-date.jsonld"] = (json.dumps(d).encode(), "2024-13-45")
    d = copy.deepcopy(unsigned)
    d["credentialSubject"]["hasClaim"]["specifiedBy"]["mode"]["id"] = "http://data.europa.eu/snb/learning-assessment/0000000000"
    cases["unknown-concept.jsonld"] = (json.dumps(d).encode(), "unknown concept http://data.europa.eu/snb/learning-assessment/0000000000")
    cases["big.jsonld"] = (b" " * limit + json.dumps(unsigned).encode(), "over the document size limit")
    cases["deep.json"] = (b'{"@context": ' + b"[" * 3000 + b"]" * 3000 + b"}", "nested too deeply")
    cases["latin1.jsonld"] = ('{"title": "Universit\u00e4t"}'.encode("latin-1"), "not UTF-8")
    cases["truncated-signed.jsonld"] = (signed[: len(signed) // 2], "truncated JSON")
    tampered = json.loads(signed)
    tampered["payload"] = tampered["payload"].replace("EDC Updates Webinar", "EDC Updates Webinar (forged)")
    cases["tampered-signed.jsonld"] = (json.dumps(tampered).encode(), "seal invalid")
    out = {}
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        out[name] = (path, expected)
    zpath = tmp_path / "traversal.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("good.jsonld", json.dumps(variant(unsigned, 5)))
        z.writestr("../../etc/evil.jsonld", json.dumps(variant(unsigned, 6)))
    out["traversal.zip"] = (zpath, "path traversal")
    return out


BAD_CASES = ["malformed.json", "remote-context.jsonld", "ects-five.jsonld", "bad-date.jsonld", "unknown-concept.jsonld",
             "big.jsonld", "deep.json", "latin1.jsonld", "truncated-signed.jsonld", "tampered-signed.jsonld", "traversal.zip"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_rejected_by_name_and_store_unchanged(store, tmp_path, samples, case):
    limit = len((samples / "Sample-CertOfPart-signed.jsonld").read_bytes()) + 3000
    ws = make_ws(store, tmp_path, max_document_bytes=limit)
    try:
        ingest.ingest_paths(ws, [samples / "credential-sample.jsonld"])  # something already stored
        path, expected = _bad_documents(samples, tmp_path, limit)[case]
        before = dump_lines(ws.store), dump_lines(ws.private)
        summary = ingest.ingest_paths(ws, [path], IngestOptions(max_document_bytes=limit))
        assert summary.count("imported", "replaced", "unchanged") == 0
        [result] = summary.documents
        assert result.status == "rejected"
        message = " ".join(result.problems)
        assert case in message and expected in message, message
        assert (dump_lines(ws.store), dump_lines(ws.private)) == before
        for value in PERSONAL:
            assert value not in message
    finally:
        ws.close()


def test_quarantine_keeps_rejected_document_in_private_store_only(ws, samples, tmp_path):
    path, _ = _bad_documents(samples, tmp_path)["ects-five.jsonld"]
    public_before = dump_lines(ws.store)
    [result] = ingest.ingest_paths(ws, [path], IngestOptions(quarantine=True)).documents
    assert result.status == "quarantined"
    assert dump_lines(ws.store) == public_before
    graph = ns.quarantine_graph(result.source_id)
    assert [g.kind for g in ws.private.graphs() if g.name == graph] == ["quarantine"]
    comments = ws.private.select(
        "SELECT ?c WHERE { GRAPH ?g { ?r <http://www.w3.org/2000/01/rdf-schema#comment> ?c } }", named_graphs=[graph]).rows
    assert any("is not a number" in r["c"].value for r in comments)


def test_unparseable_document_is_quarantined_as_text(ws, tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"id": "urn:x", ')
    [result] = ingest.ingest_paths(ws, [path], IngestOptions(quarantine=True)).documents
    assert result.status == "quarantined"
    assert any(g.kind == "quarantine" for g in ws.private.graphs())


def test_zip_and_directory_sources(ws, samples, tmp_path):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    folder = tmp_path / "issued"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonld").write_text(json.dumps(variant(doc, 1)))
    (folder / "sub" / "b.json").write_text(json.dumps(variant(doc, 2)))
    (folder / "notes.txt").write_text("not a credential")
    with zipfile.ZipFile(folder / "batch.zip", "w") as z:
        z.writestr("c.jsonld", json.dumps(variant(doc, 3)))
        z.writestr("dir/d.jsonld", json.dumps(variant(doc, 4)))
    summary = ingest.ingest_paths(ws, [folder])
    assert sorted(Path(r.name.split("!")[-1]).name for r in summary.documents) == ["a.jsonld", "b.json", "c.jsonld", "d.jsonld"]
    assert summary.count("imported") == 4


def test_unsafe_zip_entry_names():
    for name in ("../x.json", "/etc/x.json", "a/../../x.json", "C:\\x.json", "..\\x.json"):
        assert document_reading.unsafe_zip_entry(name), name
    assert not document_reading.unsafe_zip_entry("dir/x..json")


def test_trust_anchor_file_from_environment_is_used(store, samples, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from test_seal import make_cert  # a CA unrelated to the EC sample's seal

    ca, _ = make_cert("Unrelated CA", ca=True)
    pem = tmp_path / "anchors.pem"
    pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    # Read from the environment into the settings (credgraph.settings), which the workspace passes on.
    anchors = Settings.from_env({"CREDGRAPH_TRUST_ANCHORS": str(pem)}).trust_anchors
    ws = make_ws(store, tmp_path, trust_anchors=anchors)
    [result] = ingest.ingest_paths(ws, [samples / "Sample-CertOfPart-signed.jsonld"]).documents
    assert (result.seal.status, result.seal.chain_trust) == ("valid", "untrusted")


def test_pseudonym_key_file_is_private(ws, samples, tmp_path):
    ingest.ingest_paths(ws, [samples / "ob3-basicOpenBadgeCredential.json"])
    key = tmp_path / "pseudonym.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600


# -- CLI ---------------------------------------------------------------------------


def test_cli_import_validate_delete(tmp_path, samples, capsys, monkeypatch):
    monkeypatch.delenv("CREDGRAPH_TRUST_ANCHORS", raising=False)
    data = ["--data", str(tmp_path / "data")]
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    status = main(data + ["import", "credentials", str(samples / "Sample-CertOfPart-signed.jsonld"), str(bad), "--quiet"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "seal valid, chain trust unknown" in out
    assert "1 imported, 0 replaced, 0 unchanged, 1 rejected" in out
    assert "bad.json: truncated JSON" in err
    assert main(data + ["import", "credentials", str(samples / "Sample-CertOfPart-signed.jsonld"), "--quiet"]) == 0
    assert "0 imported, 0 replaced, 1 unchanged" in capsys.readouterr().out

    assert main(data + ["validate", str(samples / "Sample-CertOfPart-unsigned.jsonld"), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["document"].endswith("Sample-CertOfPart-unsigned.jsonld")
    assert set(report[0]["reports"]) == {"storable-credential", "annex-i-credential"}
    main(data + ["validate", str(samples / "Sample-CertOfPart-unsigned.jsonld")])
    text = capsys.readouterr().out
    assert "annex-i-credential: does not conform" in text and "missing:" in text and "M9" in text
    for value in ["Andromeda", "LA-234218", "1999-10-01"]:
        assert value not in text

    source_id = [line.split()[1] for line in out.splitlines() if line.strip().startswith("imported")][0]
    assert main(data + ["delete", source_id]) == 0
    assert f"removed urn:credgraph:source:{source_id}" in capsys.readouterr().out
    assert main(data + ["delete", source_id]) == 1


def test_cli_import_catalogue(tmp_path, capsys):
    example = Path(queries.__file__).resolve().parents[1] / "vocabularies" / "examples" / "catalogue-example.csv"
    # The header and the first row (its skills are given by IRI, so no ESCO import is needed).
    lines = example.read_text(encoding="utf-8").splitlines()[:2]
    csv_file = tmp_path / "courses.csv"
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = ["--data", str(tmp_path / "data")]
    main(data + ["init"])
    capsys.readouterr()
    assert main(data + ["import", "catalogue", str(csv_file)]) == 0, capsys.readouterr().err
    assert "imported" in capsys.readouterr().out
    assert main(data + ["import", "catalogue", str(csv_file)]) == 0
    assert "unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("id,provider_name\nx,y\n")
    assert main(data + ["import", "catalogue", str(bad)]) == 1
    assert "bad.csv" in capsys.readouterr().err


def test_validate_documents_checks_without_storing(ws, samples, tmp_path):
    cases = _bad_documents(samples, tmp_path)
    before = dump_lines(ws.store), dump_lines(ws.private)
    outcomes = ingest.validate_documents(
        ws, document_reading.iter_documents([cases["unknown-concept.jsonld"][0], samples / "Sample-CertOfPart-unsigned.jsonld"], 10**7),
        ["storable-credential", "annex-i-credential"])
    assert [Path(o.name).name for o in outcomes] == ["unknown-concept.jsonld", "Sample-CertOfPart-unsigned.jsonld"]
    assert any("unknown concept" in p for p in outcomes[0].problems)
    assert not outcomes[1].problems
    assert "M9" in outcomes[1].reports["annex-i-credential"].elements_missing()
    assert (dump_lines(ws.store), dump_lines(ws.private)) == before


def test_elm_32_credential_with_vc_v2_context_imports(ws, samples):
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    doc["@context"] = ["https://www.w3.org/ns/credentials/v2", "http://data.europa.eu/snb/model/context/edc-ap"]
    [result] = run(ws, [("elm32.jsonld", json.dumps(doc).encode())]).documents
    assert result.status == "imported", result.problems
    assert result.compliance.present and "M2" in result.compliance.present
    # Private graphs are never merged: ask them by GRAPH.
    assert ws.private.ask("ASK { GRAPH ?g { ?p <http://data.europa.eu/snb/model/elm/nationalId> ?id } }")


def test_tampered_sealed_credential_is_recorded_invalid_in_quarantine(ws, samples, tmp_path):
    path, _ = _bad_documents(samples, tmp_path)["tampered-signed.jsonld"]
    public_before = dump_lines(ws.store)
    [result] = ingest.ingest_paths(ws, [path], IngestOptions(quarantine=True)).documents
    assert result.status == "quarantined" and result.seal.status == "invalid"
    assert dump_lines(ws.store) == public_before
    rows = ws.private.select(
        "PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT ?status WHERE { GRAPH ?g { ?s cg:sealStatus ?status } }").rows
    assert [r["status"].value for r in rows] == ["invalid"]


def test_shared_descriptions_are_stored_once(ws, samples):
    """Many credentials awarding one specification: its description is stored once, so counts over the union are right."""
    doc = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    documents = []
    for i in range(3):
        variant = copy.deepcopy(doc)
        variant["id"] = f"urn:credential:variant-{i}"
        documents.append((f"c{i}.jsonld", json.dumps(variant).encode()))
    summary = run(ws, documents)
    assert [d.status for d in summary.documents] == ["imported"] * 3
    kinds = sorted(g.name.split(":")[-1].split("-")[0] for g in ws.store.graphs() if g.kind == "source")
    assert kinds == ["cred", "cred", "cred", "desc"]
    rows = ws.store.select(
        "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?r) AS ?records) WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> ; "
        "<https://w3id.org/credgraph/ns#specification> ?s . ?s <http://purl.org/dc/terms/title> ?t }"
    ).rows[0]
    assert int(rows["n"].value) == int(rows["records"].value) == 3
    # Deleting one credential keeps the description the others still use; deleting all drops it.
    for result in summary.documents:
        ingest.delete_source(ws, result.source_id)
    assert [g for g in ws.store.graphs() if g.kind == "source"] == []


@pytest.mark.parametrize("guess", ["right", "wrong"])
def test_private_graph_holds_exactly_the_documents_statements(ws, samples, monkeypatch, guess):
    # Statements are made as quads of the expected private graph when the
    # credential's id is known early; a wrong guess must not leak anywhere.
    if guess == "wrong":
        wrong = ox.NamedNode("urn:credgraph:private:cred-0000000000000000")
        monkeypatch.setattr(document_steps, "_expected_private_graph", lambda document, is_badge, key: wrong)
    base = json.loads((samples / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    docs = [(f"{i}.jsonld", json.dumps(variant(base, i)).encode()) for i in (1, 2)]
    summary = run(ws, docs)
    assert summary.count("imported") == 2
    for name, data in docs:
        result = next(d for d in summary.documents if d.name == name)
        graph = ox.NamedNode(f"urn:credgraph:private:{result.source_id}")
        stored = [q for q in ws.private.quads() if q.graph_name == graph]
        # What writing the document's triples the plain way stores (Oxigraph normalises some datatypes).
        plain_store = ox.Store()
        plain_store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in jsonld.to_triples(json.loads(data), name))
        expected = list(plain_store)
        assert len(stored) == len(expected)
        counted = {g.name: g.triples for g in ws.private.graphs()}
        assert counted[graph.value] == len(expected)  # the provenance counts what was stored
        named = lambda quads: {str(q) for q in quads if not any(isinstance(x, ox.BlankNode) for x in (q.subject, q.object))}  # noqa: E731
        assert named(stored) == named(expected)
    graphs = {q.graph_name.value for q in ws.private.quads()}
    assert all(g.startswith("urn:credgraph:private:cred-") or g == "urn:credgraph:meta" for g in graphs)
    assert len(graphs - {"urn:credgraph:meta"}) == 2
    assert "urn:credgraph:private:cred-0000000000000000" not in graphs
