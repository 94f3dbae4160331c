"""Admission to the query slots (api/fairness.py) under contention, on a real event loop.

Each "query" holds its slot for as long as the test says; what is checked is
who gets a slot, when, and what a refused client is told (429: its own excess;
503: the server's slots stayed full).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from credgraph.api.executor import QueryExecutor, QueryFailure
from credgraph.api.fairness import Busy, FairShares


async def hold(shares: FairShares, client: str, seconds: float, log: list, keyed: bool = False, long_after=None):
    """One query of ``client``: waits for a slot, holds it ``seconds``; logs (client, outcome, waited)."""
    asked = time.monotonic()
    try:
        async with shares.slot(client, keyed) as ticket:
            log.append((client, "started", time.monotonic() - asked))
            if long_after is not None:
                await asyncio.sleep(long_after)
                ticket.ran_long()
                await asyncio.sleep(seconds - long_after)
            else:
                await asyncio.sleep(seconds)
    except Busy as busy:
        log.append((client, "429" if busy.own else "503", time.monotonic() - asked, busy.retry_after))


def run(coro):
    return asyncio.run(coro)


def test_a_greedy_client_is_throttled_while_a_well_behaved_one_gets_answers():
    async def scenario():
        shares = FairShares(slots=2, per_client=1, reserved=0, wait_s=0.5, queued_per_client=3)
        log: list = []
        greedy = [asyncio.create_task(hold(shares, "greedy", 1.0, log)) for _ in range(6)]
        await asyncio.sleep(0.05)
        polite = [asyncio.create_task(hold(shares, "polite", 0.05, log)) for _ in range(3)]
        await asyncio.gather(*polite)
        await asyncio.gather(*greedy)
        return log

    log = run(scenario())
    greedy = [entry for entry in log if entry[0] == "greedy"]
    polite = [entry for entry in log if entry[0] == "polite"]
    # The greedy client runs its share (one); three more wait in its queue, the two beyond are refused at
    # once, the three queued are refused when the wait ends: all as its own excess (429), none as 503.
    assert sum(1 for e in greedy if e[1] == "started") == 1
    refused = [e for e in greedy if e[1] != "started"]
    assert len(refused) == 5 and all(e[1] == "429" for e in refused)
    assert sum(1 for e in refused if e[2] < 0.1) == 2  # over its queue: told at once
    # The well-behaved client gets every query answered, one after the other, without waiting for the greedy one.
    assert [e[1] for e in polite] == ["started"] * 3
    assert max(e[2] for e in polite) < 0.3


def test_the_lightest_client_goes_first_when_a_slot_frees():
    async def scenario():
        shares = FairShares(slots=1, per_client=1, reserved=0, wait_s=5.0, heavy_after_s=100.0)
        shares._charge("heavy-user", 50.0)  # used much query time recently (not yet heavy)
        log: list = []
        first = asyncio.create_task(hold(shares, "someone", 0.2, log))
        await asyncio.sleep(0.02)
        early = asyncio.create_task(hold(shares, "heavy-user", 0.05, log))  # arrives first
        await asyncio.sleep(0.02)
        late = asyncio.create_task(hold(shares, "light-user", 0.05, log))
        await asyncio.gather(first, early, late)
        return log

    log = run(scenario())
    started = [e[0] for e in log if e[1] == "started"]
    assert started == ["someone", "light-user", "heavy-user"]


def test_long_queries_move_out_of_the_ordinary_slots():
    async def scenario():
        shares = FairShares(slots=2, per_client=1, reserved=0, wait_s=0.3, long_slots=1)
        log: list = []
        long_ones = [asyncio.create_task(hold(shares, f"long-{i}", 1.0, log, long_after=0.1)) for i in range(2)]
        await asyncio.sleep(0.2)  # both ran long; the long share holds one of them
        assert shares.running_long == 1 and shares.running == 1
        short = [asyncio.create_task(hold(shares, f"short-{i}", 0.05, log)) for i in range(3)]
        await asyncio.gather(*short)
        await asyncio.gather(*long_ones)
        return log, shares

    log, shares = run(scenario())
    short = [e for e in log if e[0].startswith("short")]
    # One ordinary slot stayed free for short queries: all answered, none waited for the long ones.
    assert [e[1] for e in short] == ["started"] * 3 and max(e[2] for e in short) < 0.3
    assert shares.running == shares.running_long == 0 and not shares.by_client


def test_the_server_full_is_503_and_a_heavy_client_is_429_with_its_decay_time():
    async def scenario():
        shares = FairShares(slots=1, per_client=1, reserved=0, wait_s=0.2, heavy_after_s=1.0, half_life_s=30.0)
        shares._charge("heavy", 4.0)  # 4 s used against a threshold of 1 s: two half-lives to go
        log: list = []
        holder = asyncio.create_task(hold(shares, "holder", 0.5, log))
        await asyncio.sleep(0.02)
        await asyncio.gather(hold(shares, "other", 0.01, log), hold(shares, "heavy", 0.01, log))
        await holder
        return log

    log = run(scenario())
    other = next(e for e in log if e[0] == "other")
    heavy = next(e for e in log if e[0] == "heavy")
    assert other[1] == "503" and other[3] == 2  # within its share: the server's slots were full
    assert heavy[1] == "429" and heavy[3] == pytest.approx(60, abs=1)  # its account decays under 1 s in ~60 s


def test_keyed_clients_keep_the_reserve():
    async def scenario():
        shares = FairShares(slots=2, per_client=1, reserved=1, wait_s=0.2)
        log: list = []
        anonymous = asyncio.create_task(hold(shares, "address:a", 0.4, log))
        await asyncio.sleep(0.02)
        await asyncio.gather(hold(shares, "address:b", 0.01, log), hold(shares, "key:r", 0.01, log, keyed=True))
        await anonymous
        return log

    log = run(scenario())
    assert next(e for e in log if e[0] == "address:b")[1] == "503"
    assert next(e for e in log if e[0] == "key:r")[1] == "started"


def test_a_cancelled_wait_leaves_nothing_behind():
    async def scenario():
        shares = FairShares(slots=1, per_client=1, reserved=0, wait_s=5.0)
        log: list = []
        holder = asyncio.create_task(hold(shares, "a", 0.2, log))
        await asyncio.sleep(0.02)
        waiting = asyncio.create_task(hold(shares, "b", 0.01, log))
        await asyncio.sleep(0.05)
        waiting.cancel()  # the client went away
        await holder
        await asyncio.sleep(0.01)
        return shares

    shares = run(scenario())
    assert not shares.waiters and shares.running == 0 and not shares.by_client and not shares.tickets


def test_a_query_that_did_little_work_is_never_charged_however_slow():
    async def scenario():
        shares = FairShares(slots=2, per_client=2, reserved=0, wait_s=1.0, heavy_after_s=0.2)
        for cpu, client in ((0.05, "reader"), (2.0, "hog")):
            async with shares.slot(client, False) as ticket:
                await asyncio.sleep(0.5)  # wall time: the same for both, over half of heavy_after_s
                ticket.cpu_s = cpu  # as the executor measures it on the worker
        return shares

    shares = run(scenario())
    assert shares.usage("reader") == 0 and not shares.heavy("reader")
    assert shares.usage("hog") == pytest.approx(0.4, abs=0.05) and shares.heavy("hog")


# -- whose fault a stopped query is (QueryExecutor.why_stopped) ---------------------------------------


class _Worker(QueryExecutor):
    """An executor whose "worker" runs ``wall`` seconds, reports ``cpu`` seconds of CPU, then ends as told.

    The fair shares, their preemption and the failure-to-status mapping are the real ones; only the
    process is replaced by a sleep, so that the CPU figure is the test's to choose.
    """

    def __init__(self, timeout_s: float, cpu_share: float) -> None:
        super().__init__(timeout_s, row_cap=10, max_concurrent=1, queue_wait_s=2.0, per_client=1)
        self.cpu_share = cpu_share

    async def run_async(self, job, ticket=None):
        stopped = asyncio.Event()
        started = time.monotonic()
        ticket.cpu_used = lambda: self.cpu_share * (time.monotonic() - started)
        ticket.preempt = stopped.set
        try:
            await asyncio.wait_for(stopped.wait(), self.timeout_s)
        except asyncio.TimeoutError:
            ticket.cpu_s = self.cpu_share * self.timeout_s
            raise QueryFailure("timeout", f"the query ran longer than {self.timeout_s:g} s and was stopped",
                               extra={"timeout_s": self.timeout_s}) from None
        ticket.cpu_s = self.cpu_share * (time.monotonic() - started)
        raise QueryFailure("crashed", "the query worker stopped (SIGKILL)")


def _status(executor: QueryExecutor, client: str = "address:hog"):
    from credgraph.api.routes_sparql import _problem_of

    async def one():
        try:
            await executor.run_for(None, client, False)
        except QueryFailure as failure:
            return _problem_of(failure)
    return one


def test_a_query_that_had_its_cpu_share_at_the_deadline_is_too_costly_422():
    problem = run(_status(_Worker(timeout_s=0.4, cpu_share=0.9))())
    assert problem.status == 422 and problem.type == "query-too-costly"
    assert "query_timeout_s = 0.4 s" in problem.detail and "CREDGRAPH_API_TIMEOUT_S" in problem.detail
    assert problem.extra["cpu_s"] == pytest.approx(0.36) and "Retry-After" not in problem.headers


def test_a_query_starved_of_cpu_at_the_deadline_is_the_server_503():
    problem = run(_status(_Worker(timeout_s=0.4, cpu_share=0.1))())
    assert problem.status == 503 and problem.type == "query-timeout"
    assert "overloaded" in problem.detail and int(problem.headers["Retry-After"]) >= 1
    assert problem.extra["cpu_s"] == pytest.approx(0.04)


def test_a_query_that_worked_below_its_cpu_share_at_the_deadline_is_its_clients_excess_429():
    async def scenario():
        executor = _Worker(timeout_s=1.0, cpu_share=0.3)  # 0.3 s of CPU: charged, but not too costly
        problem = await _status(executor)()
        return problem, executor

    problem, executor = run(scenario())
    assert problem.status == 429 and problem.type == "too-many-queries"
    assert "more than its share" in problem.detail and problem.extra["cpu_s"] == pytest.approx(0.3)
    # Retry-After: when the client's account, charged for this query, is light again.
    assert int(problem.headers["Retry-After"]) == executor.shares._light_again_in("address:hog") >= 1


def test_a_query_stopped_for_a_waiting_client_is_its_own_excess_429():
    async def scenario():
        executor = _Worker(timeout_s=3.0, cpu_share=0.9)
        executor.shares.heavy_after_s = 0.3  # preemptible after 0.3 s
        hog = asyncio.create_task(_status(executor, "address:hog")())
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(executor.shares.slot("address:reader", False).__aenter__())
        ticket = await asyncio.wait_for(waiting, 2.0)  # the hog was stopped to free the slot
        problem = await hog
        executor.shares._release(ticket)
        return problem, executor

    started = time.monotonic()
    problem, executor = run(scenario())
    assert time.monotonic() - started < 1.5  # stopped early, not at the 3 s deadline
    assert problem.status == 429 and problem.type == "too-many-queries"
    assert "to give its slot to a waiting client" in problem.detail
    # Retry-After: the time until the hog's account, charged for this query, is light again.
    assert int(problem.headers["Retry-After"]) == executor.shares._light_again_in("address:hog") >= 1


def test_one_stop_at_a_time_for_a_waiting_client():
    """While a stopped query's slot is on its way back, no second query is stopped for the same wait."""
    async def scenario():
        shares = FairShares(slots=2, per_client=1, reserved=0, wait_s=2.0, heavy_after_s=0.1)
        stops: list[str] = []
        held = []  # the slots' context managers, kept: one that is collected gives its slot back
        for client in ("hog1", "hog2"):
            slot = shares.slot(client, False)
            ticket = await slot.__aenter__()
            ticket.cpu_used = lambda: 1.0  # real work done
            ticket.preempt = lambda c=client: stops.append(c)  # "killed", but its worker takes its time to go
            held.append((slot, ticket))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # both now preemptible
        reader = shares.slot("reader", False)
        newcomer = asyncio.create_task(reader.__aenter__())
        await asyncio.sleep(0.8)  # three rounds of the waiting client's loop
        first = list(stops)
        shares._release(held[0][1])  # the stopped query's slot comes back
        await asyncio.wait_for(newcomer, 1.0)
        await reader.__aexit__(None, None, None)
        for slot, _ in held:
            await slot.__aexit__(None, None, None)
        return first, stops, shares

    first, stops, shares = run(scenario())
    assert first == ["hog1"] and stops == ["hog1"]  # the longest one, once; the other hog kept running
    assert shares.running == 0 and not shares.tickets
