"""Benchmark of the HTTP API: /sparql and the catalogue, compare and stacking routes.

Data: the shipped vocabularies and the demo catalogue (14 providers, 164
specifications, stacking rules, equivalences, 10 real EDC credentials) imported
through the normal importers; then synthetic issuance records (the shape the
ingest writes: cg:IssuanceRecord with specification, awarding body, issuer
country, issue date, learner pseudonym; one named graph each) added with
``bulk_extend`` up to ``--scales`` (default 5,000 = demo scale, and 100,000);
then each store is compacted (:func:`settle`) before a server opens it.

For each scale, on the same on-disk store, measured in the same run with
the calls interleaved in blocks of 10 (so that load from other jobs hits all
alike), p50/p95 of sequential calls:
a) pyoxigraph in this process: the query over the store's default graph (the merged
   public graph), rows iterated;
b) pyoxigraph in this process: the query, result written as SPARQL JSON (the
   work any endpoint must do);
c) a bare ASGI app on uvicorn answering a fixed small JSON body: the HTTP
   round-trip floor of a Python server (point rows only);
d) ``oxigraph serve-read-only`` (Rust) on the same store;
e) ``credgraph serve``: /sparql;
f) with ``--baseline DIR``: /sparql of the credgraph package found on DIR
   (e.g. an older commit laid out as DIR/credgraph/...), on a copy of the store.
c-f use one keep-alive ``http.client`` connection each (POST form, JSON
results). Queries: api-bench-point (also as "point-new", each text never sent
before, since /sparql caches its checks per text), api-bench-join,
api-bench-aggregate. Then the catalogue, compare and stacking routes,
throughput with 4 concurrent clients, and rdflib-endpoint 0.6 serving the same
quads (rdflib Dataset, union default graph), alone.

Usage:
    python benchmarks/api.py                    # scales 5000 and 100000
    python benchmarks/api.py --scales 5000 --rdflib-samples 3
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.demo import generator as demo_data
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.store.binding import inject_values
from credgraph.graph.store.interface import open_store
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "tests"))
from conftest import free_port, oxigraph_binary  # noqa: E402
from servers import start, stop  # noqa: E402

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


def settle(directory: Path) -> None:
    """Compact the store's files now, as RocksDB does in the background some time after a load.

    A store just bulk-loaded (or with a graph just cleared) has its new data in
    many small files that RocksDB merges in its first minutes open. Measured
    before that, queries compete with the merging (the aggregate at 100,000
    records took 1.7 s on a fresh store, 1.0 s once merged, for the same code),
    and which server is hit more depends on how much each has to merge. Both
    stores are compacted first, so the figures are the steady state.
    """
    raw = ox.Store(str(directory / "store"))
    raw.optimize()
    raw.flush()
    del raw


# -- timing -------------------------------------------------------------------------


def summarise(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"{statistics.median(ms):7.2f} / {ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]:7.2f}"


def p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def interleaved(fns: dict[str, object], n: int, block: int = 10) -> dict[str, list[float]]:
    """``n`` timed calls of each function, taken in alternating blocks so that load changes hit all alike."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(-1)  # warm
    i = 0
    while i < n:
        for name, fn in fns.items():
            for k in range(i, min(n, i + block)):
                started = time.perf_counter()
                fn(k)
                out[name].append(time.perf_counter() - started)
        i += block
    return out


def timed(fn, n: int) -> list[float]:
    return interleaved({"": fn}, n)[""]


def throughput(make_fn, seconds: float = 4.0, clients: int = 4) -> float:
    """Requests per second of ``clients`` threads, each with its own connection from ``make_fn()``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def worker(k: int) -> None:
        fn, i = make_fn(), 0
        while time.monotonic() < stop:
            fn(i)
            i += 1
        counts[k] = i

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return sum(counts) / seconds


class Http:
    """One keep-alive HTTP/1.1 connection (``http.client``): the same client for every server measured."""

    def __init__(self, base: str, timeout: float = 900) -> None:
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> bytes:
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # uvicorn closes connections idle for 5 s; reconnect as any keep-alive client does.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return data

    def sparql(self, path: str, text: str) -> bytes:
        """A SPARQL 1.1 Protocol query by POST form, JSON results."""
        return self.request("POST", path, urllib.parse.urlencode({"query": text}).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded",
                             "Accept": "application/sparql-results+json"})

    def json(self, method: str, path: str, payload=None, params: dict | None = None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        body = json.dumps(payload).encode() if payload is not None else None
        return json.loads(self.request(method, path, body, {"Content-Type": "application/json"} if body else {}))


def query_texts(records: list[str]) -> dict[str, list[str]]:
    """The benchmark queries as clients send them (parameters as VALUES)."""
    point = [inject_values(queries.load("api-bench-point").text, [{"record": ox.NamedNode(r)}]) for r in records]
    join = [inject_values(queries.load("api-bench-join").text, [{"country": DEU, "level": EQF6}])]
    aggregate = [queries.load("api-bench-aggregate").text]
    # point-new: each request's text never sent before (a numbered comment is added at the end), since
    # /sparql keeps the checks of recent query texts.
    return {"point": point, "point-new": point, "join": join, "aggregate": aggregate}


# -- servers --------------------------------------------------------------------------


RDFLIB_SERVER = """
import sys, uvicorn, rdflib
from rdflib_endpoint import SparqlEndpoint
ds = rdflib.Dataset(default_union=True)
ds.parse(sys.argv[1], format="nquads")
app = SparqlEndpoint(graph=ds, cors_enabled=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

# The HTTP floor of a Python server: uvicorn as `credgraph serve` runs it, an
# ASGI app that reads the request body and answers a fixed small JSON result.
BARE_ASGI_SERVER = """
import sys, uvicorn
BODY = b'{"head":{"vars":["spec","country","issued"]},"results":{"bindings":[]}}'
HEADERS = [(b"content-type", b"application/sparql-results+json"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def credgraph_serve(directory: Path, pythonpath: str | None = None) -> tuple[subprocess.Popen, str]:
    """``credgraph serve`` on ``directory``; with ``pythonpath``, the credgraph package found there."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-c", "import sys; from credgraph.cli import main; sys.exit(main())",
           "--data", str(directory), "serve", "--port", str(port), "--max-queries", "4", "--timeout", "120"]
    return start(cmd, base + "/sparql?query=ASK%7B%7D", env=env), base


# -- main --------------------------------------------------------------------------------

COLUMNS = {
    "a": "pyoxigraph, rows",
    "b": "pyoxigraph + JSON",
    "c": "bare ASGI (HTTP floor)",
    "d": "oxigraph serve",
    "e": "credgraph /sparql",
    "f": "baseline /sparql",
}


def bench_scale(base_dir: Path, scale: int, args) -> None:
    directory = base_dir / f"scale-{scale}"
    if not directory.exists():
        shutil.copytree(base_dir / "base", directory)
    records = add_records(directory, scale)
    settle(directory)
    texts = query_texts(records)
    print(f"\n=== {scale:,} issuance records ===")
    samples = {"point": args.samples, "point-new": args.samples, "join": max(10, args.samples // 5), "aggregate": max(5, args.samples // 20)}

    servers: list[subprocess.Popen] = []
    try:
        # e (and f): credgraph serve first, it opens the store read-write; the others open it read-only.
        if args.baseline:
            # A copy, made before any server opens the store: each credgraph serve holds its store's lock.
            copy = base_dir / f"scale-{scale}-baseline"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(directory, copy)
            # The baseline predates the merged default graph: it reads the union of named graphs.
            raw = ox.Store(str(copy / "store"))
            raw.clear_graph(ox.DefaultGraph())
            raw.flush()
            del raw
            settle(copy)
        ours, ours_base = credgraph_serve(directory)
        servers.append(ours)
        if args.baseline:
            baseline, baseline_base = credgraph_serve(copy, args.baseline)
            servers.append(baseline)
        port = free_port()
        servers.append(start([sys.executable, "-c", BARE_ASGI_SERVER, str(port)], f"http://127.0.0.1:{port}/"))
        bare_base = f"http://127.0.0.1:{port}"
        port = free_port()
        servers.append(start([oxigraph_binary(), "serve-read-only", "--location", str(directory / "store"), "--bind",
                              f"127.0.0.1:{port}"],
                             f"http://127.0.0.1:{port}/query?query=ASK%7B%7D"))
        oxigraph_base = f"http://127.0.0.1:{port}"
        raw = ox.Store.read_only(str(directory / "store"))
        rows = {name: len(list(raw.query(o[0]))) for name, o in texts.items()}
        print(f"store: {len(raw):,} quads; result rows: {rows}")

        clients = {"c": Http(bare_base), "d": Http(oxigraph_base), "e": Http(ours_base)}
        if args.baseline:
            clients["f"] = Http(baseline_base)
        results: dict[str, dict[str, list[float]]] = {}
        for name, options in texts.items():
            def pick(i, options=options, new=name == "point-new"):
                return options[i % len(options)] + (f"\n# request {i}" if new else "")

            fns = {
                "a": lambda i, pick=pick: list(raw.query(pick(i))),
                "b": lambda i, pick=pick: raw.query(pick(i)).serialize(
                    format=ox.QueryResultsFormat.JSON),
            }
            if name.startswith("point"):
                fns["c"] = lambda i, pick=pick: clients["c"].sparql("/", pick(i))
            fns["d"] = lambda i, pick=pick: clients["d"].sparql("/query", pick(i))
            fns["e"] = lambda i, pick=pick: clients["e"].sparql("/sparql", pick(i))
            if args.baseline:
                fns["f"] = lambda i, pick=pick: clients["f"].sparql("/sparql", pick(i))
            results[name] = interleaved(fns, samples[name])

        web = clients["e"]
        spec_rows = json.loads(web.sparql("/sparql", (
            "PREFIX elm: <http://data.europa.eu/snb/model/elm/> SELECT ?whole ?part WHERE { ?whole elm:hasPart ?part } "
            "ORDER BY ?whole ?part")))["results"]["bindings"]
        whole = spec_rows[0]["whole"]["value"]
        parts = [r["part"]["value"] for r in spec_rows if r["whole"]["value"] == whole]
        web.request("GET", "/api/v1/catalogue")  # fills the catalogue cache
        rest = {
            "GET /api/v1/catalogue?q=data&eqf=6": lambda i=0: web.json(
                "GET", "/api/v1/catalogue", params={"q": ["data", "digital", "management"][i % 3], "eqf": "6"}),
            "POST /api/v1/recognition/compare": lambda i=0: web.json(
                "POST", "/api/v1/recognition/compare", {"subject": parts[0], "reference": parts[1 % len(parts)]}),
            "POST /api/v1/stacking/evaluate": lambda i=0: web.json(
                "POST", "/api/v1/stacking/evaluate", {"credentials": records[i % len(records):][:3]}),
        }
        rest_times = {name: timed(fn, max(10, args.samples // 5)) for name, fn in rest.items()}

        def point_client(path: str, base: str):
            client = Http(base)
            return lambda i: client.sparql(path, texts["point"][i % len(texts["point"])])

        rates = {
            "credgraph /sparql point": throughput(lambda: point_client("/sparql", ours_base)),
            "oxigraph serve point": throughput(lambda: point_client("/query", oxigraph_base)),
            "GET /api/v1/catalogue": throughput(
                lambda: (lambda client: lambda i: client.request("GET", "/api/v1/catalogue?q=data"))(Http(ours_base))),
        }
        nquads = directory / "dump.nq"
        if not args.no_rdflib:
            with open(nquads, "wb") as out:
                raw.dump(out, ox.RdfFormat.N_QUADS)
        del raw
    finally:
        for process in servers:
            stop(process)

    # rdflib-endpoint, alone (it takes minutes to load the larger scale)
    rdflib_times: dict[str, list[float]] = {}
    if not args.no_rdflib:
        port = free_port()
        started = time.perf_counter()
        rdf = start([sys.executable, "-c", RDFLIB_SERVER, str(nquads), str(port)],
                    f"http://127.0.0.1:{port}/?query=ASK%7B%7D", timeout=1800)
        print(f"rdflib-endpoint loaded the quads in {time.perf_counter() - started:.1f} s")
        try:
            client = Http(f"http://127.0.0.1:{port}")
            rdflib_samples = {"point": args.rdflib_samples, "join": args.rdflib_samples,
                              "aggregate": max(1, args.rdflib_samples // 3)}
            for name, options in texts.items():
                if name not in rdflib_samples:
                    continue
                rdflib_times[name] = timed(lambda i, o=options: client.sparql("/", o[i % len(o)]), rdflib_samples[name])
        finally:
            stop(rdf)
        nquads.unlink()

    shown = [k for k in COLUMNS if any(k in results[q] for q in results)]
    print("\np50 / p95 in ms; a and b in this process, c-f over HTTP with one keep-alive http.client connection")
    print(f"{'query':<11}" + "".join(f"{k + ') ' + COLUMNS[k]:>26}" for k in shown)
          + (f"{'rdflib-endpoint':>26}" if rdflib_times else ""))
    for name in texts:
        cells = [summarise(results[name][k]) if k in results[name] else "-" for k in shown]
        if rdflib_times:
            cells.append(summarise(rdflib_times[name]) if name in rdflib_times else "-")
        print(f"{name:<11}" + "".join(f"{cell:>26}" for cell in cells))
    print()
    floor = p50(results["point"]["c"])
    for name in texts:
        r = results[name]
        e = p50(r["e"])
        line = f"{name}: e/a {e / p50(r['a']):.1f}x, e/b {e / p50(r['b']):.1f}x, "
        line += f"e/c {e / floor:.2f}x, " if "c" in r else ""
        line += f"e/d {e / p50(r['d']):.2f}x"
        if "f" in r:
            line += f", e/f {e / p50(r['f']):.2f}x (f = baseline {args.baseline})"
        if name in rdflib_times:
            line += f"; rdflib-endpoint is {p50(rdflib_times[name]) / e:.1f}x slower than /sparql"
        print(line)
    a = p50(results["point"]["a"])
    print(f"the HTTP round trip alone (c, {floor:.2f} ms) is {floor / a:.1f}x the in-process point query "
          f"(a, {a:.2f} ms); /sparql minus that floor: {p50(results['point']['e']) - floor:.2f} ms")
    print()
    for name, times in rest_times.items():
        print(f"{name:<42}p50 / p95 {summarise(times)} ms")
    for name, rate in rates.items():
        print(f"throughput, 4 clients, {name:<28}{rate:8.1f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rdflib-samples", type=int, default=6)
    parser.add_argument("--no-rdflib", action="store_true")
    parser.add_argument("--baseline", metavar="PYTHONPATH",
                        help="also measure /sparql of the credgraph package found on this path (f), e.g. an "
                        "older checkout laid out as credgraph/, for before/after figures in one run")
    parser.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    # Checked first, not after an hour of measuring: the comparison server needs the bench extra.
    import importlib.util

    if not args.no_rdflib and importlib.util.find_spec("rdflib_endpoint") is None:
        raise SystemExit("benchmarks/api.py: rdflib-endpoint is not installed; pip install -e '.[bench]' "
                         "(or run with --no-rdflib)")
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
