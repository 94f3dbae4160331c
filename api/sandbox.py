"""Run one risky call in a throwaway forked process, under a CPU-time limit and a memory limit.

pyoxigraph parses SPARQL Update only inside ``Store.update``, and its parser
can crash the whole process (a stack overflow is a segfault, not an
exception). An update is therefore first parsed, on an empty in-memory store,
in a process forked for that purpose: a crash, a timeout or the memory limit
ends that process only, and the caller gets :class:`Isolated` failures to
answer with. The fork goes through the store's gate (see
:mod:`credgraph.api.guarded_store`), like the query workers' forks.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import time
import warnings


class IsolatedFailure(Exception):
    """The isolated call did not return: ``kind`` is crashed, timeout or failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def run_isolated(fn, args: tuple, timeout_s: float, memory_bytes: int | None, gate=None):
    """``fn(*args)`` in a forked process; its return value, or the exception it raised (re-raised here).

    Exceptions come back as ``(type name, message)`` and are re-raised as
    SyntaxError when they were one (the parser's message), else as
    :class:`IsolatedFailure` ``failed``.
    """
    read_fd, write_fd = os.pipe()

    def do_fork() -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return os.fork()

    pid = gate.fork(do_fork)[0] if gate is not None else do_fork()
    if pid == 0:  # the throwaway process: never returns into the caller
        try:
            os.close(read_fd)
            os.nice(10)  # below the server, like the query workers
            if memory_bytes:
                import resource

                with open("/proc/self/statm") as handle:
                    size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
                resource.setrlimit(resource.RLIMIT_AS, (size + memory_bytes, size + memory_bytes))
            try:
                outcome = ("ok", fn(*args))
            except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
                outcome = ("error", type(exc).__name__, str(exc)[:2000])
            data = pickle.dumps(outcome)
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view):]
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        data = _read_all(read_fd, pid, timeout_s)
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    if not data:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
            raise IsolatedFailure("crashed", f"the parser stopped ({signal.Signals(os.WTERMSIG(status)).name})")
        raise IsolatedFailure("failed", "the isolated process ended without an answer")
    outcome = pickle.loads(data)
    if outcome[0] == "ok":
        return outcome[1]
    _, kind, message = outcome
    if kind == "SyntaxError":
        raise SyntaxError(message)
    if kind == "MemoryError":
        raise IsolatedFailure("too_large", "the text needs more memory than allowed")
    raise IsolatedFailure("failed", f"{kind}: {message}")


# The process runs below the server in CPU priority, so on a busy machine its wall time says little
# about its cost: it is stopped after ``timeout_s`` of CPU time, or after this many times that in wall time.
_WALL_FACTOR = 4


def _read_all(fd: int, pid: int, timeout_s: float) -> bytes:
    started = time.monotonic()
    chunks = []
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if not sel.select(0.1):
                if cpu_seconds(pid) > timeout_s or time.monotonic() - started > _WALL_FACTOR * timeout_s:
                    raise IsolatedFailure("timeout", f"not done within {timeout_s:g} s; stopped")
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` has used (Linux ``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
