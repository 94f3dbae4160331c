"""The remote backend: any SPARQL 1.1 Protocol + Graph Store Protocol endpoint.

Queries and updates go through SPARQLWrapper; the dump reads the Graph Store
Protocol endpoint. Results are parsed by pyoxigraph so both backends hand the
same term objects to services.

Endpoint layout follows ``oxigraph serve``: ``<base>/query``, ``<base>/update``,
``<base>/store``; the store must evaluate queries over the union of its named
graphs (``oxigraph serve --union-default-graph``). Other servers can be named
endpoint by endpoint (``CREDGRAPH_QUERY_URL`` ... for the public store, read by
:mod:`credgraph.settings`, which gives each store its own).
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from credgraph import queries
from credgraph.graph.binding import Row, Term, inject_values
from credgraph.graph.store import QueryResult, QuerySyntaxError, Solutions, Store, StoreError, _text_of, is_scratch

# Whole-graph writes (a full ESCO export is ~450k triples) can take minutes on
# a loaded server; queries should not.
TIMEOUT_S = int(os.environ.get("CREDGRAPH_REMOTE_TIMEOUT", "300"))
UPDATE_TIMEOUT_S = int(os.environ.get("CREDGRAPH_REMOTE_UPDATE_TIMEOUT", "1800"))


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint reached over HTTP."""

    def __init__(self, base_url: str, query_url: str | None = None, update_url: str | None = None,
                 gsp_url: str | None = None) -> None:
        # Endpoint overrides come from this store's own settings (credgraph.settings), never
        # from the environment: a private store must not pick up the public store's endpoints.
        base = base_url.rstrip("/")
        self.location = base
        self.query_url = query_url or base + "/query"
        self.update_url = update_url or base + "/update"
        self.gsp_url = gsp_url or base + "/store"

    def _wrapper(self, text: str, return_format: str, form: str) -> SPARQLWrapper:
        client = SPARQLWrapper(self.query_url, updateEndpoint=self.update_url, agent="credgraph")
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setReturnFormat(return_format)
        client.setTimeout(TIMEOUT_S)
        client.setQuery(text)
        # SPARQLWrapper guesses the form from keywords in the text, and a word
        # such as "download" in a header comment fools it: say it outright.
        client.queryType = "INSERT" if form == "UPDATE" else form
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
        client = self._wrapper(text, TURTLE if form in {"CONSTRUCT", "DESCRIBE"} else JSON, form)
        for graph in default_graphs or ():
            client.addParameter("default-graph-uri", graph)
        for graph in named_graphs or ():
            client.addParameter("named-graph-uri", graph)
        body = self._send(client)
        if form in {"CONSTRUCT", "DESCRIBE"}:
            return [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(body, ox.RdfFormat.TURTLE)]
        result = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
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
        client.setTimeout(UPDATE_TIMEOUT_S)
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

    def _gsp(self, method: str, graph: str | None, body: bytes | None = None, accept: str | None = None) -> bytes:
        url = self.gsp_url
        if graph is not None:
            url += "?" + urllib.parse.urlencode({"graph": graph})
        request = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/n-triples")
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "DELETE":
                return b""
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise StoreError(f"{method} {url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach the Graph Store endpoint {self.gsp_url}: {reason}") from exc

    def quads(self) -> Iterable[ox.Quad]:
        body = self._gsp("GET", None, accept="application/n-quads")
        for quad in ox.parse(body, ox.RdfFormat.N_QUADS):
            if not is_scratch(quad.graph_name):
                yield quad


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
