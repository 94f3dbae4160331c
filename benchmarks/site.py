"""How fast `credgraph site build` is, and how heavy its output (prints figures; not a test).

Two data sets, each in a fresh embedded on-disk store with the shipped vocabularies:

- demo: ``credgraph demo-data`` output (full catalogue, 1 % of the credentials) imported through the normal pipeline;
- 10k: the demo catalogue spreadsheets replicated (ids and titles made unique) until
  they hold 10,000 specifications, parsed by the catalogue CSV importer and loaded
  (SHACL validation skipped: it is the importer's cost, not the site's).

For each: full build (time, pages per second, files), incremental rebuild with
nothing changed, incremental rebuild after one catalogue entry's title changed
(time, files rewritten), the size of the search index and of the heaviest page,
and, with ``--browser``, the time from a keystroke to rendered results in
headless Chromium over the 10k index.

Usage: python benchmarks/site.py [--only demo|10k] [--browser] [--specs N] [--workdir DIR] [--site BUILT_SITE]

``--workdir DIR`` keeps the stores and sites in DIR (default: a temporary folder,
removed afterwards) and reuses a store already loaded there by an earlier run.
"""

from __future__ import annotations

import argparse
import csv
import functools
import http.server
import io
import math
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from credgraph.graph.sources import catalogue_csv
from credgraph.demo import generator as demo_data
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, content_hash
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from credgraph.site.build import build_site


# Issued credentials go through SHACL validation one by one on import; a small
# share keeps the set-up short (the catalogue itself is the full demo catalogue).
DEMO_SCALE = 0.01


def workspace(root: Path) -> Workspace:
    settings = Settings.from_env(data_dir=str(root / "data"), store=str(root / "data" / "store"), private_store=None)
    ws = Workspace(settings)
    vocab.load_shipped(ws.store)
    return ws


def sizes(out: Path) -> dict[str, float]:
    pages = list(out.rglob("*.html"))
    heaviest = max(pages, key=lambda p: p.stat().st_size)
    assets = sum((out / "static" / n).stat().st_size for n in ("style.css",))
    index = out / "search-index.en.json"
    import gzip

    return {
        "html pages": len(pages),
        "files": sum(1 for p in out.rglob("*") if p.is_file()),
        "total MB": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6,
        "search index (en) KB": index.stat().st_size / 1e3,
        "search index (en) gzipped KB": len(gzip.compress(index.read_bytes())) / 1e3,
        "heaviest page": str(heaviest.relative_to(out)),
        "heaviest page KB (HTML)": heaviest.stat().st_size / 1e3,
        "heaviest page KB (HTML + CSS)": (heaviest.stat().st_size + assets) / 1e3,
    }


def report(name: str, ws: Workspace, out: Path, change) -> None:
    cpu = _cpu_seconds()
    full = build_site(ws.store, out)
    cpu = _cpu_seconds() - cpu
    print(f"\n== {name}: {full.specifications:,} specifications")
    print(f"full build: {full.seconds:.1f} s, {full.pages:,} pages ({full.pages / full.seconds:,.0f} pages/s), {full.files:,} files; "
          f"CPU {cpu:.0f} s (this process and its workers; the machine's load average was {os.getloadavg()[0]:.1f})")
    print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in full.timings.items()))
    same = build_site(ws.store, out, incremental=True)
    print(f"incremental, nothing changed: {same.seconds:.2f} s, {same.units_rendered} pages rendered, {same.written} files rewritten")
    change()
    one = build_site(ws.store, out, incremental=True)
    print(f"incremental, one title changed: {one.seconds:.1f} s, {one.units_rendered} of {one.units_rendered + one.units_reused} "
          f"page units rendered, {one.written} files rewritten: "
          + ", ".join(sorted(one.written_paths)[:12]) + (" ..." if one.written > 12 else ""))
    print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in one.timings.items()))
    for key, value in sizes(out).items():
        print(f"  {key}: {value:,.1f}" if isinstance(value, float) else f"  {key}: {value}")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the build's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def change_title(ws: Workspace, csv_path: Path, old: str, new: str) -> None:
    """Re-import one catalogue file with one title changed."""
    text = csv_path.read_text("utf-8")
    assert old in text, old
    csv_path.write_text(text.replace(old, new, 1), "utf-8")
    load_csv(ws, csv_path)


def load_csv(ws: Workspace, path: Path) -> None:
    data = path.read_bytes()
    parsed = catalogue_csv.parse_catalogue_csv(data, str(path), catalogue_csv.skill_label_resolver(ws.store))
    if parsed.errors:
        raise SystemExit(f"{path}: {parsed.errors[:3]}")
    ws.store.load_graph(ns.source_graph(parsed.source_id), parsed.triples,
                        Provenance(kind="source", source=path.name, content_hash=content_hash(data), title=path.name))


def first_title(path: Path) -> str:
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
    return next(r["title_en"] for r in rows if r.get("title_en"))


def demo(tmp: Path) -> None:
    for name in ("demo", "demo-data", "demo-site"):
        shutil.rmtree(tmp / name, ignore_errors=True)
    ws = workspace(tmp / "demo")
    data = tmp / "demo-data"
    demo_data.generate(data, scale=DEMO_SCALE, seed=1)
    began = time.perf_counter()
    loaded = demo_data.load(ws, data)
    if loaded.problems:
        print("import problems:", loaded.problems[:5])
    print(f"(demo data imported in {time.perf_counter() - began:.1f} s)")
    target = sorted((data / "catalogues").glob("*.csv"))[0]
    title = first_title(target)
    report("demo", ws, tmp / "demo-site", lambda: change_title(ws, target, title, title + " (revised)"))
    ws.close()


def replicate(tmp: Path, wanted: int) -> list[Path]:
    """Catalogue CSVs holding ``wanted`` specifications, from the demo catalogues."""
    source = tmp / "demo-source"
    demo_data.generate(source, scale=0.001, seed=1)
    files = sorted((source / "catalogues").glob("*.csv"))
    tables = [(f, list(csv.DictReader(io.StringIO(f.read_text("utf-8"))))) for f in files]
    per_copy = sum(len(rows) for _, rows in tables)
    copies = math.ceil(wanted / per_copy)
    out_dir = tmp / "catalogues-10k"
    out_dir.mkdir(parents=True, exist_ok=True)
    written, made = [], 0
    for k in range(copies):
        for f, rows in tables:
            if made >= wanted:
                break
            rows = rows[: wanted - made]
            ids = {r["id"] for r in rows}
            new_rows = []
            for r in rows:
                r = dict(r)
                r["id"] = f'{r["id"]}-c{k}'
                for lang in ("en", "de", "fr"):
                    if r.get(f"title_{lang}"):
                        r[f"title_{lang}"] += f" ({k + 1})"
                if r.get("part_of"):
                    r["part_of"] = " | ".join(f"{p.strip()}-c{k}" if p.strip() in ids else p.strip()
                                              for p in r["part_of"].split("|") if p.strip() and (p.strip() in ids or "://" in p))
                new_rows.append(r)
            made += len(new_rows)
            path = out_dir / f"{f.stem}-{k}.csv"
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(new_rows)
            path.write_text(buffer.getvalue(), "utf-8")
            written.append(path)
    return written


def ten_k(tmp: Path, wanted: int, browser: bool) -> None:
    loaded_marker = tmp / f"10k-loaded-{wanted}"
    reuse = loaded_marker.exists()
    ws = workspace(tmp / "10k")
    began = time.perf_counter()
    files = replicate(tmp, wanted)
    if not reuse:
        for path in files:
            load_csv(ws, path)
        loaded_marker.touch()
    print(f"({wanted:,} specifications in {len(files)} catalogue files "
          + ("reused" if reuse else f"loaded in {time.perf_counter() - began:.1f} s") + ")")
    title = first_title(files[0])
    out = tmp / "10k-site"
    # The last run's site is moved aside and deleted after the builds, not just before them: for a
    # minute or more after 50,000 files are deleted, this machine's ext4 (no journal) skips their
    # recently freed inodes when it creates files (recently_deleted() in the kernel's inode
    # allocator), which made file creation in the build about twice as slow.
    old = tmp / f"10k-site.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    # A suffix that differs between runs, so that a reused store really changes.
    suffix = f" (revised {int(time.time())})"
    report(f"{wanted // 1000}k", ws, out, lambda: change_title(ws, files[0], title, title + suffix))
    if browser:
        browser_latency(out)
    ws.close()
    if old.exists():
        began = time.perf_counter()
        shutil.rmtree(old, ignore_errors=True)
        print(f"(the previous run's site deleted in {time.perf_counter() - began:.0f} s, after the builds; "
              "a run started within minutes of this one creates files more slowly)")


# Typed one key at a time, as a person would: every keystroke is one measurement.
TYPED_QUERIES = ("data", "python", "management", "learn", "sicherheit", "cloud security")

LATENCY_PROBE = """() => {
    window.__latencies = [];
    window.__t0 = null;
    const input = document.getElementById('q');
    input.addEventListener('keydown', () => { window.__t0 = performance.now(); }, {capture: true});
    // The count line is rewritten on every update of the results list.
    new MutationObserver(() => {
        const t0 = window.__t0;
        if (t0 === null) return;
        window.__t0 = null;
        // Until the next frame is ready: the results are on screen, not just in the DOM.
        requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - t0), 0));
    }).observe(document.getElementById('count'), {childList: true, characterData: true, subtree: true});
}"""


def browser_latency(out: Path, lang_prefix: str = "") -> None:
    """Keystroke to updated results list in headless Chromium, typing into the search box of the site in ``out``."""
    import statistics

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{lang_prefix}search/"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                   args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = b.new_page(viewport={"width": 1280, "height": 900})
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_function("document.querySelectorAll('#results li').length > 0")
            docs = page.evaluate("document.getElementById('count').textContent")
            print(f"browser: search page ready with the index loaded in {(time.perf_counter() - t0) * 1000:.0f} ms ({docs})")
            page.evaluate(LATENCY_PROBE)
            times: list[float] = []
            for word in TYPED_QUERIES:
                page.fill("#q", "")
                page.wait_for_timeout(300)
                page.evaluate("window.__latencies = []")
                page.click("#q")
                page.keyboard.type(word, delay=120)
                page.wait_for_timeout(400)
                got = page.evaluate("window.__latencies")
                if len(got) != len(word):
                    print(f"  warning: {len(got)} updates for {len(word)} keystrokes of {word!r}")
                times.extend(got)
                hits = page.evaluate("document.getElementById('count').textContent")
                print(f"  {word!r}: " + ", ".join(f"{t:.0f}" for t in got) + f" ms -> {hits}")
            times.sort()
            print(f"browser: keystroke to updated results, {len(times)} keystrokes: median {statistics.median(times):.0f} ms, "
                  f"90th percentile {times[int(len(times) * 0.9)]:.0f} ms, worst {times[-1]:.0f} ms")
            b.close()
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["demo", "10k"])
    parser.add_argument("--browser", action="store_true", help="also measure search latency in headless Chromium")
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, help="keep stores and sites here and reuse a loaded 10k store")
    parser.add_argument("--site", type=Path, help="only measure search latency in Chromium on this built site")
    args = parser.parse_args()
    if args.site:
        browser_latency(args.site)
        return
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="credgraph-site-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        if args.only in (None, "demo"):
            demo(tmp)
        if args.only in (None, "10k"):
            ten_k(tmp, args.specs, args.browser)
    finally:
        if not args.workdir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
