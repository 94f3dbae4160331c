"""Ingest with the merged public graph against a baseline credgraph, alternating, in one run.

The merged default graph (graph/store/interface.py) costs a second copy of every
public statement and, on replace and delete, a check per statement of the
old graph. This prints what that costs end to end: the demo data set
(catalogues, stacking rules, credentials) imported through the normal
pipeline into a fresh on-disk store, by this checkout and by a baseline
credgraph package, in alternating rounds (so that load from other jobs hits
both alike); the size of the store directory after it; then the time to
delete one credential (40 deleted one by one: each drops its graphs and takes
from the merge what no other graph states).

    python benchmarks/merged_graph_ingest.py --baseline /path/to/site-packages [--scale 0.1] [--rounds 3]

``--baseline``: a directory holding another credgraph package (for example
``pip install --target DIR <older checkout>``, or a virtual environment's
site-packages); it is put first on PYTHONPATH of the baseline's runs. The code
before the merged graph is commit a69e5ba (graph/ still flat; the child below
imports either layout)::

    git archive a69e5ba | tar -x -C /tmp/base-src
    pip install --no-deps --target /tmp/base /tmp/base-src

Both wall clock and CPU time (this process and its threads, the store's own
included) are printed, per round and as medians. Throughput is credentials per
second of wall clock. CPU time is the cost: since the import writes a chunk
while it reads the next, and the private store beside the public one
(graph/sources/ingest.py, chunk_writing.py), it is above the wall clock on a
machine with a second core; on one core the wall clock would follow it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# One import, run in a child process so that each side loads its own package.
CHILD = r"""
import json, sys, time
from pathlib import Path
try:  # graph/ in rooms (this checkout)
    from credgraph.demo import generator as demo_data
    from credgraph.graph.sources import vocab
    from credgraph.graph.sources.ingest import delete_source
    import credgraph.graph.store.interface as used
except ImportError:  # the baseline: graph/ flat, before the merged graph
    from credgraph.graph import demo_data, vocab
    from credgraph.graph.ingest import delete_source
    import credgraph.graph.store as used
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

demo, data = Path(sys.argv[1]), Path(sys.argv[2])
ws = Workspace(Settings(data_dir=data))
vocab.load_shipped(ws.store)
import resource
def cpu_now():  # this process and the validation workers it waited for
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
began, cpu = time.perf_counter(), cpu_now()
loaded = demo_data.load(ws, demo)
first, first_cpu = time.perf_counter() - began, cpu_now() - cpu
print("package:", used.__file__, file=sys.stderr)
if hasattr(used, "MERGED_GRAPH"):  # this checkout: the named graphs' statements and the merged default graph's
    merged = ws.store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"].value
    quads = ws.store.quad_count() + int(merged)
else:  # the baseline: named graphs only (its default graph is empty)
    quads = len(ws.store.oxigraph)
credentials = [g.name.rsplit(":", 1)[-1] for g in ws.store.graphs() if ":source:cred-" in g.name][:40]
began = time.perf_counter()
for source_id in credentials:
    delete_source(ws, source_id)
deleted = (time.perf_counter() - began) / max(1, len(credentials))
ws.close()
# RocksDB preallocates its log files: the table files are the data.
size = sum(p.stat().st_size for p in (data / "store").rglob("*.sst"))
print(json.dumps({"first": first, "cpu": first_cpu, "quads": quads, "delete": deleted, "size": size,
                  "problems": len(loaded.problems)}))
"""


def run(side: str, demo: Path, work: Path, pythonpath: str | None) -> dict:
    data = work / f"data-{side}"
    subprocess.run(["rm", "-rf", str(data)], check=True)
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # cwd: not the checkout, whose credgraph/ folder would shadow the baseline package.
    out = subprocess.run([sys.executable, "-c", CHILD, str(demo), str(data)], env=env, check=True,
                         capture_output=True, text=True, cwd=work)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="directory with the baseline credgraph package")
    parser.add_argument("--scale", type=float, default=0.1, help="demo scale (0.1 = 500 credentials)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from credgraph.demo import generator as demo_data

    with tempfile.TemporaryDirectory(prefix="merged-ingest-") as tmp:
        work = Path(tmp)
        summary = demo_data.generate(work / "demo", scale=args.scale, seed=3)
        n = summary.credentials
        results: dict[str, list[dict]] = {"new": [], "baseline": []}
        for r in range(args.rounds):
            for side in (("new", "baseline") if r % 2 == 0 else ("baseline", "new")):
                results[side].append(run(side, work / "demo", work, None if side == "new" else args.baseline))
                last = results[side][-1]
                print(f"round {r + 1} {side:8s}: first import {last['first']:.1f} s ({n / last['first']:.1f} credentials/s), "
                      f"CPU {last['cpu']:.1f} s, {last['quads']:,} quads, tables {last['size'] / 1e6:.1f} MB, delete {last['delete'] * 1000:.0f} ms each, problems {last['problems']}",
                      flush=True)
            new, base = results["new"][-1], results["baseline"][-1]
            print(f"round {r + 1} new/baseline throughput: wall clock {base['first'] / new['first']:.2f}x, "
                  f"CPU {base['cpu'] / new['cpu']:.2f}x", flush=True)
        rounds = list(zip(results["new"], results["baseline"]))
        med = {side: statistics.median(x["first"] for x in rs) for side, rs in results.items()}
        cpu = {side: statistics.median(x["cpu"] for x in rs) for side, rs in results.items()}
        quads = {side: statistics.median(x["quads"] for x in rs) for side, rs in results.items()}
        size = {side: statistics.median(x["size"] for x in rs) for side, rs in results.items()}
        delete = {side: statistics.median(x["delete"] for x in rs) for side, rs in results.items()}
        print(f"\n{n} credentials + {summary.providers} catalogues + rules, median of {args.rounds}:")
        print(f"  throughput new {n / med['new']:.1f}/s, baseline {n / med['baseline']:.1f}/s: "
              f"new/baseline {med['baseline'] / med['new']:.2f}x (wall clock)")
        print(f"  median of the rounds' throughput ratios: wall clock {statistics.median(b['first'] / n_['first'] for n_, b in rounds):.2f}x, "
              f"per CPU second {statistics.median(b['cpu'] / n_['cpu'] for n_, b in rounds):.2f}x")
        print(f"  CPU time new {cpu['new']:.1f} s, baseline {cpu['baseline']:.1f} s: new/baseline "
              f"{cpu['new'] / cpu['baseline']:.2f}x (the cost; the import's threads and the store's summed)")
        print(f"  quads new {quads['new']:,.0f}, baseline {quads['baseline']:,.0f}: {quads['new'] / quads['baseline'] - 1:+.0%}")
        print(f"  table files new {size['new'] / 1e6:.1f} MB, baseline {size['baseline'] / 1e6:.1f} MB: "
              f"overhead {size['new'] / size['baseline'] - 1:+.0%}")
        print(f"  delete of one credential new {delete['new'] * 1000:.0f} ms, baseline {delete['baseline'] * 1000:.0f} ms: "
              f"new/baseline {delete['new'] / delete['baseline']:.2f}x")


if __name__ == "__main__":
    main()
