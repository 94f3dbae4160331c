"""The core commands: init, query, graphs, dump, stats, and their errors."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox

from credgraph.cli import main


def cli(tmp_path, capsys, *args: str) -> tuple[int, str, str]:
    status = main(["--data", str(tmp_path / "data"), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_init_is_idempotent(tmp_path, capsys):
    status, out, _ = cli(tmp_path, capsys, "init")
    assert status == 0 and "loaded" in out and "urn:credgraph:vocab:eqf" in out
    status, out, _ = cli(tmp_path, capsys, "init")
    assert status == 0 and "loaded" not in out and "unchanged" in out


def test_query_formats(tmp_path, capsys):
    cli(tmp_path, capsys, "init")
    status, out, _ = cli(tmp_path, capsys, "query", "eqf-levels")
    assert status == 0 and "(8 rows)" in out
    status, out, _ = cli(tmp_path, capsys, "query", "eqf-levels", "--format", "json")
    assert len(json.loads(out)["results"]["bindings"]) == 8
    status, out, _ = cli(tmp_path, capsys, "query", "eqf-levels", "--format", "csv")
    assert out.splitlines()[0] == "level,notation,label" and len(out.splitlines()) == 9
    status, out, _ = cli(tmp_path, capsys, "query", "ASK WHERE { ?s ?p ?o }")
    assert out.strip() == "true"
    status, out, _ = cli(
        tmp_path, capsys, "query",
        "CONSTRUCT { ?l a <http://example.org/Level> } WHERE { ?l <http://www.w3.org/2004/02/skos/core#inScheme> <http://data.europa.eu/snb/eqf/25831c2> }",
    )
    assert len(list(ox.parse(out.encode(), ox.RdfFormat.TURTLE))) == 8


def test_query_with_param(tmp_path, capsys):
    cli(tmp_path, capsys, "init")
    status, out, _ = cli(
        tmp_path, capsys, "query", "eqf-levels", "--format", "csv", "--param", "level=<http://data.europa.eu/snb/eqf/6>"
    )
    assert status == 0 and len(out.splitlines()) == 2


def test_graphs_and_stats_and_dump(tmp_path, capsys):
    cli(tmp_path, capsys, "init")
    status, out, _ = cli(tmp_path, capsys, "graphs", "--kind", "vocab")
    assert status == 0 and "urn:credgraph:vocab:isced-f" in out and "credgraph:vocabularies/isced-f.ttl" in out
    status, out, _ = cli(tmp_path, capsys, "stats", "--json")
    kinds = {row["kind"]: int(row["graphs"]) for row in json.loads(out)["graphs"]}
    assert kinds["vocab"] >= 5
    target = tmp_path / "dump.nq.gz"
    status, _, err = cli(tmp_path, capsys, "dump", str(target))
    quads = list(ox.parse(gzip.decompress(target.read_bytes()), ox.RdfFormat.N_QUADS))
    assert status == 0 and f"{len(quads):,} quads written" in err


def test_malformed_query_is_one_line_error(tmp_path, capsys):
    cli(tmp_path, capsys, "init")
    status, out, err = cli(tmp_path, capsys, "query", "SELECT ?x WHERE { ?x")
    assert status == 2 and err.startswith("credgraph: error:") and len(err.strip().splitlines()) == 1


def test_unknown_store_scheme(tmp_path, capsys):
    status, _, err = cli(tmp_path, capsys, "--store", "ftp://nowhere/sparql", "init")
    assert status == 2 and "unknown store URL scheme" in err and "ftp://nowhere/sparql" in err


def test_unreachable_remote_store(tmp_path, capsys):
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    status, _, err = cli(tmp_path, capsys, "--store", url, "init")
    assert status == 2 and f"cannot reach the SPARQL endpoint {url}" in err


def _leaf_commands(parser, prefix=()):
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaf_commands(child, prefix + (name,))


def test_every_command_has_help_with_example():
    from credgraph.cli import build_parser

    leaves = list(_leaf_commands(build_parser()))
    names = {" ".join(p) for p, _ in leaves}
    assert {"init", "query", "graphs", "dump", "stats", "import esco"} <= names
    for path, command in leaves:
        text = command.format_help()
        assert "xample" in text, f"credgraph {' '.join(path)} --help has no example"
