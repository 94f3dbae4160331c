"""Load benchmark: N mixed readers, one writer and a few hostile clients against a live ``credgraph serve``.

Everything runs on 127.0.0.1 and is bounded in time. The server is a real
``credgraph serve`` process (uvicorn, on-disk store) on a demo data directory
(``credgraph demo --no-serve``, made once under ``--data`` when missing).
Every client has its own loopback address (127.0.0.x), as distinct machines
would, because the server shares query slots out per client.

Two phases, measured in the same run:

1. **quiet**: the readers alone (``--quiet-seconds``), for the baseline;
2. **hostile**: readers, the writer and the hostile clients (``--seconds``).

- readers: a mix of REST (catalogue search, a specification, issuance
  statistics), linked data (``/id/...`` as Turtle and HTML) and ``/sparql``
  (a point lookup, a join), with 0-200 ms of think time between requests;
  a third of them send a researcher key (each its own);
- writer: imports credentials one after another with an issuer key for their
  providers (``POST /api/v1/credentials``; demo credentials with fresh ids);
- hostile: anonymous clients cycling through the attacks of issue #14: a
  4.8 MB query, 10,000 nested ``{``, 60,000 tokens, a string-doubling
  memory bomb, a cross-product that runs into the timeout, an expensive
  JSON-LD context on ``/validate``, SERVICE, and 20 half-sent request heads.

Printed: requests and errors by status per client class and phase, p50/p95
per route in both phases (and the hostile/quiet ratio of p95), and the
server's resident memory (the server process alone, and its query workers)
at the start, the end and its peak.

Usage:
    python benchmarks/load.py                              # 30 readers, 1 writer, 4 hostile, 60 s
    python benchmarks/load.py --readers 10 --seconds 20
    python benchmarks/load.py --exe OTHER/.venv/bin/credgraph --skip bomb   # another checkout's server
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import httpx

Q = {"Content-Type": "application/sparql-query"}
# queries/api-bench-join.rq with the country written in: one country's issuance records at EQF 6.
JOIN = """PREFIX cg: <https://w3id.org/credgraph/ns#>
PREFIX elm: <http://data.europa.eu/snb/model/elm/>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?record ?spec ?title ?issued WHERE {
  ?record cg:issuerCountry ?country ; cg:specification ?spec ; cg:issued ?issued .
  ?spec elm:EQFLevel <http://data.europa.eu/snb/eqf/6> ; dct:title ?title .
  FILTER(LANGMATCHES(LANG(?title), "en"))
} ORDER BY DESC(?issued) LIMIT 100"""
HOSTILE_KINDS = ("huge", "deep", "tokens", "bomb", "cross", "jsonld", "service", "slowloris")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the server's query workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


class Recorder:
    """Every request: (phase, client class, route, status, seconds)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, int | str, float]] = []
        self.phase = "quiet"
        self.lock = threading.Lock()
        self.details: Counter = Counter()  # (client class, status, problem detail): 5xx, others' 4xx, stopped queries

    def timed(self, kind: str, route: str, call):
        started = time.monotonic()
        try:
            response = call()
            status: int | str = response.status_code
            if status >= 400 and response.headers.get("content-type", "").startswith("application/problem+json"):
                problem = response.json()
                code = status
                status = f"{status} {problem.get('type', '').rsplit('/', 1)[-1]}"  # e.g. 503 busy
                # Details: 5xx, others' 4xx, and why hostile queries were stopped (422 too costly / 429 early).
                if code >= 500 or kind != "hostile" or "stopped" in problem.get("detail", ""):
                    with self.lock:
                        self.details[(kind, status, problem.get("detail", "")[:90])] += 1
        except httpx.HTTPError as exc:
            response, status = None, type(exc).__name__
        with self.lock:
            self.rows.append((self.phase, kind, route, status, time.monotonic() - started))
        return response


def setup(data: Path, exe: str, scale: float, researchers: int, providers: list[str]) -> dict[str, list[str]]:
    """The demo data (made when missing) and fresh keys: one issuer key for ``providers``, ``researchers`` researcher keys."""
    if not (data / "store").exists():
        print(f"setting up demo data in {data} (scale {scale}) ...", flush=True)
        subprocess.run([exe, "--data", str(data), "demo", "--scale", str(scale), "--no-serve"], check=True,
                       capture_output=True, timeout=1200)

    def key(role: str, *options: str) -> str:
        result = subprocess.run([exe, "--data", str(data), "keys", "add", "--role", role, "--name",
                                 f"load-{role}-{uuid.uuid4().hex[:8]}", *options], capture_output=True, text=True,
                                check=True)
        return result.stdout.splitlines()[0]

    return {"issuer": [key("issuer", *[o for p in providers for o in ("--provider", p)])],
            "researcher": [key("researcher") for _ in range(researchers)]}


def awarding_bodies(documents: list[Path]) -> list[str]:
    """The awarding bodies (organisation IRIs) the demo credentials name: what the writer's key may write for."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            body = node.get("awardingBody")
            for one in body if isinstance(body, list) else [body]:
                if isinstance(one, dict) and isinstance(one.get("id"), str):
                    found.add(one["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for document in documents:
        walk(json.loads(document.read_bytes()))
    return sorted(found)


def reader(base: str, address: str, key: str | None, rec: Recorder, stop: float, ids: list[str]) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    rng = random.Random(address)
    with httpx.Client(base_url=base, timeout=60, headers=headers,
                      transport=httpx.HTTPTransport(local_address=address)) as c:
        while time.monotonic() < stop:
            spec = rng.choice(ids)
            route = rng.choice(["catalogue", "specification", "stats", "ld-turtle", "ld-html", "sparql-point",
                                "sparql-join"])
            if route == "catalogue":
                rec.timed("reader", route, lambda: c.get("/api/v1/catalogue", params={"q": rng.choice(
                    ["data", "energy", "care", "design", "law"]), "eqf": "6"}))
            elif route == "specification":
                rec.timed("reader", route, lambda: c.get(f"/api/v1/specifications/{spec}"))
            elif route == "stats":
                rec.timed("reader", route, lambda: c.get("/api/v1/stats/issuance", params={"by": rng.choice(
                    ["eqf", "country", "field"])}))
            elif route == "ld-turtle":
                rec.timed("reader", route, lambda: c.get(f"/id/spec/{spec}", headers={"Accept": "text/turtle"}))
            elif route == "ld-html":
                rec.timed("reader", route, lambda: c.get(f"/id/spec/{spec}", headers={"Accept": "text/html"}))
            elif route == "sparql-point":
                query = (f"SELECT ?p ?o WHERE {{ <https://w3id.org/credgraph/id/spec/{spec}> ?p ?o }} LIMIT 50")
                rec.timed("reader", route, lambda: c.post("/sparql", content=query, headers=Q))
            else:
                query = JOIN.replace("?country", "<http://publications.europa.eu/resource/authority/country/"
                                     + rng.choice(["DEU", "FRA", "AUT", "NLD", "ESP"]) + ">")
                rec.timed("reader", route, lambda: c.post("/sparql", content=query, headers=Q))
            time.sleep(rng.uniform(0, 0.2))


def writer(base: str, key: str, rec: Recorder, stop: float, documents: list[Path]) -> None:
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"},
                      transport=httpx.HTTPTransport(local_address="127.0.0.250")) as c:
        n = 0
        while time.monotonic() < stop:
            document = json.loads(documents[n % len(documents)].read_bytes())
            document["id"] = f"urn:credential:{uuid.uuid4()}"
            n += 1
            rec.timed("writer", "import", lambda: c.post("/api/v1/credentials", content=json.dumps(document),
                                                         headers={"Content-Type": "application/ld+json"}))


def hostile(base: str, port: int, address: str, rec: Recorder, stop: float, kinds: list[str], start: int) -> None:
    huge = ("SELECT * WHERE { " + "?a " * 1_600_000 + "}").encode()
    deep = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
    tokens = "SELECT * WHERE { " + "?a " * 60_000 + "}"
    bomb = ('SELECT ?s WHERE { BIND("' + "x" * 100 + '" AS ?a0) '
            + " ".join(f"BIND(CONCAT(?a{i},?a{i}) AS ?a{i + 1})" for i in range(21)) + " BIND(?a21 AS ?s) }")
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    terms = {f"t{i}": f"http://example.org/t{i}" for i in range(3_000)}
    jsonld = json.dumps({"@context": {"n": {"@id": "http://example.org/n", "@context": terms}},
                         "@id": "http://example.org/d", "n": [{"t1": "x"} for _ in range(3_000)]})
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    held: list[socket.socket] = []
    i = start
    with httpx.Client(base_url=base, timeout=60, transport=httpx.HTTPTransport(local_address=address)) as c:
        while time.monotonic() < stop:
            kind = kinds[i % len(kinds)]
            i += 1
            if kind == "huge":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=huge, headers=Q))
            elif kind == "deep":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=deep, headers=Q))
            elif kind == "tokens":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=tokens, headers=Q))
            elif kind == "bomb":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=bomb, headers={**Q, "Accept": "text/csv"}))
            elif kind == "cross":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=cross, headers=Q))
            elif kind == "jsonld":
                rec.timed("hostile", kind, lambda: c.post("/api/v1/validate", content=jsonld,
                                                          headers={"Content-Type": "application/ld+json"}))
            elif kind == "service":
                rec.timed("hostile", kind, lambda: c.post("/sparql", content=service, headers=Q))
            elif kind == "slowloris":
                for _ in range(20):
                    try:
                        sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(address, 0))
                        sock.sendall(b"GET /api/v1/catalogue HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                        held.append(sock)
                    except OSError:
                        break
    for sock in held:
        sock.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=30)
    parser.add_argument("--hostile", type=int, default=4)
    parser.add_argument("--writers", type=int, default=1, choices=[0, 1], help="0: no writer (memory without imports)")
    parser.add_argument("--seconds", type=float, default=60, help="hostile phase (default 60)")
    parser.add_argument("--quiet-seconds", type=float, default=30, help="quiet phase (default 30)")
    parser.add_argument("--data", type=Path, default=Path("/tmp/credgraph-load"), help="demo data directory")
    parser.add_argument("--scale", type=float, default=0.2, help="demo scale when the data is made (default 0.2)")
    parser.add_argument("--exe", default=str(Path(sys.executable).with_name("credgraph")), help="credgraph to serve")
    parser.add_argument("--skip", nargs="*", default=[], choices=HOSTILE_KINDS, help="hostile kinds to leave out")
    parser.add_argument("--server-log", type=Path, help="write the server's log (stderr) to this file")
    args = parser.parse_args()

    if not (args.data / "store").exists():
        setup(args.data, args.exe, args.scale, 0, [])
    documents = sorted((args.data / "demo" / "credentials").rglob("*.jsonld"))[:50]
    keyed = [i for i in range(args.readers) if i % 3 == 0]  # a third of the readers, each with a key of its own
    keys = setup(args.data, args.exe, args.scale, len(keyed), awarding_bodies(documents))
    specs = _specification_ids(args.data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.exe, "--data", str(args.data), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=open(args.server_log, "w") if args.server_log else subprocess.DEVNULL)
    rec = Recorder()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/stats/issuance?by=eqf", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        for spec in specs[:5]:  # warm the caches of the first requests
            httpx.get(f"{base}/api/v1/specifications/{spec}", timeout=60)
            httpx.get(f"{base}/id/spec/{spec}", headers={"Accept": "text/html"}, timeout=60)
        for by in ("eqf", "country", "field"):
            httpx.get(base + "/api/v1/stats/issuance", params={"by": by}, timeout=60)
        httpx.get(base + "/api/v1/catalogue", params={"q": "data"}, timeout=60)
        rss_start = rss_mb(server.pid)
        peaks = {"server": rss_start, "workers": 0.0}
        sampling = threading.Event()

        def sample() -> None:
            began, shown = time.monotonic(), 0
            while not sampling.is_set():
                peaks["server"] = max(peaks["server"], rss_mb(server.pid))
                if time.monotonic() - began >= shown + 30:  # the server's memory over the run
                    shown += 30
                    print(f"  {shown:4d} s: server RSS {rss_mb(server.pid):.0f} MB", flush=True)
                peaks["workers"] = max([peaks["workers"]] + [rss_mb(p) for p in children(server.pid)])
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        readers = []
        stop_all = time.monotonic() + args.quiet_seconds + args.seconds
        for i in range(args.readers):
            key = keys["researcher"][keyed.index(i)] if i in keyed else None
            readers.append(threading.Thread(target=reader, args=(base, f"127.0.0.{10 + i}", key, rec, stop_all, specs)))
        for thread in readers:
            thread.start()
        print(f"quiet phase: {args.readers} readers for {args.quiet_seconds:g} s ...", flush=True)
        time.sleep(args.quiet_seconds)
        rec.phase = "hostile"
        stop = time.monotonic() + args.seconds
        kinds = [k for k in HOSTILE_KINDS if k not in args.skip]
        others = [threading.Thread(target=writer, args=(base, keys["issuer"][0], rec, stop, documents))
                  for _ in range(args.writers)]
        others += [threading.Thread(target=hostile, args=(base, port, f"127.0.0.{200 + i}", rec, stop, kinds, i))
                   for i in range(args.hostile)]
        print(f"hostile phase: + {args.writers} writer, {args.hostile} hostile clients ({', '.join(kinds)}) for "
              f"{args.seconds:g} s ...", flush=True)
        for thread in others:
            thread.start()
        for thread in readers + others:
            thread.join(timeout=max(1.0, stop_all - time.monotonic() + 120))
        sampling.set()
        sampler.join()
        alive = server.poll() is None
        rss_end = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    report(rec, args, rss_start, rss_end, peaks, alive)
    return 0


def _specification_ids(data: Path) -> list[str]:
    """Slugs of the demo specifications, from the built site's pages (spec/<provider>/<id>)."""
    found = set()
    for page in (data / "site").rglob("*.html"):
        parts = page.relative_to(data / "site").parts
        if "spec" in parts:
            at = parts.index("spec")
            rest = parts[at + 1:]
            if len(rest) == 2:
                found.add(f"{rest[0]}/{Path(rest[1]).stem}")
            elif len(rest) == 3 and rest[2] == "index.html":
                found.add(f"{rest[0]}/{rest[1]}")
    if not found:
        raise SystemExit(f"no specification pages under {data / 'site'}")
    return sorted(found)


def report(rec: Recorder, args, rss_start: float, rss_end: float, peaks: dict, alive: bool) -> None:
    print()
    print(f"server alive at the end: {alive}")
    print(f"server RSS: start {rss_start:.0f} MB, end {rss_end:.0f} MB, peak {peaks['server']:.0f} MB; "
          f"largest query worker seen: {peaks['workers']:.0f} MB")
    print()
    print("requests and answers by status:")
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for phase, kind, _, status, _ in rec.rows:
        groups[(phase, kind)][status] += 1
    for (phase, kind), statuses in sorted(groups.items()):
        total = sum(statuses.values())
        fives = sum(n for s, n in statuses.items() if str(s)[:1] == "5")
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=lambda x: str(x[0])))
        print(f"  {phase:8} {kind:8} {total:6} requests, {fives} 5xx  ({shown})")
    fives_of = Counter(kind for _, kind, _, status, _ in rec.rows if str(status)[:1] == "5")
    print(f"  5xx: readers {fives_of['reader']}, writer {fives_of['writer']} (target 0 for both); "
          f"hostile clients {fives_of['hostile']}")
    errors: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for phase, kind, route, status, _ in rec.rows:
        if kind != "hostile" and not (isinstance(status, int) and status < 400):  # includes "503 busy"
            errors[(phase, kind, route)][status] += 1
    for (phase, kind, route), statuses in sorted(errors.items()):
        print(f"    errors of {phase} {kind} {route}: {dict(statuses)}")
    for (kind, status, detail), n in sorted(rec.details.items(), key=lambda x: -x[1])[:12]:
        print(f"    {n:5} x {kind} {status}: {detail}")
    print()
    print("latency per route, ms (2xx answers):  quiet p50 / p95   hostile p50 / p95   p95 ratio")
    by_route: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for phase, kind, route, status, seconds in rec.rows:
        if isinstance(status, int) and 200 <= status < 300:
            by_route[(kind, route, phase)].append(seconds * 1000)
    routes = sorted({(k, r) for k, r, _ in by_route})
    for kind, route in routes:
        quiet, loud = by_route.get((kind, route, "quiet"), []), by_route.get((kind, route, "hostile"), [])
        ratio = percentile(loud, 0.95) / percentile(quiet, 0.95) if quiet and loud else float("nan")
        print(f"  {kind:8} {route:14} {percentile(quiet, .5):8.1f} / {percentile(quiet, .95):7.1f}   "
              f"{percentile(loud, .5):8.1f} / {percentile(loud, .95):7.1f}   {ratio:5.2f}x  "
              f"(n={len(quiet)}/{len(loud)})")
    hostile_rows = [(route, status, seconds) for phase, kind, route, status, seconds in rec.rows if kind == "hostile"]
    if hostile_rows:
        print()
        print("hostile requests: answer and time (p50 / max, s)")
        per: dict[tuple[str, object], list[float]] = defaultdict(list)
        for route, status, seconds in hostile_rows:
            per[(route, status)].append(seconds)
        for (route, status), times in sorted(per.items(), key=lambda x: (x[0][0], str(x[0][1]))):
            print(f"  {route:10} {status!s:>22} x{len(times):<4} {statistics.median(times):6.2f} / {max(times):6.2f}")
    rest = [r for r in routes if r[0] == "reader" and not r[1].startswith("sparql")]
    ratios = [percentile(by_route[(k, r, "hostile")], .95) / percentile(by_route[(k, r, "quiet")], .95)
              for k, r in rest if by_route.get((k, r, "quiet")) and by_route.get((k, r, "hostile"))]
    quiet_all = [s for (k, r, p), v in by_route.items() for s in v if k == "reader" and p == "quiet"
                 and not r.startswith("sparql")]
    loud_all = [s for (k, r, p), v in by_route.items() for s in v if k == "reader" and p == "hostile"
                and not r.startswith("sparql")]
    print()
    print(f"ordinary REST + linked data, all routes together: quiet p95 {percentile(quiet_all, .95):.1f} ms, "
          f"hostile p95 {percentile(loud_all, .95):.1f} ms, ratio "
          f"{percentile(loud_all, .95) / percentile(quiet_all, .95):.2f}x (target <= 3x); "
          f"worst single route {max(ratios) if ratios else float('nan'):.2f}x")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
