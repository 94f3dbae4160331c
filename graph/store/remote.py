"""The remote backend: any SPARQL 1.1 Protocol endpoint (Query and Update).

Queries and updates go through SPARQLWrapper. Results are parsed by pyoxigraph
so both backends hand the same term objects to services.

Endpoint layout follows ``oxigraph serve``: ``<base>/query``, ``<base>/update``;
other servers are named endpoint by endpoint (``CREDGRAPH_QUERY_URL``,
``CREDGRAPH_UPDATE_URL`` for the public store; Virtuoso: ``<base>/sparql`` and
``<base>/sparql-auth``). Updates can carry HTTP digest credentials
(``CREDGRAPH_REMOTE_USER``, ``CREDGRAPH_REMOTE_PASSWORD``), as Virtuoso's
authenticated endpoint wants. Every setting reaches this class through
:mod:`credgraph.settings`, which gives each store its own: it never reads the
environment, so a private store cannot pick up the public store's endpoints.

No server setting is needed for the dataset (see :mod:`credgraph.graph.store.interface`):
where the server's default graph is a graph of its own (Oxigraph, Fuseki,
GraphDB, served *without* a union-default-graph option) the merged public
graph is that default graph; where the default graph is the union of all
graphs (Virtuoso) set ``CREDGRAPH_MERGED_GRAPH=urn:credgraph:public``: the
merge is then kept in that named graph and sent as ``default-graph-uri`` with
every query that names no dataset of its own.

Virtuoso 7.2 refuses ``xsd:duration`` constants in updates (ELM uses them);
``CREDGRAPH_BIND_DURATIONS=1`` writes them through ``BIND(STRDT(...))``,
which it takes, but it keeps them as a number of seconds (``PT75H`` reads
back as ``"270000.0"^^xsd:duration``): openlink/virtuoso-opensource#224.
"""

from __future__ import annotations

import re
import urllib.error
from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, JSON, POST, POSTDIRECTLY, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from credgraph import queries
from credgraph.graph.store.binding import Row, Term, inject_values
from credgraph.graph.store import sparql_text
from credgraph.graph.store.interface import QueryResult, QuerySyntaxError, Solutions, Store, StoreError, _text_of

# Whole-graph writes (a full ESCO export is ~450k triples) can take minutes on
# a loaded server; queries should not. The defaults; credgraph.settings passes
# CREDGRAPH_REMOTE_TIMEOUT / CREDGRAPH_REMOTE_UPDATE_TIMEOUT in (Endpoints).
TIMEOUT_S = 300.0
UPDATE_TIMEOUT_S = 1800.0


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint reached over HTTP."""

    def __init__(
        self,
        base_url: str,
        *,
        query_url: str | None = None,
        update_url: str | None = None,
        gsp_url: str | None = None,
        merged_graph: str | None = None,
        user: str | None = None,
        password: str | None = None,
        bind_durations: bool | None = None,
        timeout_s: float = TIMEOUT_S,
        update_timeout_s: float = UPDATE_TIMEOUT_S,
    ) -> None:
        base = base_url.rstrip("/")
        self.location = base
        self.query_url = query_url or base + "/query"
        self.update_url = update_url or base + "/update"
        self.gsp_url = gsp_url or base + "/store"  # checked by the settings' same-place rule; writes and dumps use SPARQL
        self.merged_graph = merged_graph or None
        self._user = user or None
        self._password = password or ""
        self.bind_durations = bool(bind_durations)
        self.timeout_s, self.update_timeout_s = timeout_s, update_timeout_s

    def with_dataset(
        self, text: str, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None
    ) -> tuple[str, list[tuple[str, str]]]:
        """``text`` and the protocol parameters that give it its dataset on this server.

        A dataset given by the caller wins; a query with its own ``FROM`` keeps
        it; otherwise the merged public graph is the default graph (nothing to
        send where it is the server's own default graph).
        """
        if default_graphs is not None or named_graphs is not None:
            params = [("default-graph-uri", g) for g in default_graphs or ()]
            params += [("named-graph-uri", g) for g in named_graphs or ()]
            if sparql_text.has_from_clause(text):
                text = sparql_text.without_from_clauses(text)
            return text, params
        if self.merged_graph is None or sparql_text.has_from_clause(text):
            return text, []
        # GRAPH ?g is to meet the sources, not the merge kept beside them.
        text = sparql_text.graph_variables_without(text, self.merged_graph)
        return sparql_text.graph_constants_as_variables(text), [("default-graph-uri", self.merged_graph)]

    def _wrapper(self, text: str, return_format: str, form: str) -> SPARQLWrapper:
        client = SPARQLWrapper(self.query_url, updateEndpoint=self.update_url, agent="credgraph")
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setReturnFormat(return_format)
        client.setTimeout(self.timeout_s)
        client.setQuery(text)
        # SPARQLWrapper guesses the form from keywords in the text, and a word
        # such as "download" in a header comment fools it: say it outright.
        client.queryType = "INSERT" if form == "UPDATE" else form
        if form == "UPDATE" and self._user:
            client.setHTTPAuth(DIGEST)
            client.setCredentials(self._user, self._password)
        return client

    def _query(
        self,
        text: str,
        bindings: Mapping[str, Term] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> QueryResult:
        if bindings:
            text = inject_values(text, [dict(bindings)])
        form = queries.NamedQuery("_", text).form
        text, dataset = self.with_dataset(text, default_graphs, named_graphs)
        client = self._wrapper(text, TURTLE if form in {"CONSTRUCT", "DESCRIBE"} else JSON, form)
        for name, graph in dataset:
            client.addParameter(name, graph)
        body = self._send(client)
        if form in {"CONSTRUCT", "DESCRIBE"}:
            return [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(body, ox.RdfFormat.TURTLE)]
        result = parse_json_results(body)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        variables = [v.value for v in result.variables]
        rows = [{name: s[name] for name in variables if s[name] is not None} for s in result]
        return Solutions(variables, rows)

    def update(self, update: queries.NamedQuery | str, values: Sequence[Row] | None = None) -> None:
        text = _text_of(update)
        if values:
            text = inject_values(text, values)
        client = self._wrapper(text, JSON, "UPDATE")
        client.setTimeout(self.update_timeout_s)
        # The body can be large (a whole graph as INSERT DATA): send it as is.
        client.setRequestMethod(POSTDIRECTLY)
        self._send(client, url=self.update_url)

    def _send(self, client: SPARQLWrapper, url: str | None = None) -> bytes:
        try:
            return client.query().response.read()
        except QueryBadFormed as exc:
            raise QuerySyntaxError(f"{url or self.query_url} rejected the query: {_first_line(exc)}") from exc
        except SPARQLWrapperException as exc:
            raise StoreError(f"{url or self.query_url} answered an error: {_first_line(exc)}") from exc
        except urllib.error.URLError as exc:
            raise StoreError(f"cannot reach the SPARQL endpoint {url or self.query_url}: {exc.reason}") from exc
        except OSError as exc:
            raise StoreError(f"cannot reach the SPARQL endpoint {url or self.query_url}: {exc}") from exc

    def quads(self) -> Iterable[ox.Quad]:
        # By SPARQL, not a store-specific whole-dataset download: the graphs
        # credgraph recorded and the meta graph (never the merge, nor a
        # server's own system graphs).
        for row in self.select(queries.load("store-quads")):
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])


# Virtuoso names blank nodes "nodeID://b123" in JSON results, not a valid blank node label.
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')


def parse_json_results(body: bytes):
    """SPARQL JSON results parsed by pyoxigraph, Virtuoso's blank node names made valid labels."""
    if b"nodeID://" in body:
        body = _VIRTUOSO_BNODE.sub(rb"\1", body)
    return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)


def _first_line(exc: Exception) -> str:
    """The exception's first line, and the first line of the server's answer when it sent one."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else exc.__class__.__name__
    head, sep, response = text.partition("Response:\n")
    if sep:
        answer = response.strip()
        if answer.startswith(("b'", 'b"')):
            answer = answer[2:-1].encode("latin-1", "replace").decode("unicode_escape", "replace")
        lines = [line.strip() for line in answer.splitlines() if line.strip()]
        if lines:
            first += " " + lines[0][:300]
    return first
