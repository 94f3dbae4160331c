"""An access log for ``credgraph serve --access-log``: one line per request, without query strings.

Query strings are left out on purpose: a SPARQL query or a search may carry
anything a client typed, and logs must never collect it (nor personal data
that a careless client put in a URL). A line names the time, the client
address, method, path, status, response bytes and duration::

    2026-12-06T16:20:01Z 127.0.0.1 GET /api/v1/catalogue 200 5123 3.1ms
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TextIO


class AccessLog:
    """ASGI middleware writing one line per HTTP request to ``stream`` (flushed at once)."""

    def __init__(self, app, stream: TextIO) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 0, 0

        async def counting_send(message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            client = (scope.get("client") or ("-", 0))[0]
            when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            took = (time.perf_counter() - started) * 1000
            # The path as decoded by the server, with control characters escaped (one line per request).
            path = scope.get("path", "").encode("unicode_escape").decode("ascii")
            self.stream.write(f"{when} {client} {scope['method']} {path} {status or '-'} {size} {took:.1f}ms\n")
            self.stream.flush()
