"""/sparql and linked data over a remote store (a real ``oxigraph serve``), the same answers as embedded."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import _clear_remote

SPEC = "https://w3id.org/credgraph/id/spec/test/one"


@pytest.fixture(params=["embedded", "remote"])
def api(request, tmp_path):
    from fastapi.testclient import TestClient

    if request.param == "remote":
        url = request.getfixturevalue("oxigraph_server")
        _clear_remote(url)
        settings = Settings(data_dir=tmp_path, store=url, private_store="memory:")
    else:
        settings = Settings(data_dir=tmp_path, store="memory:")
    ws = Workspace(settings)
    triples = [ox.Triple(ox.NamedNode(SPEC), ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("One", language="en"))]
    triples += [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)))
                for i in range(30)]
    ws.store.load_graph("urn:credgraph:source:t", triples, Provenance("source", "t", "sha256:0"))
    with TestClient(create_app(ws, ApiSettings(row_cap=10, audit_log=tmp_path / "audit.log"))) as client:
        yield client
    ws.close()


def test_select_construct_ask(api):
    csv = api.get("/sparql", params={"query": "SELECT ?o WHERE { <http://example.org/s3> ?p ?o }"},
                  headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.text.split() == ["o", "3"]
    ask = api.post("/sparql", data={"query": "ASK { ?s ?p \"7\" }"})
    assert ask.json()["boolean"] is True
    graph = api.post("/sparql", content="CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                     headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"})
    assert graph.status_code == 200
    assert len(list(ox.parse(graph.content, ox.RdfFormat.N_TRIPLES))) == 10  # the row cap
    assert graph.headers["x-credgraph-truncated"] == "true"


def test_errors_and_linked_data(api):
    bad = api.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert api.get("/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}).status_code == 400
    page = api.get("/id/spec/test/one", headers={"Accept": "text/turtle"})
    assert page.status_code == 200 and "One" in page.text
    assert api.get("/id/spec/test/none").status_code == 404
