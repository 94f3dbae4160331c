"""Fair shares of the query workers: per client, with a reserve for keyed users.

Without this, four anonymous clients looping heavy queries held every query
slot and ordinary queries waited, then got 503. Admission here decides, on
the event loop, whether a query may take a slot:

- a client (its API key's name, else its address) runs at most ``per_client``
  queries at once; its further ones wait;
- anonymous queries together never take the last ``reserved`` slots, which
  stay free for keyed users (researchers, agencies, ...);
- a query that cannot start within ``wait_s`` is refused: 503 ``busy`` with
  ``Retry-After``.

Waiting costs a suspended coroutine, not a thread.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager


class Busy(Exception):
    """No slot within the wait; ``reason`` says which share was full."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FairShares:
    """Admission to ``slots`` query slots, fair per client (see the module docstring)."""

    def __init__(self, slots: int, per_client: int, reserved: int, wait_s: float) -> None:
        self.slots = slots
        self.per_client = per_client
        self.reserved = reserved
        self.wait_s = wait_s
        self.running = 0
        self.by_client: Counter[str] = Counter()
        self._changed: asyncio.Condition | None = None

    def _may_start(self, client: str, keyed: bool) -> bool:
        limit = self.slots if keyed else self.slots - self.reserved
        return self.running < limit and self.by_client[client] < self.per_client

    def _why_not(self, client: str, keyed: bool) -> str:
        if self.by_client[client] >= self.per_client:
            return f"this client already runs {self.per_client} quer{'y' if self.per_client == 1 else 'ies'} (its share)"
        if not keyed and self.running >= self.slots - self.reserved:
            return "the slots open to anonymous clients are all in use"
        return "every query slot is in use"

    @asynccontextmanager
    async def slot(self, client: str, keyed: bool):
        """Hold one slot for ``client`` while the block runs; :class:`Busy` if none frees up within the wait."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        changed = self._changed
        async with changed:
            if not self._may_start(client, keyed):
                try:
                    await asyncio.wait_for(changed.wait_for(lambda: self._may_start(client, keyed)), self.wait_s)
                except asyncio.TimeoutError:
                    raise Busy(self._why_not(client, keyed)) from None
            self.running += 1
            self.by_client[client] += 1
        try:
            yield
        finally:
            async with changed:
                self.running -= 1
                self.by_client[client] -= 1
                if not self.by_client[client]:
                    del self.by_client[client]
                changed.notify_all()
