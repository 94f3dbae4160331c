"""``kill -9`` during real imports (issue #13, item 5): after every restart both stores hold whole documents only.

A ``credgraph import credentials`` process (the CLI, in a process of its own,
on an on-disk data directory) is killed with SIGKILL at random moments, at
least 20 times; the next open of the data directory must find what it left
half-written and drop it before anything else, so that every private part has
its public and research records and the reverse. The same is done to an API
server receiving uploads. Time is bounded: each run is killed within seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from credgraph.graph.store import consistency
from credgraph.demo import generator as demo_data
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

KILLS = 24  # half killed by themselves after a write chosen at random, half from outside at a random moment
pytestmark = pytest.mark.slow


def cli(data: Path, *args: str) -> list[str]:
    # The installed console script: `python -m` from the checkout would import its credgraph/ folder instead.
    return [str(Path(sys.executable).with_name("credgraph")), "--data", str(data), *args]


def parts(data: Path) -> tuple[dict, set, set, set]:
    """Open the data directory as the next command would; what the check found, then the source ids left in each store."""
    ws = Workspace(Settings(data_dir=data))
    try:
        found = consistency.check(ws)
        consistency.ensure(ws)  # what every import and server start does first
        ids = []
        for store, prefix in ((ws.private, ns.PRIVATE_GRAPH), (ws.store, ns.SOURCE_GRAPH), (ws.research, ns.SOURCE_GRAPH)):
            ids.append({g.name[len(prefix):] for g in store.graphs() if g.name.startswith(prefix + "cred-")})
        return {"half_written": len(found.problems), "whole": found.complete}, *ids
    finally:
        ws.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo_data.generate(out, scale=0.3, seed=5)  # 1,500 credentials
    return out


# Run by the killed process: the CLI import, killing itself with SIGKILL right after its N-th store write
# (a point between the private, research and public writes of a slice, chosen at random by the test). The
# private write runs beside the other two (graph/sources/chunk_writing.py), so the N-th write to end may
# be any of the three, and the slice's last write may end on its thread just before the kill lands.
SELF_KILL = """
import os, signal, sys
from credgraph.graph.store import interface as store
after, writes, original = int(sys.argv[1]), [0], store.Store.replace_graphs
def replace_graphs(self, graphs, provenance):
    original(self, graphs, provenance)
    writes[0] += 1
    if writes[0] == after:
        os.kill(os.getpid(), signal.SIGKILL)
store.Store.replace_graphs = replace_graphs
from credgraph.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_kill_9_during_cli_imports_leaves_no_half_written_document(demo, tmp_path):
    data = tmp_path / "data"
    subprocess.run(cli(data, "init"), check=True, capture_output=True, timeout=300)
    credentials = demo / "credentials"
    files = sorted(credentials.rglob("*.jsonld"))
    rng = random.Random(13)
    figures = []
    began = time.monotonic()

    def batch(n: int) -> Path:
        """60 credentials not imported before (2 slices of writes: 50 and 10), as links in a folder of their own."""
        folder = tmp_path / f"batch-{n}"
        folder.mkdir()
        for path in files[n * 60:(n + 1) * 60]:
            (folder / path.name).symlink_to(path)
        return folder

    started = time.monotonic()
    subprocess.run(cli(data, "import", "credentials", str(batch(KILLS)), "--quiet"), check=True, capture_output=True,
                   timeout=300)
    whole_run = time.monotonic() - started
    for kill in range(KILLS):
        args = ["import", "credentials", str(batch(kill)), "--quiet"]
        if kill % 2 == 0:  # killed by itself after a write chosen at random: 6 writes (2 slices x 3 stores)
            after = rng.randint(1, 6)
            point = f"after write {after} (slice {(after - 1) // 3 + 1})"
            process = subprocess.Popen([sys.executable, "-c", SELF_KILL, str(after), "--data", str(data), *args], cwd=data.parent,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            process.wait(timeout=300)
        else:  # killed from outside at a random moment of the run
            delay = rng.uniform(0.2, 0.95) * whole_run
            point = f"at {delay:.2f} s"
            process = subprocess.Popen(cli(data, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        found, private, public, research = parts(data)
        assert private == public == research, f"kill {kill} {point}: stores disagree after the restart"
        figures.append({"point": point, "killed": process.returncode == -signal.SIGKILL, **found, "documents": len(public)})
    # The last import runs to its end: every credential once, whole.
    subprocess.run(cli(data, "import", "credentials", str(credentials), "--quiet"), check=True, capture_output=True, timeout=600)
    found, private, public, research = parts(data)
    assert private == public == research and len(public) == len(files) and found["half_written"] == 0
    killed = [f for f in figures if f["killed"]]
    print("\nkill test (CLI):", json.dumps({
        "runs": len(figures), "killed": len(killed), "whole_run_s": round(whole_run, 2),
        "restarts_that_found_half_written_documents": sum(1 for f in killed if f["half_written"]),
        "half_written_found_and_dropped": sum(f["half_written"] for f in killed), "inconsistent_after_restart": 0,
        "seconds": round(time.monotonic() - began, 1),
        "points": [(f["point"], f["killed"], f["half_written"]) for f in figures]}))
    assert len(killed) >= 20  # a timed run may end before its kill on a quiet machine
    # A kill after all three writes of a slice leaves nothing to drop; one after one or two of them leaves
    # the slice half-written (50 or 10 documents), found and dropped, unless the slice's last write ended
    # on its own thread just before the kill landed. Some kills must have left half-written documents.
    for f in figures:
        if f["point"].startswith("after write"):
            n = int(f["point"].split()[2])
            assert f["half_written"] == 0 if n % 3 == 0 else f["half_written"] in (0, 50 if n < 3 else 10), f
    assert any(f["half_written"] for f in figures if f["point"].startswith("after write")), figures


def test_kill_9_of_the_api_server_during_uploads(demo, tmp_path):
    from conftest import free_port, wait_for_http
    from provider_iris import of_demo

    data = tmp_path / "data"
    subprocess.run(cli(data, "init"), check=True, capture_output=True, timeout=300)
    keys = subprocess.run(cli(data, "keys", "add", "--role", "issuer", "--name", "uploader",
                              *[a for org in of_demo() for a in ("--provider", org)]), check=True, capture_output=True,
                          text=True, timeout=60).stdout
    key = next(w for w in keys.split() if w.startswith("cgk_"))
    files = sorted((demo / "credentials").rglob("*.jsonld"))[:300]
    rng = random.Random(7)
    sent = [0]
    figures = []
    for kill in range(5):
        port = free_port()
        server = subprocess.Popen(cli(data, "serve", "--host", "127.0.0.1", "--port", str(port)),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first, stop = threading.Event(), threading.Event()

        def upload() -> None:
            # Uploads one after another until the server dies: the kill falls inside a request.
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    path = files[sent[0] % len(files)]
                    try:
                        client.post(f"http://127.0.0.1:{port}/api/v1/credentials", content=path.read_bytes(),
                                    params={"name": path.name},
                                    headers={"Content-Type": "application/ld+json", "Authorization": f"Bearer {key}"})
                    except httpx.HTTPError:
                        return
                    sent[0] += 1
                    first.set()

        try:
            wait_for_http(f"http://127.0.0.1:{port}/api/v1/catalogue", timeout=120)
            uploader = threading.Thread(target=upload)
            uploader.start()
            first.wait(timeout=120)
            time.sleep(rng.uniform(0.2, 2.0))
        finally:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
            stop.set()
        uploader.join(timeout=60)
        found, private, public, research = parts(data)
        assert private == public == research, f"server kill {kill}: stores disagree after the restart"
        figures.append((found["half_written"], len(public)))
    print("\nkill test (API):", json.dumps({"kills": 5, "uploads_answered": sent[0],
                                           "half_written_and_whole_after_each_restart": figures}))
    assert sent[0] >= 5 and len(public) >= 5
