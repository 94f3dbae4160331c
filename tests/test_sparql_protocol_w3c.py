"""The W3C SPARQL 1.1 Protocol test suite, read from its machine-readable manifest.

Query and bad-request tests go to /sparql; update tests send their first
request to /sparql/update (with an admin key) and their checks to /sparql. Each
manifest entry is one pytest case; a final case checks that every entry ran.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

SUITE = Path(__file__).resolve().parent / "data" / "w3c-sparql11-protocol"
MANIFEST = SUITE / "sparql11-protocol-manifest.ttl"


def load_manifest() -> tuple[Graph, list[URIRef]]:
    graph = Graph()
    graph.parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = list(Collection(graph, graph.value(manifest, MF.entries)))
    return graph, entries


GRAPH, ENTRIES = load_manifest()
RAN: set[str] = set()


def _name(entry: URIRef) -> str:
    return str(entry).rsplit("#", 1)[-1]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("w3c")
    keys = tmp / "keys.json"
    admin = add_key(keys, "admin", "w3c-admin")
    ws = Workspace(Settings(data_dir=tmp, store="memory:"))
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log", query_timeout_s=10))
    with TestClient(app) as test_client:
        test_client.admin_key = admin
        test_client.workspace = ws
        yield test_client


def _load_graph_data(client, entry: URIRef) -> None:
    for data in GRAPH.objects(entry, UT.graphData):
        file = Path(urlsplit(str(GRAPH.value(data, UT.graph))).path)
        name = str(GRAPH.value(data, RDFS.label))
        import pyoxigraph as ox

        triples = list(ox.parse(path=str(SUITE / file.name.replace("data", "sparql11-protocol-data")),
                                format=ox.RdfFormat.N_TRIPLES))
        client.workspace.store.load_graph(name, triples, Provenance("source", file.name, "sha256:test"))


def _requests(entry: URIRef) -> list:
    action = GRAPH.value(entry, MF.action)
    return list(Collection(GRAPH, GRAPH.value(action, HT.requests)))


def _send(client, request, path_base: str):
    method = str(GRAPH.value(request, HT.methodName))
    path = str(GRAPH.value(request, HT.absolutePath)).replace("/sparql/", path_base, 1)
    headers = {}
    header_list = GRAPH.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(GRAPH, header_list):
            headers[str(GRAPH.value(header, HT.fieldName))] = str(GRAPH.value(header, HT.fieldValue))
    body = GRAPH.value(request, HT.body)
    content = None
    if body is not None:
        encoding = str(GRAPH.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(GRAPH.value(body, CNT.chars)).encode(encoding.lower())
    if path_base.endswith("update"):
        headers["Authorization"] = f"Bearer {client.admin_key}"
    return client.request(method, path, content=content, headers=headers)


def _boolean(response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if "json" in media:
        return json.loads(response.text)["boolean"]
    root = ET.fromstring(response.content)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


TABULAR = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"}
BOOLEAN = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples"}


def _check(response, expected) -> None:
    statuses = {str(s).rsplit("#", 1)[-1] for s in GRAPH.objects(expected, MF.expectedStatus)}
    klass = f"StatusCode{response.status_code // 100}xx"
    assert klass in statuses, f"status {response.status_code} not in {statuses}: {response.text[:300]}"
    if response.status_code >= 400:
        # Every error is an RFC 9457 problem document.
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == response.status_code
    fmt = GRAPH.value(expected, MF.expectedFormat)
    media = response.headers.get("content-type", "").split(";")[0]
    if fmt is not None:
        allowed = {"boolean": BOOLEAN, "tabular": TABULAR, "RDF": RDF_TYPES}[str(fmt)]
        assert media in allowed, f"{media} is not a {fmt} format"
    boolean = GRAPH.value(expected, MF.expectedBoolean)
    if boolean is not None:
        assert _boolean(response) is boolean.toPython()


@pytest.mark.parametrize("entry", ENTRIES, ids=[_name(e) for e in ENTRIES])
def test_protocol(client, entry):
    name = _name(entry)
    _load_graph_data(client, entry)
    for index, request in enumerate(_requests(entry)):
        is_update = "update" in name and index == 0
        response = _send(client, request, "/sparql/update" if is_update else "/sparql")
        _check(response, GRAPH.value(request, HT.resp))
    RAN.add(name)


def test_the_whole_suite_ran():
    """34 entries in the manifest, every one run and passed above."""
    assert len(ENTRIES) == 34
    assert RAN == {_name(e) for e in ENTRIES}
