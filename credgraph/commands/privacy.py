"""Commands that look after the stores' privacy and consistency: check, rekey."""

from __future__ import annotations

import argparse
import json

from credgraph.graph.workspace import Workspace

RAW = argparse.RawDescriptionHelpFormatter


def register(commands, imports) -> None:
    """Add check and rekey."""
    p = commands.add_parser(
        "check",
        help="report half-written documents and names that need rekeying",
        formatter_class=RAW,
        description="Pair every imported document's parts across the public, research and private stores\n"
        "and report what is incomplete (left by a killed import), unused description graphs, and\n"
        "documents written before keyed names (see `credgraph rekey`). Changes nothing unless\n"
        "--repair is given; an import or a server start repairs by itself.\n\n"
        "Exit status: 0 consistent, 1 something to repair or rekey.\n\n"
        "Example:\n  credgraph check\n  credgraph check --repair --json",
    )
    p.add_argument("--repair", action="store_true", help="drop the parts of incomplete documents (they were never imported)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)

    p = commands.add_parser(
        "rekey",
        help="rename documents with the instance secret and move learner links out of the public store",
        formatter_class=RAW,
        description="Migrate a store written before keyed names (docs/privacy.md): every imported\n"
        "document's graphs and records get names keyed with the instance secret (so that a\n"
        "credential does not lead to its record), and learner pseudonyms move from the public\n"
        "issuance records to the research store. Safe to run again.\n\nExample:\n  credgraph rekey",
    )
    p.set_defaults(func=cmd_rekey)


def cmd_check(ws: Workspace, args) -> int:
    from credgraph.graph.store import consistency

    report = consistency.repair(ws) if args.repair else consistency.check(ws)
    if args.json:
        print(json.dumps({"complete": report.complete, "repaired": report.repaired,
                          "problems": [{"source_id": s, "problem": p} for s, p in report.problems],
                          "unused_descriptions": len(report.unused_descriptions),
                          "legacy_records": report.legacy_records, "legacy_names": report.legacy_names}, indent=1))
    else:
        print("\n".join(report.lines()))
    clean = (report.consistent or report.repaired) and not (report.legacy_records or report.legacy_names)
    return 0 if clean else 1


def cmd_rekey(ws: Workspace, args) -> int:
    from credgraph.graph.sources.rekey import rekey

    print("\n".join(rekey(ws).lines()))
    return 0
