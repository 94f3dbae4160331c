"""The graph store: one small interface, two backends.

- :class:`~credgraph.graph.store.embedded.EmbeddedStore`: Oxigraph in this
  process, on disk or in memory;
- :class:`~credgraph.graph.store.remote.RemoteStore`: any SPARQL 1.1 Protocol +
  Graph Store Protocol endpoint (``oxigraph serve``, Fuseki, GraphDB ...).

:func:`open_store` picks one from a single setting. Both speak SPARQL only and
return pyoxigraph terms, so services give identical answers on either.

Writes are whole named graphs. :meth:`Store.replace_graphs` removes the old
content, writes the new one and its provenance in one SPARQL Update request
(one transaction), so that a reader never sees a half-written graph and a
failure leaves earlier data as it was.

The dataset every query sees, unless it names its own (``FROM``, ``FROM
NAMED``, or the ``default_graphs``/``named_graphs`` arguments):

- the default graph is the **merged public graph**: the RDF merge of the
  public named graphs, each statement once however many sources state it, so
  that a plain ``COUNT`` counts things, not copies. The same write that
  changes a named graph keeps it in step: new statements are copied in; a
  dropped or replaced graph's statements leave it unless another graph still
  states them. On Oxigraph it is the store's own default graph; on a store
  whose default graph is the union of all graphs (Virtuoso) it is the named
  graph :data:`MERGED_GRAPH`, given as the default graph of every query;
- the named graphs are the sources as written (``GRAPH ?g`` tells which
  source states what). The meta graph (provenance) is one of them but is not
  merged; private and quarantine graphs are never merged.
"""

from __future__ import annotations

import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Triple

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store import update_data
from credgraph.graph.store.binding import Row, Term, inject_values

if TYPE_CHECKING:
    from credgraph.graph.store.embedded import EmbeddedStore

XSD_DATETIME = NamedNode(ns.XSD + "dateTime")
# The merged public graph's name on stores that keep it as a named graph.
MERGED_GRAPH = "urn:credgraph:public"
XSD_INTEGER = NamedNode(ns.XSD + "integer")


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message says what and where."""


class QuerySyntaxError(StoreError):
    """The query text is not valid SPARQL."""


def syntax_message(exc: Exception, limit: int = 240) -> str:
    """The parser's message on one line: its position first, the expected tokens cut short."""
    text = " ".join(str(exc).split())
    if text.startswith("error at "):
        text = "SPARQL syntax error at line " + text[len("error at "):].replace(":", ", column ", 1)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Solutions:
    """The rows of a SELECT result, materialised."""

    variables: list[str]
    rows: list[dict[str, Term]]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Term | None]:
        """Every row's value of ``name`` (None where unbound)."""
        return [row.get(name) for row in self.rows]


QueryResult = Solutions | bool | list[Triple]


@dataclass(frozen=True)
class Provenance:
    """What is recorded about one named graph in ``urn:credgraph:meta``."""

    kind: str  # vocab | source | private | quarantine
    source: str  # file name or URL the content came from
    content_hash: str  # "sha256:<hex>" of the source bytes
    imported_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    title: str = ""
    # Further statements about the graph (validation result, format ...).
    extra: tuple[tuple[str, Term], ...] = ()


@dataclass(frozen=True)
class GraphInfo:
    """A named graph as listed by :meth:`Store.graphs`."""

    name: str
    kind: str
    source: str
    content_hash: str
    imported_at: str
    triples: int
    title: str = ""


def content_hash(data: bytes) -> str:
    """The content hash recorded in provenance: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def provenance_triples(graph: str, prov: Provenance, triple_count: int) -> list[Quad]:
    """The statements about ``graph`` that go into the meta graph (as quads of the meta graph)."""
    g = NamedNode(graph)
    meta = _META_GRAPH
    quads = [
        Quad(g, _RDF_TYPE, _NAMED_GRAPH, meta),
        Quad(g, _GRAPH_KIND, Literal(prov.kind), meta),
        Quad(g, _SOURCE, Literal(prov.source), meta),
        Quad(g, _CONTENT_HASH, Literal(prov.content_hash), meta),
        Quad(g, _GENERATED_AT, Literal(prov.imported_at.astimezone(timezone.utc).isoformat(), datatype=XSD_DATETIME), meta),
        Quad(g, _TRIPLE_COUNT, Literal(str(triple_count), datatype=XSD_INTEGER), meta),
    ]
    if prov.title:
        quads.append(Quad(g, _TITLE, Literal(prov.title), meta))
    quads.extend(Quad(g, NamedNode(p), o, meta) for p, o in prov.extra)
    return quads


_META_GRAPH = NamedNode(ns.META_GRAPH)
_RDF_TYPE, _NAMED_GRAPH = NamedNode(ns.RDF + "type"), NamedNode(ns.CG + "NamedGraph")
_GRAPH_KIND, _SOURCE, _CONTENT_HASH = NamedNode(ns.CG + "graphKind"), NamedNode(ns.DC + "source"), NamedNode(ns.CG + "contentHash")
_GENERATED_AT, _TRIPLE_COUNT = NamedNode(ns.PROV + "generatedAtTime"), NamedNode(ns.CG + "tripleCount")
_TITLE = NamedNode(ns.DC + "title")


def _distinct(data: object) -> bool:
    # Statements made from a JSON-LD template are distinct by construction, and say so.
    return getattr(data, "distinct", False) is True


def as_triples(data: Iterable[Triple | Quad]) -> list[Triple]:
    """Triples of ``data``; quads lose their graph name (the caller chooses it)."""
    return [Triple(t.subject, t.predicate, t.object) if isinstance(t, Quad) else t for t in data]


def for_graph(data: Iterable[Triple | Quad], name: str) -> list[Triple | Quad]:
    """``data`` for the graph ``name``: quads already in it kept as they are, anything else as triples.

    An importer that knows the graph early makes quads at once; the embedded
    store then inserts them without building each statement a second time.
    Distinct quads that say they are all in that graph (``graph``, as
    :class:`credgraph.graph.sources.jsonld_templates.Statements` do) are taken whole.
    """
    graph = NamedNode(name)
    if getattr(data, "graph", None) == graph:
        return data  # type: ignore[return-value]
    return [
        t if type(t) is not Quad else t if t.graph_name == graph else Triple(t.subject, t.predicate, t.object)
        for t in data
    ]


class Store(ABC):
    """The operations every backend offers. Graph names are IRIs as strings."""

    location: str
    # Where the merged public graph lives: None for the store's own default
    # graph, else the IRI of a named graph that queries get as default graph.
    merged_graph: str | None = None
    # Write xsd:duration values through BIND(STRDT(...)) (Virtuoso 7.2; see update_data).
    bind_durations: bool = False

    # -- reading -----------------------------------------------------------
    @abstractmethod
    def _query(
        self,
        text: str,
        bindings: Mapping[str, Term] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> QueryResult: ...

    def query(
        self,
        query: queries.NamedQuery | str,
        bindings: Mapping[str, Term] | None = None,
        *,
        values: Sequence[Row] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query.

        ``query`` is a named query (``queries.load(name)``, see
        :mod:`credgraph.queries`) or SPARQL text (for the CLI and the public endpoint). ``bindings`` binds
        one value per variable; ``values`` binds several rows. The default graph
        is the merged public graph unless the query has ``FROM`` / ``FROM NAMED``
        or ``default_graphs`` / ``named_graphs`` are given (these win over the
        query's own clauses, as in the SPARQL 1.1 Protocol).

        >>> store.query(queries.load("eqf-levels")).rows[0]["level"]
        """
        text = _text_of(query)
        if values:
            text = inject_values(text, values)
        return self._query(text, bindings or None, default_graphs, named_graphs)

    def select(self, query: queries.NamedQuery | str, bindings: Mapping[str, Term] | None = None, **kw) -> Solutions:
        """Like :meth:`query`, for SELECT queries."""
        result = self.query(query, bindings, **kw)
        if not isinstance(result, Solutions):
            raise StoreError(f"{_label(query)} is not a SELECT query")
        return result

    def ask(self, query: queries.NamedQuery | str, bindings: Mapping[str, Term] | None = None, **kw) -> bool:
        """Like :meth:`query`, for ASK queries."""
        result = self.query(query, bindings, **kw)
        if not isinstance(result, bool):
            raise StoreError(f"{_label(query)} is not an ASK query")
        return result

    def construct(self, query: queries.NamedQuery | str, bindings: Mapping[str, Term] | None = None, **kw) -> list[Triple]:
        """Like :meth:`query`, for CONSTRUCT and DESCRIBE queries."""
        result = self.query(query, bindings, **kw)
        if not isinstance(result, list):
            raise StoreError(f"{_label(query)} is not a CONSTRUCT or DESCRIBE query")
        return result

    # -- writing -----------------------------------------------------------
    @abstractmethod
    def update(self, update: queries.NamedQuery | str, values: Sequence[Row] | None = None) -> None:
        """Run a SPARQL update (a named update or raw text), in one transaction."""

    def replace_graphs(
        self,
        graphs: Mapping[str, Iterable[Triple | Quad]],
        provenance: Mapping[str, Provenance],
    ) -> None:
        """Replace each named graph in ``graphs`` with the given triples, atomically.

        All graphs of one call change together or not at all, with their
        provenance: one SPARQL Update request, which both Oxigraph and any
        conforming store run as one transaction. A graph that did not exist is
        created.
        """
        if not graphs:
            return
        missing = set(graphs) - set(provenance)
        if missing:
            raise ValueError(f"no provenance for {sorted(missing)}")
        data = {name: for_graph(triples, name) for name, triples in graphs.items()}
        meta: list[Quad] = []
        for name, triples in data.items():
            meta.extend(provenance_triples(name, provenance[name], len(triples) if _distinct(triples) else len(set(triples))))
        if self._insert_new_graphs(data, meta):
            return
        data = {name: as_triples(triples) for name, triples in data.items()}  # SPARQL text holds triples
        forget = queries.load("forget-provenance")
        operations = [
            inject_values(forget.text, [{"target": NamedNode(name)} for name in data]),
            *update_data.unmerge_and_drop_operations(list(data), self.merged_graph),
            *update_data.insert_operations(data, bind_durations=self.bind_durations),
            *update_data.merge_operations(list(data), self.merged_graph),
            *update_data.insert_operations({ns.META_GRAPH: as_triples(meta)}),
        ]
        self.update(" ;\n".join(operations))

    def _insert_new_graphs(self, data: Mapping[str, list[Triple | Quad]], meta: list[Quad]) -> bool:
        """A backend's faster path when none of the graphs exists yet; False if not taken.

        ``data``: per graph, triples, or quads already in that graph; ``meta``: quads of the meta graph.
        """
        return False

    def load_graph(self, graph: str, triples: Iterable[Triple | Quad], provenance: Provenance) -> None:
        """Replace one named graph (see :meth:`replace_graphs`)."""
        self.replace_graphs({graph: triples}, {graph: provenance})

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        """Remove the named graphs and their provenance, atomically (and from the merge what only they stated)."""
        names = list(graphs)
        if not names:
            return
        forget = queries.load("forget-provenance")
        operations = [
            inject_values(forget.text, [{"target": NamedNode(name)} for name in names]),
            *update_data.unmerge_and_drop_operations(names, self.merged_graph),
        ]
        self.update(" ;\n".join(operations))

    def rebuild_merge(self) -> None:
        """Fill the merged public graph afresh from the recorded public graphs, in one transaction.

        For a store written before the merge existed, or changed by hand
        through raw updates; ordinary writes keep the merge in step themselves.
        """
        self.update(" ;\n".join(update_data.rebuild_merge_operations(self.merged_graph)))

    def graphs(self) -> list[GraphInfo]:
        """Every named graph recorded in the meta graph, with provenance and size."""
        result = self.select(queries.load("list-graphs"))
        return [
            GraphInfo(
                name=row["graph"].value,
                kind=row["kind"].value,
                source=row["source"].value,
                content_hash=row["hash"].value,
                imported_at=row["imported"].value,
                triples=int(row["triples"].value),
                title=row["title"].value if row.get("title") else "",
            )
            for row in result
        ]

    def graph_hash(self, graph: str) -> str | None:
        """The content hash recorded for ``graph``, or None if it does not exist."""
        result = self.select(queries.load("graph-hash"), {"graph": NamedNode(graph)})
        return result.rows[0]["hash"].value if result.rows else None

    @abstractmethod
    def quads(self) -> Iterable[Quad]:
        """Every quad of every named graph (the merged default graph excluded: it is derived)."""

    def dump(self, out: BinaryIO) -> int:
        """Write the whole dataset as N-Quads to ``out``; returns the quad count."""
        from pyoxigraph import RdfFormat, serialize

        count = 0

        def counted():
            nonlocal count
            for quad in self.quads():
                count += 1
                yield quad

        serialize(counted(), out, RdfFormat.N_QUADS)
        return count

    # -- capabilities beyond SPARQL ----------------------------------------
    # What the site, the catalogue and the endpoint need besides queries. Each
    # backend does them its own fastest way (the embedded store natively);
    # callers never reach for a backend's own objects.

    # True when a process forked from this one can read the store as it was at
    # the fork: the public endpoint then runs queries in children it can kill
    # on timeout (a killable reader). A remote store is read over HTTP instead.
    forkable: bool = False

    # True when this process parses the SPARQL the store is given (the embedded
    # store): the endpoint then has a client's update parsed in a throwaway
    # process first (api/sandbox.py), as a parser crash would take the server
    # with it. A remote store's server parses its own.
    parses_in_process: bool = False

    def native_update(self, text: str, *, base_iri: str | None = None) -> None:
        """Run a client's update ``text`` as it is (the endpoint's /sparql/update), in one transaction.

        ``base_iri`` resolves its relative IRIs where the backend takes one (the
        embedded store); a remote server resolves them against its own. Raises
        :class:`QuerySyntaxError` for a text the store cannot parse.
        """
        self.update(text)

    def triples(self, subject: Term | None = None, predicate: Term | None = None, object: Term | None = None) -> Iterator[Triple]:
        """The statements matching a pattern (None: anything), in any named graph.

        A statement several graphs state may come once per graph. The embedded
        store reads its indexes; here: one named query.
        """
        pattern = {name: term for name, term in (("s", subject), ("p", predicate), ("o", object)) if term is not None}
        for row in self.select(queries.load("store-triples"), pattern):
            yield Triple(row["s"], row["p"], row["o"])

    def quad_count(self) -> int:
        """How many statements the named graphs hold (counted once per graph)."""
        return int(self.select(queries.load("store-quad-count")).rows[0]["n"].value)

    def memory_copy(self) -> "EmbeddedStore":
        """The whole dataset (its named graphs) copied into an independent in-memory store."""
        from credgraph.graph.store.embedded import EmbeddedStore

        out = io.BytesIO()
        self.dump(out)
        return EmbeddedStore.from_nquads(out.getvalue())

    def merged_copy(self, graphs: Sequence[str], into: str) -> "EmbeddedStore":
        """An in-memory store holding every statement of ``graphs`` in its one graph ``into``.

        Blank nodes keep the source's identity, so a node two graphs share stays
        one node. Graphs that do not exist are skipped. Here: one CONSTRUCT with
        ``graphs`` as the default graph list (one triple pattern, cheap however
        long the list).
        """
        from credgraph.graph.store.embedded import EmbeddedStore

        copy = EmbeddedStore(None)
        if graphs:
            triples = self.construct(queries.load("catalogue-offer-copy"), default_graphs=list(graphs))
            target = NamedNode(into)
            copy.add_quads(Quad(t.subject, t.predicate, t.object, target) for t in triples)
        return copy

    def graph_dumps(self, threads: int = 1) -> Iterator["GraphDump"]:
        """Each graph of the store as N-Triples, one after the other (the default graph first, when not empty).

        Here: the dataset is read once into memory and dumped from there (see
        :meth:`credgraph.graph.store.embedded.EmbeddedStore.graph_dumps`).
        """
        return self.memory_copy().graph_dumps(threads)

    def close(self) -> None:
        """Release the store (flush and unlock an on-disk store)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class GraphDump:
    """One graph of a store as N-Triples (see :meth:`Store.graph_dumps`).

    ``term``: the graph's name in N-Quads syntax ("" for the default graph);
    ``iri``: its IRI, None for the default graph or a blank-node name;
    ``ntriples``: its statements, ending in a line end when not empty.
    """

    term: str
    iri: str | None
    ntriples: bytes


def is_scratch(graph: object) -> bool:
    """True for the store's own default graph: derived (the merge), never dumped."""
    return isinstance(graph, DefaultGraph)


def _text_of(query: queries.NamedQuery | str) -> str:
    # A string is SPARQL text, never a query name: a caller names a query with queries.load(name).
    return query.text if isinstance(query, queries.NamedQuery) else query


def _label(query: queries.NamedQuery | str) -> str:
    return f"query {query.name!r}" if isinstance(query, queries.NamedQuery) else "the query"


def open_store(location: str | None = None, *, data_dir: str | Path | None = None, endpoints=None) -> Store:
    """Open the store named by ``location``.

    - ``memory:``: an embedded in-memory Oxigraph store (tests, throw-away work);
    - ``oxigraph:///path`` or a plain path: an embedded on-disk Oxigraph store;
    - ``http://host:port`` or ``https://...``: a remote SPARQL 1.1 endpoint
      (Oxigraph server conventions: ``/query``, ``/update``, ``/store``);
    - None: the embedded on-disk store under ``data_dir/store``.
    """
    from credgraph.graph.store.embedded import EmbeddedStore

    if location is None or location == "":
        base = Path(data_dir or "credgraph-data")
        return EmbeddedStore(base / "store")
    if location == "memory:":
        return EmbeddedStore(None)
    if location.startswith("oxigraph://"):
        path = location[len("oxigraph://"):]
        if not path:
            raise StoreError(f"store URL {location!r} has no path; expected oxigraph:///path/to/dir")
        return EmbeddedStore(Path(path))
    if location.startswith(("http://", "https://")):
        from credgraph.graph.store.remote import RemoteStore

        if endpoints is not None:  # this store's own endpoint overrides (credgraph.settings.Endpoints)
            return RemoteStore(location, query_url=endpoints.query_url, update_url=endpoints.update_url,
                               gsp_url=endpoints.gsp_url, merged_graph=endpoints.merged_graph,
                               user=endpoints.user, password=endpoints.password,
                               bind_durations=endpoints.bind_durations, timeout_s=endpoints.timeout_s,
                               update_timeout_s=endpoints.update_timeout_s)
        return RemoteStore(location)
    if "://" in location or location.endswith(":"):
        raise StoreError(
            f"unknown store URL scheme in {location!r}; expected memory:, oxigraph:///path, a directory, or http(s)://host:port"
        )
    return EmbeddedStore(Path(location))
