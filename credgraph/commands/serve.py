"""``credgraph serve``, ``credgraph demo`` and ``credgraph keys``: run the HTTP API (and the site)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from credgraph.graph.workspace import Workspace
from credgraph.progress import Progress

RAW = argparse.RawDescriptionHelpFormatter


def register(commands, imports) -> None:
    """Add serve, demo and keys."""
    p = commands.add_parser(
        "serve",
        help="run the HTTP API (SPARQL endpoint, REST, linked data) and the built site",
        formatter_class=RAW,
        description="Serve the API with uvicorn: /sparql (SPARQL 1.1 Protocol, read-only, public data only),\n"
        "/sparql/update (admin key), REST under /api/v1/ (OpenAPI at /openapi.json), linked data under /id/,\n"
        "and the static site from <data>/site (or --site) at /.\n\n"
        "API keys come from <data>/api-keys.json (see `credgraph keys add`).\n\n"
        "Examples:\n  credgraph serve\n  credgraph serve --host 0.0.0.0 --port 8080 --timeout 20\n"
        "  credgraph serve --access-log /var/log/credgraph-access.log\n",
    )
    _server_options(p)
    p.set_defaults(func=cmd_serve)

    p = commands.add_parser(
        "demo",
        help="set up a demo (init, demo data, site) on an empty data directory, then serve it",
        formatter_class=RAW,
        description="On an empty data directory: load the vocabularies, generate and import the fictional\n"
        "demo data set, build the static site into <data>/site; then serve API and site together.\n"
        "On a data directory that already holds data, only serve it (building the site if missing).\n\n"
        "Examples:\n  credgraph --data /tmp/demo demo\n  credgraph --data /tmp/demo demo --scale 0.2 --port 8080\n",
    )
    _server_options(p)
    p.add_argument("--scale", type=float, default=1.0, help="demo size: multiplies the 5,000 credentials (default 1)")
    p.add_argument("--seed", type=int, default=1, help="demo data seed (default 1)")
    p.add_argument("--no-serve", action="store_true", help="set up only; do not start the server")
    p.set_defaults(func=cmd_demo)

    p = commands.add_parser(
        "keys",
        help="manage API keys (roles: researcher, agency, issuer, admin)",
        formatter_class=RAW,
        description="API keys are stored hashed in <data>/api-keys.json; a new key is printed once.\n\n"
        "Examples:\n  credgraph keys add --role agency --name enic-naric-de\n  credgraph keys list\n",
    )
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    p.set_defaults(func=lambda ws, args: p.print_help() or 2)
    add = sub.add_parser(
        "add",
        help="create a key and print it once",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Create an API key with a role; the key is printed once and stored only as a hash.\n\n"
        "Example:\n  credgraph keys add --role agency --name enic-naric-at",
    )
    add.add_argument("--role", required=True, choices=["researcher", "agency", "issuer", "admin"])
    add.add_argument("--name", required=True, help="who holds the key (recorded in the audit log)")
    add.add_argument("--hash", choices=["sha256", "scrypt"], default="sha256", help="how the key is stored")
    add.add_argument("--provider", action="append", default=[], metavar="ORG_IRI",
                     help="issuer keys: an awarding body / provider (organisation IRI) the key may write for; repeatable")
    add.set_defaults(func=cmd_keys_add)
    listing = sub.add_parser(
        "list",
        help="list key names and roles (never the keys)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="List the API keys' names and roles (never the keys themselves).\n\nExample:\n  credgraph keys list",
    )
    listing.set_defaults(func=cmd_keys_list)


def _server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    p.add_argument("--site", metavar="DIR", help="built static site to serve at / (default <data>/site if present)")
    p.add_argument("--timeout", type=float, help="SPARQL query timeout in seconds (default 10)")
    p.add_argument("--row-cap", type=int, help="maximum rows of a SPARQL result (default 10000)")
    p.add_argument("--max-queries", type=int, help="SPARQL queries running at once (default 4)")
    p.add_argument("--public-base", metavar="URL",
                   help="the server's public base URL, e.g. https://credgraph.example.org (IRIs in the service "
                   "description; never taken from the client's Host header; default: the bound address)")
    p.add_argument("--access-log", metavar="FILE",
                   help="write one line per request (time, client, method, path, status, bytes, duration; "
                   "never query strings) to FILE, or - for standard output")


def _app(ws: Workspace, args):
    from credgraph.api import create_app
    from credgraph.api.config import ApiSettings

    site = Path(args.site) if args.site else Path(ws.settings.data_dir) / "site"
    if args.site and not site.is_dir():
        raise ValueError(f"--site {args.site}: not a folder (build one with `credgraph site build {args.site}`)")
    settings = ApiSettings.for_workspace(
        ws.settings,
        site_dir=site if site.is_dir() else None,
        query_timeout_s=args.timeout,
        row_cap=args.row_cap,
        max_concurrent_queries=args.max_queries,
        public_base=args.public_base.rstrip("/") if getattr(args, "public_base", None) else None,
    )
    return create_app(ws, settings), settings


def _run(ws: Workspace, args) -> int:
    import uvicorn

    app, settings = _app(ws, args)
    where = f"http://{args.host}:{args.port}"
    print(f"credgraph API at {where}/ (SPARQL: {where}/sparql, OpenAPI: {where}/openapi.json)"
          + (f"; site from {settings.site_dir}" if settings.site_dir else "; no site built"), flush=True)
    from credgraph.api.http_protocol import protocol_with_head_timeout

    log = None
    if getattr(args, "access_log", None):
        from credgraph.api.access_log import AccessLog

        log = sys.stdout if args.access_log == "-" else open(args.access_log, "a", encoding="utf-8")  # noqa: SIM115
        app = AccessLog(app, log)
    try:
        # Slow clients: a request head must be complete within header_timeout_s; an idle
        # keep-alive connection is closed after 5 s (uvicorn's default, stated here).
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False,
                    http=protocol_with_head_timeout(settings.header_timeout_s), timeout_keep_alive=5)
    finally:
        if log not in (None, sys.stdout):
            log.close()
    return 0


def cmd_serve(ws: Workspace, args) -> int:
    """Serve the API (and the site, if built)."""
    return _run(ws, args)


def cmd_demo(ws: Workspace, args) -> int:
    """Init, demo data and site build on an empty data directory; then serve."""
    from credgraph.demo import generator as demo_data
    from credgraph.graph.sources import vocab

    data = Path(ws.settings.data_dir)
    site = Path(args.site) if args.site else data / "site"
    if not ws.store.graphs():
        print(f"setting up a demo in {data} ...", flush=True)
        for item in vocab.load_shipped(ws.store):
            print(f"  {item.status:>10}  {item.graph}", flush=True)
        summary = demo_data.generate(data / "demo", scale=args.scale, seed=args.seed)
        print(f"  demo data: {summary.specifications} micro-credentials, {summary.credentials:,} credentials", flush=True)
        progress = Progress("  importing credentials", total=summary.credentials)
        loaded = demo_data.load(ws, data / "demo", on_document=lambda _result: progress.advance())
        progress.finish()
        for problem in loaded.problems[:10]:
            print(f"  problem: {problem}")
    else:
        print(f"{data} already holds data: serving it as it is", flush=True)
    if not site.is_dir():
        from credgraph.site.build import build_site

        base = f"http://{args.host}:{args.port}/"
        report = build_site(ws.store, site, base_url=base, sparql_endpoint="/sparql")
        print(f"  site: {report.pages} pages in {site} ({report.seconds:.1f} s)", flush=True)
    if args.no_serve:
        return 0
    args.site = str(site)
    return _run(ws, args)


def cmd_keys_add(ws: Workspace, args) -> int:
    """Create a key; print it once."""
    from credgraph.api.config import ApiSettings
    from credgraph.api.keys import add_key

    path = ApiSettings.for_workspace(ws.settings).keys_file
    key = add_key(path, args.role, args.name, args.hash, args.provider)
    print(key)
    print(f"added {args.role} key {args.name!r} to {path} (shown once; only its hash is stored)", flush=True)
    return 0


def cmd_keys_list(ws: Workspace, args) -> int:
    """List key names and roles."""
    from credgraph.api.config import ApiSettings
    from credgraph.api.keys import KeyRing

    ring = KeyRing.load(ApiSettings.for_workspace(ws.settings).keys_file)
    for key in ring.keys:
        print(f"{key.role:11} {key.name}" + (f"  providers: {' '.join(key.providers)}" if key.role == "issuer" else ""))
    return 0
