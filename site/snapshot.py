"""A fast in-memory copy of the offer, read once per site build.

Two costs dominate reading a large on-disk store: scanning it (the site needs
a full N-Quads dump anyway, for ``data/credgraph.nq.gz``) and running queries
with an explicit list of hundreds of default graphs (which Oxigraph evaluates
as a union per triple pattern: minutes at 10,000 specifications). So the
build dumps the store once, loads the dump into an in-memory Oxigraph store,
drops the graphs that are not the offer (issued credentials, badges, their
shared descriptions, provenance) and runs every query on that copy with the
plain union default graph, which then *is* the union of the offer graphs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pyoxigraph as ox

from credgraph.graph import catalogue as cg
from credgraph.graph.offer_copy import OfferCopy
from credgraph.graph.store import Store


# The site's snapshot is the catalogue's offer copy, made from the dump the site needs anyway.
OfferStore = OfferCopy


def dump_nquads(store: Store) -> bytes:
    """The whole public dataset as N-Quads (natively for an embedded store: no per-quad Python work)."""
    native = getattr(store, "oxigraph", None)
    if isinstance(native, ox.Store) and not any(True for _ in native.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        return native.dump(format=ox.RdfFormat.N_QUADS) or b""
    raw = io.BytesIO()
    store.dump(raw)
    return raw.getvalue()


def offer_snapshot(store: Store, nquads: bytes) -> OfferCopy:
    """An offer copy of ``store`` (:class:`~credgraph.graph.offer_copy.OfferCopy`), loaded from its dump ``nquads``.

    Loading the whole dump natively and dropping the other graphs is faster here
    than :func:`~credgraph.graph.offer_copy.copy_offer`'s graph-by-graph read,
    since the site has the dump already.
    """
    offer = cg.offer_graphs(store)
    copy = ox.Store()
    if nquads:
        copy.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    keep = {name for name, _, _ in offer}
    for graph in list(copy.named_graphs()):
        if isinstance(graph, ox.NamedNode) and graph.value not in keep:
            copy.remove_graph(graph)
    return OfferCopy(copy, offer, "memory:offer-snapshot")


def read_offer_catalogue(snapshot: OfferCopy) -> cg.Catalogue:
    """The catalogue (as :func:`credgraph.graph.catalogue.load_catalogue` reads it) from the snapshot (no further copy)."""
    return cg.read_catalogue(snapshot, graphs=[name for name, _, _ in snapshot.offer])


def graph_fingerprint(offer: tuple[tuple[str, str, str], ...] | Mapping) -> str:
    """A short digest of a graph listing (names, content hashes, import times)."""
    import hashlib

    return hashlib.sha256(repr(offer).encode("utf-8")).hexdigest()[:32]
