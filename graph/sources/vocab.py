"""Loading the shipped vocabularies, each into its own named graph."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, Store, content_hash


@dataclass(frozen=True)
class VocabularyLoad:
    """What happened to one shipped vocabulary during ``init``."""

    name: str
    graph: str
    status: str  # loaded | unchanged | replaced
    triples: int


def shipped_vocabularies() -> list[str]:
    """Names of the shipped vocabularies: ``vocabularies/<name>.ttl``."""
    root = resources.files("credgraph.vocabularies")
    return sorted(e.name[:-4] for e in root.iterdir() if e.name.endswith(".ttl"))


def load_shipped(store: Store, names: list[str] | None = None, *, force: bool = False) -> list[VocabularyLoad]:
    """Load each shipped vocabulary into ``urn:credgraph:vocab:<name>``.

    A vocabulary whose content hash is already recorded is left alone, so
    ``init`` can be run again safely. An ESCO graph replaced by a full import
    (``credgraph import esco``) is not overwritten by the bundled subset.
    """
    results = []
    root = resources.files("credgraph.vocabularies")
    for name in names or shipped_vocabularies():
        data = (root / f"{name}.ttl").read_bytes()
        graph = ns.vocab_graph(name)
        digest = content_hash(data)
        current = store.graph_hash(graph)
        if current == digest and not force:
            results.append(VocabularyLoad(name, graph, "unchanged", 0))
            continue
        if current is not None and name == "esco" and not force and _is_full_esco(store):
            results.append(VocabularyLoad(name, graph, "kept (full ESCO import)", 0))
            continue
        try:
            triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE)]
        except SyntaxError as exc:
            raise ValueError(f"vocabularies/{name}.ttl: {exc}") from exc
        store.load_graph(graph, triples, Provenance(kind="vocab", source=f"credgraph:vocabularies/{name}.ttl", content_hash=digest, title=name))
        results.append(VocabularyLoad(name, graph, "loaded" if current is None else "replaced", len(set(triples))))
    return results


def _is_full_esco(store: Store) -> bool:
    for info in store.graphs():
        if info.name == ns.vocab_graph("esco"):
            return not info.source.startswith("credgraph:")
    return False
