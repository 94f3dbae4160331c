"""The application factory: ``create_app(workspace)`` -> FastAPI.

Routes: ``/sparql`` and ``/sparql/update`` (:mod:`.routes_sparql`), ``/id/...``
linked data (:mod:`.routes_ld`), REST under ``/api/v1/`` (:mod:`.routes_rest`),
OpenAPI at ``/openapi.json``, the built static site at ``/``
when one is configured. Every error is an RFC 9457 problem document.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from credgraph import __version__
from credgraph.api import problems
from credgraph.api.audit import AuditLog
from credgraph.api.config import ApiSettings
from credgraph.api.executor import executor_for
from credgraph.api.fairness import FairShares
from credgraph.api.guarded_store import GuardedStore
from credgraph.api.keys import KeyRing
from credgraph.graph.workspace import Workspace


class BodyLimit:
    """Refuse request bodies above ``limit`` bytes with 413, before any route reads them.

    A body that stalls for ``read_timeout_s`` between two chunks is answered
    408: a slow client cannot hold a request open indefinitely.
    """

    def __init__(self, app, limit: int, read_timeout_s: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(scope, receive, send)
        # Read the body here (bounded) so that a chunked body cannot exceed the limit either.
        chunks, size, more = [], 0, True
        while more:
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout_s)
            except asyncio.TimeoutError:
                response = problems.problem_response(
                    408, f"the request body stalled for {self.read_timeout_s:g} s; nothing was read or changed",
                    scope.get("path", ""), type_="body-timeout", headers={"Connection": "close"})
                return await response(scope, receive, send)
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self._refuse(scope, receive, send)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        response = problems.problem_response(
            413, f"the request body is larger than the limit of {self.limit} bytes; nothing was read or changed",
            scope.get("path", ""), type_="body-too-large", limit=self.limit)
        await response(scope, receive, send)


# Every response: no MIME sniffing, no referrer beyond this site. HTML pages also
# get a policy that allows only this server's own scripts, styles and images and
# forbids framing (the query page and the site load nothing from elsewhere).
COMMON_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
HTML_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                 b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]


class Hardening:
    """The outermost of the app's middleware: HEAD as GET without a body, 405 with ``Allow``, security headers.

    ``allowed(scope)`` answers the methods the app's routes take on the path
    (an empty set when no route has it: the static site or 404 decide).

    An unexpected exception from inside is answered here, as the app's own
    error handler would (a problem document naming the class only), so that a
    500 gets the security headers too; it is then raised on, and Starlette's
    outermost error layer, seeing the answer started, only reports it.
    """

    def __init__(self, app, allowed) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        started = False

        async def send_hardened(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                headers += [h for h in COMMON_HEADERS if h[0] not in names]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers += [h for h in HTML_HEADERS if h[0] not in names]
                message = dict(message, headers=headers)
            elif head and message["type"] == "http.response.body":
                message = dict(message, body=b"")
            await send(message)

        if scope["method"] != "OPTIONS" and not (scope["path"] == "/sparql" and scope["method"] in ("GET", "POST")):
            methods = self.allowed(scope)
            if methods and scope["method"] not in methods:
                allow = sorted(methods | ({"HEAD"} if "GET" in methods else set()) | {"OPTIONS"})
                response = problems.problem_response(
                    405, f"{scope['method']} is not allowed on {scope['path']}; allowed: {', '.join(allow)}",
                    scope["path"], type_="method-not-allowed", headers={"Allow": ", ".join(allow)})
                return await response(scope, receive, send_hardened)
        try:
            await self.app(scope, receive, send_hardened)
        except Exception as exc:
            if not started:
                # Never echo internals (they could quote data): the class name only, as problems.install does.
                response = problems.problem_response(500, f"internal error ({type(exc).__name__})", scope["path"])
                await response(scope, receive, send_hardened)
            raise


CORS_OPTIONS = dict(
    allow_origins=["*"],
    allow_methods=["GET", "POST", "OPTIONS"],
    allow_headers=["Accept", "Content-Type", "Authorization", "X-API-Key"],
    expose_headers=["X-Credgraph-Truncated", "X-Credgraph-Row-Cap", "Link"],
    max_age=3600,
)


class SparqlFastPath:
    """ASGI middleware: SPARQL queries (GET/POST ``/sparql``) answered ahead of FastAPI's routing.

    A point query takes a tenth of a millisecond; FastAPI's routing, dependency
    and exception layers took several times that. Query requests go straight
    to :func:`~credgraph.api.routes_sparql.sparql_endpoint`, behind the same
    body limit and the same CORS middleware (Starlette's, composed here as a
    plain ASGI app) as every other route; everything else (preflight
    ``OPTIONS`` included) goes on through the app. The ``/sparql`` routes stay
    registered for the OpenAPI document. Added just before :class:`Hardening`,
    so it runs first among the app's middleware after it.
    """

    def __init__(self, app, endpoint, max_body_bytes: int, read_timeout_s: float = 30.0) -> None:
        self.app = app
        self.endpoint = endpoint
        self.fast = BodyLimit(CORSMiddleware(endpoint, **CORS_OPTIONS), limit=max_body_bytes, read_timeout_s=read_timeout_s)

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and not scope.get("root_path")
            and scope["method"] in ("GET", "POST")
        ):
            await self.fast(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RouteMethods:
    """Which methods the app's own routes take on a path (not the mounted site): for 405 with ``Allow``.

    Built once from the OpenAPI document (the public description of every
    route), so it does not depend on how FastAPI nests included routers.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._table: list[tuple[re.Pattern, set[str]]] | None = None

    def _build(self) -> list[tuple[re.Pattern, set[str]]]:
        table = []
        for template, operations in self.app.openapi().get("paths", {}).items():
            parts = re.split(r"(\{[^}]+\})", template)
            last = max((i for i, part in enumerate(parts) if part.startswith("{")), default=-1)
            pattern = "".join(
                (".+" if i == last else "[^/]+") if part.startswith("{") else re.escape(part)
                for i, part in enumerate(parts)
            )
            methods = {m.upper() for m in operations if m.lower() in {"get", "post", "put", "delete", "patch"}}
            table.append((re.compile(pattern + "$"), methods))
        return table

    def __call__(self, scope) -> set[str]:
        """The methods of the routes whose path matches (empty: no route of the app has this path)."""
        if self._table is None:
            self._table = self._build()
        methods: set[str] = set()
        for pattern, taken in self._table:
            if pattern.match(scope["path"]):
                methods |= taken
        return methods


def create_app(workspace: Workspace, api_settings: ApiSettings | None = None) -> FastAPI:
    """The credgraph HTTP API over ``workspace`` (public store, private store, settings)."""
    settings = api_settings or ApiSettings.for_workspace(workspace.settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from credgraph.graph.services import issuance_stats

        # Stacking completions are the one dear statistic: read (or loaded from the kept file) while
        # the server already answers, so that the first request does not pay for it.
        issuance_stats.warm_completions(workspace.learners, issuance_stats.completions_file(workspace.settings))
        yield
        close = getattr(app.state.executor, "close", None)
        if close:
            close()  # stop the idle query workers

    app = FastAPI(
        lifespan=lifespan,
        # FastAPI's Swagger UI and ReDoc pages load their code from a CDN; the
        # server makes no page that requests anything from outside: /docs is
        # served from packaged files instead (routes_docs).
        docs_url=None,
        redoc_url=None,
        title="credgraph API",
        version=__version__,
        description="Catalogue, stacking, equivalence, recognition and issuance statistics of European "
        "digital micro-credentials (ELM 3.1); a SPARQL 1.1 endpoint over the public dataset; linked data for "
        "every IRI credgraph mints. Errors are RFC 9457 problem documents.",
    )
    from credgraph.graph.store import consistency

    consistency.ensure(workspace)  # documents half-written by a killed import are dropped before serving
    # Services that take the workspace (ingest), and whoever else holds it, write through the gate too.
    store = workspace.store if isinstance(workspace.store, GuardedStore) else workspace.wrap_store(GuardedStore)
    app.state.workspace = workspace
    app.state.store = store
    app.state.api_settings = settings
    mib = 1024 * 1024
    app.state.executor = executor_for(store, settings.query_timeout_s, settings.row_cap,
                                      settings.max_concurrent_queries, queue_wait_s=settings.queue_wait,
                                      max_result_bytes=settings.max_result_bytes,
                                      per_client=settings.client_share, reserved_for_keyed=settings.keyed_reserve,
                                      long_slots=settings.long_share, queued_per_client=settings.queued_per_client,
                                      memory_bytes=settings.worker_memory_mb * mib,
                                      recycle_bytes=settings.recycle_worker_mb * mib)
    # Anonymous /validate and /verify share a few slots, one per address (routes_rest.anonymous_document_share).
    app.state.document_shares = FairShares(settings.max_anonymous_validations, per_client=1, reserved=0, wait_s=2.0)
    app.state.research_executor = None  # the researcher view of /sparql: made on first use (routes_sparql)
    app.state.keyring = KeyRing.load(settings.keys_file)
    app.state.known_keys = {}  # SHA-256 of a key -> its name, for /sparql's fair shares (routes_sparql.client_of)
    app.state.audit = AuditLog(settings.audit_log)
    app.state.templates = Environment(loader=PackageLoader("credgraph.api", "templates"),
                                      autoescape=select_autoescape(["html"]))
    problems.install(app)

    from credgraph.api import routes_docs, routes_issue, routes_ld, routes_rest, routes_sparql

    app.include_router(routes_docs.router)
    app.mount(routes_docs.ASSETS_PATH, StaticFiles(directory=routes_docs.ASSETS_DIR), name="docs-assets")
    app.include_router(routes_sparql.router)
    app.include_router(routes_ld.router)
    app.include_router(routes_rest.router, prefix="/api/v1")
    app.include_router(routes_issue.router, prefix="/api/v1")
    static = resources.files("credgraph.api") / "static"
    app.mount("/api-static", StaticFiles(directory=str(static)), name="api-static")
    if settings.site_dir and Path(settings.site_dir).is_dir():
        app.mount("/", StaticFiles(directory=str(settings.site_dir), html=True), name="site")
    app.add_middleware(CORSMiddleware, **CORS_OPTIONS)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, read_timeout_s=settings.body_timeout_s)
    app.add_middleware(SparqlFastPath, endpoint=routes_sparql.sparql_endpoint, max_body_bytes=settings.max_body_bytes,
                       read_timeout_s=settings.body_timeout_s)
    # Added last: the outermost of the app's middleware (only Starlette's error layer is outside it).
    app.add_middleware(Hardening, allowed=RouteMethods(app))
    return app
