"""``credgraph export loq OUT``: the catalogue as Europass Learning Opportunities and Qualifications data."""

from __future__ import annotations

import argparse

from credgraph.graph.services import loq_export
from credgraph.graph.workspace import Workspace

RAW = argparse.RawDescriptionHelpFormatter


def register(commands, imports) -> None:
    """Add ``export loq``."""
    export = commands.add_parser("export", help="export the catalogue for other services (Europass LOQ)")
    kinds = export.add_subparsers(dest="export_kind", metavar="KIND")
    export.set_defaults(func=lambda ws, args: export.print_help() or 2)
    p = kinds.add_parser(
        "loq",
        help="the catalogue as ELM Learning Opportunities and Qualifications data (JSON-LD and Turtle)",
        formatter_class=RAW,
        description="Write the catalogue (specifications, qualifications, learning opportunities,\n"
        "organisations, with the concepts they cite) as ELM Learning Opportunities and\n"
        "Qualifications data for Europass: OUT/loq.jsonld, OUT/loq.ttl, and OUT/loq-report.txt,\n"
        "the validation by the EC's LOQ-constraints SHACL profile, by shape.\n"
        "The exit status is 1 when the profile reports violations (the files are written\n"
        "all the same, to be mended in the catalogue).\n\n"
        "Example:\n  credgraph export loq europass/",
    )
    p.add_argument("out", metavar="OUT", help="output folder")
    p.set_defaults(func=cmd_export_loq)


def cmd_export_loq(ws: Workspace, args) -> int:
    export = loq_export.export_loq(ws.store)
    if not export.triples:
        raise ValueError("the store holds no catalogue (import one first: credgraph import catalogue FILE.csv)")
    for path in loq_export.write_loq(export, args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(export.report_text())
    return 0 if export.conforms else 1
