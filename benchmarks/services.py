"""Benchmark of the services (stacking, equivalence, recognition, issuance statistics) at scale.

Builds an on-disk store with the shipped vocabularies, the complete ESCO v1.1.1
(English) export from ../shared/data (skill hierarchy included), the demo
catalogue (14 providers, 164 specifications) and its stacking rules,
equivalences and decisions, imported through the normal importers; then adds
N issued credentials (default 100,000) directly as triples with
``bulk_extend``. Each credential gets its own named graph holding, as the real
ingest writes it, the issuance record plus a copy of the public description of
its specification and awarding body, and its provenance in the meta graph.
(Importing 100,000 EDC JSON-LD documents through the ingest pipeline takes far
longer than a benchmark should; the services only read what ends up in the
store.)

Learners follow pathways: most earn several parts of one larger credential,
so stacking has something to find.

Then it times, on the embedded on-disk store (warm, median of repeated
requests over different learners/specifications): stacking evaluation for
one learner, what a specification stacks into, a comparability report, the
top-10 similar specifications, the recorded equivalents, and each issuance
statistic (stacking completions also uncached: they are cached until the
store is written to; and as a new process finds them: in-memory cache
cleared, answered from ``<dir>/derived/completions.json``, and in a new
Python process); with ``--issuing`` completions right after 1, 100 and
1,000 more credentials are issued (then dropped again); with ``--remote`` also
against ``oxigraph serve`` on the same directory, checking that the answers
are identical.

Usage:
    python benchmarks/services.py                       # 100,000 credentials in a temp dir
    python benchmarks/services.py --credentials 20000 --dir /tmp/bench --keep
    python benchmarks/services.py --dir /tmp/bench --reuse --remote --issuing
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph.services import equivalence
from credgraph.graph.services import issuance_stats
from credgraph.graph.services import recognition
from credgraph.graph.services.recognition_policy import load_policy
from credgraph.graph.services import stacking
from credgraph.graph.services.stacking_rules import import_rules_file
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, open_store, provenance_triples
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

# The full ESCO export is large and not in the repository: $CREDGRAPH_SHARED/data, else ../shared/data.
SHARED = Path(os.environ.get("CREDGRAPH_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data"
CG = ns.CG
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
XSD_DATE = ox.NamedNode(ns.XSD + "date")


def build(directory: Path, credentials: int, seed: int) -> dict:
    """Create the store under ``directory``; returns what was loaded."""
    from credgraph.demo import generator as demo_data
    from credgraph.graph.sources import catalogue_import
    from credgraph.graph.sources.esco import import_esco

    info: dict = {}
    began = time.perf_counter()
    settings = Settings(data_dir=directory, store=str(directory / "store"), private_store=str(directory / "private"))
    with Workspace(settings) as ws:
        vocab.load_shipped(ws.store)
        esco_dir = SHARED / "esco" / "v1.1.1-en"
        if esco_dir.is_dir():
            result = import_esco(ws.store, [esco_dir])
            info["esco"] = f"ESCO {result.version}: {result.skills:,} skills, {result.broader_relations:,} broader relations"
        else:
            info["esco"] = "ESCO not found (only the shipped vocabularies)"
        files = directory / "demo-files"
        demo_data.generate(files, scale=0.001, seed=seed)
        for path in sorted((files / "catalogues").glob("*.csv")):
            result = catalogue_import.ingest_catalogue(ws, path)
            if result.problems:
                raise SystemExit(f"catalogue import failed: {result.problems[:3]}")
        import_rules_file(ws.store, str(files / "rules" / "stacking-rules.ttl"))
        info["setup_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        info.update(add_credentials(ws.store, credentials, seed))
        info["credentials_s"] = round(time.perf_counter() - began, 1)
    return info


def _catalogue(store) -> tuple[dict[str, list[ox.Triple]], dict[str, str], dict[str, list[str]]]:
    """Per specification: the triples describing it (and its provider); its provider; parts of larger ones."""
    catalogues = [info.name for info in store.graphs() if info.name.startswith(ns.SOURCE_GRAPH + "catalogue-")]
    quads = [q for q in store.quads() if q.graph_name.value in catalogues]
    by_subject: dict[str, list[ox.Triple]] = {}
    for q in quads:
        by_subject.setdefault(q.subject.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    specs = sorted({q.subject.value for q in quads if q.predicate == RDF_TYPE and q.object.value in
                    (ns.ELM + "LearningAchievementSpecification", ns.ELM + "Qualification")})
    provider: dict[str, str] = {}
    for q in quads:
        if q.predicate.value == ns.ELM + "providedBy":
            opp = q.subject.value
            for t in by_subject.get(opp, []):
                if t.predicate.value == ns.ELM + "learningAchievementSpecification":
                    provider[t.object.value] = q.object.value
    parts: dict[str, list[str]] = {}
    for q in quads:
        if q.predicate.value == ns.ELM + "hasPart":
            parts.setdefault(q.subject.value, []).append(q.object.value)
    description: dict[str, list[ox.Triple]] = {}
    for spec in specs:
        triples = [t for s, ts in by_subject.items() if s == spec or s.startswith(spec + "#") for t in ts]
        org = provider.get(spec)
        if org:
            triples += [t for s, ts in by_subject.items() if s == org or s.startswith(org + "#") for t in ts]
        description[spec] = triples
    return description, provider, {k: sorted(set(v)) for k, v in parts.items()}


def add_credentials(store, count: int, seed: int, graphs: list[str] | None = None, one_by_one: bool = False) -> dict:
    """Add ``count`` issued credentials, one named graph each (their names into ``graphs``).

    With bulk_extend, or with ``one_by_one`` one ``load_graph`` transaction per
    credential, as the ingest writes them.
    """
    rng = random.Random(seed)
    description, provider, parts = _catalogue(store)
    micro = sorted(s for s in description if s not in parts)
    country_of = {}
    for spec, triples in description.items():
        for t in triples:
            if t.predicate.value == ns.ELM + "countryCode":
                country_of[spec] = t.object.value
    pathways = [p for p in parts.values() if p]
    quads: list[ox.Quad] = []
    made = learners = 0
    start = date(2021, 1, 1)
    while made < count:
        learners += 1
        pseudonym = hashlib.sha256(f"learner-{seed}-{learners}".encode()).hexdigest()
        if rng.random() < 0.6:
            path = rng.choice(pathways)
            held = rng.sample(path, rng.randint(1, len(path)))
        else:
            held = rng.sample(micro, rng.randint(1, 3))
        day = start + timedelta(days=rng.randrange(0, 4 * 365))
        for spec in held:
            if made >= count:
                break
            made += 1
            day += timedelta(days=rng.randrange(20, 200))
            key = hashlib.sha256(f"cred-{seed}-{made}".encode()).hexdigest()[:16]
            graph = ox.NamedNode(ns.source_graph(f"cred-{key}"))
            if graphs is not None:
                graphs.append(graph.value)
            rec = ox.NamedNode(f"{ns.CG_ID}issuance/cred-{key}")
            triples = [
                ox.Triple(rec, RDF_TYPE, ox.NamedNode(CG + "IssuanceRecord")),
                ox.Triple(rec, ox.NamedNode(CG + "specification"), ox.NamedNode(spec)),
                ox.Triple(rec, ox.NamedNode(CG + "issued"), ox.Literal(min(day, date(2025, 12, 31)).isoformat(), datatype=XSD_DATE)),
                ox.Triple(rec, ox.NamedNode(CG + "learner"), ox.Literal(pseudonym)),
            ]
            if spec in provider:
                triples.append(ox.Triple(rec, ox.NamedNode(CG + "awardingBody"), ox.NamedNode(provider[spec])))
            if spec in country_of:
                triples.append(ox.Triple(rec, ox.NamedNode(CG + "issuerCountry"), ox.NamedNode(country_of[spec])))
            triples += description[spec]
            prov = Provenance(kind="source", source=f"cred-{key}.jsonld", content_hash="sha256:" + key)
            if one_by_one:
                store.load_graph(graph.value, triples, prov)
                continue
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
            meta = ox.NamedNode(ns.META_GRAPH)
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, meta) for t in provenance_triples(graph.value, prov, len(triples)))
        if len(quads) > 500_000:
            store.bulk_load_quads(quads)
            quads = []
    if quads:
        store.bulk_load_quads(quads)
    return {"credentials": made, "learners": learners}


def timed(fn, args_list) -> tuple[list[float], list]:
    """Run ``fn(*args)`` for each args tuple; milliseconds per call and the results."""
    times, results = [], []
    for args in args_list:
        t = time.perf_counter()
        results.append(fn(*args))
        times.append((time.perf_counter() - t) * 1000)
    return times, results


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{name:44} median {statistics.median(times):8.1f} ms   p90 {p90:8.1f} ms   max {max(times):8.1f} ms   (n={len(times)})"


def workload(store, seed: int, samples: int) -> dict:
    """Pick learners, specification pairs and specifications to query."""
    rng = random.Random(seed + 99)
    rows = store.select("SELECT ?l (COUNT(?r) AS ?n) WHERE { ?r <https://w3id.org/credgraph/ns#learner> ?l } GROUP BY ?l HAVING (COUNT(?r) >= 2) LIMIT 5000").rows
    learners = [r["l"].value for r in rows]
    specs = [r["spec"].value for r in store.select(queries.load("stats-credentials-per-spec")).rows]
    return {
        "learners": rng.sample(learners, min(samples, len(learners))),
        "pairs": [tuple(rng.sample(specs, 2)) for _ in range(samples)],
        "specs": rng.sample(specs, min(samples, len(specs))),
    }


def measure(store, work: dict, at: date, label: str, kept: Path) -> tuple[list[str], dict]:
    """Time every service on ``store``; returns printable lines and the answers (for comparison).

    ``kept``: the file stacking completions are kept in (``<data dir>/derived/completions.json``).
    """
    lines, answers = [], {}
    policy = load_policy()
    checks = [
        ("stacking: one learner (evaluate_learner)", lambda l: stacking.evaluate_learner(store, l, at=at), [(l,) for l in work["learners"]]),
        ("stacking: what a spec stacks into", lambda s: stacking.stacks_into(store, s, at=at), [(s,) for s in work["specs"]]),
        ("recognition: comparability report", lambda a, b: recognition.compare(store, a, b, policy), work["pairs"]),
        ("equivalence: top-10 similar", lambda s: equivalence.most_similar(store, s, top=10), [(s,) for s in work["specs"]]),
        ("equivalence: recorded closure", lambda s: equivalence.recorded_equivalents(store, s), [(s,) for s in work["specs"]]),
    ]
    for name, fn, args in checks:
        fn(*args[0])  # warm
        times, results = timed(fn, args)
        lines.append(summary(f"[{label}] {name}", times))
        answers[name] = [_comparable(r) for r in results]
    for by in issuance_stats.DIMENSIONS:
        fn = lambda b=by: issuance_stats.issuance_stats(store, b, at=at)  # noqa: E731
        times, results = timed(fn, [()] * 3)
        lines.append(summary(f"[{label}] stats: issuance by {by}", times))
        answers[f"stats {by}"] = [_comparable(results[0])]
    # Completions are cached until the store is written to: the runs above after the first
    # are cache hits. Cold, as after every write (same answer, checked):
    fn = lambda: issuance_stats.completions(store, at=at, cached=False)  # noqa: E731
    times, results = timed(fn, [()] * 3)
    lines.append(summary(f"[{label}] stats: completions, uncached", times))
    if _comparable(results[0]) != answers["stats completions"][0]:
        lines.append(f"[{label}] stats: completions, uncached: DIFFERENT from the cached answer")
    # A new process (in-memory cache empty) while the store is as the kept file says.
    issuance_stats.refresh_completions(store, kept, at=at)

    def cold_kept():
        issuance_stats._cache.clear()
        return issuance_stats.completions(store, at=at, kept=kept)

    times, results = timed(cold_kept, [()] * 5)
    lines.append(summary(f"[{label}] stats: completions, cold process, kept file", times))
    if _comparable(results[0]) != answers["stats completions"][0]:
        lines.append(f"[{label}] stats: completions, cold process, kept file: DIFFERENT from the uncached answer")
    times, _ = timed(lambda: issuance_stats.completions(store, at=at, kept=kept), [()] * 5)
    lines.append(summary(f"[{label}] stats: completions, warm (in-process cache)", times))
    return lines, answers


FRESH_PROCESS = """
import sys, time
began = time.perf_counter()
from datetime import date
from pathlib import Path
from credgraph.graph.services import issuance_stats
from credgraph.graph.store.interface import open_store
store = open_store(sys.argv[1])
opened = time.perf_counter()
issuance_stats.completions(store, at=date.fromisoformat(sys.argv[3]), kept=Path(sys.argv[2]))
done = time.perf_counter()
print(f"{(opened - began) * 1000:.1f} {(done - opened) * 1000:.1f}")
"""


def measure_fresh_process(directory: Path, at: date, kept: Path) -> str:
    """Completions in a new Python process (the embedded store closed here first) answering from ``kept``."""
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(directory / "store"), str(kept), at.isoformat()],
                             capture_output=True, text=True, check=True).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    startup, answer = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    return (f"[embedded] stats: completions, new process, kept file   median {answer:8.1f} ms   "
            f"(plus {startup:.0f} ms to import credgraph and open the store; n=3)")


def measure_issuing(store, at: date, seed: int) -> list[str]:
    """Completions right after credentials are issued (the cache brought up to date), then the added graphs dropped."""
    lines = []
    for count in (1, 100, 1000):
        issuance_stats.completions(store, at=at)  # cached (read in full after the drop below)
        graphs: list[str] = []
        add_credentials(store, count, seed + count, graphs, one_by_one=True)
        began = time.perf_counter()
        updated = issuance_stats.completions(store, at=at)
        took = (time.perf_counter() - began) * 1000
        same = _comparable(updated) == _comparable(issuance_stats.completions(store, at=at, cached=False))
        lines.append(f"[embedded] stats: completions after issuing {count:>4} credential(s) {took:8.1f} ms   "
                     f"({'same answer as uncached' if same else 'DIFFERENT from uncached'})")
        store.drop_graphs(graphs)
    return lines


def _comparable(answer) -> dict:
    data = answer.to_dict()
    data.pop("generated_at", None)
    return data


def serve(directory: Path):
    """Start ``oxigraph serve`` on the store directory (read only by then)."""
    import socket

    from servers import start  # beside this script

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = Path(sys.executable).with_name("oxigraph")
    url = f"http://127.0.0.1:{port}"
    process = start([str(binary), "serve-read-only", "--location", str(directory / "store"),
                     "--bind", f"127.0.0.1:{port}"], url + "/query?query=ASK%7B%7D", timeout=20)
    return process, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--dir", help="where to build the store (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="use the store already built in --dir")
    parser.add_argument("--keep", action="store_true", help="keep the directory")
    parser.add_argument("--samples", type=int, default=30, help="requests per service (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build-only", action="store_true", help="build the store in --dir and stop")
    parser.add_argument("--issuing", action="store_true",
                        help="also time completions right after issuing 1, 100 and 1000 credentials (added, then dropped again)")
    parser.add_argument("--remote", action="store_true", help="also measure against oxigraph serve-read-only and compare answers")
    args = parser.parse_args()
    directory = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="credgraph-bench-"))
    at = date(2026, 1, 1)
    try:
        if not args.reuse:
            if (directory / "store").exists():
                shutil.rmtree(directory / "store")
            info = build(directory, args.credentials, args.seed)
            for key, value in info.items():
                print(f"{key}: {value}", flush=True)
            if args.build_only:
                return 0
        size = sum(p.stat().st_size for p in (directory / "store").rglob("*") if p.is_file())
        store = open_store(str(directory / "store"))
        quads = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0]["n"].value
        records = store.select(queries.load("stats-learners")).rows[0]
        print(f"store: {directory / 'store'}  {size / 2**20:,.0f} MiB on disk, {int(quads):,} quads, "
              f"{int(records['credentials'].value):,} issued credentials, {int(records['learners'].value):,} learners")
        work = workload(store, args.seed, args.samples)
        kept = directory / "derived" / "completions.json"
        lines, embedded_answers = measure(store, work, at, "embedded", kept)
        print("\n".join(lines))
        if args.issuing:
            print("\n".join(measure_issuing(store, at, args.seed + 1000)))
        issuance_stats.refresh_completions(store, kept, at=at)
        store.close()
        print(measure_fresh_process(directory, at, kept), flush=True)
        if args.remote:
            process, url = serve(directory)
            try:
                remote = open_store(url)
                lines, remote_answers = measure(remote, work, at, "remote", kept)
                print("\n".join(lines))
                same = [k for k in embedded_answers if embedded_answers[k] == remote_answers[k]]
                print(f"identical answers embedded vs remote: {len(same)} of {len(embedded_answers)} services")
                for k in embedded_answers:
                    if embedded_answers[k] != remote_answers[k]:
                        print(f"  DIFFERENT: {k}")
            finally:
                process.terminate()
                process.wait(timeout=10)
    finally:
        if not args.keep and not args.dir and not args.build_only:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
