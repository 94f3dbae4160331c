"""uvicorn's HTTP protocol with a deadline for the request head.

uvicorn closes idle keep-alive connections, but a connection that sends half
a request head (or nothing at all) is held open for as long as the client
likes: a thousand such connections were all still open after minutes. This
protocol closes a connection whose request head is not complete within
``head_timeout_s`` of its first byte (or of the connection, for the first
request). Stalled bodies are the application's business
(:class:`credgraph.api.app.BodyLimit`, 408).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def protocol_with_head_timeout(head_timeout_s: float) -> type:
    """A :class:`HttpToolsProtocol` subclass that enforces ``head_timeout_s``."""

    class HeadTimeoutProtocol(HttpToolsProtocol):
        _head_timer = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout_s, self._head_timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutProtocol
