"""Fair shares of the query workers: per client, with a reserve for keyed users.

Without this, four anonymous clients looping heavy queries held every query
slot and ordinary queries waited, then got 503. Admission here decides, on
the event loop, whether a query may take a slot:

- a client (its API key's name, else its address) runs at most ``per_client``
  queries at once; its further ones wait;
- anonymous queries together never take the last ``reserved`` slots, which
  stay free for keyed users (researchers, agencies, ...);
- a client whose queries recently ran long is *heavy*: each query adds the
  time it ran beyond ``heavy_after_s / 2`` to the client's account, which
  decays with a half-life of ``half_life_s``; over ``heavy_after_s`` the
  client is heavy. One query stopped at the timeout is enough; ordinary
  queries, even slow ones on a loaded machine, add nothing. Heavy clients
  together hold at most ``heavy_slots`` slots (default a quarter), so the
  others always find one soon;
- when a client that is not heavy waits and every slot it may use is taken,
  the query that has run longest, if longer than ``heavy_after_s``, is
  stopped early to free its slot (its client gets 503 ``query-timeout``):
  before a heavy client is known as one, its first long query would
  otherwise hold a slot for a whole timeout;
- a query that cannot start within ``wait_s`` (a heavy client's: 1 s) is
  refused: 503 ``busy`` with ``Retry-After``.

Waiting costs a suspended coroutine, not a thread.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from contextlib import asynccontextmanager


class Busy(Exception):
    """No slot within the wait; ``reason`` says which share was full."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ticket:
    """One admitted query: its client, when it started, and how to stop it early (set by the executor)."""

    def __init__(self, client: str, heavy: bool) -> None:
        self.client = client
        self.heavy = heavy
        self.started = time.monotonic()
        self.preempt = None  # a callable that stops the query's work, once it has a worker
        self.preempted = False


class FairShares:
    """Admission to ``slots`` query slots, fair per client (see the module docstring)."""

    def __init__(self, slots: int, per_client: int, reserved: int, wait_s: float,
                 heavy_after_s: float | None = None, heavy_slots: int | None = None,
                 half_life_s: float = 30.0) -> None:
        self.slots = slots
        self.per_client = per_client
        self.reserved = reserved
        self.wait_s = wait_s
        self.heavy_after_s = heavy_after_s
        self.heavy_slots = heavy_slots if heavy_slots is not None else max(1, slots // 4)
        self.half_life_s = half_life_s
        self.running = 0
        self.running_heavy = 0
        self.by_client: Counter[str] = Counter()
        self._usage: dict[str, tuple[float, float]] = {}  # client -> (seconds used, when last updated)
        self.tickets: set[Ticket] = set()
        self._changed: asyncio.Condition | None = None

    def usage(self, client: str, now: float | None = None) -> float:
        """Worker seconds ``client`` used recently (exponentially decayed)."""
        used, when = self._usage.get(client, (0.0, 0.0))
        now = time.monotonic() if now is None else now
        return used * math.exp(-(now - when) * math.log(2) / self.half_life_s) if used else 0.0

    def heavy(self, client: str) -> bool:
        return self.heavy_after_s is not None and self.usage(client) > self.heavy_after_s

    def _charge(self, client: str, seconds: float) -> None:
        if seconds <= 0:
            return
        now = time.monotonic()
        self._usage[client] = (self.usage(client, now) + seconds, now)
        if len(self._usage) > 10_000:  # forget clients whose usage has decayed away
            self._usage = {c: u for c, u in self._usage.items() if self.usage(c, now) > 0.01}

    def _preempt_longest(self, waiting: str) -> None:
        """Stop the longest-running query of another client if it has run past ``heavy_after_s``."""
        if self.heavy_after_s is None or self.by_client[waiting] >= self.per_client:
            return
        now = time.monotonic()
        candidates = [t for t in self.tickets if t.client != waiting and t.preempt is not None and not t.preempted
                      and now - t.started > self.heavy_after_s]
        if candidates:
            longest = min(candidates, key=lambda t: t.started)
            longest.preempted = True
            longest.preempt()

    def _may_start(self, client: str, keyed: bool, heavy: bool) -> bool:
        limit = self.slots if keyed else self.slots - self.reserved
        return (self.running < limit and self.by_client[client] < self.per_client
                and (not heavy or self.running_heavy < self.heavy_slots))

    def _why_not(self, client: str, keyed: bool, heavy: bool) -> str:
        if self.by_client[client] >= self.per_client:
            return f"this client already runs {self.per_client} quer{'y' if self.per_client == 1 else 'ies'} (its share)"
        if heavy and self.running_heavy >= self.heavy_slots:
            return "this client used much query time recently, and the slots for such clients are in use"
        if not keyed and self.running >= self.slots - self.reserved:
            return "the slots open to anonymous clients are all in use"
        return "every query slot is in use"

    @asynccontextmanager
    async def slot(self, client: str, keyed: bool):
        """Hold one slot for ``client`` while the block runs; :class:`Busy` if none frees up within the wait."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        changed = self._changed
        heavy = self.heavy(client)
        async with changed:
            deadline = time.monotonic() + (min(self.wait_s, 1.0) if heavy else self.wait_s)
            while not self._may_start(client, keyed, heavy):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Busy(self._why_not(client, keyed, heavy))
                if not heavy:
                    self._preempt_longest(client)
                try:
                    await asyncio.wait_for(changed.wait(), min(left, 0.25))
                except asyncio.TimeoutError:
                    pass
            self.running += 1
            self.running_heavy += heavy
            self.by_client[client] += 1
            ticket = Ticket(client, heavy)
            self.tickets.add(ticket)
        try:
            yield ticket
        finally:
            self.tickets.discard(ticket)
            self._charge(client, time.monotonic() - ticket.started - (self.heavy_after_s or 0) / 2)
            async with changed:
                self.running -= 1
                self.running_heavy -= heavy
                self.by_client[client] -= 1
                if not self.by_client[client]:
                    del self.by_client[client]
                changed.notify_all()
