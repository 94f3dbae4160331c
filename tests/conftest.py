"""Shared fixtures: stores on every backend, real ``oxigraph serve`` and Virtuoso processes."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from credgraph.graph.store.interface import Store, open_store

# The small public files the tests read (samples, contexts, ELM, ESCO slices,
# W3C manifests): in the repository, see tests/data/README.md.
TEST_DATA = Path(__file__).resolve().parent / "data"
# The full reference data (complete ESCO export) is large and stays outside
# the repository: only opt-in tests read it, from $CREDGRAPH_SHARED/data.
FULL_DATA_VARIABLE = "CREDGRAPH_SHARED"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary from the PyPI ``oxigraph`` wheel."""
    candidate = Path(sys.executable).with_name("oxigraph")
    found = str(candidate) if candidate.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the oxigraph server binary is missing: pip install '.[test]'")
    return found


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    """Poll ``url`` until it answers (any HTTP status) or fail."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up within {timeout} s")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real ``oxigraph serve`` on 127.0.0.1 (no union default graph: plain SPARQL 1.1), stopped afterwards."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/query?query=ASK%7B%7D")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _clear_remote(url: str) -> None:
    request = urllib.request.Request(
        url + "/update", data=b"update=DROP%20ALL", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    urllib.request.urlopen(request, timeout=30).read()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = ./virtuoso.db
ErrorLogFile = ./virtuoso.log
LockFile = ./virtuoso.lck
TransactionFile = ./virtuoso.trx
xa_persistent_file = ./virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = ./virtuoso-temp.db
TransactionFile = ./virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = .
ServerThreads = 8
Charset = UTF-8
[SPARQL]
; the shipped default (10,000) would cut results short without saying so
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its HTTP base URL and the dba password."""

    url: str
    password: str

    def open(self) -> Store:
        """A credgraph store on it (merge in a named graph, digest-authenticated updates)."""
        from credgraph.graph.store.remote import RemoteStore

        return RemoteStore(self.url, query_url=self.url + "/sparql", update_url=self.url + "/sparql-auth",
                           merged_graph="urn:credgraph:public", user="dba", password=self.password,
                           bind_durations=True)

    def environment(self) -> dict[str, str]:
        """The settings a credgraph process (the CLI) needs for this server, as README's recipe gives them."""
        return {"CREDGRAPH_QUERY_URL": self.url + "/sparql", "CREDGRAPH_UPDATE_URL": self.url + "/sparql-auth",
                "CREDGRAPH_MERGED_GRAPH": "urn:credgraph:public", "CREDGRAPH_REMOTE_USER": "dba",
                "CREDGRAPH_REMOTE_PASSWORD": self.password, "CREDGRAPH_BIND_DURATIONS": "1"}

    def clear(self) -> None:
        """Drop every graph credgraph wrote, the meta graph and the merge (DROP ALL would drop Virtuoso's own too).

        Graphs come from the meta graph: listing every graph by ``GRAPH ?g`` takes Virtuoso many seconds.
        """
        store = self.open()
        recorded = store.select("SELECT ?g WHERE { GRAPH <urn:credgraph:meta> { ?g a <https://w3id.org/credgraph/ns#NamedGraph> } }")
        graphs = {row["g"].value for row in recorded.rows} | {"urn:credgraph:meta", "urn:credgraph:public"}
        store.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in sorted(graphs)))


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """Virtuoso 7 Open Source (Debian ``virtuoso-opensource``) on free 127.0.0.1 ports, in a temp directory."""
    binary = shutil.which("virtuoso-t")
    if not binary:
        raise RuntimeError("virtuoso-t is missing: bash scripts/setup.sh installs the Debian package virtuoso-opensource")
    directory = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(VIRTUOSO_INI.format(sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen([binary, "-f", "-c", "virtuoso.ini"], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_for_http(url + "/sparql?query=ASK%7B%7D", timeout=60)
        # The shipped dba/dba account must not stay: a fresh password, set over Virtuoso's SQL port.
        password = secrets.token_urlsafe(16)
        subprocess.run([shutil.which("isql-vt") or "isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba",
                        f"exec=USER_SET_PASSWORD('dba', '{password}');"],
                       check=True, capture_output=True, timeout=60)
        yield Virtuoso(url, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


BACKENDS = ["embedded", "oxigraph-serve", "virtuoso"]


def open_backend(request, name: str) -> Store:
    """An empty store on backend ``name`` (one of :data:`BACKENDS`)."""
    if name == "embedded":
        return open_store("memory:")
    if name == "oxigraph-serve":
        url = request.getfixturevalue("oxigraph_server")
        _clear_remote(url)
        return open_store(url)
    server = request.getfixturevalue("virtuoso_server")
    server.clear()
    # The CLI run inside a test opens its own store from the environment.
    monkeypatch = request.getfixturevalue("monkeypatch")
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    return server.open()


@pytest.fixture(params=BACKENDS[:2])
def store(request) -> Store:
    """An empty store, once embedded (in memory) and once on ``oxigraph serve`` (the service tests)."""
    s = open_backend(request, request.param)
    yield s
    s.close()


@pytest.fixture(params=BACKENDS)
def any_store(request) -> Store:
    """An empty store on every backend, Virtuoso included (the store contract, research queries, demo import).

    Virtuoso 7.2 (Debian) refuses ``xsd:duration`` constants and keeps such
    values as seconds (openlink/virtuoso-opensource#224), which ELM uses: the
    store is opened with ``bind_durations`` and the service tests, which compare
    such values, run on the two Oxigraph backends only.
    """
    s = open_backend(request, request.param)
    yield s
    s.close()


@pytest.fixture
def embedded_store() -> Store:
    """An empty in-memory embedded store."""
    s = open_store("memory:")
    yield s
    s.close()


# The shipped vocabularies the EC samples use (their concepts are checked on import).
SAMPLE_VOCABS = ["learning-assessment", "credential", "education-credit", "eqf", "assessment", "learning-setting"]


@pytest.fixture
def memory_ws(tmp_path):
    """A workspace on in-memory stores, with the vocabularies the EC samples use."""
    from credgraph.graph.sources import vocab
    from credgraph.graph.workspace import Workspace
    from credgraph.settings import Settings

    ws = Workspace(Settings(store="memory:", data_dir=tmp_path))
    vocab.load_shipped(ws.store, SAMPLE_VOCABS)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``tests/data``: the reference files the tests need, same layout as ``shared/data``."""
    return TEST_DATA


def full_reference_data() -> Path | None:
    """``$CREDGRAPH_SHARED/data`` when the variable is set, else None."""
    root = os.environ.get(FULL_DATA_VARIABLE)
    return Path(root) / "data" if root else None


@pytest.fixture(scope="session")
def full_data() -> Path:
    """The full reference data (complete ESCO export): opt-in, skipped unless $CREDGRAPH_SHARED is set."""
    data = full_reference_data()
    if data is None:
        pytest.skip(f"needs the full reference data: set {FULL_DATA_VARIABLE} to the folder holding data/esco/")
    if not (data / "esco" / "v1.1.1-en" / "skills_en.csv").is_file():
        raise RuntimeError(f"{FULL_DATA_VARIABLE}={os.environ[FULL_DATA_VARIABLE]}: no data/esco/v1.1.1-en/skills_en.csv there")
    return data


def dump_lines(store) -> list[bytes]:
    """The store's N-Quads dump as sorted lines: compare a store before and after."""
    out = io.BytesIO()
    store.dump(out)
    return sorted(out.getvalue().splitlines())


def start_credgraph_server(data: Path, *options: str, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """``credgraph serve`` on an in-memory store in a process of its own; its process and base URL once it answers.

    Run outside the checkout (``cwd``): its credgraph/ folder would shadow the installed package.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "credgraph", "--store", "memory:", "--data", str(data), "serve", "--port", str(port), *options],
        cwd=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/api/v1/", timeout=5).read()
            return process, base
        except OSError:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (never a browser of Playwright's own)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        raise RuntimeError("/usr/bin/chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium),
                               args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def deadline_stop(response, timeout_s: float) -> dict:
    """The problem of a query stopped at its deadline, checked against the CPU its worker reports.

    At least half a core for the whole timeout: the query is too costly (422 ``query-too-costly``);
    less, but real work (charged to the client): its excess over its share (429 ``too-many-queries``);
    hardly any: the machine was overloaded (503 ``query-timeout`` with Retry-After). Which of the two a
    hog gets depends on what else the machine runs; the rule between them must hold either way.
    """
    body = response.json()
    assert "ran longer than" in body["detail"], body
    assert 0 <= body["cpu_s"] <= timeout_s * 2 + 0.5, body  # measured on the worker (at most 2 cores' worth)
    if body["cpu_s"] >= 0.5 * timeout_s:
        assert response.status_code == 422 and body["type"].endswith("/query-too-costly"), body
        assert "query_timeout_s" in body["detail"]
    elif body["cpu_s"] >= 0.1:  # fairness.LIGHT_CPU_S: charged to the client, its excess
        assert response.status_code == 429 and body["type"].endswith("/too-many-queries"), body
        assert int(response.headers["retry-after"]) >= 1
    else:
        assert response.status_code == 503 and body["type"].endswith("/query-timeout"), body
        assert int(response.headers["retry-after"]) >= 1
    return body
