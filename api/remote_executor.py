"""Public queries on a remote store: sent over HTTP with the deadline, the answer capped and re-serialised.

Stopping the work at the deadline is the remote server's job (``oxigraph serve
--timeout-s``); here the request is abandoned at the deadline and the answer
read at most ``max_result_bytes`` far.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox

from credgraph.api import answer_writers, formats
from credgraph.api.executor import QueryAnswer, QueryExecutor, QueryFailure, QueryJob, syntax_failure
from credgraph.graph.store.remote import parse_json_results


class RemoteExecutor(QueryExecutor):
    """Sends the query to the remote endpoint and re-serialises (capped) what it answers."""

    def __init__(self, store, timeout_s: float, row_cap: int, max_concurrent: int, **limits) -> None:
        super().__init__(timeout_s, row_cap, max_concurrent, **limits)
        self.query_url = store.query_url
        self.store = store

    def _run(self, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        # The store says how a query gets its dataset there (the merged graph, FROM, the protocol's).
        text, dataset = self.store.with_dataset(job.text, job.default_graphs, job.named_graphs)
        params = [("query", text)] + dataset
        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode(params).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                media = response.headers.get_content_type()
                data = response.read(self.max_result_bytes + 1)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:2000]
            if exc.code == 400:
                raise syntax_failure(detail) from exc
            raise QueryFailure("failed", f"the store answered {exc.code}: {detail}") from exc
        except TimeoutError as exc:
            raise QueryFailure("timeout", f"the query ran longer than {timeout_s:g} s and was stopped") from exc
        except (urllib.error.URLError, OSError) as exc:
            if "timed out" in str(exc):
                raise QueryFailure("timeout", f"the query ran longer than {timeout_s:g} s and was stopped") from exc
            raise QueryFailure("failed", f"the store is unreachable: {exc}") from exc
        if len(data) > self.max_result_bytes:
            raise QueryFailure("too_large", f"the result is larger than {self.max_result_bytes} bytes")
        if media == "application/n-triples":
            triples = list(ox.parse(data, ox.RdfFormat.N_TRIPLES))
            fmt = job.formats.get("graph")
            if fmt is None:
                raise QueryFailure("not_acceptable", "no acceptable media type for a CONSTRUCT/DESCRIBE result")
            truncated = len(triples) > self.row_cap
            triples = triples[: self.row_cap]
            return QueryAnswer(formats.write_triples(triples, fmt), fmt, "graph", len(triples), truncated)
        result = parse_json_results(data)
        header, body = answer_writers.serialise(result, job, self.row_cap)
        if not header["ok"]:
            raise QueryFailure("not_acceptable", f"no acceptable media type for a {header['message']} result")
        return QueryAnswer(body, header["format"], header["kind"], header["count"], header["truncated"])
