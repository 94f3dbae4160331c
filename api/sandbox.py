"""Run one risky call in a throwaway process, under a CPU-time limit and a memory limit.

pyoxigraph parses SPARQL Update only inside ``Store.update``, and its parser
can crash the whole process (a stack overflow is a segfault, not an
exception). An update is therefore first parsed, on an empty in-memory store,
in a process started for that purpose: a crash, a timeout or the memory limit
ends that process only, and the caller gets :class:`IsolatedFailure` answers.

The process is a fresh interpreter (``python -I -m credgraph.api.sandbox``),
not a fork of the server: the server runs threads, and a child forked while
another thread held a lock (inside a library, the allocator, a logger) could
hang on it before doing anything, a parse that never starts and ends as a
timeout (seen under load). ``-I`` keeps the working directory and PYTHON*
variables out of its import path, so it imports the installed package. It
costs a fraction of a second per admin update, which is rare.
"""

from __future__ import annotations

import importlib
import os
import pickle
import selectors
import signal
import subprocess
import sys
import time

from credgraph import child_processes


class IsolatedFailure(Exception):
    """The isolated call did not return: ``kind`` is crashed, timeout, too_large or failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _child() -> None:
    """The throwaway process: read the call from stdin, limits first, then the call; the outcome to stdout."""
    module, name, args, memory_bytes = pickle.load(sys.stdin.buffer)
    os.nice(10)  # below the server, like the query workers
    if memory_bytes:
        import resource

        with open("/proc/self/statm") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + memory_bytes, size + memory_bytes))
    try:
        outcome = ("ok", getattr(importlib.import_module(module), name)(*args))
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
        outcome = ("error", type(exc).__name__, str(exc)[:2000])
    sys.stdout.buffer.write(pickle.dumps(outcome))
    sys.stdout.buffer.flush()


def run_isolated(fn, args: tuple, timeout_s: float, memory_bytes: int | None):
    """``fn(*args)`` (a module-level function) in a throwaway process; its return value, or its exception.

    Exceptions come back as ``(type name, message)`` and are re-raised as
    SyntaxError when they were one (the parser's message), else as
    :class:`IsolatedFailure` ``failed``.
    """
    call = pickle.dumps((fn.__module__, fn.__qualname__, args, memory_bytes))
    # Not while the server forks a query worker: it would keep copies of these pipes (credgraph.child_processes).
    with child_processes.TURN:
        process = subprocess.Popen([sys.executable, "-I", "-m", "credgraph.api.sandbox"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            process.stdin.write(call)
            process.stdin.close()
        except BaseException:
            _end(process)
            raise
    try:
        data = _read_all(process.stdout.fileno(), process.pid, timeout_s)
    finally:
        _end(process)
    if not data:
        code = process.returncode
        if code is not None and code < 0 and -code != signal.SIGKILL:
            raise IsolatedFailure("crashed", f"the parser stopped ({signal.Signals(-code).name})")
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


def _end(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()
    process.stdout.close()


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
    # Plain system calls, no file object: read while the fair shares decide whether to stop a query.
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            fields = os.read(fd, 4096).rsplit(b")", 1)[1].split()
        finally:
            os.close(fd)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    _child()
