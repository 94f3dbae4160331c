"""The embedded backend: pyoxigraph in this process, on disk or in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.binding import Row, Term, inject_values
from credgraph.graph.store import QueryResult, QuerySyntaxError, syntax_message, Solutions, Store, StoreError, _text_of, is_scratch


class EmbeddedStore(Store):
    """An Oxigraph store opened in this process (``path=None``: in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.location = "memory:" if path is None else str(path)
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.location}: {exc} (is another credgraph process using it?)"
            ) from exc

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for benchmarks and bulk tools."""
        return self._store

    def _query(
        self,
        text: str,
        bindings: Mapping[str, Term] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> QueryResult:
        kwargs: dict = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if bindings:
            # One binding mechanism for both backends (a VALUES block), so that
            # a named query means the same thing wherever it runs.
            text = inject_values(text, [dict(bindings)])
        try:
            result = self._store.query(text, **kwargs)
            if isinstance(result, ox.QueryBoolean):
                return bool(result)
            if isinstance(result, ox.QuerySolutions):
                variables = [v.value for v in result.variables]
                rows = [
                    {name: solution[name] for name in variables if solution[name] is not None}
                    for solution in result
                ]
                return Solutions(variables, rows)
            return [ox.Triple(t.subject, t.predicate, t.object) for t in result]
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_message(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed on {self.location}: {exc}") from exc

    def update(self, update: queries.NamedQuery | str, values: Sequence[Row] | None = None) -> None:
        text = _text_of(update)
        if values:
            text = inject_values(text, values)
        try:
            self._store.update(text)
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_message(exc)) from exc
        except OSError as exc:
            raise StoreError(f"update failed on {self.location}: {exc}") from exc

    def _insert_new_graphs(self, data, meta) -> bool:
        # First imports are the common case: one extend() is one transaction
        # and skips parsing the data back from SPARQL text (3-4x faster).
        meta_graph = ox.NamedNode(ns.META_GRAPH)
        for name in data:
            node = ox.NamedNode(name)
            # An empty graph exists only through its provenance: check both.
            if self._store.contains_named_graph(node) or next(
                iter(self._store.quads_for_pattern(node, None, None, meta_graph)), None
            ):
                return False
        quads = list(meta)
        for name, triples in data.items():
            graph = ox.NamedNode(name)
            quads.extend(t if type(t) is ox.Quad else ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        try:
            self._store.extend(quads)
        except OSError as exc:
            raise StoreError(f"write failed on {self.location}: {exc}") from exc
        return True

    def quads(self) -> Iterable[ox.Quad]:
        for quad in self._store.quads_for_pattern(None, None, None, None):
            if not is_scratch(quad.graph_name):
                yield quad

    def bulk_load_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Fast, non-transactional load (benchmarks only: no atomicity)."""
        self._store.bulk_extend(quads)

    def close(self) -> None:
        if self.path is not None:
            self._store.flush()
        del self._store
