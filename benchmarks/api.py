"""Benchmark of the HTTP API: /sparql and the catalogue, compare and stacking routes.

Data: the shipped vocabularies and the demo catalogue (14 providers, 164
specifications, stacking rules, equivalences, 10 real EDC credentials) imported
through the normal importers; then synthetic issuance records (the shape the
ingest writes: cg:IssuanceRecord with specification, awarding body, issuer
country, issue date, learner pseudonym; one named graph each) added with
``bulk_extend`` up to ``--scales`` (default 5,000 = demo scale, and 100,000).

For each scale, on the same on-disk store:
1. pyoxigraph in this process (warm): the three named queries api-bench-point,
   api-bench-join, api-bench-aggregate, with the same text clients send;
2. ``credgraph serve`` (uvicorn, one process): the same three queries on
   /sparql over HTTP (keep-alive, JSON results), then GET /api/v1/catalogue,
   POST /api/v1/recognition/compare, POST /api/v1/stacking/evaluate; p50/p95
   of sequential requests and throughput with 4 concurrent clients;
3. ``oxigraph serve-read-only`` on the same directory (the HTTP floor);
4. rdflib-endpoint 0.6 serving the same quads (rdflib Dataset, union default graph).

Usage:
    python benchmarks/api.py                    # scales 5000 and 100000
    python benchmarks/api.py --scales 5000 --rdflib-samples 3
"""

from __future__ import annotations

import argparse
import concurrent.futures
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

import httpx
import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import demo_data, vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.binding import inject_values
from credgraph.graph.store import open_store
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "tests"))
from conftest import free_port, oxigraph_binary, wait_for_http  # noqa: E402

CG = ns.CG
EQF6 = ox.NamedNode("http://data.europa.eu/snb/eqf/6")
DEU = ox.NamedNode("http://publications.europa.eu/resource/authority/country/DEU")


# -- data -------------------------------------------------------------------------


def build_base(directory: Path) -> None:
    """Vocabularies and the demo data set (real importers), in an on-disk store."""
    ws = Workspace(Settings(data_dir=directory))
    vocab.load_shipped(ws.store)
    # 10 real credentials through the ingest; the scale comes from synthetic records.
    demo_data.generate(directory / "demo", scale=0.002, seed=1)
    loaded = demo_data.load(ws, directory / "demo")
    if loaded.problems:
        print("demo problems:", loaded.problems[:3])
    ws.close()


def add_records(directory: Path, total: int, seed: int = 7) -> list[str]:
    """Synthetic issuance records until the store holds ``total``; returns some record IRIs."""
    store = open_store(str(directory / "store"))
    specs = [(r["spec"].value, r["org"].value, r["country"].value if r.get("country") else None)
             for r in store.select(
                 "PREFIX elm: <http://data.europa.eu/snb/model/elm/> "
                 "SELECT ?spec (SAMPLE(?o) AS ?org) (SAMPLE(?c) AS ?country) WHERE { "
                 "?opp elm:learningAchievementSpecification ?spec . "
                 "OPTIONAL { ?opp elm:providedBy ?o . OPTIONAL { ?o elm:location/elm:address/elm:countryCode ?c } } "
                 "OPTIONAL { ?spec elm:awardingBody|elm:providedBy ?o } } GROUP BY ?spec") if r.get("org")]
    if not specs:
        specs = [(r["spec"].value, ns.CG_ID + "org/unknown", None) for r in store.select(
            "SELECT DISTINCT ?spec WHERE { ?spec a <http://data.europa.eu/snb/model/elm/LearningAchievementSpecification> }")]
    existing = len(store.select("SELECT ?r WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> }"))
    rng = random.Random(seed)
    countries = ["DEU", "FRA", "ITA", "ESP", "NLD", "POL", "FIN", "AUT", "BEL", "PRT"]
    quads, sample = [], []
    start = date(2024, 1, 1)
    for i in range(existing, total):
        digest = hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest()[:16]
        record = ox.NamedNode(f"{ns.CG_ID}issuance/cred-{digest}")
        graph = ox.NamedNode(ns.source_graph(f"cred-{digest}"))
        spec, org, country = rng.choice(specs)
        country = country or f"http://publications.europa.eu/resource/authority/country/{rng.choice(countries)}"
        issued = start + timedelta(days=rng.randrange(700))
        for p, o in (
            (ns.RDF + "type", ox.NamedNode(CG + "IssuanceRecord")),
            (CG + "specification", ox.NamedNode(spec)),
            (CG + "awardingBody", ox.NamedNode(org)),
            (CG + "issuerCountry", ox.NamedNode(country)),
            (CG + "issued", ox.Literal(issued.isoformat(), datatype=ox.NamedNode(ns.XSD + "date"))),
            (CG + "learner", ox.Literal(hashlib.sha256(f"learner-{rng.randrange(total // 3 + 1)}".encode()).hexdigest())),
        ):
            quads.append(ox.Quad(record, ox.NamedNode(p), o, graph))
        if len(sample) < 200 and rng.random() < 0.05:
            sample.append(record.value)
    store.bulk_load_quads(quads)
    if not sample:
        sample = [r["r"].value for r in store.select(
            "SELECT ?r WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> } LIMIT 50")]
    store.close()
    return sample


# -- timing -------------------------------------------------------------------------


def summarise(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p50 = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  (n={len(ms)})"


def p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def timed(fn, n: int) -> list[float]:
    fn()  # warm
    out = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - started)
    return out


def throughput(fn, seconds: float = 4.0, clients: int = 4) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def worker(k: int) -> None:
        i = 0
        while time.monotonic() < stop:
            fn(i)
            i += 1
        counts[k] = i

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return sum(counts) / seconds


def query_texts(records: list[str]) -> dict[str, list[str]]:
    """The three benchmark queries as clients send them (parameters as VALUES)."""
    point = [inject_values(queries.load("api-bench-point").text, [{"record": ox.NamedNode(r)}]) for r in records]
    join = [inject_values(queries.load("api-bench-join").text, [{"country": DEU, "level": EQF6}])]
    aggregate = [queries.load("api-bench-aggregate").text]
    return {"point": point, "join": join, "aggregate": aggregate}


def run_http(base: str, texts: dict[str, list[str]], samples: dict[str, int], client: httpx.Client,
             endpoint: str = "/sparql") -> dict[str, list[float]]:
    out = {}
    for name, options in texts.items():
        def call(i=0, options=options):
            response = client.post(base + endpoint, data={"query": options[i % len(options)]},
                                   headers={"Accept": "application/sparql-results+json"})
            response.raise_for_status()
        out[name] = timed(call, samples[name])
    return out


# -- servers --------------------------------------------------------------------------


def start(cmd: list[str], url: str, env: dict | None = None, timeout: float = 300) -> subprocess.Popen:
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_for_http(url, timeout=timeout)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


RDFLIB_SERVER = """
import sys, uvicorn, rdflib
from rdflib_endpoint import SparqlEndpoint
ds = rdflib.Dataset(default_union=True)
ds.parse(sys.argv[1], format="nquads")
app = SparqlEndpoint(graph=ds, cors_enabled=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


# -- main --------------------------------------------------------------------------------


def bench_scale(base_dir: Path, scale: int, args) -> None:
    directory = base_dir / f"scale-{scale}"
    if not directory.exists():
        shutil.copytree(base_dir / "base", directory)
    records = add_records(directory, scale)
    texts = query_texts(records)
    print(f"\n=== {scale:,} issuance records ===")
    samples = {"point": args.samples, "join": args.samples, "aggregate": max(5, args.samples // 4)}

    # 1. pyoxigraph in process
    raw = ox.Store(str(directory / "store"))
    direct = {}
    for name, options in texts.items():
        direct[name] = timed(lambda i=0, o=options: list(raw.query(o[i % len(o)], use_default_graph_as_union=True)),
                             samples[name])
    rows = {name: len(list(raw.query(o[0], use_default_graph_as_union=True))) for name, o in texts.items()}
    nquads = directory / "dump.nq"
    with open(nquads, "wb") as out:
        raw.dump(out, ox.RdfFormat.N_QUADS)
    triples = len(raw)
    del raw
    print(f"store: {triples:,} quads; result rows: {rows}")

    # 2. credgraph serve
    port = free_port()
    exe = str(Path(sys.executable).with_name("credgraph"))
    base = f"http://127.0.0.1:{port}"
    server = start([exe, "--data", str(directory), "serve", "--port", str(port), "--max-queries", "4"],
                   base + "/sparql?query=ASK%7B%7D")
    try:
        with httpx.Client(timeout=120) as client:
            ours = run_http(base, texts, samples, client)
            spec_rows = client.post(base + "/sparql", data={"query": (
                "PREFIX elm: <http://data.europa.eu/snb/model/elm/> SELECT ?whole ?part WHERE { ?whole elm:hasPart ?part } "
                "ORDER BY ?whole ?part")}).json()["results"]["bindings"]
            whole = spec_rows[0]["whole"]["value"]
            parts = [r["part"]["value"] for r in spec_rows if r["whole"]["value"] == whole]
            client.get(base + "/api/v1/catalogue")  # fills the catalogue cache
            rest = {
                "GET /api/v1/catalogue?q=data&eqf=6": lambda i=0: client.get(
                    base + "/api/v1/catalogue", params={"q": ["data", "digital", "management"][i % 3], "eqf": "6"}
                ).raise_for_status(),
                "POST /api/v1/recognition/compare": lambda i=0: client.post(
                    base + "/api/v1/recognition/compare", json={"subject": parts[0], "reference": parts[1 % len(parts)]}
                ).raise_for_status(),
                "POST /api/v1/stacking/evaluate": lambda i=0: client.post(
                    base + "/api/v1/stacking/evaluate", json={"credentials": records[i % len(records):][:3]}
                ).raise_for_status(),
            }
            rest_times = {name: timed(fn, args.samples) for name, fn in rest.items()}

        def point_call(i, client=httpx.Client(timeout=60)):
            client.post(base + "/sparql", data={"query": texts["point"][i % len(texts["point"])]},
                        headers={"Accept": "application/sparql-results+json"}).raise_for_status()

        def catalogue_call(i, client=httpx.Client(timeout=60)):
            client.get(base + "/api/v1/catalogue", params={"q": "data"}).raise_for_status()

        rates = {"/sparql point": throughput(point_call), "GET /api/v1/catalogue": throughput(catalogue_call)}
    finally:
        stop(server)

    # 3. oxigraph serve-read-only (the HTTP floor)
    port = free_port()
    oxi = start([oxigraph_binary(), "serve-read-only", "--location", str(directory / "store"), "--bind",
                 f"127.0.0.1:{port}", "--union-default-graph"], f"http://127.0.0.1:{port}/query?query=ASK%7B%7D")
    try:
        with httpx.Client(timeout=120) as client:
            floor = run_http(f"http://127.0.0.1:{port}", texts, samples, client, endpoint="/query")
    finally:
        stop(oxi)

    # 4. rdflib-endpoint
    rdflib_times: dict[str, list[float]] = {}
    if not args.no_rdflib:
        port = free_port()
        started = time.perf_counter()
        rdf = start([sys.executable, "-c", RDFLIB_SERVER, str(nquads), str(port)],
                    f"http://127.0.0.1:{port}/?query=ASK%7B%7D", timeout=1800)
        print(f"rdflib-endpoint loaded the quads in {time.perf_counter() - started:.1f} s")
        try:
            with httpx.Client(timeout=900) as client:
                rdflib_samples = {"point": args.rdflib_samples, "join": args.rdflib_samples,
                                  "aggregate": max(1, args.rdflib_samples // 3)}
                rdflib_times = run_http(f"http://127.0.0.1:{port}", texts, rdflib_samples, client, endpoint="/")
        finally:
            stop(rdf)
    nquads.unlink()

    print(f"\n{'query':<12}{'pyoxigraph in-process':>40}{'credgraph /sparql':>40}{'oxigraph serve':>40}"
          f"{'rdflib-endpoint':>40}")
    for name in texts:
        row = [summarise(direct[name]), summarise(ours[name]), summarise(floor[name]),
               summarise(rdflib_times[name]) if name in rdflib_times else "-"]
        print(f"{name:<12}" + "".join(f"{cell:>40}" for cell in row))
    for name in texts:
        line = f"{name}: /sparql vs pyoxigraph {p50(ours[name]) / p50(direct[name]):.1f}x, vs oxigraph serve " \
               f"{p50(ours[name]) / p50(floor[name]):.2f}x"
        if name in rdflib_times:
            line += f", rdflib-endpoint is {p50(rdflib_times[name]) / p50(ours[name]):.1f}x slower than /sparql"
        print(line)
    print()
    for name, times in rest_times.items():
        print(f"{name:<42}{summarise(times)}")
    for name, rate in rates.items():
        print(f"throughput, 4 clients, {name:<28}{rate:8.1f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rdflib-samples", type=int, default=6)
    parser.add_argument("--no-rdflib", action="store_true")
    parser.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="credgraph-api-bench-"))
    try:
        if not (work / "base").exists():
            started = time.perf_counter()
            build_base(work / "base")
            print(f"base data (vocabularies, demo catalogue, 10 credentials) in {time.perf_counter() - started:.1f} s")
        print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; pyoxigraph {ox.__version__}")
        for scale in sorted(args.scales):
            bench_scale(work, scale, args)
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
