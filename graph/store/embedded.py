"""The embedded backend: pyoxigraph in this process, on disk or in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store import update_data
from credgraph.graph.store.binding import Row, Term, inject_values
from credgraph.graph.store.byte_stream import ByteStream
from credgraph.graph.store.interface import GraphDump, QueryResult, QuerySyntaxError, syntax_message, Solutions, Store, StoreError, _text_of, is_scratch


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
        if path is not None and self._merge_missing():
            self.rebuild_merge()

    def _merge_missing(self) -> bool:
        # A store written before the merged public graph existed: graphs recorded, default graph empty.
        def any_quad(graph) -> bool:
            return next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is not None

        return any_quad(ox.NamedNode(ns.META_GRAPH)) and not any_quad(ox.DefaultGraph())

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store: still read by ``api/executor.py``.

        Nothing else may use it (tests/test_store_interface_closed.py); the
        executor moves to :attr:`forkable` and :meth:`native_query`, and then it goes.
        """
        return self._store

    @classmethod
    def _over(cls, native: ox.Store, location: str) -> "EmbeddedStore":
        """A store over an open pyoxigraph store (in memory), without opening anything."""
        store = cls.__new__(cls)
        store.path, store.location, store._store = None, location, native
        return store

    @classmethod
    def from_nquads(cls, data: bytes, location: str = "memory:copy") -> "EmbeddedStore":
        """An in-memory store loaded with the N-Quads ``data`` (bulk load: the store is new, nobody reads it yet)."""
        native = ox.Store()
        if data:
            native.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        return cls._over(native, location)

    @classmethod
    def from_ntriples(cls, parts: Iterable[bytes], graph: str, location: str = "memory:copy") -> "EmbeddedStore":
        """An in-memory store with the N-Triples ``parts`` (read one after the other) loaded into the graph ``graph``.

        One load for all parts: a load names blank nodes consistently within
        itself only, so a node two parts share (dumps of one store name blank
        nodes by the store's ids) stays one node.
        """
        native = ox.Store()
        native.load(ByteStream(parts), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        return cls._over(native, location)

    def _query(
        self,
        text: str,
        bindings: Mapping[str, Term] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> QueryResult:
        # Without arguments Oxigraph takes the query's own FROM / FROM NAMED, or
        # else the store's default graph (the merged public graph) and every
        # named graph. Arguments replace the query's dataset, as the protocol's
        # default-graph-uri / named-graph-uri do.
        kwargs: dict = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
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
        merged, in_merge = ox.DefaultGraph(), []
        for name, triples in data.items():
            graph = ox.NamedNode(name)
            quads.extend(t if type(t) is ox.Quad else ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
            if update_data.merges(name):  # the same terms, so blank nodes are the same nodes
                in_merge.extend(ox.Quad(t.subject, t.predicate, t.object, merged) for t in triples)
        # Each statement once: the store looks up every statement it is given, and a
        # statement it already holds is the dearest lookup (measured: sources of one
        # write restate each other, ~7% of the merge's statements at demo scale).
        quads.extend(dict.fromkeys(in_merge))
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
        """Fast, non-transactional load of new graphs (benchmarks only: no atomicity), merged as writes are."""
        merged = ox.DefaultGraph()
        quads = list(quads)
        self._store.bulk_extend(
            quads + [ox.Quad(q.subject, q.predicate, q.object, merged)
                     for q in quads if isinstance(q.graph_name, ox.NamedNode) and update_data.merges(q.graph_name.value)])

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add statements as they are, in one transaction (no provenance: for copies, not for imports)."""
        self._store.extend(quads)

    # -- capabilities (see Store), natively --------------------------------
    forkable = True  # a forked child holds the store as it was at the fork (memory: copy-on-write; disk: its own view)

    def native_query(self, text: str, *, base_iri: str | None = None, default_graphs: Sequence[str] | None = None,
                     named_graphs: Sequence[str] | None = None):
        """pyoxigraph's own result of ``text``, for a writer that serialises it natively (the endpoint's workers).

        The dataset: the query's own FROM / FROM NAMED, or else the merged
        public graph (the store's default graph) and every named graph; or
        ``default_graphs`` / ``named_graphs`` when either is given (as the SPARQL
        protocol's ``default-graph-uri`` / ``named-graph-uri``). Raises SyntaxError as pyoxigraph does.
        """
        kwargs: dict = {"base_iri": base_iri}
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
        return self._store.query(text, **kwargs)

    parses_in_process = True

    def native_update(self, text: str, *, base_iri: str | None = None) -> None:
        """Run the update ``text`` with a base IRI (the endpoint's protocol updates), as pyoxigraph parses it."""
        try:
            self._store.update(text, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    def triples(self, subject=None, predicate=None, object=None) -> Iterator[ox.Triple]:
        for quad in self._store.quads_for_pattern(subject, predicate, object, None):
            if not is_scratch(quad.graph_name):
                yield quad.triple

    def quad_count(self) -> int:
        # The merged default graph is derived, not counted (as quads() leaves it out).
        merged = sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return len(self._store) - merged

    def merged_copy(self, graphs: Sequence[str], into: str) -> "EmbeddedStore":
        # Measured at 870 graphs / 846,000 quads: a native N-Triples dump per graph
        # streamed into one load (13 s) beats quads_for_pattern into extend (15 s)
        # or bulk_extend per graph (28 s); reading the on-disk store is most of it.
        return EmbeddedStore.from_ntriples(
            (self._dump(ox.NamedNode(name), "to copy it") for name in graphs), into, f"memory:copy-of:{self.location}")

    def graph_dumps(self, threads: int = 1) -> Iterator[GraphDump]:
        # Decoding the on-disk store's terms is most of the work and pyoxigraph
        # releases the GIL while it dumps, so several threads dump graphs at once;
        # the dumps are handed out in store order as they finish.
        # The default graph is the merge of the others (derived): never dumped.
        graphs: list = list(self._store.named_graphs())
        with ThreadPoolExecutor(max(1, threads)) as pool:
            pending = [pool.submit(self._dump, g, "") for g in graphs]
            for graph, done in zip(graphs, pending):
                term = "" if isinstance(graph, ox.DefaultGraph) else str(graph)
                iri = graph.value if isinstance(graph, ox.NamedNode) else None
                yield GraphDump(term, iri, done.result())

    def _dump(self, graph, purpose: str) -> bytes:
        """One graph as N-Triples, ending in a line end (so that dumps can follow each other)."""
        try:
            data = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot read graph {graph} of {self.location}{' ' + purpose if purpose else ''}: {exc}") from exc
        return data if not data or data.endswith(b"\n") else data + b"\n"

    def close(self) -> None:
        if self.path is not None:
            self._store.flush()
        del self._store
