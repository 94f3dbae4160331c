"""The CPU a query's worker spent, as the fair shares are told it (api/worker_pool.py).

A worker reports its own CPU time with every answer; a query is charged the
difference from the worker's previous answer, and only a worker that never
answered (killed at the deadline) is read from ``/proc``. A reused worker must
never pass one query's CPU on to the next client.
"""

from __future__ import annotations

import asyncio

import pytest

from credgraph.api import formats
from credgraph.api.executor import QueryFailure, QueryJob
from credgraph.api.guarded_store import GuardedStore
from credgraph.api.worker_pool import ForkingExecutor
from credgraph.graph.store.interface import open_store

JSON = {"boolean": formats.JSON, "solutions": formats.JSON, "graph": None}


def _costly(n: int) -> str:
    """A query of n * n * n / 2 rows with a filter: about 0.7 s of CPU for n = 200, and no store needed."""
    values = " ".join(str(i) for i in range(n))
    return (f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
            f"VALUES ?c {{ {' '.join(str(i) for i in range(n // 2))} }} FILTER(?a + ?b > ?c) }}")


COSTLY = _costly(200)
LIGHT = "ASK { }"


@pytest.fixture
def executor():
    made = ForkingExecutor(GuardedStore(open_store("memory:")), timeout_s=30, row_cap=100, max_concurrent=1, spares=0)
    released = []
    release = made.shares._release
    made.shares._release = lambda ticket: (released.append((ticket.client, ticket.cpu_s)), release(ticket))
    made.released = released
    yield made
    made.close()


def _run(executor, text: str, client: str):
    return asyncio.run(executor.run_for(QueryJob(text=text, formats=JSON), client, False))


def test_a_query_is_charged_the_cpu_its_worker_reported(executor):
    answer = _run(executor, COSTLY, "hog")
    assert b'"3828300"' in answer.body
    (client, cpu), = executor.released
    assert client == "hog" and cpu > 0.1  # fairness.LIGHT_CPU_S: real work, the client's account counts it


def test_a_reused_worker_does_not_pass_its_cpu_on_to_the_next_query(executor):
    _run(executor, COSTLY, "hog")
    pid = next(iter(executor.worker_pids()))
    _run(executor, LIGHT, "reader")
    assert executor.worker_pids() == {pid}, "the light query ran on another worker: the test proves nothing"
    (_, heavy), (client, light) = executor.released
    assert client == "reader" and light < 0.05 < heavy


def test_a_worker_stopped_at_the_deadline_is_measured_from_proc():
    made = ForkingExecutor(GuardedStore(open_store("memory:")), timeout_s=0.6, row_cap=100, max_concurrent=1, spares=0)
    released = []
    release = made.shares._release
    made.shares._release = lambda ticket: (released.append(ticket.cpu_s), release(ticket))
    try:
        _run(made, LIGHT, "warm")  # the worker has answered once: its figure is the start of the next account
        with pytest.raises(QueryFailure) as stopped:
            _run(made, _costly(400), "hog")
        assert stopped.value.kind in ("too_costly", "throttled", "timeout")
        # No answer came, so the worker's own figure is missing: its CPU was read before it was reaped.
        assert released[-1] is not None and released[-1] > 0.1
    finally:
        made.close()
