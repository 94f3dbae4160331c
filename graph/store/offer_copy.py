"""An in-memory copy of the offer graphs, queried over their plain union.

The catalogue reads "the offer": every graph but issued credentials, badges and
their shared descriptions. Passing those graphs to a query as an explicit
``default_graphs`` list is correct but Oxigraph evaluates such a list as a
union per graph for every triple pattern, which grows with the number of
graphs: at 10,000 specifications (~870 graphs) one catalogue query took
minutes instead of seconds over the union default graph. Copying the offer
graphs into an in-memory store once and querying its union default graph
gives the same answers at the cost of one read of the offer.

The copy holds the union itself, in one graph: a triple several offer graphs
state is stored once, and Oxigraph's union over one graph is cheaper than over
hundreds (catalogue queries at 10,000 specifications: 6 s instead of 15 s on
the same triples kept graph by graph).

- embedded store: each offer graph is dumped natively (N-Triples) and loaded
  into the copy, with no Python object per quad;
- remote store: one CONSTRUCT over the offer graphs as explicit default graphs
  (cheap for a single triple pattern, unlike the catalogue's joins). Measured
  with ``benchmarks/catalogue_offer.py``: 3.3 s instead of 29.5 s at 116 offer
  graphs, 28 s at 870; faster than keeping the explicit list from a few dozen
  graphs on.

The copy keeps blank nodes as the source names them, so a node shared by two
offer graphs stays one node, as it is in the explicit-list query.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from credgraph.graph.store.binding import inject_values
from credgraph.graph.store.interface import QueryResult, QuerySyntaxError, Solutions, Store, StoreError, syntax_message
from credgraph.graph.store.embedded import EmbeddedStore

# The one graph of a copy made by copy_offer: the union of the offer graphs.
UNION_GRAPH = "urn:credgraph:offer-copy"

Offer = tuple[tuple[str, str, str], ...]


class OfferCopy(EmbeddedStore):
    """An in-memory store that holds only the offer graphs.

    Every query runs over the union of its graphs, which *is* the union of the
    offer graphs: ``default_graphs`` is ignored (callers such as the catalogue
    service may still pass the offer list). ``offer`` is the listing the copy
    was made from (name, content hash, import time), empty when not known.
    """

    offer: Offer = ()

    @classmethod
    def of(cls, copy: EmbeddedStore, offer: Offer = (), location: str = "memory:offer-copy") -> "OfferCopy":
        """The in-memory store ``copy`` (which nobody else keeps) as an offer copy."""
        made = cls._over(copy._store, location)
        made.offer = offer
        return made

    def _query(self, text: str, bindings, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None) -> QueryResult:
        if named_graphs is not None:
            return super()._query(text, bindings, None, named_graphs)
        if bindings:
            text = inject_values(text, [dict(bindings)])
        try:
            result = self._store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_message(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed on {self.location}: {exc}") from exc
        if isinstance(result, ox.QuerySolutions):
            # Rows as the embedded store makes them (unbound variables absent), each value read
            # once: the catalogue reads hundreds of thousands of rows from a large offer.
            names = [v.value for v in result.variables]
            return Solutions(names, [{k: v for k, v in zip(names, solution) if v is not None} for solution in result])
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        return [ox.Triple(t.subject, t.predicate, t.object) for t in result]


def copy_offer(store: Store, graphs: Sequence[str], offer: Offer = ()) -> OfferCopy:
    """An :class:`OfferCopy` of the named graphs ``graphs`` of ``store``.

    An :class:`OfferCopy` is returned as it is (it holds the offer already).
    Graphs that do not exist are skipped. The copy is independent of ``store``:
    later writes to ``store`` do not reach it. Each backend copies its own
    fastest way (:meth:`credgraph.graph.store.interface.Store.merged_copy`).
    """
    if isinstance(store, OfferCopy):
        return store
    return OfferCopy.of(store.merged_copy(graphs, UNION_GRAPH), offer, f"memory:offer-copy-of:{store.location}")
