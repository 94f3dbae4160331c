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
priority; one still running after ``LONG_QUERY_S`` goes further down and moves
to the long queries' share (:meth:`credgraph.api.fairness.Ticket.ran_long`).
A worker that dies (a crash, the memory limit) is reaped and replaced; the
client gets a problem answer.
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

from credgraph.api import query_worker
from credgraph.api.executor import QueryAnswer, QueryExecutor, QueryFailure, QueryJob, syntax_failure
from credgraph.api.fairness import LONG_QUERY_S
from credgraph.api.guarded_store import GuardedStore

# A job frame up to this size is written to a worker's empty pipe without blocking
# (Linux pipes buffer 64 KiB); larger jobs are written from a worker thread.
_PIPE_ATOMIC = 60 * 1024
# A query still running after LONG_QUERY_S has its worker moved further below the server in CPU
# priority (query_worker.QUERY_NICENESS is every worker's): however many long queries run, the
# server's own routes and short queries are scheduled first. A reniced worker is not reused (it
# could not be raised back without privileges).
LONG_QUERY_NICENESS = 15


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
        # What the workers read, through the store interface (native_query); never used in the server.
        self.reader = store.inner
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
                query_worker.serve(self.reader, job_r, result_w, parent, self.row_cap, self.max_result_bytes,
                                   self.memory_bytes, self.recycle_bytes)
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
        if not self._slots.acquire(blocking=False):
            return await run_in_threadpool(self.run, job)
        try:
            frame = query_worker.frame(pickle.dumps(job))
            child = self._take_idle() if len(frame) <= _PIPE_ATOMIC else None
            if child is None:
                return await run_in_threadpool(self._run, job, self.timeout_s, ticket)
            _stoppable(ticket, child)
            try:
                query_worker.write_all(child.job_fd, frame)
                data = await self._collect_async(child.result_fd, child.pid, self.timeout_s,
                                                 _when_long(child, ticket, threadsafe=False))
                answer = _decode(data)
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

    def _run_fresh(self, job: QueryJob, timeout_s: float, cause: BaseException, ticket=None) -> QueryAnswer:
        fresh = self._fork()
        _stoppable(ticket, fresh)
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
        try:
            query_worker.write_all(child.job_fd, query_worker.frame(pickle.dumps(job)))
            data = self._collect(child.result_fd, child.pid, timeout_s, _when_long(child, ticket, threadsafe=True))
        except OSError as exc:
            raise QueryFailure("failed", f"the query worker is gone ({exc})") from exc
        return _decode(data)

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


def _when_long(child: _Child, ticket, threadsafe: bool):
    """What to do when a query has run ``LONG_QUERY_S``: renice its worker, move it to the long share."""

    def ran_long() -> None:
        _renice(child)
        if ticket is not None:
            ticket.ran_long_threadsafe() if threadsafe else ticket.ran_long()

    return ran_long


def _renice(child: _Child) -> None:
    """Lower a long-running worker's CPU priority (see LONG_QUERY_NICENESS)."""
    try:
        os.setpriority(os.PRIO_PROCESS, child.pid, LONG_QUERY_NICENESS)
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
