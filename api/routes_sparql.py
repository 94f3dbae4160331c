"""The SPARQL 1.1 Protocol endpoint (/sparql, read-only) and the update endpoint (/sparql/update, admin).

/sparql serves the public store only (vocabularies, catalogues, pseudonymised
issuance records); personal data lives in a separate store it never opens.
Queries are checked for ``SERVICE`` before they reach the store and run under a
timeout, a row cap and a concurrency bound (:mod:`credgraph.api.executor`).

Limits come first (:mod:`credgraph.api.query_inspection`): size (413), then
tokens and nesting (400) in one tokenizer pass, before any parser sees the text.
"""

from __future__ import annotations

import functools
import logging
import urllib.parse

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from credgraph import queries
from credgraph.api import formats
from credgraph.graph.store import sparql_text
from credgraph.api.access import Caller, presented_key, require
from credgraph.api.executor import QueryFailure, QueryJob, syntax_failure
from credgraph.api.guarded_store import GuardedStore
from credgraph.api.problems import Problem, problem_response
from credgraph.api.query_inspection import (
    TextLimits, check_size, inspect_query_async, too_complex,
)
from credgraph.api.sandbox import IsolatedFailure, run_isolated
from credgraph.graph import namespaces as ns
from credgraph.graph.store import update_data

router = APIRouter(tags=["SPARQL"])

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
HIDDEN_PREFIXES = (ns.PRIVATE_GRAPH, ns.QUARANTINE_GRAPH)
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"


# -- request parsing -------------------------------------------------------


def _content_type(request: Request) -> tuple[str, str | None]:
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _decode(body: bytes, charset: str | None, what: str) -> str:
    if charset not in (None, "utf-8", "utf8"):
        raise Problem(415, f"the {what} must be UTF-8; got charset={charset}", type_="unsupported-charset")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the {what} is not valid UTF-8 at byte {exc.start}", type_="invalid-encoding") from exc


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("ascii")
        return urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8",
                                      errors="strict")
    except UnicodeDecodeError as exc:
        raise Problem(400, "the form body is not valid URL-encoded UTF-8", type_="invalid-encoding") from exc


def _one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise Problem(400, f"the request carries {len(values)} '{name}' parameters; the protocol allows one",
                      type_="multiple-operations")
    return values[0] if values else None


def _graphs(pairs: list[tuple[str, str]], name: str) -> list[str]:
    out = []
    for _, value in [p for p in pairs if p[0] == name]:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise Problem(400, f"{name} {value!r} is not an absolute IRI", type_="invalid-graph-iri") from exc
        if not value.startswith(HIDDEN_PREFIXES):
            out.append(value)
    return out


async def _operation(request: Request, name: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The operation text (query or update) and every protocol parameter, per the protocol's three forms."""
    params = list(request.query_params.multi_items())
    if request.method == "GET":
        return _one(params, name), params
    media, charset = _content_type(request)
    body = await request.body()
    if media == FORM:
        form = _form(body)
        all_params = params + form
        other = "update" if name == "query" else "query"
        if _one(form, other) is not None and _one(form, name) is None:
            return None, all_params + [("__other__", other)]
        return _one(all_params, name), all_params
    direct = QUERY if name == "query" else UPDATE
    if media == direct:
        if _one(params, name) is not None:
            raise Problem(400, f"a direct POST carries the {name} in the body, not also in the URL",
                          type_="multiple-operations")
        return _decode(body, charset, name), params
    if media in {QUERY, UPDATE}:
        return None, params + [("__other__", "update" if media == UPDATE else "query")]
    shown = media or "no Content-Type"
    raise Problem(415, f"POST {request.url.path} takes {FORM} or {direct}; got {shown}",
                  type_="unsupported-media-type")


# -- /sparql ---------------------------------------------------------------


def _negotiated(accept: str | None) -> dict[str, str | None]:
    if accept is not None and len(accept) > 512:
        return dict(_negotiate(accept))
    return dict(_negotiated_cached(accept))


def _negotiate(accept: str | None) -> tuple[tuple[str, str | None], ...]:
    return (
        ("boolean", formats.negotiate(accept, formats.BOOLEAN_TYPES, formats.JSON)),
        ("solutions", formats.negotiate(accept, formats.RESULT_TYPES, formats.JSON)),
        ("graph", formats.negotiate(accept, formats.GRAPH_TYPES, formats.TURTLE)),
    )


# Clients send a handful of distinct Accept headers.
_negotiated_cached = functools.lru_cache(maxsize=256)(_negotiate)


async def _run(request: Request, text: str, params: list[tuple[str, str]], wanted: dict[str, str | None]):
    """The one way a query is run (protocol answers and the query page alike): checks, then the executor.

    Returns the executor's answer and the executor (its row cap is reported).
    """
    check = await inspect_query_async(text, TextLimits.of(request.app.state.api_settings))
    if check.is_update:
        raise Problem(403, "/sparql is read-only; SPARQL Update goes to /sparql/update with an admin key",
                      type_="read-only")
    if check.mentions_service:
        raise Problem(400, "SERVICE is not allowed: this endpoint never makes outbound requests",
                      type_="service-refused")
    form = check.form
    kind = {"ASK": "boolean", "SELECT": "solutions", "CONSTRUCT": "graph", "DESCRIBE": "graph"}.get(form or "")
    if kind and wanted[kind] is None:
        raise Problem(406, f"none of the accepted media types can carry a {form} result; offered: "
                      + ", ".join(sorted({m for m, f in _offers(kind).items()})), type_="not-acceptable")
    default = _graphs(params, "default-graph-uri")
    named = _graphs(params, "named-graph-uri")
    has_dataset = any(k in {"default-graph-uri", "named-graph-uri"} for k, _ in params)
    job = QueryJob(
        text=text,
        formats=wanted,
        default_graphs=default if has_dataset else None,
        named_graphs=named if has_dataset else None,
        base_iri=public_url(request, "/sparql"),
    )
    executor = request.app.state.executor
    client, keyed = await client_of(request)
    if _one(params, "view") == "research":
        executor = _research_executor(request)
    try:
        return await executor.run_for(job, client, keyed), executor
    except QueryFailure as failure:
        raise _problem_of(failure) from failure


async def _answer(request: Request, text: str, params: list[tuple[str, str]], accept: str | None = None) -> Response:
    """The protocol's answer: the query's result in the negotiated format (``accept``: instead of the header)."""
    wanted = _negotiated(request.headers.get("accept") if accept is None else accept)
    answer, executor = await _run(request, text, params, wanted)
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers["X-Credgraph-Truncated"] = "true"
        headers["X-Credgraph-Row-Cap"] = str(executor.row_cap)
    return Response(answer.body, media_type=formats.CONTENT_TYPES[answer.format], headers=headers)


async def _browser_answer(request: Request, text: str, params: list[tuple[str, str]]) -> Response:
    """``GET /sparql?query=`` from a browser: the query page with the answer, or with ``format=`` that format."""
    try:
        chosen = _one(params, "format")
        if chosen is not None and chosen not in formats.FORMAT_NAMES:
            raise Problem(400, f"format={chosen!r} is not one of " + ", ".join(formats.FORMAT_NAMES),
                          type_="unknown-format")
    except Problem as problem:
        return query_page(request, text=text, problem=problem)
    if chosen is None:
        return await results_page(request, text, params)
    return await _answer(request, text, params, accept=formats.FORMAT_NAMES[chosen])


async def results_page(request: Request, text: str, params: list[tuple[str, str]]) -> HTMLResponse:
    """The query page with ``text`` in the editor and its answer (or the reason there is none) below it."""
    try:
        answer, executor = await _run(request, text, params, dict(formats.PAGE_FORMATS))
    except Problem as problem:
        return query_page(request, text=text, problem=problem)
    # Off the event loop: the answer may be up to max_result_bytes of JSON to read.
    view = await run_in_threadpool(formats.page_view, answer.body, answer.kind, answer.truncated)
    kept = [(k, v) for k, v in params if k != "format"]
    view["links"] = [(label, "/sparql?" + urllib.parse.urlencode(kept + [("format", name)]))
                     for label, name in view["downloads"]]
    view["row_cap"] = executor.row_cap
    return query_page(request, text=text, result=view)


def _research_executor(request: Request):
    """The researcher view (``view=research``): issuance records with learner pseudonyms; researcher or admin key, audited.

    Anonymous readers never reach the research store (docs/privacy.md).
    """
    from credgraph.api.access import caller
    from credgraph.api.executor import executor_for

    who = caller(request)
    if who.role not in ("researcher", "admin"):
        status = 401 if who.role == "anonymous" else 403
        raise Problem(status, "view=research needs an API key with role researcher or admin", type_="researcher-view",
                      headers={"WWW-Authenticate": 'Bearer realm="credgraph"'} if status == 401 else None)
    state = request.app.state
    state.audit.record(who.name, who.role, f"{request.method} /sparql view=research", "researcher view of the issuance records")
    if state.research_executor is None:
        api = state.api_settings
        state.research_executor = executor_for(state.workspace.research, api.query_timeout_s, api.row_cap,
                                               api.max_concurrent_queries)
    return state.research_executor


def _offers(kind: str) -> dict[str, str]:
    return {"boolean": formats.BOOLEAN_TYPES, "solutions": formats.RESULT_TYPES, "graph": formats.GRAPH_TYPES}[kind]


def public_url(request: Request, path: str) -> str:
    """``path`` under the configured public base URL, else under the address the server is bound to.

    Never from the client's ``Host`` header: a client must not choose the
    IRIs the service names (service description, base IRI of queries).
    """
    base = request.app.state.api_settings.public_base
    if not base:
        host, port = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"[{host}]" if ":" in str(host) else host
        base = f"http://{host}" + ("" if port in (80, None) else f":{port}")
    return base.rstrip("/") + path


async def client_of(request: Request) -> tuple[str, bool]:
    """Who a query counts against: the key's name (keyed) or the client's address (anonymous).

    A key that matches nothing is refused (401), never downgraded. Keys found
    once are remembered by their SHA-256 (at most 256), so a scrypt-hashed key
    is not re-derived for every query; unknown keys are checked off the event loop.
    """
    key = presented_key(request)
    if key is None:
        return "address:" + (request.client.host if request.client else "unknown"), False
    import hashlib

    known: dict = request.app.state.known_keys
    digest = hashlib.sha256(key.encode()).digest()
    name = known.get(digest)
    if name is None:
        entry = await run_in_threadpool(request.app.state.keyring.find, key)
        if entry is None:
            raise Problem(401, "the API key is not valid", type_="invalid-key",
                          headers={"WWW-Authenticate": 'Bearer realm="credgraph"'})
        if len(known) >= 256:
            known.clear()
        name = known[digest] = entry.name
    return "key:" + name, True


def _problem_of(failure: QueryFailure) -> Problem:
    if failure.kind == "syntax":
        return Problem(400, failure.message, type_="query-syntax", line=failure.line, column=failure.column)
    # Whose fault a stopped query is (QueryExecutor.why_stopped): the server's (503), the query's own
    # cost (422, as for answers over the size caps) or the client's excess (429, RFC 6585).
    if failure.kind == "timeout":
        return Problem(503, failure.message, type_="query-timeout", headers={"Retry-After": str(failure.retry_after or 5)},
                       **failure.extra)
    if failure.kind == "too_costly":
        return Problem(422, failure.message, type_="query-too-costly", **failure.extra)
    if failure.kind in ("busy", "throttled"):
        return Problem(503 if failure.kind == "busy" else 429, failure.message,
                       type_="busy" if failure.kind == "busy" else "too-many-queries",
                       headers={"Retry-After": str(failure.retry_after or 2)}, **failure.extra)  # seconds
    if failure.kind == "not_acceptable":
        return Problem(406, failure.message, type_="not-acceptable")
    if failure.kind == "too_large":
        return Problem(422, failure.message, type_="result-too-large")
    if failure.kind == "crashed":
        return Problem(422, failure.message, type_="query-too-expensive")
    return Problem(500, f"the query failed: {failure.message}", type_="query-failed")


@router.get("/sparql", summary="SPARQL 1.1 Protocol query (GET); without a query: service description or query page")
async def sparql_get(request: Request) -> Response:
    """Run ``?query=``; without one, answer the query page (browsers) or the service description."""
    text, params = await _operation(request, "query")
    if _one(params, "update") is not None:
        raise Problem(403, "/sparql is read-only; SPARQL Update goes to /sparql/update (POST, admin key)",
                      type_="read-only")
    browser = formats.prefers_html(request.headers.get("accept"))
    if text is None:
        if browser:
            return query_page(request)
        return service_description(request)
    if browser:
        return await _browser_answer(request, text, params)
    return await _answer(request, text, params)


@router.post("/sparql", summary="SPARQL 1.1 Protocol query (POST form or direct)")
async def sparql_post(request: Request) -> Response:
    """Run a query sent as a form (``query=``) or directly (``application/sparql-query``)."""
    text, params = await _operation(request, "query")
    if ("__other__", "update") in params:
        raise Problem(403, "/sparql is read-only; SPARQL Update goes to /sparql/update with an admin key",
                      type_="read-only")
    if text is None:
        raise Problem(400, "no query: send query=... as a form field or the query as application/sparql-query",
                      type_="missing-query")
    return await _answer(request, text, params)


async def sparql_endpoint(scope, receive, send) -> None:
    """/sparql (GET and POST) as a plain ASGI app, for :class:`credgraph.api.app.SparqlFastPath`.

    The same handlers as the routes above, without FastAPI's routing, dependency
    and exception middleware layers, which cost more than a point query itself.
    Errors become the same problem documents as through the app's handlers.
    """
    request = Request(scope, receive)
    try:
        if scope["method"] == "GET":
            response = await sparql_get(request)
        else:
            response = await sparql_post(request)
    except Problem as exc:
        response = problem_response(exc.status, exc.detail, request.url.path, exc.type, exc.title, exc.headers,
                                    **exc.extra)
    except Exception as exc:  # noqa: BLE001 - answered as the app's handler does: the class name only
        logging.getLogger("credgraph.api").error("/sparql failed", exc_info=True)
        response = problem_response(500, f"internal error ({type(exc).__name__})", request.url.path)
    await response(scope, receive, send)


# -- /sparql/update --------------------------------------------------------


@router.post("/sparql/update", summary="SPARQL 1.1 Update (admin key)")
async def sparql_update(request: Request, who: Caller = Depends(require("admin"))) -> Response:
    """Run a SPARQL Update on the public store, in one transaction."""
    text, params = await _operation(request, "update")
    if text is None:
        raise Problem(400, "no update: send update=... as a form field or the update as application/sparql-update",
                      type_="missing-update")
    limits = TextLimits.of(request.app.state.api_settings)
    check_size(text, limits, "update")
    text = await run_in_threadpool(_checked_update, text, params, limits)
    store: GuardedStore | object = request.app.state.store
    base = public_url(request, "/sparql/update")
    try:
        await run_in_threadpool(_run_update, store, text, base, request.app.state.api_settings)
    except SyntaxError as exc:
        failure = syntax_failure(str(exc))
        raise Problem(400, failure.message, type_="update-syntax", line=failure.line, column=failure.column) from exc
    except IsolatedFailure as exc:
        if exc.kind == "timeout":
            raise Problem(503, f"parsing the update: {exc}", type_="update-timeout") from exc
        raise Problem(422, f"the update could not be parsed safely: {exc}; nothing was changed",
                      type_="update-too-expensive") from exc
    return Response(status_code=204)


def _checked_update(text: str, params: list[tuple[str, str]], limits: TextLimits) -> str:
    """The update's refusals (limits first, then SERVICE, LOAD, hidden graphs, dataset clauses); its final text."""
    try:
        for _ in sparql_text.limited_tokens(sparql_text.unescape_codepoints(text), limits.max_tokens,
                                            limits.max_depth, frozenset()):
            pass
    except sparql_text.TooComplex as exc:
        raise too_complex(exc, "update") from None
    if sparql_text.mentions_service(text):
        raise Problem(400, "SERVICE is not allowed: this server never makes outbound requests",
                      type_="service-refused")
    words = {t.text.upper() for t in sparql_text.tokens(sparql_text.unescape_codepoints(text)) if t.kind == "word"}
    if "LOAD" in words:
        raise Problem(400, "LOAD is not allowed: this server never makes outbound requests; "
                      "import files with the credgraph CLI", type_="load-refused")
    hidden = [iri for iri in sparql_text.graph_iris(text) if iri.startswith(HIDDEN_PREFIXES)]
    if hidden:
        raise Problem(400, f"the public store takes no private or quarantine graphs: {hidden[0]}",
                      type_="private-graph-refused")
    using = [("USING", g) for g in _graphs(params, "using-graph-uri")]
    using += [("USING NAMED", g) for g in _graphs(params, "using-named-graph-uri")]
    if using:
        if sparql_text.has_dataset_clause(text):
            raise Problem(400, "the update has its own USING/WITH clause and also using-graph-uri/"
                          "using-named-graph-uri parameters; the protocol forbids both", type_="dataset-conflict")
        text = _with_using(text, using)
    return text


def _with_using(text: str, clauses: list[tuple[str, str]]) -> str:
    # Protocol dataset parameters become USING clauses in front of each WHERE of
    # INSERT/DELETE operations; the IRIs are validated and serialised by pyoxigraph.
    block = " ".join(f"{kw} {ox.NamedNode(g)}" for kw, g in clauses) + " "
    out, last = [], 0
    for pos in sparql_text.using_insert_positions(text):
        out += [text[last:pos], block]
        last = pos
    out.append(text[last:])
    return "".join(out)


def _with_merge_in_step(text: str, merged: str | None) -> str:
    """``text`` and, in the same request (one transaction), what keeps the merged public graph in step.

    Only credgraph's own source and vocabulary graphs are merged: an update
    that names one has its statements copied into the merge, and, if it
    deletes, statements no graph states any more taken out. Other graphs and
    the default graph itself are left as the update writes them (the W3C
    evaluation tests load their own default graph this way).
    """
    named = [g for g in sparql_text.graph_iris(text) if g.startswith((ns.SOURCE_GRAPH, ns.VOCAB_GRAPH))]
    if not named:
        return text
    words = {t.text.upper() for t in sparql_text.tokens(sparql_text.unescape_codepoints(text)) if t.kind == "word"}
    removals = bool(words & {"DELETE", "DROP", "CLEAR", "MOVE", "COPY"})
    operations = update_data.resync_operations(list(dict.fromkeys(named)), merged, removals=removals)
    found = sparql_text.tokens(sparql_text.unescape_codepoints(text))
    ends_with_semicolon = bool(found) and found[-1].kind == "punct" and found[-1].text == ";"
    # A newline first: the text may end in a comment.
    separator = "\n" if ends_with_semicolon else "\n;\n"
    return text + separator + " ;\n".join(operations)


def _parse_update(text: str, base: str) -> None:
    """Parse (and run, on an empty in-memory store) ``text``: in a throwaway process, see :mod:`.sandbox`."""
    from credgraph.graph.store.interface import QuerySyntaxError, open_store

    try:
        open_store("memory:").native_update(text, base_iri=base)
    except QuerySyntaxError as exc:
        raise SyntaxError(str(exc)) from None  # the sandbox hands a SyntaxError back as one


def _run_update(store: GuardedStore, text: str, base: str, settings=None) -> None:
    """Run a client's update on the public store, the merged graph kept in step, in one transaction.

    Through the store's interface: a store that parses in this process has the
    text parsed in a throwaway process first, without harm to the server.
    """
    from credgraph.graph.store.interface import QuerySyntaxError

    text = _with_merge_in_step(text, store.merged_graph)
    if store.parses_in_process:
        timeout = settings.query_timeout_s if settings else 10.0
        memory = settings.worker_memory_mb * 1024 * 1024 if settings else None
        run_isolated(_parse_update, (text, base), timeout, memory)
    try:
        store.native_update(text, base_iri=base)
    except QuerySyntaxError as exc:
        raise SyntaxError(str(exc)) from exc


# -- service description and query page -------------------------------------


def service_description(request: Request) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in a negotiated RDF syntax."""
    fmt = formats.negotiate(request.headers.get("accept"), formats.GRAPH_TYPES, formats.TURTLE)
    if fmt is None:
        raise Problem(406, "the service description is available as Turtle, N-Triples, JSON-LD or RDF/XML",
                      type_="not-acceptable")
    endpoint = ox.NamedNode(public_url(request, "/sparql"))
    sd = lambda term: ox.NamedNode(SD + term)  # noqa: E731
    rdf_type = ox.NamedNode(ns.RDF + "type")
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(endpoint, rdf_type, sd("Service")),
        ox.Triple(endpoint, sd("endpoint"), endpoint),
        ox.Triple(endpoint, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(endpoint, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, rdf_type, sd("Graph")),
        ox.Triple(default_graph, ox.NamedNode(ns.DC + "description"), ox.Literal(_merge_description(request), language="en")),
        ox.Triple(endpoint, ox.NamedNode(ns.DC + "description"), ox.Literal(
            "Public dataset of credgraph: vocabularies, catalogues and pseudonymised issuance records. "
            "Read-only; SERVICE is refused; queries time out and results are capped.", language="en")),
    ]
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        triples.append(ox.Triple(endpoint, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name)))
    body = formats.write_triples(triples, fmt)
    return Response(body, media_type=formats.CONTENT_TYPES[fmt], headers={"Vary": "Accept"})


def _merge_description(request: Request) -> str:
    merged = request.app.state.store.merged_graph
    where = (f" The store keeps it as the named graph <{merged}>, which is not a source and which GRAPH ?g "
             "does not meet." if merged else "")
    return ("The RDF merge of the public named graphs: each statement once, however many sources state it, "
            "kept in step with every import, replace and delete. The named graphs are the sources as imported "
            "(urn:credgraph:source:..., urn:credgraph:vocab:...) and urn:credgraph:meta (provenance, not merged). "
            "FROM / FROM NAMED and default-graph-uri / named-graph-uri choose another dataset." + where)


def query_page(request: Request, text: str | None = None, result: dict | None = None,
               problem: Problem | None = None) -> HTMLResponse:
    """The HTML query page with the named queries as examples; with ``text``, that query in the editor,
    and its ``result`` or the ``problem`` that stopped it (its status is the page's)."""
    examples = [
        {"name": q.name, "title": q.title, "description": q.description, "text": q.text,
         "params": [p.name for p in q.params]}
        for q in queries.all_queries()
        if q.example and not q.is_update
    ]
    error = None
    if problem is not None:
        # One line, as the problem document's detail (never a traceback), with the parser's position.
        where = problem.extra.get("line")
        error = " ".join(str(problem.detail).split()) + (
            f" (line {where}, column {problem.extra.get('column')})" if where else "")
    html = request.app.state.templates.get_template("query.html").render(
        examples=examples, endpoint=public_url(request, "/sparql"),
        timeout=request.app.state.api_settings.query_timeout_s,
        row_cap=request.app.state.api_settings.row_cap,
        text=text, result=result, error=error, page_rows=formats.PAGE_ROWS,
    )
    headers = {"Vary": "Accept"}
    if problem is not None and problem.headers:
        headers.update(problem.headers)
    return HTMLResponse(html, status_code=problem.status if problem else 200, headers=headers)
