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
  graph (:class:`~credgraph.graph.offer_copy.OfferCopy`). One graph, not
  hundreds: a triple several graphs state is stored once, and the catalogue's
  queries take 6 s instead of 13 s at 10,000 specifications;
- on demand (:meth:`Snapshot.named`), the offer graphs kept graph by graph:
  the facts of a specification are read from one catalogue graph
  (``queries/spec-facts-core.rq``), which needs the graphs apart.

Decoding the on-disk store's terms is most of the read (about 12 CPU-s at
10,000 specifications); pyoxigraph releases the GIL while it dumps, so the
graphs are dumped by several threads at once, and the offer copy is parsed
beside them as their dumps come in.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox

from credgraph.graph import catalogue as cg
from credgraph.graph.byte_stream import ByteStream
from credgraph.graph.offer_copy import UNION_GRAPH, Offer, OfferCopy, dump_graph
from credgraph.graph.store import Store, StoreError

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
    dump: bytes | None = None  # the store's own N-Quads dump, when it was read that way
    _named: OfferCopy | None = field(default=None, repr=False)

    def nquads(self) -> bytes:
        """The whole dataset as N-Quads."""
        if self.dump is not None:
            return self.dump
        return b"".join(chunk.quads() for chunk in self.chunks)

    def named(self) -> OfferCopy:
        """The offer graphs kept apart (an :class:`OfferCopy` over their union), loaded on first use."""
        if self._named is None:
            store = ox.Store()
            data = b"".join(chunk.quads() for chunk in self.chunks if chunk.offer)
            if data:
                store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
            self._named = OfferCopy(store, self.copy.offer, "memory:offer-snapshot-graphs")
        return self._named


def take(store: Store) -> Snapshot:
    """Read ``store`` once: the dump and the offer copy (graph by graph, natively for an embedded store)."""
    offer = cg.offer_graphs(store)
    native = getattr(store, "oxigraph", None)
    dump = None
    if not isinstance(native, ox.Store):
        raw = io.BytesIO()
        store.dump(raw)
        dump = raw.getvalue()
        native = ox.Store()
        if dump:
            native.bulk_load(dump, format=ox.RdfFormat.N_QUADS)
    copy, chunks = _read(native, offer)
    return Snapshot(copy, chunks, dump)


def _read(source: ox.Store, offer: Offer) -> tuple[OfferCopy, list[Chunk]]:
    keep = {name for name, _, _ in offer}
    graphs: list = list(source.named_graphs())
    if any(True for _ in source.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        graphs.insert(0, ox.DefaultGraph())
    # Kept in the copy as before: the default graph and blank-node graphs are nobody's listed non-offer graph.
    in_offer = [not isinstance(g, ox.NamedNode) or g.value in keep for g in graphs]

    def dump(graph) -> bytes:
        return dump_graph(source, graph, "for the site")

    copy = ox.Store()
    with ThreadPoolExecutor(DUMP_THREADS) as pool:
        pending = [pool.submit(dump, g) for g in graphs]
        # One load for all offer graphs: a load names blank nodes consistently within itself only,
        # and the dumps name them by the store's ids, so a node shared by two graphs stays one.
        copy.load(ByteStream(f.result() for f, wanted in zip(pending, in_offer) if wanted),
                  format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(UNION_GRAPH))
        chunks = [Chunk(b"" if isinstance(g, ox.DefaultGraph) else str(g).encode("utf-8"), f.result(), wanted)
                  for g, f, wanted in zip(graphs, pending, in_offer)]
    return OfferCopy(copy, offer, "memory:offer-snapshot"), chunks


def read_offer_catalogue(snapshot: OfferCopy) -> cg.Catalogue:
    """The catalogue (as :func:`credgraph.graph.catalogue.load_catalogue` reads it) from the offer copy (no further copy)."""
    return cg.read_catalogue(snapshot, graphs=[name for name, _, _ in snapshot.offer])


def graph_fingerprint(offer: tuple[tuple[str, str, str], ...] | Mapping) -> str:
    """A short digest of a graph listing (names, content hashes, import times)."""
    import hashlib

    return hashlib.sha256(repr(offer).encode("utf-8")).hexdigest()[:32]
