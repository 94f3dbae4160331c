"""``credgraph site build OUT/``: the static catalogue site."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from credgraph.graph.workspace import Workspace


def register(commands, imports) -> None:
    """Add ``site build``."""
    site = commands.add_parser(
        "site",
        help="build the static catalogue site",
        description="Build the static catalogue site (en/de/fr) from the graph.",
    )
    sub = site.add_subparsers(dest="site_command", metavar="ACTION")
    site.set_defaults(func=lambda ws, args: site.print_help() or 2)
    p = sub.add_parser(
        "build",
        help="write the site into a folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the complete static catalogue into OUT: one page per specification,\n"
        "provider, ESCO skill, EQF level, field and stacking pathway, in English, German and\n"
        "French, with an offline search index, Turtle/JSON-LD files, N-Quads dump and sitemap.\n"
        "Any static web server can serve OUT.\n\n"
        "Examples:\n  credgraph site build public/\n  credgraph site build public/ --incremental\n"
        "  python -m http.server -d public 8000",
    )
    p.add_argument("out", help="output folder")
    p.add_argument("--incremental", action="store_true",
                   help="rewrite only files whose content changed since the last build into OUT")
    p.add_argument("--base-url", default="http://localhost:8000/",
                   help="absolute URL the site is published at, for sitemap.xml (default %(default)s)")
    p.add_argument("--sparql", default="/sparql", help="SPARQL endpoint URL named on the About page (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=cmd_build)


def cmd_build(ws: Workspace, args) -> int:
    """Build the site and print what was written."""
    from credgraph.site.build import build_site

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: not a folder")
    report = build_site(ws.store, out, incremental=args.incremental, base_url=args.base_url, sparql_endpoint=args.sparql)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(f"{report.out}: {report.specifications} specifications, {report.pages} pages, {report.files} files "
          f"({report.written} written, {report.unchanged} unchanged, {report.removed} removed) in {report.seconds:.2f} s")
    for note in report.notes:
        print(f"note: {note}")
    return 0
