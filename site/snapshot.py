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
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from credgraph.graph import catalogue as cg
from credgraph.graph.binding import inject_values
from credgraph.graph.store import QuerySyntaxError, Solutions, Store, StoreError, syntax_message
from credgraph.graph.store_embedded import EmbeddedStore


class OfferStore(EmbeddedStore):
    """An in-memory store holding only the offer graphs.

    ``default_graphs`` is ignored: callers (the catalogue service) pass the
    offer graph list, and the union of this store is exactly that list.
    """

    def __init__(self, oxigraph_store: ox.Store, offer: tuple[tuple[str, str, str], ...]) -> None:
        self.path = None
        self.location = "memory:offer-snapshot"
        self._store = oxigraph_store
        self.offer = offer

    def _query(self, text: str, bindings, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None):
        if named_graphs is not None:
            return super()._query(text, bindings, None, named_graphs)
        if bindings:
            text = inject_values(text, [dict(bindings)])
        try:
            result = self._store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_message(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed on the site's snapshot: {exc}") from exc
        if isinstance(result, ox.QuerySolutions):
            # Rows as the embedded store makes them (unbound variables absent), read once per value:
            # the site reads some 500,000 rows from this store.
            names = [v.value for v in result.variables]
            return Solutions(names, [{k: v for k, v in zip(names, solution) if v is not None} for solution in result])
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        return [ox.Triple(t.subject, t.predicate, t.object) for t in result]


def dump_nquads(store: Store) -> bytes:
    """The whole public dataset as N-Quads (natively for an embedded store: no per-quad Python work)."""
    native = getattr(store, "oxigraph", None)
    if isinstance(native, ox.Store) and not any(True for _ in native.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        return native.dump(format=ox.RdfFormat.N_QUADS) or b""
    raw = io.BytesIO()
    store.dump(raw)
    return raw.getvalue()


def offer_snapshot(store: Store, nquads: bytes) -> OfferStore:
    """An :class:`OfferStore` of ``store``'s offer graphs, loaded from its dump ``nquads``."""
    offer = cg.offer_graphs(store)
    copy = ox.Store()
    if nquads:
        copy.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    keep = {name for name, _, _ in offer}
    for graph in list(copy.named_graphs()):
        if isinstance(graph, ox.NamedNode) and graph.value not in keep:
            copy.remove_graph(graph)
    return OfferStore(copy, offer)


def read_offer_catalogue(snapshot: OfferStore) -> cg.Catalogue:
    """The catalogue (as :func:`credgraph.graph.catalogue.load_catalogue` reads it) from the snapshot."""
    return cg.read_catalogue(snapshot, graphs=[name for name, _, _ in snapshot.offer])


def graph_fingerprint(offer: tuple[tuple[str, str, str], ...] | Mapping) -> str:
    """A short digest of a graph listing (names, content hashes, import times)."""
    import hashlib

    return hashlib.sha256(repr(offer).encode("utf-8")).hexdigest()[:32]
