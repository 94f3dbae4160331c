"""credgraph.vocabularies: RDF data the project ships (read with importlib.resources)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def path(name: str) -> Traversable:
    """A shipped data file, e.g. ``path("eqf.ttl")`` or ``path("shapes/annex-i.ttl")``."""
    node = resources.files(__name__)
    for part in name.split("/"):
        node = node / part
    if not node.is_file():
        raise FileNotFoundError(f"credgraph.vocabularies has no file {name!r}")
    return node


def read_bytes(name: str) -> bytes:
    """The bytes of a shipped data file."""
    return path(name).read_bytes()
