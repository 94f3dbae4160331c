"""Fair shares of the query workers: a fair queue per client, a reserve for keyed users, a share for long queries.

Without this, four anonymous clients looping heavy queries held every query
slot and ordinary queries waited, then got 503. Admission is decided here, on
the event loop, for each query:

- a client (its API key's name, else its address) runs at most ``per_client``
  queries at once; its further ones wait in the queue, at most
  ``queued_per_client`` of them: one more is refused at once with **429**
  (the client's own excess, RFC 6585), as is a query still waiting at the end
  of its wait only because of the client's own share;
- anonymous queries together never take the last ``reserved`` slots, which
  stay free for keyed users (researchers, agencies, ...);
- **long queries leave the ordinary slots**: a query still running after
  ``LONG_QUERY_S`` (the executor tells, see :meth:`Ticket.ran_long`) moves to
  the share for long queries (``long_slots``) while it has room, freeing its
  ordinary slot: short queries never queue behind long ones. The executor runs
  long queries' workers below everything else in CPU priority, so they take
  what the server and the short queries leave;
- a client whose queries recently ran long is *heavy*: each query adds the
  time it held its slot beyond ``heavy_after_s / 2`` to the client's account,
  which decays with a half-life of ``half_life_s``; over ``heavy_after_s`` the
  client is heavy. One query stopped at the timeout is enough. A query whose
  worker spent less than ``LIGHT_CPU_S`` of CPU on it adds nothing, however
  slow a busy machine made it (readers whose point queries took seconds on an
  overloaded machine were held back as heavy); where the executor cannot tell
  (a remote store), the time alone counts. Heavy clients
  together hold at most ``heavy_slots`` slots and wait at most 1 s (then 429,
  whatever was full: its own use is why it waits no longer; ``Retry-After``
  is the time until its account has decayed under the threshold);
- **the queue is fair**: whenever a slot frees, the waiting queries that may
  start are admitted lightest client first (least recent query time), in
  arrival order among equals, so a client that used little is never behind
  one that used much;
- when a client that is not heavy waits and every slot it may use is taken,
  the query in an ordinary slot that has run longest, if longer than
  ``heavy_after_s`` and with at least ``LIGHT_CPU_S`` of CPU used, is stopped
  early to free its slot (its client gets 429 ``too-many-queries``: its own
  excess, with ``Retry-After`` the time its account needs to decay); one at a
  time: none while a stopped query's slot is still on its way back (under load
  that took longer than a round of the wait, and a second query was stopped);
- a query that cannot start within ``wait_s`` although its client is within
  its share is refused as the server being busy: **503** ``busy`` with
  ``Retry-After``.

Waiting costs a suspended coroutine, not a thread. Everything here runs on
the event loop's thread (no locks); :meth:`Ticket.ran_long_threadsafe` is
for callers on other threads.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import Counter
from contextlib import asynccontextmanager

# A query still running after this many seconds is long (see the module docstring).
LONG_QUERY_S = 0.5
# A query whose worker spent less CPU than this on it is never charged to its client's account: an
# ordinary lookup or join costs a few milliseconds, however long a loaded machine makes it wait, while
# a query that runs into the timeout gets far more even as the lowest-priority process of a busy machine.
LIGHT_CPU_S = 0.1
# A query stopped at the deadline that had at least this share of one core for the whole timeout is too
# costly in itself (422: on an idle server it would get at most about twice that, and a query at half a core
# for 10 s is far beyond any lookup or join of the public dataset); with less but at least LIGHT_CPU_S it was
# charged to its client like any long query, and its stop is that client's excess (429); below LIGHT_CPU_S
# its worker hardly ran and the machine was overloaded (503). See QueryExecutor.why_stopped.
COSTLY_CPU_SHARE = 0.5


class Busy(Exception):
    """No slot within the wait; ``reason`` says which share was full.

    ``own``: the client's own share (or queue) was the limit, not the server's
    capacity (HTTP: 429, else 503); ``retry_after``: seconds worth waiting.
    """

    def __init__(self, reason: str, own: bool = False, retry_after: int = 2) -> None:
        super().__init__(reason)
        self.reason = reason
        self.own = own
        self.retry_after = retry_after


class Ticket:
    """One admitted query: its client, when it started, and how to stop it early (set by the executor)."""

    def __init__(self, shares: "FairShares", client: str, heavy: bool) -> None:
        self.shares = shares
        self.client = client
        self.heavy = heavy
        self.started = time.monotonic()
        self.preempt = None  # a callable that stops the query's work, once it has a worker
        self.preempted = False
        self.long = False  # moved to the share for long queries
        self.cpu_s: float | None = None  # CPU seconds its worker spent on it (set by the executor when it can tell)
        self.cpu_used = None  # a callable: CPU seconds so far, while it runs (set by the executor when it can tell)
        self.released = False
        self._loop = asyncio.get_running_loop()

    def ran_long(self) -> None:
        """The query has run ``LONG_QUERY_S``: move it to the long share if there is room (event loop thread)."""
        self.shares._ran_long(self)

    def ran_long_threadsafe(self) -> None:
        """:meth:`ran_long` from another thread."""
        self._loop.call_soon_threadsafe(self.ran_long)


class _Waiter:
    def __init__(self, client: str, keyed: bool, heavy: bool, order: int) -> None:
        self.client = client
        self.keyed = keyed
        self.heavy = heavy
        self.order = order
        self.granted: asyncio.Future = asyncio.get_running_loop().create_future()


class FairShares:
    """Admission to ``slots`` query slots (plus ``long_slots`` for long queries), fair per client."""

    def __init__(self, slots: int, per_client: int, reserved: int, wait_s: float,
                 heavy_after_s: float | None = None, heavy_slots: int | None = None,
                 half_life_s: float = 30.0, long_slots: int = 0, queued_per_client: int = 8) -> None:
        self.slots = slots
        self.per_client = per_client
        self.reserved = reserved
        self.wait_s = wait_s
        self.heavy_after_s = heavy_after_s
        self.heavy_slots = heavy_slots if heavy_slots is not None else max(1, slots // 4)
        self.half_life_s = half_life_s
        self.long_slots = long_slots
        self.queued_per_client = queued_per_client
        self.running = 0  # queries in ordinary slots
        self.running_long = 0  # queries moved to the long share
        self.running_heavy = 0
        self.by_client: Counter[str] = Counter()  # running queries per client, both shares
        self._usage: dict[str, tuple[float, float]] = {}  # client -> (seconds used, when last updated)
        self.tickets: set[Ticket] = set()
        self.waiters: list[_Waiter] = []
        self._arrivals = itertools.count()

    # -- accounts ----------------------------------------------------------

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

    def _light_again_in(self, client: str) -> int:
        """Seconds until a heavy client's account has decayed under the threshold (for Retry-After)."""
        used = self.usage(client)
        if not self.heavy_after_s or used <= self.heavy_after_s:
            return 1
        return max(1, math.ceil(self.half_life_s * math.log2(used / self.heavy_after_s)))

    # -- admission ---------------------------------------------------------

    def _may_start(self, client: str, keyed: bool, heavy: bool) -> bool:
        limit = self.slots if keyed else self.slots - self.reserved
        return (self.running < limit and self.by_client[client] < self.per_client
                and (not heavy or self.running_heavy < self.heavy_slots))

    def _own_limit(self, client: str, heavy: bool) -> bool:
        """True when the client's own doing keeps it waiting: its share is full, or it is heavy (waits 1 s only)."""
        return heavy or self.by_client[client] >= self.per_client

    def _why_not(self, client: str, keyed: bool, heavy: bool) -> str:
        if self.by_client[client] >= self.per_client:
            return f"this client already runs {self.per_client} quer{'y' if self.per_client == 1 else 'ies'} (its share)"
        if heavy and self.running_heavy >= self.heavy_slots:
            return "this client used much query time recently, and the slots for such clients are in use"
        if not keyed and self.running >= self.slots - self.reserved:
            return "the slots open to anonymous clients are all in use"
        return "every query slot is in use"

    def _admit(self, waiter: _Waiter) -> None:
        waiter.granted.set_result(self._grant(waiter.client, waiter.heavy))

    def _grant(self, client: str, heavy: bool) -> Ticket:
        self.running += 1
        self.running_heavy += heavy
        self.by_client[client] += 1
        ticket = Ticket(self, client, heavy)
        self.tickets.add(ticket)
        return ticket

    def _dispatch(self) -> None:
        """Admit every waiting query that may start now: lightest client first, then in arrival order."""
        if not self.waiters:
            return
        now = time.monotonic()
        for waiter in sorted(self.waiters, key=lambda w: (w.heavy, self.usage(w.client, now), w.order)):
            if not waiter.granted.done() and self._may_start(waiter.client, waiter.keyed, waiter.heavy):
                self._admit(waiter)
        self.waiters = [w for w in self.waiters if not w.granted.done()]

    def _preempt_longest(self, waiting: str) -> None:
        """Stop the longest-running query of another client if it has run past ``heavy_after_s``."""
        if self.heavy_after_s is None or self.by_client[waiting] >= self.per_client:
            return
        if any(t.preempted for t in self.tickets):  # a stop is in flight: its slot is on its way (one per wait)
            return
        now = time.monotonic()
        # Never a query that has done little work: it is slow because the machine is busy, not costly.
        candidates = [t for t in self.tickets if t.client != waiting and t.preempt is not None and not t.preempted
                      and not t.long and now - t.started > self.heavy_after_s
                      and (t.cpu_used is None or t.cpu_used() >= LIGHT_CPU_S)]
        if candidates:
            longest = min(candidates, key=lambda t: t.started)
            longest.preempted = True
            longest.preempt()

    def _ran_long(self, ticket: Ticket) -> None:
        if ticket.long or ticket.released or self.running_long >= self.long_slots:
            return
        ticket.long = True
        self.running -= 1
        self.running_long += 1
        self._dispatch()

    def _release(self, ticket: Ticket) -> None:
        if ticket.released:
            return
        ticket.released = True
        self.tickets.discard(ticket)
        # A query that did little work is never charged, however slow a busy machine made it.
        if ticket.cpu_s is None or ticket.cpu_s >= LIGHT_CPU_S:
            self._charge(ticket.client, time.monotonic() - ticket.started - (self.heavy_after_s or 0) / 2)
        if ticket.long:
            self.running_long -= 1
        else:
            self.running -= 1
        self.running_heavy -= ticket.heavy
        self.by_client[ticket.client] -= 1
        if not self.by_client[ticket.client]:
            del self.by_client[ticket.client]
        self._dispatch()

    @asynccontextmanager
    async def slot(self, client: str, keyed: bool):
        """Hold one slot for ``client`` while the block runs; :class:`Busy` if none frees up within the wait."""
        heavy = self.heavy(client)
        if not self.waiters and self._may_start(client, keyed, heavy):
            # Nobody waits and there is room: admitted at once (as a lone waiter would be, minus the queue).
            ticket = self._grant(client, heavy)
            try:
                yield ticket
            finally:
                self._release(ticket)
            return
        queued = sum(1 for w in self.waiters if w.client == client)
        if queued >= self.queued_per_client:
            raise Busy(f"this client already has {queued} queries waiting (its queue)", own=True, retry_after=1)
        waiter = _Waiter(client, keyed, heavy, next(self._arrivals))
        self.waiters.append(waiter)
        self._dispatch()
        deadline = time.monotonic() + (min(self.wait_s, 1.0) if heavy else self.wait_s)
        try:
            while not waiter.granted.done():
                left = deadline - time.monotonic()
                if left <= 0:
                    self.waiters.remove(waiter)
                    own = self._own_limit(client, heavy)
                    raise Busy(self._why_not(client, keyed, heavy), own=own,
                               retry_after=self._light_again_in(client) if heavy else (1 if own else 2))
                if not heavy:
                    self._preempt_longest(client)
                try:
                    await asyncio.wait_for(asyncio.shield(waiter.granted), min(left, 0.25))
                except asyncio.TimeoutError:
                    pass
        except BaseException:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(waiter.granted.result())  # granted as the wait was cancelled: give it back
            elif waiter in self.waiters:
                self.waiters.remove(waiter)
            raise
        ticket = waiter.granted.result()
        try:
            yield ticket
        finally:
            self._release(ticket)
