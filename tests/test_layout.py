"""The house stays readable: no product module above 600 lines, and imports follow the data flow.

The flow (docs/DESIGN.md): sources -> store -> services -> API, CLI, site, with
issuing writing back into sources. A room may use the rooms below it, never one
above: the store knows nothing of what reads into it or what is computed from
it, the core (``graph/``) nothing of the ways it is served, and the demo
generator stays outside the product but for the CLI command that runs it.

Imports are read with :mod:`ast` from the checkout's files, function-level and
``TYPE_CHECKING`` imports included (a lazy import is a dependency all the same).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Folder of the checkout -> the package it is installed as (pyproject.toml's package-dir).
PACKAGES = {
    "credgraph": "credgraph",
    "graph": "credgraph.graph",
    "api": "credgraph.api",
    "site": "credgraph.site",
    "demo": "credgraph.demo",
    "queries": "credgraph.queries",
    "vocabularies": "credgraph.vocabularies",
}
MAX_LINES = 600
TOO_LONG_FOR_NOW: set[str] = set()  # every product module is at most MAX_LINES long

# Importing package (prefix) -> packages it must not import (prefixes), and why.
FORBIDDEN: list[tuple[str, tuple[str, ...], str]] = [
    ("credgraph.graph.store", ("credgraph.graph.sources", "credgraph.graph.services", "credgraph.graph.issuing",
                               "credgraph.graph.workspace"),
     "the store knows nothing of the sources that fill it, the services that read it, or the workspace over it"),
    ("credgraph.graph.sources", ("credgraph.graph.services", "credgraph.graph.issuing"),
     "the sources read what issuers send into the store; answers are computed above them"),
    ("credgraph.graph.services", ("credgraph.graph.issuing",),
     "services compute answers from the store; issuing is a client of them"),
    ("credgraph.graph.namespaces", ("credgraph.graph.",), "the names every room shares depend on no room"),
    ("credgraph.graph.keyed_names", ("credgraph.graph.",), "the names every room shares depend on no room"),
    ("credgraph.graph.workspace", ("credgraph.graph.sources", "credgraph.graph.services", "credgraph.graph.issuing"),
     "the workspace opens the stores; what reads or computes on them comes above"),
    ("credgraph.graph", ("credgraph.api", "credgraph.site", "credgraph.commands", "credgraph.cli", "credgraph.demo"),
     "the core is served by the API, the CLI and the site, and never calls back into them"),
    ("credgraph.queries", ("credgraph.graph.sources", "credgraph.graph.services", "credgraph.graph.issuing",
                           "credgraph.api", "credgraph.site", "credgraph.commands", "credgraph.demo"),
     "the named queries are data that every room loads"),
    ("credgraph.vocabularies", ("credgraph.graph", "credgraph.api", "credgraph.site", "credgraph.commands",
                                "credgraph.demo"),
     "the shipped vocabularies are data that every room loads"),
    ("credgraph.site", ("credgraph.api", "credgraph.commands", "credgraph.demo"),
     "the site is built from the services; it is no client of the API or the CLI"),
    ("credgraph.api", ("credgraph.site", "credgraph.commands", "credgraph.demo"),
     "the API serves the services; the site and the CLI are its peers"),
]
# Imports a rule above would forbid, allowed: (importing module, imported module, why).
ALLOWED = {
    ("credgraph.graph.workspace", "credgraph.graph.sources.memo_check",
     "the workspace applies the settings to the memo cross-check; memo_check imports nothing of the rooms"),
}
# The demo generator is not part of the product: only the CLI's demo commands run it.
DEMO_USERS = {"credgraph/commands/demo_data.py", "credgraph/commands/serve.py"}


def product_modules() -> list[tuple[str, str]]:
    """(path relative to the checkout, dotted module name) of every product module."""
    found = []
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            dotted = ".".join([package, *rel.parts])
            found.append((str(path.relative_to(ROOT)), dotted.removesuffix(".__init__")))
    return found


def imports_of(path: str, module: str) -> list[tuple[int, str]]:
    """(line, imported module or module.name) for every import in ``path``, at any depth."""
    tree = ast.parse((ROOT / path).read_text("utf-8"), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            # ``from package import module`` names the module; every rule on the package still matches it
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix if prefix.endswith(".") else prefix + ".")


def test_every_allowed_exception_is_a_leaf():
    """An allowed import may not lead back into the rooms: the module it names imports no ``credgraph.graph`` room."""
    modules = dict((m, p) for p, m in product_modules())
    for _, target, _ in ALLOWED:
        leaks = [i for _, i in imports_of(modules[target], target) if _within(i, "credgraph.graph")]
        assert leaks == [], f"{target} is allowed as an exception but imports {leaks}"


def test_the_rules_see_every_room():
    modules = {m for _, m in product_modules()}
    for room in ("credgraph.graph.store", "credgraph.graph.sources", "credgraph.graph.services",
                 "credgraph.graph.issuing", "credgraph.api", "credgraph.site", "credgraph.demo", "credgraph.commands"):
        assert any(_within(m, room) for m in modules), f"no module found in {room}: the rules would check nothing"
    for path in TOO_LONG_FOR_NOW:
        assert (ROOT / path).is_file(), f"{path} is on the allow-list of long modules but does not exist"


@pytest.mark.parametrize("path,module", product_modules(), ids=lambda x: x if x.endswith(".py") else "")
def test_no_product_module_above_600_lines(path, module):
    lines = len((ROOT / path).read_text("utf-8").splitlines())
    if path in TOO_LONG_FOR_NOW:
        return
    assert lines <= MAX_LINES, (
        f"{path} has {lines} lines (at most {MAX_LINES}): split it where it has a seam, into modules named for what they do")


def test_imports_follow_the_data_flow():
    offences = []
    for path, module in product_modules():
        for line, imported in imports_of(path, module):
            if any(module == a and _within(imported, b) for a, b, _ in ALLOWED):
                continue
            for importer, forbidden, why in FORBIDDEN:
                if not _within(module, importer):
                    continue
                for target in forbidden:
                    if _within(imported, target) and not _within(imported, importer):
                        offences.append(f"{path}:{line} imports {imported} ({importer} -> {target.rstrip('.')}: {why})")
    assert offences == [], "\n".join(sorted(set(offences)))


def test_the_demo_generator_is_used_only_by_the_cli_demo_commands():
    offences = []
    for path, module in product_modules():
        if _within(module, "credgraph.demo") or path in DEMO_USERS:
            continue
        offences += [f"{path}:{line} imports {imported}" for line, imported in imports_of(path, module)
                     if _within(imported, "credgraph.demo")]
    assert offences == [], "product code imports the demo generator:\n" + "\n".join(sorted(set(offences)))


def test_a_forbidden_import_is_reported_with_its_place(tmp_path, monkeypatch):
    """The checker itself: a store module importing a service is named, with file, line and rule."""
    fake = tmp_path / "graph" / "store"
    fake.mkdir(parents=True)
    (fake / "leak.py").write_text("def f():\n    from credgraph.graph.services import catalogue\n", "utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGES", {"graph": "credgraph.graph"})
    with pytest.raises(AssertionError) as raised:
        test_imports_follow_the_data_flow()
    assert "graph/store/leak.py:2 imports credgraph.graph.services" in str(raised.value)
