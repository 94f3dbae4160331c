"""Which dataset a query on /sparql sees: the merged public graph, or the one the query names.

Through the real app (the forking executor on embedded Oxigraph, the HTTP
executor on ``oxigraph serve`` and Virtuoso), with the shipped EQF vocabulary
and two sources restating part of it, as catalogues and credentials do.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.graph.sources import vocab
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

EQF_GRAPH = "urn:credgraph:vocab:eqf"
SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
IN_SCHEME = "http://www.w3.org/2004/02/skos/core#inScheme"
A, B = "urn:credgraph:source:restates-a", "urn:credgraph:source:restates-b"


@pytest.fixture
def api(any_store, tmp_path):
    from fastapi.testclient import TestClient

    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"), store=any_store)
    vocab.load_shipped(any_store, ["eqf"])
    restated = [ox.Triple(ox.NamedNode(f"http://data.europa.eu/snb/eqf/{n}"), ox.NamedNode(IN_SCHEME), ox.NamedNode(SCHEME))
                for n in range(1, 9)]
    any_store.load_graph(A, restated, Provenance("source", "a", "sha256:a"))
    any_store.load_graph(B, restated[:4], Provenance("source", "b", "sha256:b"))
    with TestClient(create_app(ws, ApiSettings(audit_log=tmp_path / "audit.log"))) as client:
        yield client


def count(api, query: str, **params) -> int:
    response = api.get("/sparql", params={"query": query, **params}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_from_counts_what_graph_counts(api):
    in_graph = count(api, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EQF_GRAPH}> {{ ?s ?p ?o }} }}")
    assert in_graph > 8
    assert count(api, f"SELECT (COUNT(*) AS ?n) FROM <{EQF_GRAPH}> WHERE {{ ?s ?p ?o }}") == in_graph


def test_default_graph_counts_each_statement_once(api):
    # Stated by the vocabulary and by one or two sources: 8 statements, not 8 + 8 + 4.
    assert count(api, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?level <{IN_SCHEME}> <{SCHEME}> }}") == 8
    # GRAPH ?g tells which sources state what, and never meets the merge itself.
    assert count(api, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?level <{IN_SCHEME}> <{SCHEME}> }} }}") == 8 + 8 + 4


def test_protocol_dataset_wins_over_from(api):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{EQF_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert count(api, query, **{"default-graph-uri": B}) == 4
    named = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(api, named, **{"named-graph-uri": A}) == 8


def test_from_named_restricts_graph(api):
    query = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{B}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(api, query) == 4


def test_admin_updates_to_source_graphs_keep_the_merge_in_step(any_store, tmp_path):
    from fastapi.testclient import TestClient

    from credgraph.api.keys import add_key

    keys = tmp_path / "keys.json"
    admin = add_key(keys, "admin", "root")
    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"), store=any_store)
    p = "<http://example.org/p>"
    with TestClient(create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp_path / "audit.log"))) as api:
        def update(text: str) -> None:
            response = api.post("/sparql/update", content=text, headers={
                "Content-Type": "application/sparql-update", "Authorization": f"Bearer {admin}"})
            assert response.status_code == 204, response.text

        def values() -> list[str]:
            rows = api.get("/sparql", params={"query": f"SELECT ?o WHERE {{ ?s {p} ?o }} ORDER BY ?o"}).json()
            return [b["o"]["value"] for b in rows["results"]["bindings"]]

        update(f'INSERT DATA {{ GRAPH <{A}> {{ <http://example.org/a> {p} "1", "2" }} '
               f'GRAPH <{B}> {{ <http://example.org/a> {p} "2" }} }} # a comment at the end')
        assert values() == ["1", "2"]
        update(f"DROP SILENT GRAPH <{A}> ;")  # Virtuoso refuses DROP GRAPH of a graph never CREATEd
        assert values() == ["2"]  # still stated by B
        update(f'DELETE DATA {{ GRAPH <{B}> {{ <http://example.org/a> {p} "2" }} }}')
        assert values() == []
