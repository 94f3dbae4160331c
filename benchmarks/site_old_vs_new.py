"""The site built by two versions of the code: the same bytes, and how long each takes (prints figures; not a test).

For a change meant to leave the site as it is (a refactoring of ``site/``), this
builds one store's site with the code of another checkout (``--old-python``: the
Python of that checkout's environment) and with this one, alternately, in
fresh folders, then compares every file of the two trees byte for byte.

The store is loaded once with this checkout's code (the store format is not
what is compared): ``demo`` is ``credgraph demo-data`` output at 1 % of the
credentials (as ``benchmarks/site.py``), ``10k`` the demo catalogues
replicated to ``--specs`` specifications (large enough for the forked workers
and the side process). Each build runs in its own process, old and new in
turn (old first in odd rounds, new first in even ones), so both see the same
machine. Each build's wall time and CPU time (its process and forked workers)
are printed; on a shared machine the CPU time is the steadier of the two.

The one file expected to differ is the build manifest (``.credgraph-site.json``):
it records a digest of the site's code, so that a code change renders every
page again (``site/fingerprints.py``).

Usage: python benchmarks/site_old_vs_new.py --old-python OTHER/.venv/bin/python
       [--only demo|10k] [--rounds 3] [--specs 10000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED_TO_DIFFER = {".credgraph-site.json"}

BUILD = """
import json, sys
from pathlib import Path
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from credgraph.site.build import build_site

root, out = Path(sys.argv[1]), sys.argv[2]
ws = Workspace(Settings.from_env(data_dir=str(root / "data"), store=str(root / "data" / "store"), private_store=None))
report = build_site(ws.store, out)
ws.close()
print(json.dumps({"seconds": report.seconds, "pages": report.pages, "files": report.files, "timings": report.timings}))
"""


def site_benchmark():
    """``benchmarks/site.py`` (its loaders), imported by path: its name is also the standard library's ``site``."""
    spec = importlib.util.spec_from_file_location("site_benchmark", HERE / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_demo(root: Path) -> None:
    bench = site_benchmark()
    from credgraph.demo import generator

    ws = bench.workspace(root)
    data = root / "demo-data"
    generator.generate(data, scale=bench.DEMO_SCALE, seed=1)
    loaded = generator.load(ws, data)
    if loaded.problems:
        print("import problems:", loaded.problems[:5])
    ws.close()


def load_10k(root: Path, specs: int) -> None:
    bench = site_benchmark()
    ws = bench.workspace(root)
    for path in bench.replicate(root, specs):
        bench.load_csv(ws, path)
    ws.close()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs: a build's forked workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def build(python: str, root: Path, out: Path) -> dict:
    """One build in a process of its own: its report, and the CPU seconds it took (workers included).

    CPU time is the steadier figure on a shared machine: wall time also counts
    the waits for cores other processes hold.
    """
    shutil.rmtree(out, ignore_errors=True)
    cpu = _children_cpu()
    done = subprocess.run([python, "-c", BUILD, str(root), str(out)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{python}: the build failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["cpu"] = _children_cpu() - cpu
    return report


def compare(name: str, root: Path, pythons: dict[str, str], rounds: int) -> bool:
    times: dict[str, list[float]] = {side: [] for side in pythons}
    cpus: dict[str, list[float]] = {side: [] for side in pythons}
    trees: dict[str, dict[str, str]] = {}
    for n in range(rounds):
        order = list(pythons) if n % 2 == 0 else list(reversed(pythons))
        for side in order:
            out = root / f"site-{side}"
            report = build(pythons[side], root, out)
            times[side].append(report["seconds"])
            cpus[side].append(report["cpu"])
            print(f"  round {n + 1}, {side}: {report['seconds']:.2f} s, CPU {report['cpu']:.2f} s "
                  f"({report['pages']:,} pages, {report['files']:,} files); "
                  "stages: " + ", ".join(f"{k} {v:.2f}" for k, v in report["timings"].items()))
            current = tree(out)
            if side in trees and trees[side] != current:
                print(f"  NOTE: the {side} code built different bytes in round {n + 1} than before")
            trees[side] = current
    old, new = trees["old"], trees["new"]
    differing = sorted(rel for rel in old.keys() | new.keys() if old.get(rel) != new.get(rel))
    unexpected = [rel for rel in differing if rel not in EXPECTED_TO_DIFFER]
    print(f"== {name}: {len(new):,} files; byte-identical: {'yes' if not unexpected else 'NO'}"
          + (f" (differing only: {', '.join(differing)}, as expected)" if differing and not unexpected else ""))
    for rel in unexpected[:20]:
        print(f"  differs: {rel} (old {'present' if rel in old else 'absent'}, new {'present' if rel in new else 'absent'})")
    for what, figures in (("build time", times), ("CPU (build process and its workers)", cpus)):
        med = {side: statistics.median(v) for side, v in figures.items()}
        print(f"   {what}, median of {rounds}: old {med['old']:.2f} s, new {med['new']:.2f} s "
              f"(new/old {med['new'] / med['old']:.2f}); all: old {[round(x, 2) for x in figures['old']]}, "
              f"new {[round(x, 2) for x in figures['new']]}")
    return not unexpected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old-python", required=True, help="the Python of the other checkout's environment")
    parser.add_argument("--only", choices=["demo", "10k"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, help="keep stores and sites here (default: a temporary folder)")
    args = parser.parse_args()
    pythons = {"old": args.old_python, "new": sys.executable}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="credgraph-site-compare-"))
    same = True
    try:
        for name in ("demo", "10k"):
            if args.only and args.only != name:
                continue
            root = work / name
            shutil.rmtree(root, ignore_errors=True)
            began = time.perf_counter()
            load_demo(root) if name == "demo" else load_10k(root, args.specs)
            print(f"({name}: store loaded in {time.perf_counter() - began:.0f} s)")
            same = compare(name, root, pythons, args.rounds) and same
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    raise SystemExit(0 if same else 1)


if __name__ == "__main__":
    main()
