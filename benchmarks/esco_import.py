"""Benchmark: the full ESCO v1.1.1 (English) import.

1. reads the export without a store (the importer's own cost: time, memory);
2. imports it into an on-disk embedded store with ``import_esco`` (what
   ``credgraph import esco`` does): wall time, peak memory, triples;
3. serves that same store directory with a real ``oxigraph serve``
   (127.0.0.1, free port, plain SPARQL 1.1 dataset) and checks that the named
   query ``esco-summary`` answers identically on both backends;
4. with ``--remote-import``: also imports over HTTP into a fresh
   ``oxigraph serve`` and reports its time and the server's peak memory.

Usage::

    python benchmarks/esco_import.py [--data ../shared/data/esco/v1.1.1-en] [--remote-import] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port, oxigraph_binary  # noqa: E402
from servers import start  # noqa: E402

from credgraph import queries  # noqa: E402
from credgraph.graph.sources import esco  # noqa: E402
from credgraph.graph.sources.esco_export import scan_export  # noqa: E402
from credgraph.graph.store.interface import open_store  # noqa: E402


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(location: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start([oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                    url + "/query?query=ASK%7B%7D", timeout=120)
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=60)


def server_peak_mb(process: subprocess.Popen) -> float:
    """VmHWM (peak resident memory) of a running server, in MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def summary(store) -> dict[str, int]:
    row = store.select(queries.load("esco-summary")).rows[0]
    return {name: int(term.value) for name, term in row.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "esco" / "v1.1.1-en")
    parser.add_argument("--remote-import", action="store_true", help="also time an import over HTTP into oxigraph serve")
    parser.add_argument("--keep", action="store_true", help="keep the stores in the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="esco-bench-"))

    started = time.monotonic()
    export = scan_export([args.data])
    stats = esco.EscoStats()
    produced = sum(1 for _ in esco.esco_triples(export, stats))
    read_s = time.monotonic() - started
    print(f"read only (no store)      {read_s:8.1f} s  {produced:,} triples produced  peak {peak_mb():,.0f} MB")

    location = work / "embedded"
    store = open_store(str(location))
    started = time.monotonic()
    result = esco.import_esco(store, [args.data])
    import_s = time.monotonic() - started
    print(f"embedded on-disk import   {import_s:8.1f} s  {result.triples:,} triples  peak {peak_mb():,.0f} MB (this process)")
    print(f"  skills {result.skills:,}  occupations {result.occupations:,}  "
          f"occupation-skill relations {result.occupation_skill_relations:,}  skill-skill {result.skill_skill_relations:,}")
    embedded = summary(store)
    store.close()

    process, url = serve(location)
    try:
        remote = summary(open_store(url))
    finally:
        stop(process)
    same = embedded == remote
    print(f"esco-summary embedded     {embedded}")
    print(f"esco-summary oxigraph serve {remote}")
    print(f"identical on both backends: {same}")

    if args.remote_import:
        process, url = serve(work / "server")
        try:
            started = time.monotonic()
            remote_result = esco.import_esco(open_store(url), [args.data])
            remote_s = time.monotonic() - started
            print(f"remote import (HTTP)      {remote_s:8.1f} s  {remote_result.triples:,} triples  "
                  f"client peak {peak_mb():,.0f} MB  server peak {server_peak_mb(process):,.0f} MB")
            same = same and summary(open_store(url)) == embedded
        finally:
            stop(process)
    if args.keep:
        print(f"work directory: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
