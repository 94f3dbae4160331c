"""Issuing sealed European Digital Credentials from the catalogue (``credgraph issue``).

Keys and certificates are made fresh per test (``throwaway_pki``); nothing
private is committed. Every sealed credential is checked three ways: by
credgraph's own verifier (``graph/sources/seal.py``), by an independent check written
here with raw ``cryptography`` (RFC 7515/7797 signing input, the x5c leaf's
public key), and by a one-byte tamper that both must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyoxigraph as ox
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from credgraph import queries
from credgraph.cli import main
from credgraph.graph.sources import catalogue_import
from credgraph.graph.sources import ingest
from credgraph.graph.issuing import batch as issue_batch
from credgraph.graph.issuing import credential as issuing
from credgraph.graph.sources import jsonld
from credgraph.graph.issuing import learners_csv
from credgraph.graph.sources import seal
from credgraph.graph.issuing import sealing
from credgraph.graph.services import specifications
from credgraph.graph.sources import validation
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from throwaway_pki import make_pki, new_key

from conftest import dump_lines

DATA = Path(__file__).parent / "data" / "issuing"
SPEC = "cf-sierra-clara/SC-101"
SPEC_IRI = ns.CG_ID + "spec/cf-sierra-clara/SC-101"
LEARNERS = (
    "learner_id,given_name,family_name,date_of_birth,email,national_id,national_id_country,grade,date_of_award\n"
    "S-001,Ana,Andromeda,1999-10-01,ana.andromeda@example.org,LA-234218,IT,A,2025-06-01\n"
    "S-002,Bogdan,Berg,,,,,,2025-06-02\n"
    "S-003,Chiara,Corvo,2001-02-03,,,,pass,2025-06-02\n"
)
PERSONAL = ["Andromeda", "Bogdan", "Corvo", "1999-10-01", "LA-234218", "ana.andromeda", "S-001", "S-002"]


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(store="memory:", private_store="memory:", data_dir=tmp_path / "data"))
    vocab.load_shipped(w.store)
    result = catalogue_import.ingest_catalogue(w, DATA / "catalogue.csv")
    assert result.status == "imported", result.problems
    yield w
    w.close()


def learners(text: str = LEARNERS, name: str = "learners.csv") -> learners_csv.LearnersFile:
    return learners_csv.parse_learners(text.encode("utf-8"), name)


def sealer_for(tmp_path: Path, alg: str) -> tuple[sealing.Sealer, Path]:
    pki = make_pki(tmp_path / f"pki-{alg}", "ec" if alg == "ES256" else "rsa")
    return sealing.Sealer(sealing.load_sealing_key(pki.key_file, pki.chain_file, algorithm=alg)), pki.root_file


# -- the independent check: raw cryptography, no credgraph code ------------------------------------


def independent_verify(sealed: dict) -> bool:
    """RFC 7515 JWS JSON + RFC 7797 unencoded payload, checked with the x5c leaf's public key."""
    signature_entry = sealed["signatures"][0]
    protected = signature_entry["protected"]
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header["b64"] is False and "b64" in header["crit"] and "sigT" in header["crit"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert header["x5t#S256"] == base64.urlsafe_b64encode(hashlib.sha256(base64.b64decode(header["x5c"][0])).digest()).rstrip(b"=").decode()
    signing_input = protected.encode("ascii") + b"." + sealed["payload"].encode("utf-8")
    raw = base64.urlsafe_b64decode(signature_entry["signature"] + "=" * (-len(signature_entry["signature"]) % 4))
    key = leaf.public_key()
    try:
        if header["alg"] == "ES256":
            r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        elif header["alg"] == "RS256":
            key.verify(raw, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif header["alg"] == "PS256":
            key.verify(raw, signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        else:
            raise AssertionError(header["alg"])
    except InvalidSignature:
        return False
    return True


def tampered(data: bytes) -> dict:
    """The sealed file with one byte of the credential changed (a letter of the learner's family name)."""
    at = next(data.index(name) for name in (b"Andromeda", b"Berg", b"Corvo") if name in data)
    changed = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]
    assert len(changed) == len(data) and changed != data
    return json.loads(changed)


# -- sealed credentials, one per algorithm ----------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_issued_sealed_credentials_validate_verify_and_round_trip(ws, tmp_path, alg):
    sealer, root = sealer_for(tmp_path, alg)
    out = tmp_path / "out"
    result = issue_batch.issue_credentials(ws, SPEC, learners(), out, sealer)
    assert result.form == f"sealed {alg}" and len(result.credentials) == 3
    assert result.recorded is not None and result.recorded.count("imported") == 3
    assert sorted(p.name for p in out.iterdir()) == sorted([c.file for c in result.credentials] + ["issued.csv"])
    anchors = seal.load_trust_anchors(root)
    for item in result.credentials:
        data = (out / item.file).read_bytes()
        sealed = json.loads(data)
        assert set(sealed) == {"payload", "signatures"}
        # credgraph's verifier and the independent one agree; the chain leads to the throwaway CA.
        opened = seal.open_seal(sealed, item.file, anchors)
        assert opened.verification.status == "valid", opened.verification.reason
        assert opened.verification.algorithm == alg and opened.verification.chain_trust == "trusted"
        assert independent_verify(sealed)
        # One changed byte: both refuse.
        bad = tampered(data)
        assert seal.open_seal(bad, item.file, anchors).verification.status == "invalid"
        assert not independent_verify(bad)
        # The payload itself: the EC profile and Annex I, every mandatory element present.
        credential = json.loads(opened.payload)
        assert credential["id"] == item.credential_id
        assert credential["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
        assert credential["credentialSubject"]["hasClaim"]["type"] == "LearningAchievement"
        assert credential["credentialSubject"]["hasClaim"]["specifiedBy"]["id"] == SPEC_IRI
        triples = jsonld.to_triples(credential, item.file)
        edc = validation.validate(triples, "edc-generic")
        annex = validation.validate(triples, "annex-i-credential")
        assert edc.conforms, edc.to_text()
        assert annex.conforms, annex.to_text()
        assert {f"M{i}" for i in range(1, 12)} <= set(annex.elements_present())
    # Recorded as if imported: importing the files again changes nothing.
    again = ingest.ingest_paths(ws, [out])
    assert [d.status for d in again.documents] == ["unchanged"] * 3


def test_round_trip_gives_the_catalogue_description(ws, tmp_path):
    """The public description the import pipeline stores holds every statement the catalogue makes about the specification."""
    sealer, _ = sealer_for(tmp_path, "ES256")
    result = issue_batch.issue_credentials(ws, SPEC, learners(), tmp_path / "out", sealer)
    catalogue_graph = ox.NamedNode(specifications.spec_graphs(ws.store, [SPEC_IRI])[SPEC_IRI])
    catalogue = set(ws.store.construct(queries.load("ingest-graph-triples"), {"graph": catalogue_graph}))
    spec_nodes = {t.subject for t in catalogue if t.subject.value.startswith(SPEC_IRI)}
    expected = {t for t in catalogue if t.subject in spec_nodes}
    assert len(expected) > 30
    described = set()
    for doc in result.recorded.documents:
        record = ws.store.construct(queries.load("ingest-graph-triples"), {"graph": ox.NamedNode(ns.source_graph(doc.source_id))})
        graphs = [t.object.value for t in record if t.predicate.value == ns.CG + "descriptionGraph"]
        assert len(graphs) == 1
        described.add(graphs[0])
    assert len(described) == 1, "all learners of one specification share one public description"
    description = set(ws.store.construct(queries.load("ingest-graph-triples"), {"graph": ox.NamedNode(described.pop())}))
    # The one difference: the import's privacy split withholds every adms:identifier (it cannot tell a
    # specification's identifier from a person's; graph/sources/privacy.py PERSONAL_PROPERTIES), so the
    # specification's catalogue identifier and its node stay out of the public description.
    withheld = {t for t in expected if t.predicate.value == ns.ADMS + "identifier" or t.subject.value.endswith("#identifier")}
    assert len(withheld) == 3
    assert expected - withheld <= description, sorted(str(t) for t in expected - withheld - description)[:5]
    # No personal value reached the public store.
    public = b"\n".join(dump_lines(ws.store))
    for value in PERSONAL:
        assert value.encode() not in public, value


def test_qualification_with_micro_credential_parts(ws, tmp_path):
    """The parts are stated from their side (the EC profile lets a qualification have qualifications as parts only)."""
    sealer, _ = sealer_for(tmp_path, "ES256")
    result = issue_batch.issue_credentials(ws, "cf-sierra-clara/SC-CERT", learners(), tmp_path / "out", sealer)
    assert result.recorded.count("imported") == 3
    payload = json.loads(json.loads((tmp_path / "out" / result.credentials[0].file).read_bytes())["payload"])
    spec = payload["credentialSubject"]["hasClaim"]["specifiedBy"]
    assert spec["type"] == "Qualification" and "hasPart" not in spec
    triples = jsonld.to_triples(payload, "q")
    statements = {(t.subject.value, t.predicate.value, t.object.value) for t in triples}
    assert (SPEC_IRI, ns.ELM + "isPartOf", spec["id"]) in statements
    assert validation.validate(triples, "edc-generic").conforms
    assert "O4" in validation.validate(triples, "annex-i-credential").elements_present()


def test_unsealed_upload_form(ws, tmp_path):
    out = tmp_path / "upload"
    options = issue_batch.IssueOptions(legal_id=issuing.parse_legal_identifier("ES:VATES-A00000000"))
    result = issue_batch.issue_credentials(ws, SPEC, learners(), out, None, options)
    assert result.form.startswith("unsealed")
    for item in result.credentials:
        document = json.loads((out / item.file).read_bytes())
        assert list(document) == ["credential"]
        assert document["credential"]["id"] == item.credential_id
        assert validation.validate(jsonld.to_triples(document["credential"], item.file), "edc-generic").conforms
    assert result.recorded.count("imported") == 3
    # Without a legal identifier (no certificate to take it from) nothing is issued.
    with pytest.raises(issuing.IssueError, match="eIDAS legal identifier"):
        issue_batch.issue_credentials(ws, SPEC, learners(), tmp_path / "none", None)
    assert not (tmp_path / "none").exists()


def test_same_learner_same_id_unless_reissue(ws, tmp_path):
    sealer, _ = sealer_for(tmp_path, "ES256")
    first = issue_batch.issue_credentials(ws, SPEC, learners(), tmp_path / "a", sealer)
    second = issue_batch.issue_credentials(ws, SPEC, learners(), tmp_path / "b", sealer)
    assert [c.credential_id for c in first.credentials] == [c.credential_id for c in second.credentials]
    assert [d.status for d in second.recorded.documents] == ["replaced"] * 3  # one record per credential, not two
    third = issue_batch.issue_credentials(ws, SPEC, learners(), tmp_path / "c", sealer, issue_batch.IssueOptions(reissue=True))
    assert not {c.credential_id for c in third.credentials} & {c.credential_id for c in first.credentials}
    assert third.recorded.count("imported") == 3


def test_credential_writer_gives_the_same_bytes(ws):
    spec = issuing.with_legal_identifier(issuing.load_specification(ws.store, SPEC_IRI), "ESP", "VATES-A0")
    writer = issuing.CredentialWriter(spec)
    now = datetime.now(timezone.utc)
    for learner in learners().learners:
        cred_id = issuing.credential_id(b"k" * 32, SPEC_IRI, learner.learner_id)
        assert writer.render(learner, cred_id, now) == issuing.credential_bytes(issuing.build_credential(spec, learner, cred_id, now))


def test_both_cores_give_the_same_credentials(ws, tmp_path):
    sealer, _ = sealer_for(tmp_path, "ES256")
    rows = "".join(f"P-{i:04d},Given{i},Family{i},,,,,,2025-05-01\n" for i in range(120))
    text = LEARNERS.split("\n", 1)[0] + "\n" + rows
    one = issue_batch.issue_credentials(ws, SPEC, learners(text), tmp_path / "one", sealer, issue_batch.IssueOptions(record=False))
    two = issue_batch.issue_credentials(ws, SPEC, learners(text), tmp_path / "two", sealer, issue_batch.IssueOptions(record=False, workers=2))
    assert [(c.row, c.credential_id) for c in one.credentials] == [(c.row, c.credential_id) for c in two.credentials]
    assert len(one.shapes.reports) == 1  # 120 learners, one shape: validated once
    for item in two.credentials[::17]:
        assert seal.open_seal(json.loads((tmp_path / "two" / item.file).read_bytes()), item.file).verification.status == "valid"


# -- learner problems, by row and column --------------------------------------------------------------


def test_learner_problems_by_row_and_column_and_skip_invalid(ws, tmp_path):
    sealer, _ = sealer_for(tmp_path, "ES256")
    text = LEARNERS + "S-004,,Dorn,,,,,,2025-06-02\nS-005,Eva,Eck,1990-02-30,,,,,2025-06-02\nS-001,Ana,Again,,,,,,2025-06-02\n"
    parsed = learners(text)
    assert parsed.errors == [
        "learners.csv row 5, column given_name: empty (required)",
        "learners.csv row 6, column date_of_birth: is not a date (YYYY-MM-DD)",
        "learners.csv row 7, column learner_id: duplicate learner (the same learner_id as row 2)",
    ]
    assert not [e for e in parsed.errors if "1990-02-30" in e or "Dorn" in e]  # values are personal: never echoed
    before = dump_lines(ws.store), dump_lines(ws.private)
    with pytest.raises(issue_batch.IssueProblems) as caught:
        issue_batch.issue_credentials(ws, SPEC, parsed, tmp_path / "out", sealer)
    assert caught.value.problems == parsed.errors
    assert not (tmp_path / "out").exists()
    assert (dump_lines(ws.store), dump_lines(ws.private)) == before
    result = issue_batch.issue_credentials(ws, SPEC, parsed, tmp_path / "out", sealer, issue_batch.IssueOptions(skip_invalid=True))
    assert [c.row for c in result.credentials] == [2, 3, 4]
    assert result.skipped == parsed.errors


# -- bad input: one line, nothing issued, nothing stored ----------------------------------------------


def _expired(tmp_path):
    pki = make_pki(tmp_path / "pki", "ec", valid_from=datetime.now(timezone.utc) - timedelta(days=60), valid_days=30)
    return pki.key_file, pki.chain_file


def _not_yet_valid(tmp_path):
    pki = make_pki(tmp_path / "pki", "ec", valid_from=datetime.now(timezone.utc) + timedelta(days=2))
    return pki.key_file, pki.chain_file


def _wrong_key(tmp_path):
    pki = make_pki(tmp_path / "pki", "ec", seal_key=new_key("ec"), certified_key=new_key("ec"))
    return pki.key_file, pki.chain_file


def _no_signing_usage(tmp_path):
    pki = make_pki(tmp_path / "pki", "ec", signing_usage=False)
    return pki.key_file, pki.chain_file


@pytest.mark.parametrize("make, message", [
    (_expired, "expired on"),
    (_not_yet_valid, "is not valid yet"),
    (_wrong_key, "the private key does not match the certificate"),
    (_no_signing_usage, "does not allow digital signatures"),
])
def test_bad_key_or_certificate_is_one_line_and_issues_nothing(tmp_path, make, message, capsys):
    data, out = _cli_setup(tmp_path, capsys)
    key, chain = make(tmp_path)
    before = _stores(data)
    status = main(["--data", str(data), "issue", SPEC, "--learners", str(_learners_file(tmp_path)), "--out", str(out),
                   "--key", str(key), "--cert", str(chain)])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert str(chain) in err
    assert not out.exists() and _stores(data) == before


@pytest.mark.parametrize("cell, message", [
    ("Ana\x07", "row 2, column given_name: contains control characters"),
    ("Ana\u202eevil", "row 2, column given_name: contains control characters"),
    ("=HYPERLINK(\"http://evil.example\")", "row 2, column given_name: starts with '=': a spreadsheet formula cell is not accepted"),
    ("@SUM(A1)", "row 2, column given_name: starts with '@'"),
    ("x" * (10 * 1024 * 1024), "over the size limit"),
    ("x" * 100_000, "row 2, column given_name: 100,000 characters is over the limit of 500"),
])
def test_bad_learner_cells_issue_nothing(tmp_path, cell, message, capsys):
    data, out = _cli_setup(tmp_path, capsys)
    pki = make_pki(tmp_path / "pki", "ec")
    bad = tmp_path / "bad.csv"
    bad.write_text("learner_id,given_name,family_name,date_of_award\nS-1,\"" + cell.replace('"', '""') + "\",Berg,2025-06-01\n"
                   "S-2,Bo,Berg,2025-06-01\n", encoding="utf-8")
    before = _stores(data)
    status = main(["--data", str(data), "issue", SPEC, "--learners", str(bad), "--out", str(out),
                   "--key", str(pki.key_file), "--cert", str(pki.chain_file)])
    err = capsys.readouterr().err
    assert status == 1 and message in err, err[:500]
    assert len(err.strip().splitlines()) == 1 and len(err) < 500  # one line; the cell is named, never echoed
    assert not out.exists() and _stores(data) == before


def test_ten_megabyte_cell_within_a_larger_size_limit():
    text = "learner_id,given_name,family_name,date_of_award\nS-1," + "x" * (10 * 1024 * 1024) + ",Berg,2025-06-01\n"
    parsed = learners_csv.parse_learners(text.encode(), "big.csv", max_bytes=64 * 1024 * 1024)
    # Either the csv module's field limit stops it, or (when another module raised that limit, as
    # graph/sources/esco.py does for ESCO's long cells) the cell limit of the learners file: one line, row 2.
    assert parsed.errors in (["big.csv row 2: a cell over 131,072 characters"],
                             ["big.csv row 2, column given_name: 10,485,760 characters is over the limit of 500"])
    assert not parsed.learners


def test_specification_missing_annex_i_elements_issues_nothing(tmp_path, capsys):
    data, out = _cli_setup(tmp_path, capsys)
    # The same course without assessment and level: M8 and M9 missing.
    rows = (DATA / "catalogue.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    import csv as csv_module
    records = list(csv_module.reader(rows))
    for record in records[1:]:
        record[header.index("assessment")] = ""
        record[header.index("eqf_level")] = ""
        record[header.index("provider_id")] = "cf-lacking"
    lacking = tmp_path / "lacking.csv"
    with lacking.open("w", encoding="utf-8", newline="") as handle:
        csv_module.writer(handle).writerows(records)
    assert main(["--data", str(data), "import", "catalogue", str(lacking)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    pki = make_pki(tmp_path / "pki", "ec")
    before = _stores(data)
    status = main(["--data", str(data), "issue", "cf-lacking/SC-101", "--learners", str(_learners_file(tmp_path)), "--out", str(out),
                   "--key", str(pki.key_file), "--cert", str(pki.chain_file)])
    err = capsys.readouterr().err
    assert status == 1
    assert "the catalogue lacks mandatory Annex I element(s) M8 (level (EQF/NQF), if applicable), M9 (type of assessment); nothing issued" in err
    assert not out.exists() and _stores(data) == before


def test_cli_issue_sealed_and_again(tmp_path, capsys):
    data, out = _cli_setup(tmp_path, capsys)
    pki = make_pki(tmp_path / "pki", "rsa")
    args = ["--data", str(data), "issue", SPEC, "--learners", str(_learners_file(tmp_path)), "--out", str(out),
            "--key", str(pki.key_file), "--cert", str(pki.chain_file), "--alg", "PS256"]
    before = _stores(data)
    assert main(args + ["--check"]) == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "checked: 3 learner(s) can be issued" in text and "EDC-generic-no-cv conforms" in text
    assert not out.exists() and _stores(data) == before
    assert main(args) == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "issued 3 credential(s), sealed PS256" in text and "recorded: 3 new" in text
    assert "EDC-generic-no-cv conforms" in text
    manifest = (out / issue_batch.MANIFEST).read_text().splitlines()
    assert manifest[0] == "row,learner_id,credential_id,file" and len(manifest) == 4
    assert main(args) == 0
    assert "recorded: 0 new, 3 re-issued (same id)" in capsys.readouterr().out
    assert main(["--data", str(data), "issue", SPEC, "--learners", str(_learners_file(tmp_path)), "--out", str(out)]) == 2
    assert "either --key" in capsys.readouterr().err
    assert main(args[:3] + ["cf-sierra-clara/NOPE"] + args[4:]) == 2
    err = capsys.readouterr().err
    assert "spec/cf-sierra-clara/NOPE: no such specification in the store" in err and len(err.strip().splitlines()) == 1


# -- helpers for the CLI tests ----------------------------------------------------------------------


def _cli_setup(tmp_path: Path, capsys) -> tuple[Path, Path]:
    data = tmp_path / "data"
    assert main(["--data", str(data), "init"]) == 0
    assert main(["--data", str(data), "import", "catalogue", str(DATA / "catalogue.csv")]) == 0
    capsys.readouterr()
    return data, tmp_path / "out"


def _learners_file(tmp_path: Path) -> Path:
    path = tmp_path / "learners.csv"
    path.write_text(LEARNERS, encoding="utf-8")
    return path


def _stores(data: Path) -> tuple:
    with Workspace(Settings(data_dir=data)) as w:
        return dump_lines(w.store), dump_lines(w.private)


def test_cli_pkcs12_with_password_from_environment(tmp_path, capsys, monkeypatch):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    data, out = _cli_setup(tmp_path, capsys)
    pki = make_pki(tmp_path / "pki", "ec")
    chain = x509.load_pem_x509_certificates(pki.chain_file.read_bytes())
    p12 = tmp_path / "pki" / "seal.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", pki.private_key, chain[0], chain[1:],
                                                          BestAvailableEncryption(b"correct horse")))
    args = ["--data", str(data), "issue", SPEC, "--learners", str(_learners_file(tmp_path)), "--out", str(out),
            "--key", str(p12), "--password-env", "SEAL_PASSWORD"]
    monkeypatch.setenv("SEAL_PASSWORD", "wrong")
    assert main(args) == 2
    assert "not a readable PKCS#12 file or wrong password" in capsys.readouterr().err
    monkeypatch.setenv("SEAL_PASSWORD", "correct horse")
    assert main(args) == 0, capsys.readouterr().err
    assert "issued 3 credential(s), sealed ES256" in capsys.readouterr().out
    sealed = json.loads(next(out.glob("*.jsonld")).read_bytes())
    protected = sealed["signatures"][0]["protected"]
    assert len(json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))["x5c"]) == 2
