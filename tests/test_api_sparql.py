"""/sparql and /sparql/update through the ASGI app: negotiation, refusals, limits, keys."""

from __future__ import annotations

import json
import os
import time

import pyoxigraph as ox
import pytest

from conftest import deadline_stop
from credgraph.api import create_app
from credgraph.graph.store import sparql_text
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

EX = "http://example.org/"


def _triples(n: int) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i))) for i in range(n)]


@pytest.fixture
def api(tmp_path):
    from fastapi.testclient import TestClient

    keys = tmp_path / "keys.json"
    admin = add_key(keys, "admin", "root")
    researcher = add_key(keys, "researcher", "r1")
    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"))
    ws.store.load_graph("urn:credgraph:source:test", _triples(300), Provenance("source", "test", "sha256:0"))
    settings = ApiSettings(keys_file=keys, audit_log=tmp_path / "audit.log", query_timeout_s=1.5, row_cap=100,
                           max_concurrent_queries=2, max_body_bytes=64 * 1024)
    app = create_app(ws, settings)
    with TestClient(app) as client:
        client.admin, client.researcher, client.ws = admin, researcher, ws
        yield client


def children_of(pid: int) -> set[int]:
    """Child processes of ``pid``, read from /proc (spawning ps would add one)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


SELECT = f"SELECT ?o WHERE {{ <{EX}s7> <{EX}p> ?o }}"


@pytest.mark.parametrize(
    "accept, media",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        # A browser (text/html first) gets the query page with the answer (tests/test_sparql_page.py).
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("application/xhtml+xml;q=0.5,application/sparql-results+json", "application/sparql-results+json"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_negotiation(api, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = api.get("/sparql", params={"query": SELECT}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert "7" in response.text


@pytest.mark.parametrize("accept, media", [
    ("text/turtle", "text/turtle"), ("application/n-triples", "application/n-triples"),
    ("application/ld+json", "application/ld+json"), ("application/rdf+xml", "application/rdf+xml"),
])
def test_construct_negotiation(api, accept, media):
    query = f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o FILTER(?s = <{EX}s3>) }}"
    response = api.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query",
                                                           "Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    fmt = ox.RdfFormat.from_media_type(media)
    triples = list(ox.parse(response.content, fmt))
    assert [(t.subject.value, t.object.value) for t in triples] == [(f"{EX}s3", "3")]


def test_406_when_nothing_fits(api):
    response = api.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    ask = api.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv"})
    assert ask.status_code == 406


def test_syntax_error_names_position(api):
    response = api.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/query-syntax")
    # The parser's own position (oxigraph points just past the offending token).
    assert body["line"] == 3 and body["column"] in (1, 2)
    assert f"error at 3:{body['column']}" in body["detail"]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o.SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { # a comment\n SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX s: <http://x/> SELECT * WHERE { ?s ?p \"x\" . SERVICE ?endpoint { ?s ?p ?o } }",
])
def test_service_is_refused(api, query):
    response = api.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert response.json()["type"].endswith("/service-refused")


@pytest.mark.parametrize("query", [
    f'SELECT ?o WHERE {{ <{EX}s7> <{EX}p> ?o FILTER(?o != "SERVICE") }}',
    f"SELECT ?service WHERE {{ <{EX}s7> <{EX}p> ?service }} # SERVICE in a comment",
    f"PREFIX service: <{EX}> SELECT ?o WHERE {{ service:s7 service:p ?o }}",
])
def test_service_word_elsewhere_is_fine(api, query):
    response = api.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert '"7"' in response.text


def test_service_detection_units():
    assert sparql_text.mentions_service("ASK { SeRvIcE <x> {} }")
    assert sparql_text.mentions_service("ASK { \\U00000053ERVICE <x> {} }")
    assert not sparql_text.mentions_service("ASK { <http://x/SERVICE> ?p 'SERVICE' }")
    assert not sparql_text.mentions_service('ASK { ?s ?p """multi\nSERVICE""" }')


def test_update_is_refused_on_sparql(api):
    for response in (
        api.post("/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
        api.post("/sparql", data={"update": "CLEAR ALL"}),
        api.get("/sparql", params={"update": "CLEAR ALL"}),
        api.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-query"}),
    ):
        assert response.status_code in (403, 415), response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert len(api.ws.store.select("SELECT ?s WHERE { ?s ?p ?o }")) >= 300


def test_update_needs_admin_key(api):
    update = f"INSERT DATA {{ GRAPH <urn:x> {{ <{EX}new> <{EX}p> 1 }} }}"
    headers = {"Content-Type": "application/sparql-update"}
    assert api.post("/sparql/update", content=update, headers=headers).status_code == 401
    wrong = api.post("/sparql/update", content=update, headers={**headers, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    researcher = api.post("/sparql/update", content=update,
                          headers={**headers, "Authorization": f"Bearer {api.researcher}"})
    assert researcher.status_code == 403
    assert not api.ws.store.ask(f"ASK {{ GRAPH <urn:x> {{ <{EX}new> ?p ?o }} }}")
    ok = api.post("/sparql/update", content=update, headers={**headers, "X-API-Key": api.admin})
    assert ok.status_code == 204
    assert api.ws.store.ask(f"ASK {{ GRAPH <urn:x> {{ <{EX}new> ?p ?o }} }}")


@pytest.mark.parametrize("update, kind", [
    ("INSERT DATA { GRAPH <urn:credgraph:private:x> { <http://a> <http://b> 1 } }", "private-graph-refused"),
    ("LOAD <http://127.0.0.1:9/data.ttl>", "load-refused"),
    ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service-refused"),
    ("INSERT DATA { GRAPH <urn:x> { <http://a> <http://b> ", "update-syntax"),
])
def test_update_refusals(api, update, kind):
    response = api.post("/sparql/update", content=update,
                        headers={"Content-Type": "application/sparql-update", "X-API-Key": api.admin})
    assert response.status_code == 400
    assert response.json()["type"].endswith(kind)


def test_timeout_really_stops_the_work(api):
    pathological = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    # Other fixtures of the session (an `oxigraph serve`) are children too.
    others = children_of(os.getpid()) - api.app.state.executor.worker_pids()
    started = time.monotonic()
    response = api.get("/sparql", params={"query": pathological})
    elapsed = time.monotonic() - started
    deadline_stop(response, 1.5)
    assert elapsed < 4
    # The worker was killed and reaped: the only children left are idle workers.
    # Reaping and forking a spare are asynchronous, so allow them a moment.
    deadline = time.monotonic() + 5
    while not children_of(os.getpid()) - others <= api.app.state.executor.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children_of(os.getpid()) - others <= api.app.state.executor.worker_pids()
    # And the endpoint still answers.
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200


def test_a_cpu_bound_hog_is_told_it_is_too_costly(api):
    """A hog that had the CPU until the deadline (the test's server is otherwise idle) is the query's fault: 422.

    The CPU figure is the worker's own, read from /proc; deadline_stop checks that the status follows it.
    """
    hog = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    body = deadline_stop(api.get("/sparql", params={"query": hog}), 1.5)
    assert body["cpu_s"] > 0.1  # it really ran (an unmeasured stop reports no cpu_s at all)
    assert body["status"] == 422 or os.getloadavg()[0] > 2, (
        f"a hog with {body['cpu_s']} s of CPU in 1.5 s on a machine of load {os.getloadavg()[0]:.1f}")
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200


def test_row_cap(api):
    response = api.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 100
    assert response.headers["x-credgraph-truncated"] == "true"


def test_concurrency_bound(api):
    import concurrent.futures

    pathological = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    executor = api.app.state.executor
    executor.queue_wait_s = 0.1
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = [f.result() for f in [pool.submit(api.get, "/sparql", params={"query": pathological})
                                        for _ in range(4)]]
    # One client (the test client's address), a share of one query: one runs into the timeout (422 or
    # 503 by the CPU it had), the three others are its own excess: 429 with Retry-After.
    timed_out = [a for a in answers if a.status_code in (422, 503)]
    throttled = [a for a in answers if a.status_code == 429]
    assert len(timed_out) == 1
    deadline_stop(timed_out[0], 1.5)
    assert len(throttled) == 3 and all(a.json()["type"].endswith("/too-many-queries") for a in throttled)
    assert all(int(a.headers["retry-after"]) >= 1 for a in throttled)
    assert executor._slots.acquire(blocking=False)
    executor._slots.release()
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200


def test_dataset_parameters(api):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    everything = api.get("/sparql", params={"query": query}).json()
    assert int(everything["results"]["bindings"][0]["n"]["value"]) >= 300
    none = api.get("/sparql", params={"query": query, "default-graph-uri": "urn:nothing"}).json()
    assert none["results"]["bindings"][0]["n"]["value"] == "0"
    one = api.get("/sparql", params={"query": query, "default-graph-uri": "urn:credgraph:source:test"}).json()
    assert one["results"]["bindings"][0]["n"]["value"] == "300"


def test_service_description_and_query_page(api):
    sd = api.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.status_code == 200
    triples = list(ox.parse(sd.content, ox.RdfFormat.TURTLE))
    types = {t.object.value for t in triples if t.predicate.value.endswith("#type")}
    assert "http://www.w3.org/ns/sparql-service-description#Service" in types
    page = api.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Issued credentials per EQF level" in page.text  # a research query from queries/
    assert "EQF levels<" not in page.text  # internal helpers are not examples
    assert "/api-static/editor.js" in page.text
    assert "http" not in page.text.split("/api-static/editor.js")[0].rsplit("<script", 1)[-1]
    editor = api.get("/api-static/editor.js")
    assert editor.status_code == 200 and "Ctrl+Enter" in editor.text


def test_cors(api):
    preflight = api.options("/sparql", headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://yasgui.example")
    simple = api.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert simple.headers["access-control-allow-origin"] == "*"


def test_oversized_body_is_413(api):
    big = "ASK { " + "#" * (70 * 1024) + "\n}"
    response = api.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.text)["limit"] == 64 * 1024


def test_unknown_route_is_a_problem(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert api.put("/sparql", params={"query": "ASK {}"}).status_code == 405


def test_many_concurrent_queries_on_disk(tmp_path):
    """Concurrent clients on an on-disk store: every answer right, no worker lost or mixed up."""
    import concurrent.futures

    from fastapi.testclient import TestClient

    ws = Workspace(Settings(data_dir=tmp_path))
    ws.store.load_graph("urn:credgraph:source:test", _triples(50), Provenance("source", "test", "sha256:0"))
    app = create_app(ws, ApiSettings(max_concurrent_queries=4, audit_log=tmp_path / "audit.log"))
    with TestClient(app) as client:
        def call(i: int):
            response = client.get("/sparql", params={"query": f"SELECT ?o WHERE {{ <{EX}s{i % 50}> <{EX}p> ?o }}"})
            return i, response.status_code, response.json()["results"]["bindings"] if response.status_code == 200 else None

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(call, range(150)))
    for i, status, rows in results:
        assert status == 200
        assert rows == [{"o": {"type": "literal", "value": str(i % 50)}}]
    ws.close()


def test_workers_are_reused_until_a_write(api):
    """A worker answers many queries; after a write the next query sees the new data on a fresh worker."""
    executor = api.app.state.executor
    api.get("/sparql", params={"query": SELECT})
    assert executor.wait_for_spares()
    first = executor.worker_pids()
    for _ in range(5):
        assert api.get("/sparql", params={"query": SELECT}).status_code == 200
    assert first and first <= executor.worker_pids()  # the same workers answered (a spare may have joined them)
    api.ws.store.load_graph("urn:credgraph:source:new", [ox.Triple(ox.NamedNode(f"{EX}fresh"), ox.NamedNode(f"{EX}p"),
                                                                    ox.Literal("new"))],
                            Provenance("source", "new", "sha256:1"))
    started = time.monotonic()
    seen = api.get("/sparql", params={"query": f"ASK {{ <{EX}fresh> ?p ?o }}"}).json()["boolean"]
    assert seen is True and time.monotonic() - started < 2  # a fresh worker (a spare, or forked for it) at once
    assert executor.wait_for_spares()
    assert executor.worker_pids().isdisjoint(first)


# -- the /sparql fast path and the in-loop worker exchange -----------------------------


def test_query_check_is_one_pass_of_the_shared_tokenizer():
    from credgraph.api.query_inspection import _inspect, inspect_query

    texts = [
        "SELECT * WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/> BASE <http://b/> INSERT DATA { ex:a ex:b ex:c }",
        "ASK { \\u0053ERVICE <http://evil.example/> { ?s ?p ?o } }",
        "# SERVICE in a comment\nCONSTRUCT { ?s ?p 'SERVICE' } WHERE { ?s ?p ?o }",
        "select ?service where { ?service ?p ?o }",
        "DESCRIBE <http://example.org/x>",
        "",
    ]
    for text in texts:
        check = _inspect(text)
        assert check == inspect_query(text) == inspect_query(text)  # cached or not, the same answer
        assert check.mentions_service == sparql_text.mentions_service(text)
        assert check.form == sparql_text.query_form(text)
    assert _inspect(texts[1]).is_update and not _inspect(texts[0]).is_update
    assert _inspect(texts[2]).mentions_service and not _inspect(texts[3]).mentions_service


def test_fast_path_serves_sparql_ahead_of_fastapi(api, monkeypatch):
    from credgraph.api.app import SparqlFastPath

    # The first middleware a request meets (after Starlette's error handler) takes queries to the endpoint.
    layer = api.app.middleware_stack
    while not isinstance(layer, SparqlFastPath):
        layer = layer.app
    taken = []
    fast = layer.fast
    monkeypatch.setattr(layer, "fast", lambda *a: taken.append(a[0]["path"]) or fast(*a))
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200
    assert api.get("/api/v1/catalogue").status_code == 200 and taken == ["/sparql"]
    # The routes stay in the OpenAPI document.
    assert "/sparql" in api.get("/openapi.json").json()["paths"]
    response = api.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://yasgui.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "X-Credgraph-Truncated" in response.headers["access-control-expose-headers"]
    assert response.headers["vary"].startswith("Accept")


def test_fast_path_unexpected_error_is_a_problem_without_internals(api, monkeypatch):
    async def broken(job, ticket=None):
        raise RuntimeError("secret detail from inside")

    monkeypatch.setattr(api.app.state.executor, "run_async", broken)
    response = api.get("/sparql", params={"query": SELECT})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text and "RuntimeError" in response.json()["detail"]


def test_timeout_on_a_reused_worker_kills_it(api):
    """The in-loop exchange with an idle worker also kills at the deadline."""
    executor = api.app.state.executor
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200
    assert executor.wait_for_spares()  # no spare joins the idle ones while the test looks at them
    idle = executor.worker_pids()
    assert idle
    started = time.monotonic()
    response = api.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                                                    "?j ?k ?l }"})
    deadline_stop(response, 1.5)
    assert time.monotonic() - started < 4
    busy = idle - executor.worker_pids()
    assert busy, "the worker that ran the query is no longer idle"
    for pid in busy:  # killed and reaped: no process, no zombie
        assert not os.path.exists(f"/proc/{pid}")
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200


def test_dead_idle_worker_is_replaced(api):
    """A reused worker that died meanwhile: the query is retried once on a fresh worker."""
    import signal

    executor = api.app.state.executor
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200
    for pid in executor.worker_pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    response = api.get("/sparql", params={"query": SELECT})
    assert response.status_code == 200 and "7" in response.text


def test_result_over_the_byte_limit_on_a_reused_worker(api):
    executor = api.app.state.executor
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200
    executor.max_result_bytes = 200
    response = api.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"})
    assert response.status_code == 422 and response.json()["type"].endswith("/result-too-large")
    executor.max_result_bytes = 32 * 1024 * 1024
    assert api.get("/sparql", params={"query": SELECT}).status_code == 200


def _worker_answer(store, text: str, row_cap: int):
    """Run the worker's evaluation in this process and decode what it would send."""
    from credgraph.api import formats, query_worker
    from credgraph.api.executor import QueryJob
    from credgraph.api.worker_pool import _answer, _parts

    read, write = os.pipe()
    try:
        job = QueryJob(text=text, formats={"boolean": formats.JSON, "solutions": formats.JSON, "graph": formats.TURTLE})
        query_worker.answer(store, job, row_cap, write)
        data = os.read(read, 1 << 24)
    finally:
        os.close(read)
        os.close(write)
    return _answer(*_parts(data[8:]))


@pytest.fixture
def mixed_store():
    from credgraph.graph.store.embedded import EmbeddedStore

    g = ox.NamedNode("urn:credgraph:source:mixed")
    quads = []
    for i in range(50):
        s = ox.NamedNode(f"{EX}s{i}")
        quads.append(ox.Quad(s, ox.NamedNode(f"{EX}label"), ox.Literal(f"Étiquette \"{i}\"\n", language="fr"), g))
        quads.append(ox.Quad(s, ox.NamedNode(f"{EX}n"), ox.Literal(str(i), datatype=ox.NamedNode(ns_xsd("integer"))), g))
        if i % 2:
            quads.append(ox.Quad(s, ox.NamedNode(f"{EX}b"), ox.BlankNode(f"b{i}"), g))
    # The merged public graph, as the store's writes keep it: the default graph of every query.
    quads += [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads]
    store = EmbeddedStore(None)
    store.add_quads(quads)
    return store


def ns_xsd(local: str) -> str:
    return "http://www.w3.org/2001/XMLSchema#" + local


MIXED = (f"SELECT ?s ?label ?n ?b WHERE {{ ?s <{EX}label> ?label ; <{EX}n> ?n OPTIONAL {{ ?s <{EX}b> ?b }} }} "
         "ORDER BY ?n")


def test_worker_json_by_pyoxigraph_matches_the_python_writer(mixed_store):
    from credgraph.api import formats

    answer = _worker_answer(mixed_store, MIXED, row_cap=1000)
    assert not answer.truncated
    result = mixed_store.native_query(MIXED)
    variables = [v.value for v in result.variables]
    rows = [{v: s[v] for v in variables if s[v] is not None} for s in result]
    assert json.loads(answer.body) == json.loads(formats.write_solutions(variables, rows, formats.JSON))
    assert len(json.loads(answer.body)["results"]["bindings"]) == 50


@pytest.mark.parametrize("budget", [None, 200])
def test_worker_json_row_cap(mixed_store, monkeypatch, budget):
    """Capped at row_cap whether the body is read back (None) or outgrows the buffer and is written again (200)."""
    from credgraph.api import answer_writers

    if budget:
        monkeypatch.setattr(answer_writers, "solutions_json_budget", lambda row_cap: budget)
    answer = _worker_answer(mixed_store, MIXED, row_cap=7)
    bindings = json.loads(answer.body)["results"]["bindings"]
    assert answer.truncated and answer.count == 7 and len(bindings) == 7
    assert [b["n"]["value"] for b in bindings] == [str(i) for i in range(7)]
    exact = _worker_answer(mixed_store, MIXED, row_cap=50)
    assert not exact.truncated and len(json.loads(exact.body)["results"]["bindings"]) == 50
