"""REST under /api/v1/ and linked data, on the demo data set (small scale), through the ASGI app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory, shared_data):
    """A workspace with vocabularies and the demo data (10 credentials), and an app with one key per role."""
    from fastapi.testclient import TestClient

    from credgraph.demo import generator as demo_data
    from credgraph.graph.sources import vocab

    tmp = tmp_path_factory.mktemp("api-rest")
    ws = Workspace(Settings(data_dir=tmp, store="memory:"))
    vocab.load_shipped(ws.store)
    # Small, to keep the module quick: 10 credentials through the real ingest.
    demo_data.generate(tmp / "demo", scale=0.002, seed=1)
    loaded = demo_data.load(ws, tmp / "demo")
    assert not loaded.problems
    keys = tmp / "keys.json"
    from importlib import resources

    from provider_iris import of_catalogue, of_demo, of_documents

    example = (resources.files("credgraph.vocabularies") / "examples" / "catalogue-example.csv").read_bytes()
    samples = shared_data / "samples"
    providers = {"issuer": of_demo() + of_catalogue(example) + of_documents([samples / "Sample-CertOfPart-unsigned.jsonld"])}
    key = {role: add_key(keys, role, f"{role}-1", providers=providers.get(role, ()))
           for role in ("researcher", "agency", "issuer", "admin")}
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log"))
    with TestClient(app) as client:
        client.key, client.ws, client.tmp = key, ws, tmp
        yield client


def auth(client, role: str) -> dict:
    return {"Authorization": f"Bearer {client.key[role]}"}


def first_spec(client) -> dict:
    return client.get("/api/v1/catalogue", params={"page_size": 1}).json()["items"][0]


def test_catalogue_search_facets_paging(demo):
    everything = demo.get("/api/v1/catalogue").json()
    assert everything["total"] >= 100
    assert len(everything["items"]) == 20
    assert set(everything["facets"]) == {"eqf", "ects", "field", "mode", "language", "country", "provider", "skill"}
    eqf = everything["facets"]["eqf"]
    assert sum(v["count"] for v in eqf) >= 1
    level = eqf[0]["value"]
    filtered = demo.get("/api/v1/catalogue", params={"eqf": level}).json()
    assert filtered["total"] == eqf[0]["count"]
    page2 = demo.get("/api/v1/catalogue", params={"page": 2, "page_size": 5}).json()
    assert page2["page"] == 2 and len(page2["items"]) == 5
    assert page2["items"][0] != demo.get("/api/v1/catalogue", params={"page_size": 5}).json()["items"][0]


def test_catalogue_search_in_german_and_french(demo):
    spec = first_spec(demo)
    for lang in ("de", "fr"):
        found = demo.get("/api/v1/catalogue", params={"lang": lang, "page_size": 1}).json()["items"][0]
        word = found["title"]["text"].split()[0]
        hits = demo.get("/api/v1/catalogue", params={"lang": lang, "q": word}).json()
        assert hits["total"] >= 1, (lang, word)
    assert spec["title"]["text"]


def test_bad_catalogue_input_is_a_problem(demo):
    response = demo.get("/api/v1/catalogue", params={"ects": "lots"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "ECTS" in response.json()["detail"]
    assert demo.get("/api/v1/catalogue", params={"lang": "xx"}).status_code == 422


def test_specification_provider_skill(demo):
    spec = first_spec(demo)
    iri = spec["iri"]
    slug = iri[len(ns.CG_ID + "spec/"):]
    detail = demo.get(f"/api/v1/specifications/{slug}").json()
    assert detail["iri"] == iri
    by_iri = demo.get("/api/v1/specifications/" + iri)
    assert by_iri.status_code == 200 and by_iri.json()["iri"] == iri
    missing = demo.get("/api/v1/specifications/no-such-spec")
    assert missing.status_code == 404 and missing.json()["type"].endswith("/unknown-id")
    provider = spec["provider"]["iri"]
    assert demo.get("/api/v1/providers/" + provider[len(ns.CG_ID + "org/"):]).status_code == 200
    assert demo.get("/api/v1/providers/nobody").status_code == 404
    skills = demo.get("/api/v1/catalogue").json()["facets"]["skill"]
    skill_id = skills[0]["value"]
    skill = demo.get(f"/api/v1/skills/{skill_id}")
    assert skill.status_code == 200, skill.text
    assert demo.get("/api/v1/skills/00000000-0000-0000-0000-000000000000").status_code == 404


def _stacking_target(demo) -> tuple[str, list[str]]:
    rows = demo.ws.store.select(
        "PREFIX elm: <http://data.europa.eu/snb/model/elm/> SELECT ?whole ?part WHERE { ?whole elm:hasPart ?part }"
    )
    wholes: dict[str, list[str]] = {}
    for row in rows:
        wholes.setdefault(row["whole"].value, []).append(row["part"].value)
    whole = sorted(wholes)[0]
    return whole, sorted(wholes[whole])


def test_stacking(demo):
    whole, parts = _stacking_target(demo)
    targets = demo.get("/api/v1/stacking/targets", params={"specification": parts[0]})
    assert targets.status_code == 200
    assert whole in json.dumps(targets.json())
    one = demo.post("/api/v1/stacking/evaluate", json={"credentials": parts[:1]}).json()
    everything = demo.post("/api/v1/stacking/evaluate", json={"credentials": parts}).json()
    assert whole in json.dumps(everything)
    assert one != everything
    empty = demo.post("/api/v1/stacking/evaluate", json={"credentials": []})
    assert empty.status_code == 422
    unknown = demo.post("/api/v1/stacking/evaluate", json={"credentials": [ns.CG_ID + "issuance/nothing"]})
    assert unknown.status_code == 404


def test_equivalence_and_recognition(demo):
    whole, parts = _stacking_target(demo)
    eq = demo.get("/api/v1/equivalence", params={"specification": parts[0]})
    assert eq.status_code == 200
    assert set(eq.json()) == {"recorded", "similar"}
    report = demo.post("/api/v1/recognition/compare", json={"subject": parts[0], "reference": parts[1]})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["subject"] == parts[0] and body["reference"] == parts[1]
    assert body["elements"]
    unknown = demo.post("/api/v1/recognition/compare", json={"subject": parts[0], "reference": "no-such-spec"})
    assert unknown.status_code == 404


def test_decisions_need_an_agency_key(demo):
    whole, parts = _stacking_target(demo)
    body = {"subject": parts[0], "reference": parts[1], "note": "test decision"}
    before = len(demo.ws.store.graphs())
    assert demo.post("/api/v1/recognition/decisions", json=body).status_code == 401
    assert demo.post("/api/v1/recognition/decisions", json=body, headers=auth(demo, "researcher")).status_code == 403
    assert demo.post("/api/v1/recognition/decisions", json=body, headers=auth(demo, "issuer")).status_code == 403
    assert len(demo.ws.store.graphs()) == before
    made = demo.post("/api/v1/recognition/decisions", json=body, headers=auth(demo, "agency"))
    assert made.status_code == 201, made.text
    decision = made.json()["decision"]
    assert made.headers["location"] == "/id/" + decision[len(ns.CG_ID):]
    turtle = demo.get(made.headers["location"], headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert any(t.subject.value == decision for t in ox.parse(turtle.content, ox.RdfFormat.TURTLE))


def test_issuance_stats(demo):
    table = demo.get("/api/v1/stats/issuance", params={"by": "eqf"})
    assert table.status_code == 200
    data = table.json()
    assert data["dimension"] == "eqf" and data["k"] == 5
    assert all(cell["count"] >= 5 for cell in data["cells"])
    assert demo.get("/api/v1/stats/issuance", params={"by": "shoe-size"}).status_code == 400


def test_linked_data_negotiation(demo):
    iri = first_spec(demo)["iri"]
    path = "/id/" + iri[len(ns.CG_ID):]
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                        ("application/ld+json", ox.RdfFormat.JSON_LD)):
        response = demo.get(path, headers={"Accept": accept})
        assert response.status_code == 200
        triples = list(ox.parse(response.content, fmt))
        assert any(t.subject.value == iri for t in triples)
    html = demo.get(path, headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert iri in html.text
    assert demo.get("/id/spec/does-not-exist").status_code == 404
    assert demo.get("/id/nonsense/x").status_code == 404
    assert demo.get(path, headers={"Accept": "image/png"}).status_code == 406
    record = demo.ws.store.select(
        "SELECT ?r WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> } LIMIT 1").rows[0]["r"].value
    issued = demo.get("/id/" + record[len(ns.CG_ID):], headers={"Accept": "text/turtle"})
    assert issued.status_code == 200


def test_validate_and_verify(demo, shared_data):
    sample = (shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes()
    report = demo.post("/api/v1/validate", content=sample, headers={"Content-Type": "application/ld+json"})
    assert report.status_code == 200
    assert "annex-i-credential" in report.json()["reports"]
    assert demo.post("/api/v1/validate", content=sample, headers={"Content-Type": "text/plain"}).status_code == 415
    bad = demo.post("/api/v1/validate", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 200 and bad.json()["problems"]
    signed = (shared_data / "samples" / "Sample-CertOfPart-signed.jsonld").read_bytes()
    verified = demo.post("/api/v1/verify", content=signed, headers={"Content-Type": "application/json"})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verdicts"]["seal"] in ("valid", "invalid", "unverifiable")
    assert body["specifications"] and body["specifications"][0]["in_catalogue"] is False
    unsealed = demo.post("/api/v1/verify", content=sample, headers={"Content-Type": "application/json"}).json()
    assert unsealed["verdicts"]["seal"] == "unsealed"


def test_ingest_needs_an_issuer_key_and_private_reads_are_audited(demo, shared_data):
    sample = (shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes()
    headers = {"Content-Type": "application/ld+json"}
    assert demo.post("/api/v1/credentials", content=sample, headers=headers).status_code == 401
    assert demo.post("/api/v1/credentials", content=sample, headers={**headers, **auth(demo, "agency")}).status_code == 403
    made = demo.post("/api/v1/credentials", content=sample, headers={**headers, **auth(demo, "issuer")})
    assert made.status_code in (200, 201), made.text
    source_id = made.json()["source_id"]
    path = f"/api/v1/credentials/{source_id}/private"
    assert demo.get(path, params={"why": "check"}).status_code == 401
    assert demo.get(path, params={"why": "check"}, headers=auth(demo, "researcher")).status_code == 403
    assert demo.get(path, headers=auth(demo, "agency")).status_code == 422  # no why: refused
    audit = demo.app.state.audit
    before = len(audit.entries())
    ok = demo.get(path, params={"why": "recognition case 42"}, headers=auth(demo, "agency"))
    assert ok.status_code == 200
    assert "Andromeda" in ok.text
    entries = audit.entries()
    assert len(entries) == before + 1
    assert (entries[-1].who, entries[-1].role, entries[-1].why) == ("agency-1", "agency", "recognition case 42")
    assert source_id in entries[-1].what
    assert demo.get("/api/v1/credentials/cred-0000000000000000/private", params={"why": "x" * 5},
                    headers=auth(demo, "admin")).status_code == 404


def test_catalogue_upload(demo):
    from importlib import resources

    csv = (resources.files("credgraph.vocabularies") / "examples" / "catalogue-example.csv").read_bytes()
    headers = {"Content-Type": "text/csv"}
    assert demo.post("/api/v1/catalogue", content=csv, headers=headers).status_code == 401
    made = demo.post("/api/v1/catalogue", content=csv, params={"name": "example.csv"},
                     headers={**headers, **auth(demo, "issuer")})
    assert made.status_code in (200, 201), made.text
    assert made.json()["status"] in ("imported", "replaced", "unchanged")
    broken = demo.post("/api/v1/catalogue", content=b"title;nothing\nx;y\n", params={"name": "broken.csv"},
                       headers={**headers, **auth(demo, "issuer")})
    assert broken.status_code == 422
    assert broken.headers["content-type"] == "application/problem+json"


def test_openapi(demo):
    spec = demo.get("/openapi.json").json()
    for path in ("/api/v1/catalogue", "/api/v1/specifications/{id}", "/api/v1/stacking/evaluate",
                 "/api/v1/recognition/compare", "/api/v1/stats/issuance", "/api/v1/verify", "/sparql"):
        assert path in spec["paths"], path


def test_no_page_loads_code_from_outside(demo):
    """FastAPI's own Swagger UI and ReDoc pull their code from a CDN: /docs is the server's own, /redoc none."""
    docs = demo.get("/docs").text
    assert "cdn" not in docs.lower() and "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', docs))
    assert demo.get("/redoc").status_code == 404
    assert demo.get("/openapi.json").json()["info"]["title"] == "credgraph API"
