"""A fast in-memory copy of the offer, read once per site build.

Two costs dominate reading a large on-disk store: scanning it (the site needs
a full N-Quads dump anyway, for ``data/credgraph.nq.gz``) and running queries
with an explicit list of hundreds of default graphs (which Oxigraph evaluates
as a union per triple pattern: minutes at 10,000 specifications). So the
build reads the store once, graph by graph, and from that one read makes

- the dump: each graph's N-Triples with the graph name written into every
  line, in the store's own graph order (the same bytes as the store's native
  N-Quads dump);
- the offer copy the pages are read from: the offer graphs (every graph but
  issued credentials, badges, their shared descriptions, provenance) loaded
  into *one* graph of an in-memory store, queried over its union default
  graph (:class:`~credgraph.graph.store.offer_copy.OfferCopy`). One graph, not
  hundreds: a triple several graphs state is stored once, and the catalogue's
  queries take 6 s instead of 13 s at 10,000 specifications;
- on demand (:meth:`Snapshot.named`), the offer graphs kept graph by graph:
  the facts of a specification are read from one catalogue graph
  (``queries/spec-facts-core.rq``), which needs the graphs apart.

Decoding the on-disk store's terms is most of the read (about 12 CPU-s at
10,000 specifications); the store dumps its graphs with several threads at
once (:meth:`~credgraph.graph.store.interface.Store.graph_dumps`), and the offer copy is
parsed beside them as their dumps come in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from credgraph.graph.services.catalogue_reading import offer_graphs, read_catalogue
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.store.offer_copy import UNION_GRAPH, OfferCopy
from credgraph.graph.store.interface import Store, StoreError
from credgraph.graph.store.embedded import EmbeddedStore

# Threads dumping graphs: the dump is CPU-bound term decoding with the GIL released.
DUMP_THREADS = 2

@dataclass
class Chunk:
    """One graph of the store: its name as an N-Quads term (empty for the default graph) and its N-Triples."""

    term: bytes
    triples: bytes
    offer: bool

    def quads(self) -> bytes:
        """The graph's statements as N-Quads lines."""
        if not self.term or not self.triples:
            return self.triples
        # Every line of an N-Triples dump ends with " .\n", and only a line end is a raw newline
        # (literals escape theirs), so this writes the graph term into each statement.
        quads = self.triples.replace(b" .\n", b" " + self.term + b" .\n")
        if len(quads) != len(self.triples) + (len(self.term) + 1) * self.triples.count(b"\n"):  # one term per line
            raise StoreError(f"the N-Triples dump of graph {self.term.decode('utf-8', 'replace')} has a line not ending in ' .'")
        return quads


@dataclass
class Snapshot:
    """What a site build reads from the store: the dataset dump and an offer copy (see the module docstring)."""

    copy: OfferCopy
    chunks: list[Chunk]
    _named: OfferCopy | None = field(default=None, repr=False)

    def nquads(self) -> bytes:
        """The whole dataset as N-Quads."""
        return b"".join(chunk.quads() for chunk in self.chunks)

    def named(self) -> OfferCopy:
        """The offer graphs kept apart (an :class:`OfferCopy` over their union), loaded on first use."""
        if self._named is None:
            data = b"".join(chunk.quads() for chunk in self.chunks if chunk.offer)
            self._named = OfferCopy.of(EmbeddedStore.from_nquads(data), self.copy.offer, "memory:offer-snapshot-graphs")
        return self._named


def take(store: Store) -> Snapshot:
    """Read ``store`` once, graph by graph: the dump and the offer copy."""
    offer = offer_graphs(store)
    keep = {name for name, _, _ in offer}
    chunks: list[Chunk] = []

    def offer_parts():
        # Every graph becomes a chunk of the dump; the offer graphs also feed the copy.
        for dump in store.graph_dumps(threads=DUMP_THREADS):
            # Kept in the copy as before: the default graph and blank-node graphs are nobody's listed non-offer graph.
            wanted = dump.iri is None or dump.iri in keep
            chunks.append(Chunk(dump.term.encode("utf-8"), dump.ntriples, wanted))
            if wanted:
                yield dump.ntriples

    parts = offer_parts()
    copy = EmbeddedStore.from_ntriples(parts, UNION_GRAPH)
    for _ in parts:  # the load reads to the end; should it stop early, every graph still belongs in the dump
        pass
    return Snapshot(OfferCopy.of(copy, offer, "memory:offer-snapshot"), chunks)


def read_offer_catalogue(snapshot: OfferCopy) -> Catalogue:
    """The catalogue (as :func:`credgraph.graph.services.catalogue.load_catalogue` reads it) from the offer copy (no further copy)."""
    return read_catalogue(snapshot, graphs=[name for name, _, _ in snapshot.offer])


def graph_fingerprint(offer: tuple[tuple[str, str, str], ...] | Mapping) -> str:
    """A short digest of a graph listing (names, content hashes, import times)."""
    import hashlib

    return hashlib.sha256(repr(offer).encode("utf-8")).hexdigest()[:32]
