"""GET /sparql?query= from a browser: the query page with the answer on it (issue 15).

Through the ASGI app (httpx, via Starlette's test client) for what the page
says, and against a real ``credgraph serve`` in headless Chromium for what a
reader sees under the server's Content-Security-Policy. Programmatic clients
keep the protocol's answers (tests/test_api_sparql.py, the W3C tests).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from credgraph.api import create_app, formats
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import start_credgraph_server

EX = "http://example.org/"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
                   "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
BROWSER = {"Accept": CHROMIUM_ACCEPT}
HOSTILE = '<script>alert("x")</script> & </textarea>'
SELECT = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s"


def _triples(n: int) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"{EX}s{i:03d}"), ox.NamedNode(f"{EX}p"),
                       ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) for i in range(n)]


@pytest.fixture
def api(tmp_path):
    from fastapi.testclient import TestClient

    keys = tmp_path / "keys.json"
    researcher = add_key(keys, "researcher", "r1")
    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"))
    hostile = [
        ox.Triple(ox.NamedNode(f"{EX}hostile"), ox.NamedNode(f"{EX}label"), ox.Literal(HOSTILE, language="en")),
        ox.Triple(ox.NamedNode(f"{EX}hostile"), ox.NamedNode(f"{EX}see"), ox.NamedNode("javascript:alert(1)")),
    ]
    ws.store.load_graph("urn:credgraph:source:test", _triples(150) + hostile, Provenance("source", "test", "sha256:0"))
    ws.research.load_graph("urn:credgraph:source:research",
                           [ox.Triple(ox.NamedNode(f"{EX}record"), ox.NamedNode(f"{EX}pseudonym"), ox.Literal("p-1"))],
                           Provenance("source", "research", "sha256:1"))
    settings = ApiSettings(keys_file=keys, audit_log=tmp_path / "audit.log", query_timeout_s=5, row_cap=100,
                           max_concurrent_queries=2)
    with TestClient(create_app(ws, settings)) as client:
        client.researcher = researcher
        yield client


def _status(page: str) -> str:
    """The text of the page's status line (what the answer is, or why there is none)."""
    found = re.search(r'<p id="status"[^>]*>(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).strip() if found else ""


def _editor(page: str) -> str:
    return html.unescape(re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def _table(page: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_select_from_a_browser_is_the_page_with_a_table(api):
    response = api.get("/sparql", params={"query": SELECT}, headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert _editor(page) == SELECT
    rows = _table(page)
    # The row cap (100) applies as to any query, and the page says so.
    assert len(rows) == 100 and rows[0] == [f"{EX}s000", "0 ^^xsd:integer"]
    assert "100 rows" in _status(page) and "row cap of 100" in _status(page)
    # The same answer in machine formats, through links that keep the query.
    links = dict((label, html.unescape(href)) for href, label in
                 re.findall(r'<a class="download" href="([^"]+)">([^<]+)</a>', page))
    assert set(links) == {"SPARQL JSON", "CSV", "TSV", "SPARQL XML"}
    as_json = api.get(links["SPARQL JSON"], headers=BROWSER)
    assert as_json.headers["content-type"].startswith("application/sparql-results+json")
    values = [b["o"]["value"] for b in as_json.json()["results"]["bindings"]]
    assert [r[1].split()[0] for r in rows] == values
    as_csv = api.get(links["CSV"], headers=BROWSER)
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.text.splitlines()[1] == f"{EX}s000,0"


def test_the_page_shows_at_most_its_row_limit(api, monkeypatch):
    monkeypatch.setattr(formats, "PAGE_ROWS", 7)
    page = api.get("/sparql", params={"query": SELECT + " LIMIT 20"}, headers=BROWSER).text
    assert len(_table(page)) == 7
    assert _status(page).startswith("20 rows, the first 7 shown")


def test_every_value_is_escaped_and_only_web_iris_are_links(api):
    query = f'SELECT ?label ?see WHERE {{ <{EX}hostile> <{EX}label> ?label ; <{EX}see> ?see }} # {HOSTILE}'
    page = api.get("/sparql", params={"query": query}, headers=BROWSER).text
    assert "<script>alert" not in page and "</textarea> &" not in page
    assert _editor(page) == query
    assert _table(page) == [[HOSTILE + " @en", "javascript:alert(1)"]]
    assert 'href="javascript:' not in page


def test_ask_and_construct(api):
    ask = api.get("/sparql", params={"query": f"ASK {{ <{EX}s001> ?p ?o }}"}, headers=BROWSER)
    assert ask.status_code == 200 and _status(ask.text).startswith("Answer: true")
    construct = f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}label> ?o }}"
    page = api.get("/sparql", params={"query": construct}, headers=BROWSER).text
    turtle = html.unescape(re.search(r'<pre class="turtle">(.*?)</pre>', page, re.S).group(1))
    assert [(t.subject.value, t.object.value) for t in ox.parse(turtle.encode(), ox.RdfFormat.TURTLE)] == [
        (f"{EX}hostile", HOSTILE)]
    assert "<script>alert" not in page
    assert "Turtle" in _status(page) and "N-Triples" in _status(page)


@pytest.mark.parametrize("query, status, says", [
    ("SELECT * WHERE {\n ?s ?p \n}", 400, "error at 3:"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400, "SERVICE is not allowed"),
    ("CLEAR ALL", 403, "read-only"),
])
def test_errors_are_one_line_on_the_page(api, query, status, says):
    response = api.get("/sparql", params={"query": query}, headers=BROWSER)
    assert response.status_code == status and response.headers["content-type"].startswith("text/html")
    line = _status(response.text)
    assert says in line and "\n" not in line and "Traceback" not in response.text
    assert _editor(response.text) == query


def test_unknown_format_is_said_on_the_page(api):
    response = api.get("/sparql", params={"query": SELECT, "format": "png"}, headers=BROWSER)
    assert response.status_code == 400 and "format='png' is not one of json" in _status(response.text)


@pytest.mark.parametrize("accept", [None, "*/*", "application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values", "application/json"])
def test_programmatic_clients_get_the_protocol_answer(api, accept):
    headers = {"Accept": accept} if accept else {}
    response = api.get("/sparql", params={"query": SELECT, "format": "png"}, headers=headers)
    assert response.status_code == 200  # format= means nothing to them: negotiation as before
    assert not response.headers["content-type"].startswith("text/html")
    assert f"{EX}s000" in response.text


def test_research_view_from_a_browser(api):
    query = f"SELECT ?p WHERE {{ ?r <{EX}pseudonym> ?p }}"
    params = {"query": query, "view": "research"}
    anonymous = api.get("/sparql", params=params, headers=BROWSER)
    assert anonymous.status_code == 401 and "researcher" in _status(anonymous.text)
    keyed = {**BROWSER, "Authorization": f"Bearer {api.researcher}"}
    page = api.get("/sparql", params=params, headers=keyed)
    assert page.status_code == 200 and _table(page.text) == [["p-1"]]
    assert "view=research" in re.search(r'<a class="download" href="([^"]+)"', page.text).group(1)
    # Programmatic researcher clients as before.
    answer = api.get("/sparql", params=params, headers={"Authorization": f"Bearer {api.researcher}"})
    assert answer.json()["results"]["bindings"][0]["p"]["value"] == "p-1"


# -- a real server in headless Chromium ----------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``credgraph serve`` (in-memory store, vocabularies) with a few triples written through /sparql/update."""
    data = tmp_path_factory.mktemp("sparql-page")
    admin = subprocess.run([sys.executable, "-m", "credgraph", "--data", str(data), "keys", "add", "--role", "admin",
                            "--name", "page-admin"], cwd=data, capture_output=True, text=True, check=True).stdout.split()[0]
    process, base = start_credgraph_server(data)
    try:
        literal = json.dumps(HOSTILE)
        update = ("INSERT DATA { GRAPH <urn:credgraph:source:page> { "
                  + " ".join(f"<{EX}s{i}> <{EX}p> {i} ." for i in range(5))
                  + f" <{EX}hostile> <{EX}label> {literal}@en . }} }}")
        written = httpx.post(base + "/sparql/update", content=update,
                             headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {admin}"})
        assert written.status_code == 204, written.text
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_live_server_answers_browsers_and_clients_apart(server):
    """Over a real socket with httpx: the same GET, a page for a browser and the protocol's answer otherwise."""
    params = {"query": f"SELECT ?o WHERE {{ <{EX}s3> <{EX}p> ?o }}"}
    page = httpx.get(server + "/sparql", params=params, headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert _table(page.text) == [["3 ^^xsd:integer"]] and page.headers["vary"].startswith("Accept")
    for accept in (None, "*/*", "application/sparql-results+xml"):
        answer = httpx.get(server + "/sparql", params=params, headers={"Accept": accept} if accept else {})
        assert answer.status_code == 200 and "html" not in answer.headers["content-type"]
        assert "3" in answer.text
    assert httpx.get(server + "/sparql", params=params).json()["results"]["bindings"][0]["o"]["value"] == "3"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(str(e)))
    # A Content-Security-Policy refusal is reported on the console.
    pg.on("console", lambda m: problems.append(m.text)
          if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    # Every resource the page loads answers (the browser's own /favicon.ico guess aside).
    pg.on("response", lambda r: problems.append(f"{r.status} {r.url}")
          if r.status >= 400 and not r.url.endswith("/favicon.ico") and r.request.resource_type != "document" else None)
    pg.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    yield pg
    context.close()
    assert not problems, problems


@pytest.mark.browser
def test_chromium_shows_the_answer_on_the_query_page(page, server):
    query = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o"
    response = page.goto(server + "/sparql?" + httpx.QueryParams({"query": query}).__str__())
    assert response.status == 200 and response.headers["content-type"].startswith("text/html")
    assert page.locator("#query").input_value() == query
    rows = page.locator("#results tbody tr")
    assert rows.count() == 5
    assert rows.nth(2).locator("td").first.inner_text() == f"{EX}s2"
    assert page.locator("#status").inner_text().startswith("5 rows")
    # The editor's script ran under the CSP: the query is highlighted.
    assert page.locator("#highlight .kw").first.inner_text() == "SELECT"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "closing-sparql-results.png"), full_page=True)
    # The JSON link shows the same answer in JSON.
    page.locator("a.download", has_text="SPARQL JSON").click()
    page.wait_for_load_state()
    answer = json.loads(page.locator("body").inner_text())
    assert [b["o"]["value"] for b in answer["results"]["bindings"]] == ["0", "1", "2", "3", "4"]


@pytest.mark.browser
def test_chromium_hostile_values_stay_text(page, server):
    query = f"SELECT ?label WHERE {{ <{EX}hostile> <{EX}label> ?label }}"
    page.goto(server + "/sparql?" + str(httpx.QueryParams({"query": query})))
    assert page.locator("#results td").first.inner_text() == HOSTILE + " @en"
    assert page.locator("#results script").count() == 0


@pytest.mark.browser
def test_chromium_error_is_one_line(page, server):
    page.goto(server + "/sparql?" + str(httpx.QueryParams({"query": "SELECT * WHERE { ?s"})))
    status = page.locator("#status.error")
    assert "error at 1:" in status.inner_text() and "\n" not in status.inner_text().strip()


@pytest.mark.browser
def test_chromium_example_description_goes_on_every_kind_of_edit(page, server):
    page.goto(server + "/sparql")
    note = page.locator("#example-note")
    for edit in (lambda: page.locator("#query").press("Tab"),  # setRangeText: no input event of its own
                 lambda: page.locator("#query").press("Backspace")):
        page.locator("#examples button").first.click()
        assert note.inner_text().strip()
        page.locator("#query").press("End")
        edit()
        assert note.inner_text().strip() == ""
