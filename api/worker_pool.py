"""The pool of forked query workers of an embedded store: forking, reuse, deadlines, renicing, reaping.

A forked worker (:mod:`credgraph.api.query_worker`) holds the store as it was
at its fork (copy-on-write), evaluates the query, serialises at most
``row_cap`` rows in the negotiated format and writes them to a pipe; the
server kills it with SIGKILL when the deadline passes. Workers are reused
until the store changes. Forks are ordered with the server's own reads and
writes by the store's :class:`~credgraph.api.guarded_store.Gate`, so a worker
never holds a half-done write; they are made when a query needs one, never at
the end of a write (see :class:`ForkingExecutor`).

Resource bounds of a worker: an address-space limit (``RLIMIT_AS``,
``memory_bytes`` above what it shares with the server at its fork), answers of
at most ``max_result_bytes`` in any format (checked in the worker, before
anything crosses the pipe), and retirement after an answer that left it more
than ``recycle_bytes`` larger than at its fork, so an idle worker never holds
the memory of a large answer. Every worker runs below the server in CPU
priority (:data:`credgraph.api.query_worker.QUERY_NICENESS`); one still
running after ``LONG_QUERY_S`` moves to the long queries' share
(:meth:`credgraph.api.fairness.Ticket.ran_long`). A worker that dies (a
crash, the memory limit) is reaped and replaced; the client gets a problem
answer.

Spare workers: a background thread keeps ``spares`` idle workers of the
current store generation ready, so that a query rarely waits for a fork (a
fork must wait until no thread of the server is inside the store, which on a
busy server took up to 4 s). It forks politely (at a moment when nobody is in
the store, holding nobody back, see :meth:`~credgraph.api.guarded_store.Gate.wait_quiet`)
and gives a new worker a probe query before it joins the idle ones, so a
worker that inherited a lock held at its fork (it would hang) never answers a
client.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import pickle
import selectors
import signal
import threading
import time
import warnings
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from credgraph import child_processes
from credgraph.api import formats, query_worker
from credgraph.api.executor import QueryAnswer, QueryExecutor, QueryFailure, QueryJob, syntax_failure
from credgraph.api.fairness import LONG_QUERY_S
from credgraph.api.guarded_store import GuardedStore
from credgraph.api.sandbox import cpu_seconds

# A job frame up to this size is written to a worker's empty pipe without blocking
# (Linux pipes buffer 64 KiB); larger jobs are written from a worker thread.
_PIPE_ATOMIC = 60 * 1024
# What a new spare worker answers before it joins the idle ones (it reads the store), and how long it may take.
_PROBE = QueryJob("ASK { ?s ?p ?o }", {"boolean": formats.JSON, "solutions": None, "graph": None})
_PROBE_S = 3.0
# How long a spare's fork waits for a moment when nobody is in the store (then it tries again later).
_POLITE_S = 5.0
# A fork a query waits for waits this long for such a moment before it holds new readers back (a fork
# that holds them back stalls every REST route reading the store until the reads in flight are done).
_QUERY_POLITE_S = 0.25


@dataclass
class _Child:
    """A forked worker: its pid, the pipe it reads jobs from, the pipe it answers on."""

    pid: int
    job_fd: int
    result_fd: int
    generation: int
    serving: object = None  # the ticket of the query it runs now (None: idle); only that ticket may stop it
    stopped: bool = False  # killed by a stop: never given back, even if its answer came first
    cpu: float = 0.0  # CPU seconds it had used at its last answer (as it reported them); a fork starts at 0


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
                 spares: int | None = None, **limits) -> None:
        super().__init__(timeout_s, row_cap, max_concurrent, **limits)
        self.memory_bytes = memory_bytes
        self.recycle_bytes = recycle_bytes
        self.store = store
        # What the workers read, through the store interface (native_query); never used in the server.
        self.reader = store.inner
        self._max_idle = max_concurrent
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self._fork_lock = threading.Lock()
        self._forks_wanted = 0  # threads waiting for a fresh worker: one batch forks for all of them
        self._max_forks = max_concurrent + self.shares.long_slots
        # No workers are forked inside the end of a write (the gate's after_write hook): forked in the
        # instant a write of the on-disk store ends, a worker could inherit a lock that one of
        # RocksDB's background threads held then, and hang on its first query (seen after writes that
        # also keep the merged graph). The hook only wakes the spare-maker, which forks once nobody is
        # in the store and probes each new worker before any client gets it.
        self.spares = min(max_concurrent, max(1, max_concurrent // 2)) if spares is None else spares
        self._closed = False
        self._wanted = threading.Event()
        self._spare_maker: threading.Thread | None = None  # started by the first query (an app never queried forks nothing)
        store.gate.after_write.append(lambda generation: self._wanted.set())
        atexit.register(self.close)

    def _start_spares(self) -> None:
        if self.spares and self._spare_maker is None and not self._closed:
            with self._lock:
                if self._spare_maker is not None:
                    return
                self._spare_maker = threading.Thread(target=self._keep_spares, name="credgraph-spare-workers",
                                                     daemon=True)
            self._wanted.set()
            self._spare_maker.start()

    def worker_pids(self) -> set[int]:
        """The pids of the idle workers."""
        with self._lock:
            return {c.pid for c in self._idle}

    def close(self) -> None:
        """Stop the idle workers and the spare-maker."""
        self._closed = True
        self._wanted.set()
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            _discard(child)

    def wait_for_spares(self, timeout_s: float = 10.0) -> bool:
        """Wait until the spare-maker has made its spares (tests); False if it did not within ``timeout_s``."""
        self._start_spares()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                current = [c for c in self._idle if c.generation == self.store.gate.generation]
            if len(current) >= self.spares and not self._wanted.is_set():
                return True
            time.sleep(0.02)
        return False

    def _keep_spares(self) -> None:
        """The spare-maker's loop: after each write or take, fork and probe until ``spares`` current workers are idle."""
        while not self._closed:
            self._wanted.wait(timeout=5.0)
            while not self._closed:
                with self._lock:
                    generation = self.store.gate.generation
                    stale = [c for c in self._idle if c.generation != generation]
                    self._idle = [c for c in self._idle if c.generation == generation]
                    missing = self.spares - len(self._idle)
                for child in stale:
                    _discard(child)
                if missing <= 0:
                    self._wanted.clear()
                    break
                try:
                    child = self._fork(polite=True)
                except OSError:
                    child = None
                if child is None:  # the store was never free (a query that needs a worker forks its own)
                    time.sleep(0.2)
                    continue
                try:
                    self._ask(child, _PROBE, _PROBE_S)
                except QueryFailure:
                    _discard(child)  # it could not read the store: never given to a client
                    time.sleep(0.2)
                    continue
                self._give_back(child)
                if self._closed:
                    self.close()

    def _fork(self, polite: bool = False, reuse: bool = True) -> _Child | None:
        """A fresh worker, forked with as many more as are wanted right now (see :meth:`_fork_batch`).

        ``polite`` (spares): only at a moment when nobody is in the store, holding nobody back;
        None if no such moment came within ``_POLITE_S``. Otherwise such a moment is awaited for
        ``_QUERY_POLITE_S``, then the fork holds new readers back until the store is free.
        ``reuse``: an idle worker that a batch forked while this thread waited for its turn will do.
        """
        if not self.store.gate.wait_quiet(_POLITE_S if polite else _QUERY_POLITE_S) and polite:
            return None
        with self._lock:
            self._forks_wanted += 1
        try:
            with self._fork_lock:
                if reuse and not polite:
                    found = self._take_idle(wake=False)  # forked by the batch of a thread this one waited for
                    if found is not None:
                        return found
                with self._lock:
                    current = sum(1 for c in self._idle if c.generation == self.store.gate.generation)
                    count = self._forks_wanted + max(0, self.spares - current - (1 if polite else 0))
                children = self._fork_batch(min(count, self._max_forks))
        finally:
            with self._lock:
                self._forks_wanted -= 1
        for extra in children[1:]:
            self._give_back(extra)
        return children[0]

    def _fork_batch(self, count: int) -> list[_Child]:
        """Fork ``count`` workers in one turn of the gate (holds _fork_lock).

        Each fork waits until nobody is inside the store; with a writer at work
        a turn comes once per write, so queries that each forked their own
        worker waited one write per fork ahead of them (up to 10 s were seen).
        One turn forks all that are wanted. Each child's pipe ends are closed
        in the parent before the next fork: no worker ever holds another's
        result pipe (its end of file is how a worker's death is seen).
        """
        parent = os.getpid()

        def fork_all() -> list[_Child]:
            made = []
            for _ in range(count):
                job_r, job_w = os.pipe()
                result_r, result_w = os.pipe()
                # Not while a thread starts the update sandbox: no worker may keep its pipes. Taken
                # here, once the gate is ours, so that the turn lasts a fork, not a wait for the store.
                with warnings.catch_warnings(), child_processes.TURN:
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pid = os.fork()
                if pid == 0:  # worker: never returns into the server
                    try:
                        os.close(job_w)
                        os.close(result_r)
                        query_worker.serve(self.reader, job_r, result_w, parent, self.row_cap, self.max_result_bytes,
                                           self.memory_bytes, self.recycle_bytes)
                    finally:
                        os._exit(0)
                os.close(job_r)
                os.close(result_w)
                made.append(_Child(pid, job_w, result_r, -1))
            return made

        children, generation = self.store.gate.fork(fork_all)
        for child in children:
            child.generation = generation
        return children

    def _take(self) -> tuple[_Child, bool]:
        """An idle worker still current, else a fresh one; and whether it was reused."""
        self._start_spares()
        found = self._take_idle()
        return (found, True) if found else (self._fork(), False)

    def _give_back(self, child: _Child, answer: QueryAnswer | None = None) -> None:
        with self._lock:
            child.serving = None  # a query's late stop must not hit the next query this worker runs
        if child.stopped or (answer is not None and answer.retire):
            _discard(child)  # it grew while answering: an idle worker must not keep that memory
            return
        with self._lock:
            if child.generation == self.store.gate.generation and len(self._idle) < self._max_idle:
                self._idle.append(child)
                return
        _discard(child)

    def _run(self, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        child, reused = self._take()
        self._stoppable(ticket, child)
        try:
            answer = self._ask(child, job, timeout_s, ticket)
        except QueryFailure as failure:
            if failure.kind in ("syntax", "not_acceptable"):
                self._give_back(child)  # the worker is fine
                raise
            _discard(child)
            if reused and failure.kind == "failed":
                return self._run_fresh(job, timeout_s, failure, ticket)
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
        self._start_spares()
        if not self._slots.acquire(blocking=False):
            return await run_in_threadpool(self.run, job, None, ticket)
        try:
            frame = query_worker.frame(pickle.dumps(job))
            child = self._take_idle() if len(frame) <= _PIPE_ATOMIC else None
            if child is None:
                return await run_in_threadpool(self._run, job, self.timeout_s, ticket)
            self._stoppable(ticket, child)
            cpu, header = child.cpu, None
            try:
                try:
                    query_worker.write_all(child.job_fd, frame)
                    data = await self._collect_async(child.result_fd, child.pid, self.timeout_s,
                                                     ticket.ran_long if ticket is not None else None)
                    header, body = _parts(data)
                finally:
                    _account(ticket, child, cpu, header)
                answer = _answer(header, body)
            except OSError as exc:
                _discard(child)
                # A reused worker that fails is retried once on a fresh one, as in _run.
                return await run_in_threadpool(self._run_fresh, job, self.timeout_s, exc, ticket)
            except QueryFailure as failure:
                if failure.kind in ("syntax", "not_acceptable"):
                    self._give_back(child)
                    raise
                _discard(child)
                if failure.kind == "failed":
                    return await run_in_threadpool(self._run_fresh, job, self.timeout_s, failure, ticket)
                raise
            except BaseException:  # cancelled: the worker may still be busy with the job
                _discard(child)
                raise
            self._give_back(child, answer)
            return answer
        finally:
            self._slots.release()

    def _stoppable(self, ticket, child: _Child) -> None:
        """Let the fair shares stop this query early (:mod:`credgraph.api.fairness`): by killing its worker.

        Only while the worker still runs this query: once given back (its answer
        came) it may already run another client's.
        """
        if ticket is None:
            return
        child.serving = ticket
        before = child.cpu

        def stop() -> None:
            with self._lock:
                if child.serving is ticket:
                    child.stopped = True
                    _kill(child.pid)

        ticket.preempt = stop
        ticket.cpu_used = lambda: max(0.0, cpu_seconds(child.pid) - before)

    def _take_idle(self, wake: bool = True) -> _Child | None:
        """An idle worker forked since the last write, or None (stale ones are discarded).

        ``wake``: tell the spare-maker that one may be missing now.
        """
        stale, found = [], None
        with self._lock:
            generation = self.store.gate.generation
            while self._idle:
                child = self._idle.pop()
                if child.generation == generation:
                    found = child
                    break
                stale.append(child)
            # Enough spares left: the spare-maker is not woken (a thread switch on every query's way).
            short = sum(1 for c in self._idle if c.generation == generation) < self.spares
        for child in stale:
            _discard(child)
        if short and wake:
            self._wanted.set()  # the spare-maker makes up for it
        return found

    def _run_fresh(self, job: QueryJob, timeout_s: float, cause: BaseException, ticket=None) -> QueryAnswer:
        fresh = self._fork(reuse=False)
        self._stoppable(ticket, fresh)
        try:
            answer = self._ask(fresh, job, timeout_s, ticket)
        except QueryFailure as again:
            if again.kind in ("syntax", "not_acceptable"):
                self._give_back(fresh)
            else:
                _discard(fresh)
            raise again from cause
        self._give_back(fresh, answer)
        return answer

    async def _collect_async(self, fd: int, pid: int, timeout_s: float, on_long=None) -> bytes:
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
        renice = loop.call_later(LONG_QUERY_S, on_long) if on_long is not None else None
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

    def _ask(self, child: _Child, job: QueryJob, timeout_s: float, ticket=None) -> QueryAnswer:
        """Send ``job`` to ``child`` and wait for its answer (blocking: in a worker thread)."""
        cpu, header = child.cpu, None
        try:
            query_worker.write_all(child.job_fd, query_worker.frame(pickle.dumps(job)))
            data = self._collect(child.result_fd, child.pid, timeout_s,
                                 ticket.ran_long_threadsafe if ticket is not None else None)
            header, body = _parts(data)
        except OSError as exc:
            raise QueryFailure("failed", f"the query worker is gone ({exc})") from exc
        finally:
            _account(ticket, child, cpu, header)
        return _answer(header, body)

    def _collect(self, fd: int, pid: int, timeout_s: float, on_long=None) -> bytes:
        """One framed answer from ``fd``; kills the worker at the deadline or when it is too large.

        ``on_long`` is called once if the answer has not come after ``LONG_QUERY_S``.
        """
        deadline = time.monotonic() + timeout_s
        renice_at = time.monotonic() + LONG_QUERY_S if on_long is not None else None
        buffer = bytearray()
        needed: int | None = None
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while needed is None or len(buffer) < needed:
                if renice_at is not None and time.monotonic() >= renice_at:
                    on_long()
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


def _account(ticket, child: _Child, cpu_before: float, header: dict | None) -> None:
    """Tell the fair shares how much CPU the query used: the worker's CPU time now less ``cpu_before``.

    From the worker's own figure in its answer's ``header`` (no read of ``/proc`` on the
    way of every query: it was a good part of a point query's time on the server); with
    no answer (killed at the deadline or by a stop, crashed) from ``/proc``, read before
    the worker is reaped.
    """
    if header is not None:
        child.cpu = header["cpu"]
    elif ticket is not None:
        child.cpu = cpu_seconds(child.pid)
    else:
        return
    if ticket is not None:
        ticket.cpu_s = (ticket.cpu_s or 0.0) + max(0.0, child.cpu - cpu_before)


def _ended(pid: int) -> QueryFailure:
    """Why a worker closed its pipe without an answer: killed by a signal (a crash, the memory limit) or not."""
    for _ in range(20):  # the pipe closes as the process dies; its status follows within moments
        try:
            # WNOWAIT: looked at, not reaped (the caller discards the worker): until then its CPU time
            # can still be read, for the fair shares' accounts and the status of a stopped query.
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            break
        if info is not None:
            if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                name = signal.Signals(info.si_status).name
                return QueryFailure("crashed", f"the query worker stopped ({name}) while evaluating the query; "
                                    "the likeliest cause is its memory limit. It has been replaced.")
            break
        time.sleep(0.001)
    return QueryFailure("failed", "the query worker ended without an answer")










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


def _parts(data: bytes) -> tuple[dict, bytes]:
    """A worker's answer frame: its header and its body."""
    line, sep, body = data.partition(b"\n")
    if not sep:
        raise QueryFailure("failed", "the query worker ended without an answer")
    return json.loads(line), body


def _answer(header: dict, body: bytes) -> QueryAnswer:
    """The answer a worker's frame carries, or the failure it reports."""
    if not header["ok"]:
        if header["kind"] == "syntax":
            raise syntax_failure(header["message"])
        if header["kind"] == "not_acceptable":
            raise QueryFailure("not_acceptable", f"no acceptable media type for a {header['message']} result")
        raise QueryFailure(header["kind"], header["message"])
    return QueryAnswer(body, header["format"], header["kind"], header["count"], header["truncated"],
                       header.get("retire", False))


# -- remote: HTTP with a deadline ------------------------------------------
