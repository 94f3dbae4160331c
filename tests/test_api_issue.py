"""``POST /api/v1/issue``: the issuer key of the awarding body, the server's sealing key, credentials back."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph.sources import catalogue_import
from credgraph.graph.sources import seal
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from throwaway_pki import make_pki

CATALOGUE = Path(__file__).parent / "data" / "issuing" / "catalogue.csv"
SPEC = ns.CG_ID + "spec/cf-sierra-clara/SC-101"
BODY = ns.CG_ID + "org/cf-sierra-clara"
CSV = "learner_id,given_name,family_name,date_of_award\nS-1,Ana,Andromeda,2025-06-01\nS-2,Bo,Berg,2025-06-02\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("api-issue")
    ws = Workspace(Settings(data_dir=tmp, store="memory:", sealing_keys=tmp / "keys-of-the-seals.json"))
    vocab.load_shipped(ws.store)
    assert catalogue_import.ingest_catalogue(ws, CATALOGUE).status == "imported"
    pki = make_pki(tmp / "pki", "ec")
    (tmp / "keys-of-the-seals.json").write_text(json.dumps({"keys": [
        {"organisation": BODY, "key": str(pki.key_file), "cert": str(pki.chain_file), "algorithm": "ES256"}]}))
    keys = tmp / "keys.json"
    key = {"issuer": add_key(keys, "issuer", "sierra-clara", providers=[BODY]),
           "other": add_key(keys, "issuer", "someone-else", providers=[ns.CG_ID + "org/other"]),
           "researcher": add_key(keys, "researcher", "r")}
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log"))
    with TestClient(app) as c:
        c.key, c.ws, c.root = key, ws, pki.root_file
        yield c


def auth(client, who: str) -> dict:
    return {"Authorization": f"Bearer {client.key[who]}"}


def test_csv_gives_a_zip_of_sealed_credentials(client):
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=CSV,
                    headers={"Content-Type": "text/csv", **auth(client, "issuer")})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/zip" and r.headers["x-credgraph-issued"] == "2"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = sorted(z.namelist())
        assert "issued.csv" in names and len(names) == 3
        anchors = seal.load_trust_anchors(client.root)
        for name in names:
            if name.endswith(".jsonld"):
                opened = seal.open_seal(json.loads(z.read(name)), name, anchors)
                assert opened.verification.status == "valid" and opened.verification.chain_trust == "trusted"


def test_json_one_learner_gives_the_credential(client):
    body = {"specification": "cf-sierra-clara/SC-101",
            "learners": [{"learner_id": "J-1", "given_name": "Jo", "family_name": "Jansen", "date_of_award": "2025-06-03", "grade": "B"}]}
    r = client.post("/api/v1/issue", json=body, headers=auth(client, "issuer"))
    assert r.status_code == 201, r.text
    sealed = r.json()
    assert set(sealed) == {"payload", "signatures"}
    assert json.loads(sealed["payload"])["credentialSubject"]["givenName"] == {"en": "Jo"}


def test_learner_problems_are_a_422_listing_rows(client):
    bad = CSV + "S-3,,Corvo,2025-13-01\n"
    before = len(client.ws.store.graphs())
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=bad,
                    headers={"Content-Type": "text/csv", **auth(client, "issuer")})
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert "learners.csv row 4, column given_name: empty (required)" in problems
    assert "learners.csv row 4, column date_of_award: is not a date (YYYY-MM-DD)" in problems
    assert len(client.ws.store.graphs()) == before


def test_keys_scoped_to_the_awarding_body(client):
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=CSV,
                    headers={"Content-Type": "text/csv", **auth(client, "other")})
    assert r.status_code == 403 and "may not issue for" in r.json()["detail"]
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=CSV,
                    headers={"Content-Type": "text/csv", **auth(client, "researcher")})
    assert r.status_code == 403
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=CSV, headers={"Content-Type": "text/csv"})
    assert r.status_code == 401
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content=CSV,
                    headers={"Content-Type": "application/x-www-form-urlencoded", **auth(client, "issuer")})
    assert r.status_code == 415
    # A private key is never accepted from the client: no field of the request names one.
    r = client.post("/api/v1/issue", json={"specification": SPEC, "learners": [], "key": "-----BEGIN PRIVATE KEY-----"},
                    headers=auth(client, "issuer"))
    assert r.status_code == 400 and "never sent" in r.json()["detail"]


def test_too_many_learners_for_one_request(client):
    rows = "".join(f"M-{i},Given,Family,2025-06-01\n" for i in range(1001))
    r = client.post("/api/v1/issue", params={"specification": SPEC}, content="learner_id,given_name,family_name,date_of_award\n" + rows,
                    headers={"Content-Type": "text/csv", **auth(client, "issuer")})
    assert r.status_code == 413 and "at most 1,000" in r.json()["detail"]


def test_concurrent_requests_each_get_their_own_learners(client):
    from concurrent.futures import ThreadPoolExecutor

    def post(prefix: str):
        rows = "".join(f"{prefix}-{i},Given{prefix},Family{i},2025-06-01\n" for i in range(60))
        return client.post("/api/v1/issue", params={"specification": SPEC},
                           content="learner_id,given_name,family_name,date_of_award\n" + rows,
                           headers={"Content-Type": "text/csv", **auth(client, "issuer")})

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(post, ["A", "B"]))
    for prefix, r in zip(["A", "B"], answers):
        assert r.status_code == 201, r.text
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            manifest = z.read("issued.csv").decode().splitlines()[1:]
            assert len(manifest) == 60 and all(line.split(",")[1].startswith(prefix + "-") for line in manifest)
            for name in z.namelist()[:5]:
                if name.endswith(".jsonld"):
                    payload = json.loads(json.loads(z.read(name))["payload"])
                    assert payload["credentialSubject"]["givenName"] == {"en": f"Given{prefix}"}
