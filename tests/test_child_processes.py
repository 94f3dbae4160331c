"""Forks and the update sandbox take turns (credgraph/child_processes.py).

The sandbox's call here is json.dumps (a function the fresh interpreter can
import). A query worker forked while another thread starts the update sandbox would
keep the sandbox's pipes open, and ``subprocess.Popen`` would wait for good
(a ``/sparql/update`` that never answered). Each side must hold the turn: a
fork waits while the sandbox is being started, and the sandbox waits while
workers are forked. Then a stress run of both at once, which hung before.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time

from credgraph import child_processes
from credgraph.api import sandbox
from credgraph.api.guarded_store import GuardedStore
from credgraph.api.worker_pool import ForkingExecutor
from credgraph.graph.store.interface import open_store


def _executor() -> ForkingExecutor:
    return ForkingExecutor(GuardedStore(open_store("memory:")), timeout_s=5, row_cap=100, max_concurrent=2, spares=0)


def test_the_sandbox_is_not_started_while_workers_are_forked(monkeypatch):
    started = threading.Event()
    popen = subprocess.Popen

    def watched(*args, **kwargs):
        started.set()
        return popen(*args, **kwargs)

    monkeypatch.setattr(sandbox.subprocess, "Popen", watched)
    answers = []
    with child_processes.TURN:  # as a batch of forks holds it
        runner = threading.Thread(target=lambda: answers.append(sandbox.run_isolated(json.dumps, ("x",), 10, None)))
        runner.start()
        assert not started.wait(0.5), "the sandbox was started during the forks' turn"
    runner.join(timeout=30)
    assert answers == ['"x"']


def test_workers_are_not_forked_while_the_sandbox_is_started():
    executor = _executor()
    try:
        forked = []
        with child_processes.TURN:  # as the sandbox's start holds it
            forker = threading.Thread(target=lambda: forked.extend(executor._fork_batch(1)))
            forker.start()
            forker.join(timeout=0.5)
            assert forker.is_alive() and not forked, "a worker was forked during the sandbox's turn"
        forker.join(timeout=30)
        assert len(forked) == 1
    finally:
        for child in forked:
            executor._give_back(child)
        executor.close()


def test_sandbox_runs_and_forks_at_once_all_end():
    """Both from several threads, 40 times: every sandbox run answers within its time limit."""
    executor = _executor()
    stop = threading.Event()
    forked: list = []
    took: list[float] = []

    def fork_loop():
        while not stop.is_set():
            children = executor._fork_batch(2)
            forked.extend(children)
            for child in children:
                executor._give_back(child)

    def sandbox_loop():
        for _ in range(20):
            began = time.monotonic()
            assert sandbox.run_isolated(json.dumps, ("x",), 10, None) == '"x"'
            took.append(time.monotonic() - began)

    forkers = [threading.Thread(target=fork_loop, daemon=True) for _ in range(2)]
    runners = [threading.Thread(target=sandbox_loop, daemon=True) for _ in range(2)]
    try:
        for t in forkers + runners:
            t.start()
        for t in runners:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in runners), "a sandbox run never ended"
    finally:
        stop.set()
        for t in forkers:
            t.join(timeout=30)
        executor.close()
    assert len(took) == 40 and max(took) < 20, took
    assert len(forked) > 10  # the forks really ran beside the sandbox
