"""The query worker process: what runs after the fork, and the pipe protocol it speaks.

A worker is forked from the server (see :mod:`credgraph.api.worker_pool`) and
holds the store as it was at the fork. It lowers its own CPU priority below the
server's (``QUERY_NICENESS``), caps its address space, then loops: read one
pickled :class:`~credgraph.api.executor.QueryJob` from its job pipe, evaluate
it through the store's interface (:meth:`~credgraph.graph.store.interface.Store.native_query`),
write one framed answer (``header-json\\n body``) to its result pipe. It
ends when the server closes the job pipe or is gone.

Frames are an 8-byte big-endian length and the payload.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import time

import pyoxigraph as ox

from credgraph.api import answer_writers, formats

# Every query worker runs this much below the server in CPU priority, so the server's own routes
# (REST, linked data, the event loop) are scheduled before any query work on a busy machine
# (CFS weights: nice 10 gets about a tenth of what nice 0 gets on a contended core). Long and short
# queries share this one level: a worker is never reniced, so any idle worker can be reused.
QUERY_NICENESS = 10


def serve(store, job_fd: int, result_fd: int, parent: int, row_cap: int, max_bytes: int | None,
          memory_bytes: int | None, recycle_bytes: int) -> None:
    """The worker's whole life (never returns into the server: the caller ``os._exit`` s after it)."""
    try:
        os.nice(QUERY_NICENESS)
    except OSError:
        pass
    grown_limit = limit_memory(memory_bytes) + recycle_bytes
    while True:
        job = wait_for_job(job_fd, parent)
        if job is None:
            return
        answer(store, job, row_cap, result_fd, max_bytes, grown_limit)


def limit_memory(memory_bytes: int | None) -> int:
    """Cap this process's address space ``memory_bytes`` above its size now; returns its resident size now.

    The worker shares the server's pages (copy-on-write), so the cap is relative
    to what it already maps. Past it an allocation fails: Python raises
    MemoryError (answered as a failed query), pyoxigraph aborts the worker
    (answered as a crashed one); the server is untouched either way.
    """
    size, resident = statm()
    if memory_bytes:
        import resource

        limit = size + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return resident


def statm() -> tuple[int, int]:
    """This process's virtual and resident size in bytes (Linux ``/proc/self/statm``)."""
    try:
        with open("/proc/self/statm") as handle:
            size, resident = handle.read().split()[:2]
    except OSError:
        return 0, 0
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def wait_for_job(fd: int, parent: int):
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


def answer(store, job, row_cap: int, fd: int, max_bytes: int | None = None, retire_above: int | None = None) -> None:
    """Evaluate ``job`` on ``store`` and write one framed ``header-json\\n body`` to ``fd``.

    A body over ``max_bytes`` is replaced by a too_large header (nothing large
    crosses the pipe); ``retire`` is set when the worker's resident size ends
    above ``retire_above``; ``cpu`` is the CPU time this worker has used, this
    answer included.
    """
    header: dict
    body = b""
    try:
        # No dataset arguments: the query's FROM, or else the store's public dataset (its merged graph).
        dataset = {"base_iri": job.base_iri}
        if job.default_graphs is not None or job.named_graphs is not None:
            dataset.update(default_graphs=job.default_graphs or [], named_graphs=job.named_graphs or [])
        result = store.native_query(job.text, **dataset)
        written = None
        if isinstance(result, ox.QuerySolutions) and job.formats.get("solutions") == formats.JSON:
            written = answer_writers.solutions_json(result, row_cap)
            if written is None:  # over the byte budget: evaluate again, writing the capped rows in Python
                result = store.native_query(job.text, **dataset)
        header, body = written or answer_writers.serialise(result, job, row_cap)
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
    if retire_above is not None and statm()[1] > retire_above:
        header["retire"] = True
    # The worker's own CPU time so far (a clock read, not /proc): the server's accounts of this query
    # (fair shares) take the difference from the last answer's figure, with no file read of its own.
    header["cpu"] = time.process_time()
    write_all(fd, frame(json.dumps(header).encode() + b"\n" + body))


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
