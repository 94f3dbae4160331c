"""``credgraph demo-data``: generate a realistic (fictional) data set and import it."""

from __future__ import annotations

import argparse
from pathlib import Path

from credgraph.demo import generator as demo_data
from credgraph.graph.workspace import Workspace
from credgraph.progress import Progress


def register(commands, imports) -> None:
    """Add ``demo-data``."""
    p = commands.add_parser(
        "demo-data",
        help="generate a fictional demo data set and import it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a realistic, fictional European micro-credential data set as issuers send it:\n"
        "catalogue spreadsheets (14 providers in 10 countries, 154 micro-credentials, 10 larger\n"
        "credentials), EDC JSON-LD credentials to made-up learners (5,000 x SCALE, issued 2024-2025),\n"
        "stacking rules and recorded equivalences; then import it all through the normal pipeline.\n"
        "The same seed always gives the same files.\n\n"
        "Examples:\n  credgraph demo-data\n  credgraph demo-data --scale 20 --seed 7 --out /tmp/demo\n"
        "  credgraph demo-data --no-import --out demo/\n  credgraph demo-data --scale 20 --zip --no-import   # 100,000 credentials for benchmarks",
    )
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the 5,000 issued credentials (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", metavar="DIR", help="where to write the files (default: <data dir>/demo)")
    p.add_argument("--zip", action="store_true", help="write each provider's credentials into one zip archive (faster at large scales)")
    p.add_argument("--no-import", action="store_true", help="only write the files")
    p.set_defaults(func=cmd_demo_data)


def cmd_demo_data(ws: Workspace, args) -> int:
    out = Path(args.out) if args.out else Path(ws.settings.data_dir) / "demo"
    summary = demo_data.generate(out, scale=args.scale, seed=args.seed, zip_credentials=args.zip)
    print(
        f"wrote {summary.directory}: {summary.providers} providers in {summary.countries} countries, "
        f"{summary.specifications} micro-credentials, {summary.qualifications} larger credentials, "
        f"{summary.credentials:,} credentials to {summary.learners:,} learners, {summary.stacking_rules} stacking rules, "
        f"{summary.equivalences} equivalences, {summary.decisions} recognition decisions ({summary.seconds:.1f} s)"
    )
    if args.no_import:
        return 0
    from credgraph.graph.sources import vocab

    vocab.load_shipped(ws.store)
    progress = Progress("importing credentials", total=summary.credentials)
    loaded = demo_data.load(ws, out, on_document=lambda _result: progress.advance())
    progress.finish()
    imported = sum(1 for c in loaded.catalogues if c.status in ("imported", "replaced", "unchanged"))
    print(f"catalogues: {imported} of {len(loaded.catalogues)} imported; rules: {loaded.rules_triples:,} triples in {loaded.rules_graph}")
    if loaded.credentials is not None:
        s = loaded.credentials
        print(f"credentials: {s.count('imported', 'replaced'):,} imported, {s.count('unchanged'):,} unchanged, "
              f"{len(s.rejected):,} rejected ({s.elapsed:.1f} s)")
    for problem in loaded.problems[:20]:
        print(f"  problem: {problem}")
    from credgraph.graph.services.issuance_stats import refresh_after_import

    refresh_after_import(ws)  # the first statistics request then answers from what is kept
    return 0 if not loaded.problems else 1
