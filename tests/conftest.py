"""Shared fixtures: stores on both backends, a real ``oxigraph serve`` process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from credgraph.graph.store import Store, open_store

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
    """A real ``oxigraph serve`` on 127.0.0.1 (union default graph), stopped afterwards."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
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


@pytest.fixture(params=["embedded", "remote"])
def store(request) -> Store:
    """An empty store, once embedded (in memory) and once remote (``oxigraph serve``)."""
    if request.param == "embedded":
        s = open_store("memory:")
    else:
        url = request.getfixturevalue("oxigraph_server")
        _clear_remote(url)
        s = open_store(url)
    yield s
    s.close()


@pytest.fixture
def embedded_store() -> Store:
    """An empty in-memory embedded store."""
    s = open_store("memory:")
    yield s
    s.close()


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
