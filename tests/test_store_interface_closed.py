"""Nothing outside graph/store/ reaches into a store's pyoxigraph objects (issue 15, "a closed store interface").

Callers use :class:`credgraph.graph.store.interface.Store`; what they need beyond
SPARQL (a killable reader, a snapshot, an in-memory copy, a client's update with
its base IRI) is a method of the store, implemented per backend. This test reads
the product code (ast, so comments and strings do not count) and names every
file:line that touches ``.oxigraph`` (attribute, ``getattr``/``hasattr``) or makes
or names a ``pyoxigraph.Store`` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The folders that become the credgraph package (pyproject.toml, package-dir).
PRODUCT = ["credgraph", "api", "graph", "site", "demo", "vocabularies", "queries"]
STORE_PACKAGE = ROOT / "graph" / "store"
ALLOWED: set[str] = set()  # api/executor.py was the last: its workers read the store through native_query


def _product_files() -> list[Path]:
    files = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if STORE_PACKAGE in path.parents:
                continue
            files.append(path)
    return files


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for every reach into pyoxigraph store objects in ``source``."""
    tree = ast.parse(source)
    modules = set()  # names the pyoxigraph module is bound to in this file
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pyoxigraph":
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph":
            for alias in node.names:
                if alias.name == "Store":
                    found.append((node.lineno, "from pyoxigraph import Store"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "oxigraph":
                found.append((node.lineno, ".oxigraph"))
            elif node.attr == "Store" and isinstance(node.value, ast.Name) and node.value.id in modules:
                found.append((node.lineno, f"{node.value.id}.Store"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "hasattr", "setattr"} and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and node.args[1].value == "oxigraph"):
            found.append((node.lineno, f"{node.func.id}(..., 'oxigraph')"))
    return sorted(found)


def test_the_check_finds_each_kind_of_reach():
    source = (
        "import pyoxigraph as ox\nimport pyoxigraph\nfrom pyoxigraph import Store\n"
        "a = store.oxigraph\nb = ox.Store()\nc = pyoxigraph.Store\nd = getattr(s, 'oxigraph', None)\n"
        "e = hasattr(s, 'oxigraph')\nf = ox.NamedNode('http://x/')  # fine\n# store.oxigraph in a comment is fine\n"
    )
    assert [line for line, _ in offences(source)] == [3, 4, 5, 6, 7, 8]


def test_nothing_outside_the_store_package_reaches_into_pyoxigraph_stores():
    files = _product_files()
    assert len(files) > 50 and any(p.name == "routes_sparql.py" for p in files)
    found = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        found += [f"{relative}:{line}: {what}" for line, what in offences(path.read_text(encoding="utf-8"))]
    assert not found, "use the store interface (graph/store/interface.py) instead:\n" + "\n".join(found)


def test_the_allow_list_is_not_stale():
    # An entry that no longer offends must go, so that the list only shrinks.
    for relative in ALLOWED:
        assert offences((ROOT / relative).read_text(encoding="utf-8")), f"{relative} is clean: remove it from ALLOWED"
