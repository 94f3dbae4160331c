"""Running public SPARQL queries with a timeout that really stops the work: jobs, answers, failures, admission.

pyoxigraph has no query timeout and cannot be interrupted from Python, so an
embedded store runs each public query in a worker process forked from the
server (:mod:`credgraph.api.worker_pool`, the worker itself in
:mod:`credgraph.api.query_worker`, its answers written by
:mod:`credgraph.api.answer_writers`); the server kills it with SIGKILL when
the deadline passes. A remote store (any SPARQL 1.1 endpoint) gets the query
over HTTP with the same deadline (:mod:`credgraph.api.remote_executor`);
stopping the work there is the remote server's job (``oxigraph serve
--timeout-s``). :func:`executor_for` picks one from the store's
``forkable`` capability.

Which client's query may take a worker, and when, is decided by
:class:`~credgraph.api.fairness.FairShares` (a fair queue per client, a
reserve for keyed users, a share for long queries): a client over its own
share is told to back off (``throttled``: 429), a query that finds no slot
within the queue's wait although its client is within its share is refused
as the server being busy (``busy``: 503).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from credgraph.api.fairness import COSTLY_CPU_SHARE, LIGHT_CPU_S, Busy, FairShares
from credgraph.graph.store.interface import Store

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.S)


@dataclass(frozen=True)
class QueryJob:
    """One protocol request, ready to run.

    ``formats`` maps the result kind (``boolean``, ``solutions``, ``graph``) to the
    negotiated canonical format, or None when the client accepts none for it.
    ``default_graphs``/``named_graphs``: the protocol dataset (None: the
    query's own FROM / FROM NAMED, or else the public dataset, whose default
    graph is the merged public graph; see :mod:`credgraph.graph.store.interface`).
    """

    text: str
    formats: dict[str, str | None]
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised result; ``count``: rows or triples, None when they were not counted."""

    body: bytes
    format: str
    kind: str
    count: int | None
    truncated: bool
    retire: bool = False  # the worker grew past its recycling threshold while answering


@dataclass
class QueryFailure(Exception):
    """A query that could not be answered; ``kind`` decides the HTTP status.

    ``retry_after``: seconds after which trying again is worth it (busy, throttled, timeout).
    """

    kind: str  # syntax | timeout | too_costly | busy | throttled | not_acceptable | too_large | crashed | failed
    message: str
    line: int | None = None
    column: int | None = None
    extra: dict = field(default_factory=dict)
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.message


def syntax_failure(message: str) -> QueryFailure:
    """A syntax failure with the parser's line and column when it gives them."""
    match = _POSITION.match(message.strip())
    if match:
        return QueryFailure("syntax", message.strip(), int(match.group(1)), int(match.group(2)))
    return QueryFailure("syntax", message.strip())


class QueryExecutor:
    """Runs :class:`QueryJob` s under a deadline, a row cap and fair admission (see the module docstring).

    ``max_concurrent`` ordinary slots, plus ``long_slots`` for queries that run
    long (0: half of ``max_concurrent``, at least one); ``per_client`` queries
    per client at once, ``queued_per_client`` more waiting;
    ``reserved_for_keyed`` slots anonymous clients never take.
    """

    def __init__(self, timeout_s: float, row_cap: int, max_concurrent: int, queue_wait_s: float = 5.0,
                 max_result_bytes: int = 32 * 1024 * 1024, per_client: int | None = None,
                 reserved_for_keyed: int = 0, long_slots: int = 0, queued_per_client: int = 8) -> None:
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_result_bytes = max_result_bytes
        self.queue_wait_s = queue_wait_s
        long_slots = long_slots or max(1, max_concurrent // 2)
        # Every worker at once, long ones included (callers of the blocking run() bypass the fair shares).
        self._slots = threading.BoundedSemaphore(max_concurrent + long_slots)
        # A client that used half a timeout of worker time recently is heavy (see fairness): one query
        # stopped at the deadline is enough.
        self.shares = FairShares(max_concurrent, per_client or max_concurrent, reserved_for_keyed, queue_wait_s,
                                 heavy_after_s=timeout_s / 2, long_slots=long_slots,
                                 queued_per_client=queued_per_client)

    async def run_for(self, job: QueryJob, client: str, keyed: bool) -> QueryAnswer:
        """Run ``job`` for ``client`` within its fair share (:mod:`credgraph.api.fairness`)."""
        self.shares.wait_s = self.queue_wait_s
        try:
            try:
                async with self.shares.slot(client, keyed) as ticket:
                    try:
                        return await self.run_async(job, ticket)
                    except QueryFailure as failure:
                        raise self.why_stopped(failure, ticket) from None
            except QueryFailure as failure:
                if failure.kind == "throttled" and failure.retry_after is None:
                    # Stopped for a waiting client: back off until its account (now charged) has decayed.
                    failure.retry_after = self.shares._light_again_in(client)
                raise
        except Busy as busy:
            if busy.own:
                raise QueryFailure("throttled", f"too many queries from this client ({busy.reason}); "
                                   f"wait {busy.retry_after} s before the next one",
                                   retry_after=busy.retry_after) from None
            raise QueryFailure("busy", f"no query slot is free ({busy.reason}); try again shortly",
                               retry_after=busy.retry_after) from None

    def why_stopped(self, failure: QueryFailure, ticket) -> QueryFailure:
        """Whose fault a stopped query is, from the CPU its worker spent on it (``ticket.cpu_s``).

        - stopped early to free its slot for a waiting client (it had done real
          work, see :mod:`~credgraph.api.fairness`): the client's excess,
          ``throttled`` (429);
        - stopped at the deadline having had at least ``COSTLY_CPU_SHARE`` of a
          core for the whole timeout: the query itself is too costly and would
          be stopped again on an idle server, ``too_costly`` (422);
        - stopped at the deadline with less CPU than that but at least
          ``LIGHT_CPU_S`` (so it was charged to its client, as fairness
          charges): it wanted more than its share of a busy server, the
          client's excess, ``throttled`` (429 with Retry-After);
        - stopped at the deadline with less than ``LIGHT_CPU_S``: its worker
          hardly ran, the machine was overloaded, ``timeout`` (503 with
          Retry-After), as is a deadline stop where the CPU cannot be
          measured (a remote store).
        Any other failure is returned as it is.
        """
        took = time.monotonic() - ticket.started
        cpu = ticket.cpu_s
        used = "" if cpu is None else f" ({cpu:.1f} s of CPU)"
        measured = {} if cpu is None else {"cpu_s": round(cpu, 2)}
        if ticket.preempted and failure.kind in ("crashed", "failed", "timeout"):
            return QueryFailure("throttled", f"the query was stopped after {took:.1f} s{used} to give its slot to a "
                                "waiting client: a query running past half the timeout yields to others; "
                                "try again later or simplify it", extra={"timeout_s": self.timeout_s, **measured})
        if failure.kind != "timeout" or cpu is None:
            return failure
        timeout = failure.extra.get("timeout_s", self.timeout_s)
        extra = {"timeout_s": timeout, **measured}
        if cpu >= COSTLY_CPU_SHARE * timeout:
            return QueryFailure("too_costly", f"the query ran longer than {timeout:g} s and was stopped, having "
                                f"used {cpu:.1f} s of CPU: it costs more than this endpoint allows (the query "
                                f"timeout, query_timeout_s = {timeout:g} s: --timeout or CREDGRAPH_API_TIMEOUT_S) "
                                "and would be stopped again on an idle server; narrow or simplify it",
                                extra=extra)
        if cpu >= LIGHT_CPU_S:
            # It did real work and was charged to its client's account (fairness: the same rule), so the
            # slot time it held is this client's excess over its share of a busy server, not the server
            # failing: readers within their share were answered meanwhile. Retry-After: when the account
            # is light again (set by run_for once the ticket is charged).
            return QueryFailure("throttled", f"the query ran longer than {timeout:g} s and was stopped, having "
                                f"used {cpu:.1f} s of CPU while the server was shared with other clients: "
                                "this client has used more than its share; wait before the next query or "
                                "narrow it", extra=extra)
        return QueryFailure("timeout", f"the query ran longer than {timeout:g} s and was stopped, having had only "
                            f"{cpu:.1f} s of CPU: the server is overloaded; try again later", extra=extra,
                            retry_after=max(1, math.ceil(timeout / 2)))

    def run(self, job: QueryJob, timeout_s: float | None = None, ticket=None) -> QueryAnswer:
        """Run ``job`` (blocking; call it from a worker thread); ``ticket``: its fair-share ticket, if any."""
        if not self._slots.acquire(timeout=self.queue_wait_s):
            raise QueryFailure("busy", "too many queries are running; try again shortly", retry_after=2)
        try:
            return self._run(job, min(timeout_s or self.timeout_s, self.timeout_s), ticket)
        finally:
            self._slots.release()

    def _run(self, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        raise NotImplementedError

    async def run_async(self, job: QueryJob, ticket=None) -> QueryAnswer:
        """Run ``job`` from the event loop (here: :meth:`run` in a worker thread)."""
        return await run_in_threadpool(self.run, job, None, ticket)


def executor_for(store: Store, timeout_s: float, row_cap: int, max_concurrent: int, **limits) -> QueryExecutor:
    """A forking executor for a store a forked process can read (embedded), an HTTP one for a remote store.

    ``limits``: ``queue_wait_s``, ``max_result_bytes``, ``per_client``,
    ``reserved_for_keyed``, ``long_slots``, ``queued_per_client``; for forked
    workers also ``memory_bytes`` and ``recycle_bytes``.
    """
    from credgraph.api.guarded_store import GuardedStore

    inner = store.inner if isinstance(store, GuardedStore) else store
    if inner.forkable:
        from credgraph.api.worker_pool import ForkingExecutor

        if not isinstance(store, GuardedStore):
            raise TypeError("an embedded store must be wrapped in a GuardedStore before forking on it")
        return ForkingExecutor(store, timeout_s, row_cap, max_concurrent, **limits)
    from credgraph.api.remote_executor import RemoteExecutor

    limits.pop("memory_bytes", None)
    limits.pop("recycle_bytes", None)
    return RemoteExecutor(inner, timeout_s, row_cap, max_concurrent, **limits)
