"""The ``credgraph`` command line: one sub-command per job, each a thin renderer.

Command modules live in :mod:`credgraph.commands`; each has a
``register(commands, imports)`` function that adds its parsers (``imports`` is
the ``credgraph import ...`` group) and sets ``func`` on them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from credgraph import __version__
from credgraph.commands import COMMAND_MODULES
from credgraph.graph.store.interface import StoreError
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered command."""
    parser = argparse.ArgumentParser(
        prog="credgraph",
        description="A knowledge graph and catalogue of European digital micro-credentials (ELM 3.1).",
        epilog="Example: credgraph init && credgraph query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'",
    )
    parser.add_argument("--version", action="version", version=f"credgraph {__version__}")
    parser.add_argument("--data", metavar="DIR", help="data directory (env CREDGRAPH_DATA, default ./credgraph-data)")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="store: memory:, oxigraph:///path, a directory, or http://host:port of a SPARQL 1.1 endpoint "
        "(env CREDGRAPH_STORE; default: embedded Oxigraph under the data directory)",
    )
    parser.add_argument("--private-store", metavar="URL", help="store for personal data (env CREDGRAPH_PRIVATE_STORE)")
    parser.add_argument("--research-store", metavar="URL",
                        help="store for issuance records with learner pseudonyms (env CREDGRAPH_RESEARCH_STORE)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    import_parser = commands.add_parser(
        "import",
        help="import data (ESCO, credentials, catalogues, badges)",
        description="Import a data source into the store. Each source document is written atomically into its own named graph.",
    )
    imports = import_parser.add_subparsers(dest="import_kind", metavar="KIND")
    import_parser.set_defaults(func=lambda ws, args: import_parser.print_help() or 2)
    for name in COMMAND_MODULES:
        importlib.import_module(f"credgraph.commands.{name}").register(commands, imports)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(data_dir=args.data, store=args.store, private_store=args.private_store,
                                     research_store=args.research_store)
    except ValueError as exc:
        print(f"credgraph: error: {exc}", file=sys.stderr)
        return 2
    # Only commands that write data (init, import, demo) may create the data directory, and validate,
    # which checks a file and reads the store only to look concepts up; one that reads, pointed at a
    # directory that is not there, says so instead of answering from an empty store.
    workspace = Workspace(settings, must_exist=args.command not in ("init", "import", "demo", "validate"))
    try:
        status = args.func(workspace, args)
        return int(status or 0)
    except (CommandError, StoreError, ValueError, FileNotFoundError) as exc:
        print(f"credgraph: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("credgraph: interrupted; the store keeps its earlier state", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        workspace.close()
