"""``credgraph import esco DIR``: replace the ESCO vocabulary with a full official export."""

from __future__ import annotations

import argparse
import sys

from credgraph.graph.sources.esco import EscoStats, import_esco
from credgraph.graph.workspace import Workspace
from credgraph.progress import Progress


def register(commands, imports) -> None:
    """Add ``import esco``."""
    p = imports.add_parser(
        "esco",
        help="import the official ESCO CSV export (replaces the bundled subset)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import an ESCO CSV export as downloaded from the ESCO portal (v1.1.x or v1.2.x,\n"
        "any languages) into the graph urn:credgraph:vocab:esco, replacing it atomically:\n"
        "skills, skill groups and hierarchy, ISCED-F fields, occupations and ISCO groups,\n"
        "essential/optional occupation-skill and skill-skill relations, collections.\n"
        "Several folders (e.g. one per language) are merged into one graph. On any error\n"
        "the store keeps its earlier state.\n\n"
        "Examples:\n"
        "  credgraph import esco ~/Downloads/ESCO-dataset-v1.2.0-en\n"
        "  credgraph import esco esco-en esco-de esco-fr --esco-version v1.2.0",
    )
    p.add_argument("folders", nargs="+", metavar="DIR", help="folder(s) holding the unpacked ESCO CSV files")
    p.add_argument("--esco-version", metavar="VERSION",
                   help="ESCO version to record (default: guessed from the folder names, e.g. v1.2.0)")
    p.add_argument("--force", action="store_true", help="write the graph even if the same files were imported before")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_import_esco)


def cmd_import_esco(ws: Workspace, args) -> int:
    progress = Progress("reading ESCO rows", quiet=args.quiet)

    def read_done(stats: EscoStats, writing: bool) -> None:
        progress.finish(f"{stats.triples:,} triples")
        if writing and not args.quiet:
            print(f"writing the graph to {ws.store.location} in one transaction ...", file=sys.stderr, flush=True)

    result = import_esco(
        ws.store,
        args.folders,
        version=args.esco_version,
        force=args.force,
        on_rows=lambda name, n: progress.advance(n, note=name),
        on_read=read_done,
    )
    if result.unchanged:
        print(f"ESCO {result.version} ({', '.join(result.languages)}): {result.graph} already holds these files; "
              "nothing written (--force to write again)")
    else:
        print(f"ESCO {result.version} ({', '.join(result.languages)}) imported into {result.graph}")
    print(f"  skills                        {result.skills:>9,}")
    print(f"  skill groups                  {result.skill_groups:>9,}")
    print(f"  occupations                   {result.occupations:>9,}")
    print(f"  ISCO groups                   {result.isco_groups:>9,}")
    print(f"  occupation-skill relations    {result.occupation_skill_relations:>9,}")
    print(f"  skill-skill relations         {result.skill_skill_relations:>9,}")
    print(f"  broader relations             {result.broader_relations:>9,}")
    print(f"  triples                       {result.triples:>9,}")
    print(f"  seconds                       {result.seconds:>9.1f}")
    if result.ignored:
        print(f"  ignored files: {', '.join(result.ignored)}")
    return 0
