"""A real ``credgraph serve`` process (uvicorn, on-disk store) used by real clients:
SPARQLWrapper, rdflib's SPARQLStore, httpx and curl."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import deadline_stop, free_port, wait_for_http

EX = "http://example.org/live/"


def credgraph(*args: str, data: Path, **kw) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("credgraph")
    return subprocess.run([str(exe), "--data", str(data), *args], capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``credgraph serve`` on a fresh data directory with a few triples, an admin and a researcher key."""
    data = tmp_path_factory.mktemp("live")
    admin = credgraph("keys", "add", "--role", "admin", "--name", "live-admin", data=data).stdout.splitlines()[0]
    researcher = credgraph("keys", "add", "--role", "researcher", "--name", "r", data=data).stdout.splitlines()[0]
    port = free_port()
    exe = Path(sys.executable).with_name("credgraph")
    process = subprocess.Popen(
        [str(exe), "--data", str(data), "serve", "--port", str(port), "--timeout", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/sparql?query=ASK%7B%7D", timeout=60)
        update = "INSERT DATA { GRAPH <urn:credgraph:source:live> { " + " ".join(
            f"<{EX}s{i}> <{EX}p> {i} ; <http://www.w3.org/2000/01/rdf-schema#label> \"thing {i}\"@en ." for i in range(200)
        ) + " } }"
        response = httpx.post(base + "/sparql/update", content=update,
                              headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {admin}"})
        assert response.status_code == 204, response.text
        yield {"base": base, "admin": admin, "researcher": researcher, "process": process, "data": data}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_sparqlwrapper(server):
    from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(server["base"] + "/sparql")
    client.setQuery(f"SELECT ?o WHERE {{ <{EX}s5> <{EX}p> ?o }}")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert rows == [{"o": {"type": "literal", "value": "5", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    client.setReturnFormat(XML)
    assert client.query().convert().getElementsByTagName("literal")[0].firstChild.data == "5"
    client.setMethod(POST)
    client.setQuery(f"ASK {{ <{EX}s5> ?p ?o }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery(f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o FILTER(?o < 3) }}")
    client.setReturnFormat(TURTLE)
    graph = client.query().convert()
    import rdflib

    parsed = rdflib.Graph().parse(data=graph, format="turtle")
    assert len(parsed) == 3


def test_sparqlwrapper_update_with_admin_key(server):
    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client = SPARQLWrapper(server["base"] + "/sparql", updateEndpoint=server["base"] + "/sparql/update")
    client.setMethod(POST)
    client.setQuery(f"INSERT DATA {{ GRAPH <urn:credgraph:source:live2> {{ <{EX}extra> <{EX}p> 1 }} }}")
    with pytest.raises((SPARQLWrapperException, Exception)):
        client.query()  # no key
    client.addCustomHttpHeader("Authorization", f"Bearer {server['admin']}")
    client.query()
    check = httpx.get(server["base"] + "/sparql", params={"query": f"ASK {{ <{EX}extra> ?p ?o }}"})
    assert check.json()["boolean"] is True


def test_rdflib_sparqlstore(server):
    import rdflib
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server["base"] + "/sparql", returnFormat="xml")
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(f"SELECT ?label WHERE {{ <{EX}s7> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"))
    assert [str(r[0]) for r in rows] == ["thing 7"]
    assert rows[0][0].language == "en"
    json_store = SPARQLStore(server["base"] + "/sparql", returnFormat="json", method="POST")
    count = list(rdflib.Graph(store=json_store).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?o }}"))
    assert int(count[0][0]) >= 200
    assert (rdflib.URIRef(f"{EX}s3"), rdflib.URIRef(f"{EX}p"), rdflib.Literal(3)) in graph


def test_httpx_problems_and_timeout(server):
    base = server["base"]
    bad = httpx.get(base + "/sparql", params={"query": "SELECT * {"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["line"] == 1
    service = httpx.post(base + "/sparql", data={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert service.status_code == 400
    update = httpx.post(base + "/sparql/update", content="CLEAR ALL",
                        headers={"Content-Type": "application/sparql-update",
                                 "Authorization": f"Bearer {server['researcher']}"})
    assert update.status_code == 403
    started = time.monotonic()
    slow = httpx.get(base + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"},
                     timeout=30)
    deadline_stop(slow, 2.0)  # the server runs with --timeout 2
    assert time.monotonic() - started < 6
    # The server killed its worker (what is left are at most its idle workers), and it still answers.
    time.sleep(0.5)
    children = subprocess.run(["ps", "--ppid", str(server["process"].pid), "-o", "pid="], capture_output=True, text=True)
    assert len(children.stdout.split()) <= 4
    assert httpx.get(base + "/sparql", params={"query": "ASK {}"}).json()["boolean"] is True
    still_there = httpx.get(base + "/sparql", params={"query": f"ASK {{ <{EX}s1> ?p ?o }}"})
    assert still_there.json()["boolean"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(server):
    out = subprocess.run(["curl", "-s", "-H", "Accept: text/csv", "--data-urlencode",
                          f"query=SELECT ?o WHERE {{ <{EX}s9> <{EX}p> ?o }}", server["base"] + "/sparql"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.splitlines() == ["o", "9"]
    sd = subprocess.run(["curl", "-s", "-H", "Accept: text/turtle", server["base"] + "/sparql"],
                        capture_output=True, text=True, timeout=30)
    assert "sparql-service-description#Service" in sd.stdout


@pytest.mark.slow
def test_credgraph_demo_sets_up_and_serves_api_and_site(tmp_path):
    """`credgraph demo` on an empty data directory: init, demo data, site build, then API and site together."""
    data = tmp_path / "demo"
    port = free_port()
    exe = Path(sys.executable).with_name("credgraph")
    process = subprocess.Popen([str(exe), "--data", str(data), "demo", "--scale", "0.002", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/sparql?query=ASK%7B%7D", timeout=900)
        home = httpx.get(base + "/")
        assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
        assert (data / "site" / "index.html").exists()
        catalogue = httpx.get(base + "/api/v1/catalogue", timeout=120).json()
        assert catalogue["total"] >= 100
        spec = catalogue["items"][0]["iri"]
        page = httpx.get(base + "/id/" + spec.split("/id/", 1)[1], headers={"Accept": "text/turtle"})
        assert page.status_code == 200 and spec in page.text
        count = httpx.get(base + "/sparql", params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> }"}).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) == 10
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
