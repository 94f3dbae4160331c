"""Core commands: init, query, graphs, dump, stats."""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.cli import CommandError
from credgraph.graph.store import results
from credgraph.graph.sources import vocab
from credgraph.graph.store.interface import Solutions
from credgraph.graph.workspace import Workspace

RAW = argparse.RawDescriptionHelpFormatter
# A word such as eqf-levels names a query in queries/; SPARQL text always holds a space or a brace.
QUERY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def register(commands, imports) -> None:
    """Add init, query, graphs, dump and stats."""
    p = commands.add_parser(
        "init",
        help="create the store and load the shipped vocabularies",
        formatter_class=RAW,
        description="Create the store (if needed) and load every shipped vocabulary (ELM terms, EQF,\n"
        "ISCED-F, ESCO subset, ...) into its own named graph. Safe to run again: unchanged\n"
        "vocabularies are skipped.\n\nExample:\n  credgraph init\n  credgraph --store http://127.0.0.1:7878 init",
    )
    p.add_argument("--force", action="store_true", help="reload vocabularies even if unchanged")
    p.set_defaults(func=cmd_init)

    p = commands.add_parser(
        "query",
        help="run a SPARQL query or a named query",
        formatter_class=RAW,
        description="Run a SPARQL query: text, @FILE, or the name of a query in queries/.\n"
        "SELECT and ASK print a table (or --format json|csv); CONSTRUCT and DESCRIBE print Turtle.\n\n"
        "Examples:\n  credgraph query eqf-levels\n"
        "  credgraph query 'SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> }'\n"
        "  credgraph query @my-query.rq --format csv\n  credgraph query --list",
    )
    p.add_argument("query", nargs="?", help="SPARQL text, @FILE, or a named query")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output for SELECT/ASK")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter of a named query (IRIs as <...>, otherwise a plain literal)")
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.set_defaults(func=cmd_query)

    p = commands.add_parser(
        "graphs",
        help="list named graphs with provenance and size",
        formatter_class=RAW,
        description="List the named graphs credgraph has written, with kind, triples, source,\n"
        "import time and content hash.\n\nExample:\n  credgraph graphs\n  credgraph graphs --kind vocab",
    )
    p.add_argument("--kind", help="only graphs of this kind (vocab, source, ...)")
    p.add_argument("--private", action="store_true", help="list the private store's graphs instead")
    p.set_defaults(func=cmd_graphs)

    p = commands.add_parser(
        "dump",
        help="write the public dataset as N-Quads",
        formatter_class=RAW,
        description="Write every public named graph as N-Quads (gzipped if FILE ends in .gz).\n\n"
        "Example:\n  credgraph dump credgraph.nq.gz\n  credgraph dump - | head",
    )
    p.add_argument("file", nargs="?", default="-", help="output file, or - for standard output")
    p.set_defaults(func=cmd_dump)

    p = commands.add_parser(
        "stats",
        help="what the store holds; issuance statistics",
        formatter_class=RAW,
        description="Without an argument: counts of what the store holds (graphs by kind, triples,\n"
        "concepts per vocabulary).\n\n"
        "stats issuance --by DIMENSION: issued credentials over the pseudonymised issuance records,\n"
        "by eqf, country, field (ISCED-F), skill (ESCO), provider or month; distinct learners\n"
        "(learners); learners who completed a stacking rule (completions). Cells below --k\n"
        "(default 5) are suppressed: neither their count nor their key is shown.\n\n"
        "Examples:\n  credgraph stats\n  credgraph stats issuance --by eqf\n"
        "  credgraph stats issuance --by skill --k 10 --json",
    )
    p.add_argument("what", nargs="?", choices=["issuance"], help="issuance: statistics over issued credentials")
    p.add_argument("--by", default="eqf",
                   choices=["eqf", "country", "field", "skill", "provider", "month", "learners", "completions"],
                   help="what to count by (with issuance; default eqf)")
    p.add_argument("--k", type=int, default=5, help="suppress cells below this count (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)


def cmd_init(ws: Workspace, args) -> int:
    loads = vocab.load_shipped(ws.store, force=args.force)
    for item in loads:
        detail = f"{item.triples:,} triples" if item.triples else ""
        print(f"{item.status:>10}  {item.graph}  {detail}".rstrip())
    print(f"store ready at {ws.store.location}")
    return 0


def _parse_param(text: str) -> tuple[str, ox.NamedNode | ox.Literal]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--param {text!r}: expected NAME=VALUE")
    if value.startswith("<") and value.endswith(">"):
        return name.lstrip("?$"), ox.NamedNode(value[1:-1])
    return name.lstrip("?$"), ox.Literal(value)


def cmd_query(ws: Workspace, args) -> int:
    if args.list or not args.query:
        for q in queries.all_queries():
            if q.example:
                print(f"{q.name:32} {q.title}")
        return 0
    text = args.query
    if text.startswith("@"):
        query: queries.NamedQuery | str = Path(text[1:]).read_text(encoding="utf-8")
    elif QUERY_NAME.fullmatch(text):
        try:
            query = queries.load(text)
        except KeyError:
            raise CommandError(f"no named query {text!r}; 'credgraph query --list' lists them") from None
    else:
        query = text
    bindings = dict(_parse_param(p) for p in args.param)
    result = ws.store.query(query, bindings or None)
    if isinstance(result, list):
        ox.serialize(result, sys.stdout.buffer, ox.RdfFormat.TURTLE)
        return 0
    if args.format == "json":
        print(results.to_sparql_json(result))
    elif isinstance(result, bool):
        print("true" if result else "false")
    elif args.format == "csv":
        sys.stdout.write(results.to_csv(result))
    else:
        print(results.to_table(result))
    return 0


def cmd_graphs(ws: Workspace, args) -> int:
    store = ws.private if args.private else ws.store
    infos = [g for g in store.graphs() if not args.kind or g.kind == args.kind]
    rows = [
        {
            "graph": ox.Literal(g.name),
            "kind": ox.Literal(g.kind),
            "triples": ox.Literal(f"{g.triples:,}"),
            "imported": ox.Literal(g.imported_at[:19]),
            "source": ox.Literal(g.source),
        }
        for g in infos
    ]
    print(results.to_table(Solutions(["graph", "kind", "triples", "imported", "source"], rows), max_width=70))
    return 0


def cmd_dump(ws: Workspace, args) -> int:
    if args.file == "-":
        count = ws.store.dump(sys.stdout.buffer)
    elif args.file.endswith(".gz"):
        with gzip.open(args.file, "wb") as out:
            count = ws.store.dump(out)
    else:
        with open(args.file, "wb") as out:
            count = ws.store.dump(out)
    print(f"{count:,} quads written", file=sys.stderr)
    return 0


def cmd_stats(ws: Workspace, args) -> int:
    import json

    if args.what == "issuance":
        return _issuance_stats(ws, args)
    graphs = ws.store.select(queries.load("store-overview"))
    concepts = ws.store.select(queries.load("concepts-per-scheme"))
    if args.json:
        print(json.dumps({
            "graphs": [{k: results.plain(v) for k, v in r.items()} for r in graphs.rows],
            "concept_schemes": [{k: results.plain(v) for k, v in r.items()} for r in concepts.rows],
        }, indent=1))
        return 0
    print(results.to_table(graphs))
    print()
    print(results.to_table(concepts, max_width=70))
    return 0


def _issuance_stats(ws: Workspace, args) -> int:
    import json

    from credgraph.graph.services.issuance_stats import completions_file, issuance_stats

    table = issuance_stats(ws.learners, args.by, k=args.k, kept=completions_file(ws.settings))
    if args.json:
        print(json.dumps(table.to_dict(), indent=1, ensure_ascii=False))
        return 0
    print(f"Issuance statistics by {table.dimension} ({table.measure}; cells below {table.k} suppressed)")
    if table.note:
        print(f"  {table.note}")
    rows = [{"count": ox.Literal(f"{c.count:,}"), table.dimension: ox.Literal(c.label), "key": ox.Literal(c.key)} for c in table.cells]
    print(results.to_table(Solutions(["count", table.dimension, "key"], rows), max_width=70))
    print(f"{table.suppressed_cells} cell(s) suppressed; total of the cells shown: {table.total_shown:,}")
    return 0
