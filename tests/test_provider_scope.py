"""Issuer keys scoped to providers (issue #13, item 6), replayed through the API.

Finding: any issuer key could replace another provider's credentials, and a
second catalogue file reusing another provider's specification ids merged into
them (the REST title changed). Now a key names the awarding bodies it writes
for; everything else is refused with 403, and one provider's entries come from
one catalogue file.
"""

from __future__ import annotations

import copy
import json

import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.demo import generator as demo_data
from credgraph.graph.sources import vocab
from credgraph.graph.sources.catalogue_csv import org_iri
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

A, B = "hs-nordhafen", "univ-valmont"
CSV = {"Content-Type": "text/csv"}
LD = {"Content-Type": "application/ld+json"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("scope")
    demo_data.generate(tmp / "demo", scale=0.04, seed=2)
    ws = Workspace(Settings(data_dir=tmp / "data", store="memory:"))
    vocab.load_shipped(ws.store)
    keys = tmp / "keys.json"
    key = {"a": add_key(keys, "issuer", "issuer-a", providers=[org_iri(A)]),
           "b": add_key(keys, "issuer", "issuer-b", providers=[org_iri(B)]),
           "none": add_key(keys, "issuer", "issuer-none")}
    with TestClient(create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log"))) as client:
        client.key, client.demo, client.ws = key, tmp / "demo", ws
        yield client


def auth(api, who: str) -> dict:
    return {"Authorization": f"Bearer {api.key[who]}"}


def credential_of(api, provider: str) -> bytes:
    return sorted((api.demo / "credentials" / provider).glob("*.jsonld"))[0].read_bytes()


def test_catalogue_rows_of_another_provider_are_refused(api):
    mine = (api.demo / "catalogues" / f"{A}.csv").read_bytes()
    theirs = (api.demo / "catalogues" / f"{B}.csv").read_bytes()
    assert api.post("/api/v1/catalogue", content=mine, params={"name": f"{A}.csv"}, headers={**CSV, **auth(api, "a")}).status_code == 201
    refused = api.post("/api/v1/catalogue", content=theirs, params={"name": f"{B}.csv"}, headers={**CSV, **auth(api, "a")})
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"].endswith(f"rows of provider {org_iri(B)} (not a provider this key may write for)")
    assert api.post("/api/v1/catalogue", content=theirs, params={"name": f"{B}.csv"}, headers={**CSV, **auth(api, "b")}).status_code == 201
    assert api.post("/api/v1/catalogue", content=mine, params={"name": "x.csv"}, headers={**CSV, **auth(api, "none")}).status_code == 403


def test_a_second_catalogue_file_cannot_merge_into_a_providers_specifications(api):
    """The finding: another file with the same provider and ids changed the REST title."""
    lines = (api.demo / "catalogues" / f"{A}.csv").read_text(encoding="utf-8").splitlines()
    spec_id = lines[1].split(",")[0]
    before = api.get(f"/api/v1/specifications/{A}/{spec_id}").json()["title"]
    forged = [lines[0], lines[1].replace(lines[1].split(",")[2], "Forged title", 1)]
    answer = api.post("/api/v1/catalogue", content="\n".join(forged).encode(), params={"name": "other.csv"},
                      headers={**CSV, **auth(api, "a")})
    assert answer.status_code == 422, answer.text
    assert f"provider {org_iri(A)} is described by another catalogue file ({A}.csv)" in answer.json()["detail"]
    assert api.get(f"/api/v1/specifications/{A}/{spec_id}").json()["title"] == before


def test_credentials_of_another_provider_are_refused(api):
    doc = credential_of(api, B)
    public_before = len(api.ws.store.graphs())
    refused = api.post("/api/v1/credentials", content=doc, headers={**LD, **auth(api, "a")})
    assert refused.status_code == 403, refused.text
    assert f"the awarding body {org_iri(B)} is not a provider this key may write for" in refused.json()["detail"]
    assert api.post("/api/v1/credentials", content=doc, headers={**LD, **auth(api, "none")}).status_code == 403
    assert len(api.ws.store.graphs()) == public_before
    made = api.post("/api/v1/credentials", content=doc, headers={**LD, **auth(api, "b")})
    assert made.status_code == 201, made.text


def test_another_providers_credential_cannot_be_replaced(api):
    """Provider A's key sends a document with the id of B's stored credential, naming A as awarding body."""
    original = json.loads(credential_of(api, B))
    stored = api.post("/api/v1/credentials", content=json.dumps(original).encode(), headers={**LD, **auth(api, "b")})
    assert stored.status_code in (200, 201)
    mine = json.loads(credential_of(api, A))
    forged = copy.deepcopy(mine)
    forged["id"] = original["id"]
    answer = api.post("/api/v1/credentials", content=json.dumps(forged).encode(), headers={**LD, **auth(api, "a")})
    assert answer.status_code == 403, answer.text
    assert f"stored for another provider ({org_iri(B)})" in answer.json()["detail"]
    # B's record is untouched.
    again = api.post("/api/v1/credentials", content=json.dumps(original).encode(), headers={**LD, **auth(api, "b")})
    assert again.json()["status"] == "unchanged"
