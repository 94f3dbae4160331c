"""One store interface over the public store and the research store, for services that count learners.

Learner pseudonyms are kept out of the public store (docs/privacy.md): the
research store holds each issuance record again with its ``cg:learner``, in a
graph of the same name. Learner statistics (distinct learners, stacking
completions) and the stacking of one learner's records need both the public
data (rules, specifications) and the pseudonyms. :class:`LearnerView` answers
the named queries that read pseudonyms from the research store and every
other query from the public store, so those services run unchanged. It is
never given to anything anonymous readers reach directly (``/sparql``, dumps,
the site); the services built on it suppress cells below k.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from credgraph import queries
from credgraph.graph.store.binding import Term
from credgraph.graph.store.interface import QueryResult, Store

# The named queries that read cg:learner (they find nothing in the public store).
LEARNER_QUERIES = frozenset({
    "stats-learners", "stats-graph-learners", "stats-learner-records", "stats-learner-holdings",
    "stacking-learner-credentials",
})


class LearnerView(Store):
    """The public store, with the learner queries answered by the research store."""

    def __init__(self, public: Store, research: Store) -> None:
        self.public = public
        self.research = research
        self.location = public.location

    def query(self, query, bindings: Mapping[str, Term] | None = None, **kw) -> QueryResult:
        if isinstance(query, queries.NamedQuery) and query.name in LEARNER_QUERIES:
            return self.research.query(query, bindings, **kw)
        return self.public.query(query, bindings, **kw)

    def _query(self, text, bindings, default_graphs, named_graphs):  # pragma: no cover - query() decides
        raise NotImplementedError

    def update(self, update, values=None) -> None:
        raise TypeError("the learner view is read-only")

    def graphs(self):
        return self.public.graphs()

    def graph_hash(self, graph: str) -> str | None:
        return self.public.graph_hash(graph)

    def quads(self) -> Iterable:
        return self.public.quads()

    def __getattr__(self, name: str):
        # Anything else a service asks of a store (a gate, a path) is the public store's.
        return getattr(self.public, name)
