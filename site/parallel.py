"""Parallel running: page tasks in forked worker processes, the related data read in a forked side process.

Everything the pages need is in memory before the workers fork (the offer
copy included), so workers never touch the real store: each does a chunk of
tasks and returns what it wrote (:meth:`SiteOutput.state`), which the parent
merges. A forked process runs a function of the parent's memory; the
function is handed over through a module global, set only while the pool
forks, because a pool can only call what it can name.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Callable

from credgraph.site.output import SiteOutput

# Below this many specifications per worker, forking costs more than it saves.
PARALLEL_MIN_SPECS = 200
TASK_CHUNK = 40
# Below this many quads in the offer, reading rules and facts in a second process costs more than it saves.
SIDE_READS_MIN_QUADS = 100_000

# The function the forked processes run (see the module docstring).
_ACTIVE: Callable | None = None


def _call_active(*args):
    assert _ACTIVE is not None
    return _ACTIVE(*args)


def run_tasks(tasks: list[tuple], do: Callable[[tuple], None], output: SiteOutput, *, workers: int, specifications: int) -> None:
    """Do ``tasks`` with ``do``; on several cores, in forked worker processes writing through ``output``."""
    workers = min(workers, max(1, specifications // PARALLEL_MIN_SPECS))
    if workers <= 1 or not hasattr(os, "fork"):
        for task in tasks:
            do(task)
        return

    def run_chunk(chunk: list[tuple]) -> dict:
        """Do a chunk of tasks in a worker; return what was written."""
        output.reset()
        for task in chunk:
            do(task)
        return output.state()

    # Small chunks, handed out as workers free up: list pages vary a lot in size.
    chunks = [tasks[i:i + TASK_CHUNK] for i in range(0, len(tasks), TASK_CHUNK)]
    global _ACTIVE
    _ACTIVE = run_chunk
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_call_active, chunks):
                output.merge(part)
    finally:
        _ACTIVE = None


def start_beside(read: Callable[[], dict], *, workers: int, quads: Callable[[], int]):
    """Start ``read`` in a forked process when the offer has ``quads()`` quads or more and there are several cores.

    Returns a handle for :func:`result_of` (None: nothing started, ``read`` runs there).
    """
    if workers <= 1 or not hasattr(os, "fork") or quads() < SIDE_READS_MIN_QUADS:
        return None
    global _ACTIVE
    _ACTIVE = read
    pool = multiprocessing.get_context("fork").Pool(1)
    _ACTIVE = None
    return pool, pool.apply_async(_call_active)


def result_of(handle, read: Callable[[], dict]) -> dict:
    """What :func:`start_beside` started, once read (or ``read()`` now, when nothing was started)."""
    if handle is None:
        return read()
    pool, pending = handle
    try:
        return pending.get()
    finally:
        pool.close()
        pool.join()
