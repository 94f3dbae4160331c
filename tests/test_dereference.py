"""Every IRI credgraph mints dereferences (HTML, Turtle, JSON-LD), and the REST resources agree with /id/."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.graph.sources import ingest
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory, shared_data):
    """Every JSON sample of tests/data imported (EDC, sealed EDC, ELM 3.2/3.3, badges with alignments)."""
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("deref")
    ws = Workspace(Settings(data_dir=tmp, store="memory:"))
    vocab.load_shipped(ws.store)
    summary = ingest.ingest_paths(ws, [shared_data / "samples"])
    # Imported: all but the EDC XML and the unsealed copies of sealed credentials (refused by the seal rule).
    assert summary.count("imported", "replaced") >= 7, [(d.name, d.problems) for d in summary.documents]
    app = create_app(ws, ApiSettings(keys_file=tmp / "keys.json", audit_log=tmp / "audit.log"))
    with TestClient(app) as c:
        c.ws = ws
        yield c
    ws.close()


def minted(ws) -> list[str]:
    rows = ws.store.select(
        "SELECT DISTINCT ?iri WHERE { { ?iri ?p ?o } UNION { ?s ?p ?iri } FILTER(isIRI(?iri) && STRSTARTS(STR(?iri), STR(?base))) }",
        {"base": ox.Literal(ns.CG_ID)}).rows
    return sorted(r["iri"].value for r in rows)


def test_every_minted_iri_dereferences_in_every_format(client):
    iris = minted(client.ws)
    kinds = {i[len(ns.CG_ID):].split("/", 1)[0] for i in iris}
    assert {"spec", "org", "issuance", "report", "outcome"} <= kinds, kinds
    for iri in iris:
        path = "/id/" + iri[len(ns.CG_ID):]
        turtle = client.get(path, headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200, (iri, turtle.text[:200])
        assert f"<{iri}>" in turtle.text or iri.rsplit("/", 1)[-1] in turtle.text
        jsonld = client.get(path, headers={"Accept": "application/ld+json"})
        assert jsonld.status_code == 200 and json.loads(jsonld.text), iri
        html = client.get(path, headers={"Accept": "text/html"})
        assert html.status_code == 200 and "<html" in html.text.lower(), iri


def test_badge_outcome_resolves(client):
    outcomes = [i for i in minted(client.ws) if i.startswith(ns.CG_ID + "outcome/")]
    assert outcomes
    body = client.get("/id/" + outcomes[0][len(ns.CG_ID):], headers={"Accept": "text/turtle"}).text
    assert "LearningOutcome" in body


def test_a_specification_known_only_from_credentials_answers_on_rest(client):
    specs = [i for i in minted(client.ws) if i.startswith(ns.CG_ID + "spec/")]
    assert specs
    for iri in specs:
        slug = iri[len(ns.CG_ID + "spec/"):]
        assert client.get(f"/id/spec/{slug}", headers={"Accept": "text/turtle"}).status_code == 200
        answer = client.get(f"/api/v1/specifications/{slug}")
        assert answer.status_code == 200, (iri, answer.text[:300])
        body = answer.json()
        assert body["iri"] == iri and body["in_catalogue"] is False
        assert "no catalogue" in body["known_from"]
    ebsi = [client.get(f"/api/v1/specifications/{i[len(ns.CG_ID + 'spec/'):]}").json() for i in specs]
    diploma = next(b for b in ebsi if b["title"] == "Bachelor of Science in Computer Engineering")
    assert diploma["eqf"] == 6 and diploma["ects"] == 240.0
    assert client.get("/api/v1/specifications/0000000000000000").status_code == 404
