"""credgraph.queries: every SPARQL query and update the project runs, one file each.

A query file starts with a header of ``# key: value`` comment lines::

    # name: eqf-levels
    # title: EQF levels
    # description: The eight EQF levels with their English labels.
    # param: scheme  IRI of the concept scheme (optional)

``param`` lines declare the variables a caller may bind; they are bound as RDF
terms by the store (Oxigraph substitutions or a VALUES block), never pasted
into the text. ``example: no`` keeps a query off the researchers' example list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from credgraph.graph.store.sparql_text import query_form

_HEADER = re.compile(r"^#\s*(\w[\w-]*)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Param:
    """A variable of a named query that a caller may bind."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """One SPARQL query or update file from ``queries/``."""

    name: str
    text: str
    title: str = ""
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)
    is_update: bool = False
    example: bool = True

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT, DESCRIBE, or UPDATE."""
        if self.is_update:
            return "UPDATE"
        return query_form(self.text) or "SELECT"


def _parse(name: str, text: str, is_update: bool) -> NamedQuery:
    meta: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "param":
            pname, _, pdesc = value.partition(" ")
            params.append(Param(pname.lstrip("?$"), pdesc.strip()))
        else:
            meta[key] = value
    declared = meta.get("name", name)
    if declared != name:
        raise ValueError(f"queries/{name}: header says name {declared!r}; the file name must match")
    return NamedQuery(
        name=name,
        text=text,
        title=meta.get("title", name),
        description=meta.get("description", ""),
        params=tuple(params),
        is_update=is_update,
        example=meta.get("example", "yes").lower() not in {"no", "false"},
    )


@cache
def load(name: str) -> NamedQuery:
    """The named query ``name`` (file ``queries/<name>.rq`` or ``.ru``)."""
    root = resources.files(__name__)
    for suffix, is_update in ((".rq", False), (".ru", True)):
        path = root / f"{name}{suffix}"
        if path.is_file():
            return _parse(name, path.read_text(encoding="utf-8"), is_update)
    raise KeyError(f"no named query {name!r} in credgraph.queries")


def all_queries() -> list[NamedQuery]:
    """Every named query, sorted by name."""
    root = resources.files(__name__)
    names = sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in root.iterdir()
        if entry.name.endswith((".rq", ".ru"))
    )
    return [load(name) for name in names]
