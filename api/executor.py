"""Running public SPARQL queries with a timeout that really stops the work.

pyoxigraph has no query timeout and cannot be interrupted from Python, so an
embedded store runs each public query in a worker process forked from the
server. The worker holds the store as it was at the fork (copy-on-write),
evaluates the query, serialises at most ``row_cap`` rows in the negotiated
format and writes them to a pipe; the server kills it with SIGKILL when the
deadline passes. Workers are reused until the store changes. Forks are ordered
with the server's own reads and writes by the store's
:class:`~credgraph.api.guarded_store.Gate`, so a worker never holds a
half-done write.

A remote store (any SPARQL 1.1 endpoint) gets the query over HTTP with the
same deadline; stopping the work there is the remote server's job (``oxigraph
serve --timeout-s``).

At most ``max_concurrent`` queries run at once; further ones wait up to
``queue_wait_s`` and are then refused as busy. Which client's query may take a
slot is decided by :class:`~credgraph.api.fairness.FairShares` (per-client
shares, a reserve for keyed users) when the caller names the client.

Resource bounds of a forked worker: an address-space limit (``RLIMIT_AS``,
``memory_bytes`` above what it shares with the server at its fork), answers
of at most ``max_result_bytes`` in any format (checked in the worker, before
anything crosses the pipe), and retirement after an answer that left it more
than ``recycle_bytes`` larger than at its fork, so an idle worker never holds
the memory of a large answer. A worker that dies (a crash, the memory limit)
is reaped and replaced; the client gets a problem answer.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import pickle
import re
import select
import selectors
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from credgraph.api import formats
from credgraph.api.fairness import Busy, FairShares
from credgraph.api.guarded_store import GuardedStore
from credgraph.graph.store.interface import Store
from credgraph.graph.store.remote import parse_json_results

# A job frame up to this size is written to a worker's empty pipe without blocking
# (Linux pipes buffer 64 KiB); larger jobs are written from a worker thread.
_PIPE_ATOMIC = 60 * 1024
# A query still running after LONG_QUERY_S is moved below the server in CPU priority
# (its worker reniced): however many long queries run, the server's own routes (REST,
# linked data, the event loop) and short queries are scheduled first. A reniced worker
# is not reused (it could not be raised back without privileges).
WORKER_NICENESS = 10
LONG_QUERY_S = 0.5
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
    """A query that could not be answered; ``kind`` decides the HTTP status."""

    kind: str  # syntax | timeout | busy | not_acceptable | too_large | crashed | failed
    message: str
    line: int | None = None
    column: int | None = None
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def syntax_failure(message: str) -> QueryFailure:
    """A syntax failure with the parser's line and column when it gives them."""
    match = _POSITION.match(message.strip())
    if match:
        return QueryFailure("syntax", message.strip(), int(match.group(1)), int(match.group(2)))
    return QueryFailure("syntax", message.strip())


class QueryExecutor:
    """Runs :class:`QueryJob` s under a deadline, a row cap and a concurrency bound."""

    def __init__(self, timeout_s: float, row_cap: int, max_concurrent: int, queue_wait_s: float = 5.0,
                 max_result_bytes: int = 32 * 1024 * 1024, per_client: int | None = None,
                 reserved_for_keyed: int = 0) -> None:
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_result_bytes = max_result_bytes
        self.queue_wait_s = queue_wait_s
        self._slots = threading.BoundedSemaphore(max_concurrent)
        # A client that used half a timeout of worker time recently is heavy (see fairness): one query
        # stopped at the deadline is enough.
        self.shares = FairShares(max_concurrent, per_client or max_concurrent, reserved_for_keyed, queue_wait_s,
                                 heavy_after_s=timeout_s / 2)

    async def run_for(self, job: QueryJob, client: str, keyed: bool) -> QueryAnswer:
        """Run ``job`` for ``client`` within its fair share (:mod:`credgraph.api.fairness`)."""
        self.shares.wait_s = self.queue_wait_s
        try:
            async with self.shares.slot(client, keyed) as ticket:
                try:
                    return await self.run_async(job, ticket)
                except QueryFailure as failure:
                    if ticket.preempted and failure.kind in ("crashed", "failed"):
                        took = time.monotonic() - ticket.started
                        raise QueryFailure("timeout", f"the query was stopped after {took:.1f} s to give its slot "
                                           "to a waiting client; try again later or simplify it",
                                           extra={"timeout_s": self.timeout_s}) from None
                    raise
        except Busy as busy:
            raise QueryFailure("busy", f"no query slot is free ({busy.reason}); try again shortly") from None

    def run(self, job: QueryJob, timeout_s: float | None = None) -> QueryAnswer:
        """Run ``job`` (blocking; call it from a worker thread)."""
        if not self._slots.acquire(timeout=self.queue_wait_s):
            raise QueryFailure("busy", "too many queries are running; try again shortly")
        try:
            return self._run(job, min(timeout_s or self.timeout_s, self.timeout_s))
        finally:
            self._slots.release()

    def _run(self, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        raise NotImplementedError

    async def run_async(self, job: QueryJob, ticket=None) -> QueryAnswer:
        """Run ``job`` from the event loop (here: :meth:`run` in a worker thread)."""
        return await run_in_threadpool(self.run, job)


def executor_for(store: Store, timeout_s: float, row_cap: int, max_concurrent: int, **limits) -> QueryExecutor:
    """A forking executor for an embedded store, an HTTP one for a remote store.

    ``limits``: ``max_result_bytes``, ``per_client``, ``reserved_for_keyed``; for
    forked workers also ``memory_bytes`` and ``recycle_bytes``.
    """
    inner = store.inner if isinstance(store, GuardedStore) else store
    if hasattr(inner, "oxigraph"):
        if not isinstance(store, GuardedStore):
            raise TypeError("an embedded store must be wrapped in a GuardedStore before forking on it")
        return ForkingExecutor(store, timeout_s, row_cap, max_concurrent, **limits)
    limits.pop("memory_bytes", None)
    limits.pop("recycle_bytes", None)
    return RemoteExecutor(inner, timeout_s, row_cap, max_concurrent, **limits)


# -- embedded: forked children -----------------------------------------------


@dataclass
class _Child:
    """A forked worker: its pid, the pipe it reads jobs from, the pipe it answers on."""

    pid: int
    job_fd: int
    result_fd: int
    generation: int
    reniced: bool = False


class ForkingExecutor(QueryExecutor):
    """Queries run in worker processes forked from the server, killed on timeout.

    A forked worker holds the store as it was at the fork (memory: a
    copy-on-write copy; on disk: its own frozen view of the database files,
    which are never changed in place), so it needs no locks shared with the
    server. Workers are kept and reused while no write has happened since
    their fork (the gate counts writes); after a write, an idle worker is
    discarded and a fresh one forked. A worker that overruns the deadline is
    killed with SIGKILL. If a reused on-disk worker fails (a file it needed was
    compacted away meanwhile), the query is retried once on a fresh worker.
    """

    def __init__(self, store: GuardedStore, timeout_s: float, row_cap: int, max_concurrent: int,
                 memory_bytes: int | None = 512 * 1024 * 1024, recycle_bytes: int = 64 * 1024 * 1024,
                 **limits) -> None:
        super().__init__(timeout_s, row_cap, max_concurrent, **limits)
        self.memory_bytes = memory_bytes
        self.recycle_bytes = recycle_bytes
        self.store = store
        self._raw: ox.Store = store.inner.oxigraph  # type: ignore[attr-defined]
        self._max_idle = max_concurrent
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self._fork_lock = threading.Lock()
        # No workers are forked at the end of a write (the gate's after_write hook): forked in the
        # instant a write of the on-disk store ends, a worker could inherit a lock that one of
        # RocksDB's background threads held then, and hang on its first query (seen after writes that
        # also keep the merged graph). The next query forks its worker once nobody is in the store.
        atexit.register(self.close)

    def worker_pids(self) -> set[int]:
        """The pids of the idle workers."""
        with self._lock:
            return {c.pid for c in self._idle}

    def close(self) -> None:
        """Stop the idle workers (and forking after writes)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            _discard(child)

    def _fork(self) -> _Child:
        # One fork at a time, with its pipes made and the child's ends closed in
        # the parent inside the lock: no worker ever holds another's result pipe.
        with self._fork_lock:
            return self._fork_locked(self.store.gate.fork)

    def _fork_locked(self, gate_fork) -> _Child:
        """Fork a worker through ``gate_fork`` (which calls its argument when forking is safe); holds _fork_lock."""
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()

        def do_fork() -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return os.fork()

        parent = os.getpid()
        pid, generation = gate_fork(do_fork)
        if pid == 0:  # worker: never returns into the server
            try:
                os.close(job_w)
                os.close(result_r)
                grown_limit = _limit_memory(self.memory_bytes) + self.recycle_bytes
                while True:
                    job = _wait_for_job(job_r, parent)
                    if job is None:
                        break
                    _child(self._raw, job, self.row_cap, result_w, self.max_result_bytes, grown_limit)
            finally:
                os._exit(0)
        os.close(job_r)
        os.close(result_w)
        return _Child(pid, job_w, result_r, generation)

    def _take(self) -> tuple[_Child, bool]:
        """An idle worker still current, else a fresh one; and whether it was reused."""
        found = self._take_idle()
        return (found, True) if found else (self._fork(), False)

    def _give_back(self, child: _Child, answer: QueryAnswer | None = None) -> None:
        if child.reniced or (answer is not None and answer.retire):
            _discard(child)  # it grew while answering: an idle worker must not keep that memory
            return
        with self._lock:
            if child.generation == self.store.gate.generation and len(self._idle) < self._max_idle:
                self._idle.append(child)
                return
        _discard(child)

    def _run(self, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        child, reused = self._take()
        _stoppable(ticket, child)
        try:
            answer = self._ask(child, job, timeout_s)
        except QueryFailure as failure:
            if failure.kind in ("syntax", "not_acceptable"):
                self._give_back(child)  # the worker is fine
                raise
            _discard(child)
            if reused and failure.kind == "failed":
                return self._run_fresh(job, timeout_s, failure)
            raise
        self._give_back(child, answer)
        return answer

    async def run_async(self, job: QueryJob, ticket=None) -> QueryAnswer:
        """Run ``job`` on an idle worker without leaving the event loop; else as :meth:`run` does.

        The common case (a free slot, an idle worker forked since the last
        write, a job that fits the pipe's buffer) needs no thread: the job is
        written to the worker's pipe and its answer read as the pipe becomes
        readable. Waiting for a slot, forking (which waits on the gate) and
        retrying go to a worker thread, as before.
        """
        if not self._slots.acquire(blocking=False):
            return await run_in_threadpool(self.run, job)
        try:
            frame = _frame(pickle.dumps(job))
            child = self._take_idle() if len(frame) <= _PIPE_ATOMIC else None
            if child is None:
                return await run_in_threadpool(self._run, job, self.timeout_s, ticket)
            _stoppable(ticket, child)
            try:
                _write_all(child.job_fd, frame)
                data = await self._collect_async(child.result_fd, child.pid, self.timeout_s, child)
                answer = _decode(data)
            except OSError as exc:
                _discard(child)
                # A reused worker that fails is retried once on a fresh one, as in _run.
                return await run_in_threadpool(self._run_fresh, job, self.timeout_s, exc)
            except QueryFailure as failure:
                if failure.kind in ("syntax", "not_acceptable"):
                    self._give_back(child)
                    raise
                _discard(child)
                if failure.kind == "failed":
                    return await run_in_threadpool(self._run_fresh, job, self.timeout_s, failure)
                raise
            except BaseException:  # cancelled: the worker may still be busy with the job
                _discard(child)
                raise
            self._give_back(child, answer)
            return answer
        finally:
            self._slots.release()

    def _take_idle(self) -> _Child | None:
        """An idle worker forked since the last write, or None (stale ones are discarded)."""
        stale, found = [], None
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.generation == self.store.gate.generation:
                    found = child
                    break
                stale.append(child)
        for child in stale:
            _discard(child)
        return found

    def _run_fresh(self, job: QueryJob, timeout_s: float, cause: BaseException) -> QueryAnswer:
        fresh = self._fork()
        try:
            answer = self._ask(fresh, job, timeout_s)
        except QueryFailure as again:
            if again.kind in ("syntax", "not_acceptable"):
                self._give_back(fresh)
            else:
                _discard(fresh)
            raise again from cause
        self._give_back(fresh, answer)
        return answer

    async def _collect_async(self, fd: int, pid: int, timeout_s: float, child: _Child | None = None) -> bytes:
        """:meth:`_collect` on the event loop: the pipe is read when readable, the worker killed at the deadline."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        buffer = bytearray()
        needed: list[int] = []

        def readable() -> None:
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError as exc:
                if not done.done():
                    done.set_exception(exc)
                return
            if not chunk:
                if not done.done():
                    done.set_exception(_ended(pid))
                return
            buffer.extend(chunk)
            if not needed and len(buffer) >= 8:
                needed.append(8 + int.from_bytes(buffer[:8], "big"))
                if needed[0] - 8 > self.max_result_bytes:
                    _kill(pid)
                    done.set_exception(QueryFailure("too_large",
                                                    f"the result is larger than {self.max_result_bytes} bytes"))
                    return
            if needed and len(buffer) >= needed[0] and not done.done():
                done.set_result(bytes(buffer[8 : needed[0]]))

        loop.add_reader(fd, readable)
        renice = loop.call_later(LONG_QUERY_S, _renice, child) if child is not None else None
        try:
            return await asyncio.wait_for(done, timeout_s)
        except asyncio.TimeoutError:
            _kill(pid)
            raise QueryFailure("timeout", f"the query ran longer than {timeout_s:g} s and was stopped",
                               extra={"timeout_s": timeout_s}) from None
        finally:
            loop.remove_reader(fd)
            if renice is not None:
                renice.cancel()

    def _ask(self, child: _Child, job: QueryJob, timeout_s: float) -> QueryAnswer:
        try:
            _write_all(child.job_fd, _frame(pickle.dumps(job)))
            data = self._collect(child.result_fd, child.pid, timeout_s, child)
        except OSError as exc:
            raise QueryFailure("failed", f"the query worker is gone ({exc})") from exc
        return _decode(data)

    def _collect(self, fd: int, pid: int, timeout_s: float, child: _Child | None = None) -> bytes:
        """One framed answer from ``fd``; kills the worker at the deadline or when it is too large."""
        deadline = time.monotonic() + timeout_s
        renice_at = time.monotonic() + LONG_QUERY_S if child is not None else None
        buffer = bytearray()
        needed: int | None = None
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while needed is None or len(buffer) < needed:
                if renice_at is not None and time.monotonic() >= renice_at:
                    _renice(child)
                    renice_at = None
                left = deadline - time.monotonic()
                wait = left if renice_at is None else min(left, max(0.0, renice_at - time.monotonic()))
                if left <= 0 or not sel.select(wait):
                    if left > 0 and wait < left:
                        continue  # woken to renice, not at the deadline
                    _kill(pid)
                    raise QueryFailure("timeout", f"the query ran longer than {timeout_s:g} s and was stopped",
                                       extra={"timeout_s": timeout_s})
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise _ended(pid)
                buffer += chunk
                if needed is None and len(buffer) >= 8:
                    needed = 8 + int.from_bytes(buffer[:8], "big")
                    if needed - 8 > self.max_result_bytes:
                        _kill(pid)
                        raise QueryFailure("too_large", f"the result is larger than {self.max_result_bytes} bytes")
        return bytes(buffer[8:needed])


def _renice(child: _Child) -> None:
    """Lower a long-running worker's CPU priority (see LONG_QUERY_S)."""
    try:
        os.setpriority(os.PRIO_PROCESS, child.pid, WORKER_NICENESS)
        child.reniced = True
    except OSError:
        pass


def _stoppable(ticket, child: "_Child") -> None:
    """Let the fair shares stop this query early (:mod:`credgraph.api.fairness`): by killing its worker."""
    if ticket is not None:
        ticket.preempt = lambda: _kill(child.pid)


def _ended(pid: int) -> QueryFailure:
    """Why a worker closed its pipe without an answer: killed by a signal (a crash, the memory limit) or not."""
    for _ in range(20):  # the pipe closes as the process dies; its status follows within moments
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            if os.WIFSIGNALED(status):
                name = signal.Signals(os.WTERMSIG(status)).name
                return QueryFailure("crashed", f"the query worker stopped ({name}) while evaluating the query; "
                                    "the likeliest cause is its memory limit. It has been replaced.")
            break
        time.sleep(0.001)
    return QueryFailure("failed", "the query worker ended without an answer")


def _limit_memory(memory_bytes: int | None) -> int:
    """In a new worker: cap its address space ``memory_bytes`` above its size now; returns its resident size now.

    The worker shares the server's pages (copy-on-write), so the cap is relative
    to what it already maps. Past it an allocation fails: Python raises
    MemoryError (answered as a failed query), pyoxigraph aborts the worker
    (answered as a crashed one); the server is untouched either way.
    """
    size, resident = _statm()
    if memory_bytes:
        import resource

        limit = size + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return resident


def _statm() -> tuple[int, int]:
    """This process's virtual and resident size in bytes (Linux ``/proc/self/statm``)."""
    try:
        with open("/proc/self/statm") as handle:
            size, resident = handle.read().split()[:2]
    except OSError:
        return 0, 0
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _wait_for_job(fd: int, parent: int) -> QueryJob | None:
    """Block until the parent sends a job; None if the parent is gone."""
    buffer = b""
    while True:
        if not buffer:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                if os.getppid() != parent:
                    return None
                continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        buffer += chunk
        if len(buffer) >= 8 and len(buffer) >= 8 + int.from_bytes(buffer[:8], "big"):
            return pickle.loads(buffer[8 : 8 + int.from_bytes(buffer[:8], "big")])


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _discard(child: _Child) -> None:
    _kill(child.pid)
    _close(child.job_fd)
    _close(child.result_fd)
    _reap(child.pid)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _child(raw: ox.Store, job: QueryJob, row_cap: int, fd: int, max_bytes: int | None = None,
           retire_above: int | None = None) -> None:
    """Evaluate in the worker and write one framed ``header-json\\n body`` to ``fd``.

    A body over ``max_bytes`` is replaced by a too_large header (nothing large
    crosses the pipe); ``retire`` is set when the worker's resident size ends
    above ``retire_above``.
    """
    header: dict
    body = b""
    try:
        # No arguments: Oxigraph takes the query's FROM, or else the store's
        # default graph, which is the merged public graph.
        kwargs: dict = {}
        if job.default_graphs is not None or job.named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
        result = raw.query(job.text, base_iri=job.base_iri, **kwargs)
        answer = None
        if isinstance(result, ox.QuerySolutions) and job.formats.get("solutions") == formats.JSON:
            answer = _solutions_json(result, row_cap)
            if answer is None:  # over the byte budget: evaluate again, writing the capped rows in Python
                result = raw.query(job.text, base_iri=job.base_iri, **kwargs)
        header, body = answer or _serialise(result, job, row_cap)
    except SyntaxError as exc:
        header = {"ok": False, "kind": "syntax", "message": str(exc)}
    except MemoryError:
        body = b""
        header = {"ok": False, "kind": "too_large", "message": "the query needs more memory than a query may use"}
    except BaseException as exc:  # noqa: BLE001 - the worker reports everything
        header = {"ok": False, "kind": "failed", "message": f"{type(exc).__name__}: {exc}"}
    if max_bytes is not None and len(body) > max_bytes:
        body = b""
        header = {"ok": False, "kind": "too_large", "message": f"the result is larger than {max_bytes:,} bytes"}
    if retire_above is not None and _statm()[1] > retire_above:
        header["retire"] = True
    _write_all(fd, _frame(json.dumps(header).encode() + b"\n" + body))


class _OverBudget(Exception):
    pass


class _BudgetBuffer:
    """A binary output for pyoxigraph's serializer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _OverBudget()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


# Every solution in SPARQL JSON takes at least 3 bytes ("{}" and a comma): a body
# up to 3 x row_cap bytes cannot hold more than row_cap rows.
_MIN_ROW_BYTES = 3


def _solutions_json_budget(row_cap: int) -> int:
    return max(1 << 20, row_cap * 512)


def _solutions_json(result: ox.QuerySolutions, row_cap: int) -> tuple[dict, bytes] | None:
    """SELECT results as SPARQL JSON written by pyoxigraph, capped at ``row_cap`` rows.

    pyoxigraph's writer is several times faster than building the rows in
    Python, but it writes every row. So it writes into a bounded buffer; a body
    too small to hold more than ``row_cap`` rows is the answer as it is, a
    larger one is read back to count its rows (and cut at the cap). None when
    the body outgrows the buffer: the caller evaluates again and writes the
    capped rows itself.
    """
    out = _BudgetBuffer(_solutions_json_budget(row_cap))
    try:
        result.serialize(out, ox.QueryResultsFormat.JSON)
    except _OverBudget:
        return None
    body = b"".join(out.parts)
    if len(body) <= _MIN_ROW_BYTES * row_cap:
        return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": None, "truncated": False}, body
    parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    variables = [v.value for v in parsed.variables]
    rows, truncated = _first_rows(parsed, row_cap)
    if not truncated:
        return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": len(rows), "truncated": False}, body
    rows = [{name: solution[name] for name in variables if solution[name] is not None} for solution in rows]
    body = formats.write_solutions(variables, rows, formats.JSON)
    return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": len(rows), "truncated": True}, body


def _first_rows(solutions, row_cap: int) -> tuple[list, bool]:
    """At most ``row_cap`` solutions, and whether there were more."""
    rows = []
    for solution in solutions:
        if len(rows) >= row_cap:
            return rows, True
        rows.append(solution)
    return rows, False


def _serialise(result, job: QueryJob, row_cap: int) -> tuple[dict, bytes]:
    if isinstance(result, ox.QueryBoolean):
        fmt = job.formats.get("boolean")
        if fmt is None:
            return {"ok": False, "kind": "not_acceptable", "message": "ASK"}, b""
        return {"ok": True, "kind": "boolean", "format": fmt, "count": 1, "truncated": False}, formats.write_boolean(
            bool(result), fmt
        )
    if isinstance(result, ox.QuerySolutions):
        fmt = job.formats.get("solutions")
        if fmt is None:
            return {"ok": False, "kind": "not_acceptable", "message": "SELECT"}, b""
        variables = [v.value for v in result.variables]
        solutions, truncated = _first_rows(result, row_cap)
        rows = [{name: solution[name] for name in variables if solution[name] is not None} for solution in solutions]
        body = formats.write_solutions(variables, rows, fmt)
        return {"ok": True, "kind": "solutions", "format": fmt, "count": len(rows), "truncated": truncated}, body
    fmt = job.formats.get("graph")
    if fmt is None:
        return {"ok": False, "kind": "not_acceptable", "message": "CONSTRUCT/DESCRIBE"}, b""
    triples, truncated = [], False
    for triple in result:
        if len(triples) >= row_cap:
            truncated = True
            break
        triples.append(ox.Triple(triple.subject, triple.predicate, triple.object))
    body = formats.write_triples(triples, fmt)
    return {"ok": True, "kind": "graph", "format": fmt, "count": len(triples), "truncated": truncated}, body


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _decode(data: bytes) -> QueryAnswer:
    line, sep, body = data.partition(b"\n")
    if not sep:
        raise QueryFailure("failed", "the query worker ended without an answer")
    header = json.loads(line)
    if not header["ok"]:
        if header["kind"] == "syntax":
            raise syntax_failure(header["message"])
        if header["kind"] == "not_acceptable":
            raise QueryFailure("not_acceptable", f"no acceptable media type for a {header['message']} result")
        raise QueryFailure(header["kind"], header["message"])
    return QueryAnswer(body, header["format"], header["kind"], header["count"], header["truncated"],
                       header.get("retire", False))


# -- remote: HTTP with a deadline ------------------------------------------


class RemoteExecutor(QueryExecutor):
    """Sends the query to the remote endpoint and re-serialises (capped) what it answers."""

    def __init__(self, store, timeout_s: float, row_cap: int, max_concurrent: int, **limits) -> None:
        super().__init__(timeout_s, row_cap, max_concurrent, **limits)
        self.query_url = store.query_url
        self.store = store

    def _run(self, job: QueryJob, timeout_s: float) -> QueryAnswer:
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
        header, body = _serialise(result, job, self.row_cap)
        if not header["ok"]:
            raise QueryFailure("not_acceptable", f"no acceptable media type for a {header['message']} result")
        return QueryAnswer(body, header["format"], header["kind"], header["count"], header["truncated"])
