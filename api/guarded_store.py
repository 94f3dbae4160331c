"""The public store as the API server sees it: one gate for reads, writes and forks.

Public SPARQL queries run in worker processes forked from the server (see
:mod:`credgraph.api.worker_pool`), so that a timeout can kill the work. A worker
holds the store as it was at its fork, so forking is safe only at a moment
when no thread of the server is inside the store, and never in the middle of a
write. The gate gives that order:

- in-process reads (services) share the store;
- a write waits for reads in flight and runs alone; each finished write
  advances ``generation``, which retires the workers forked before it;
- a fork waits until nothing else is inside the store, and new readers and
  writers wait for a waiting fork (forks take moments; without this, a steady
  stream of in-process readers kept queries waiting for a fresh worker);
- turns alternate: readers (and forks) that were waiting when a write ended
  go before the next write, so a stream of writes cannot starve readers,
  just as waiting writers keep new readers from starving them.

Every write the server makes goes through :class:`GuardedStore`, so the gate
sees them all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from credgraph import queries
from credgraph.graph.store.binding import Row
from credgraph.graph.store.interface import Provenance, QueryResult, Store


class Gate:
    """A readers/writer gate that also orders forks and their snapshots."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._readers_waiting = 0  # readers and forks
        self._readers_turn = False  # set when a write ends with readers waiting: they go first
        self._forks_waiting = 0
        # Called with the new generation at the end of each write, while the store is still held
        # alone (the query executor wakes its spare-maker there; nothing may fork inside it, see
        # api/worker_pool.py); must not use the gate.
        self.after_write: list = []
        self.generation = 0  # counts finished writes: a child forked earlier is stale once it moves

    def _reader_may_enter(self) -> bool:
        return not self._writing and not self._forks_waiting and (not self._writers_waiting or self._readers_turn)

    def _writer_may_enter(self) -> bool:
        return (not self._writing and not self._readers and not self._forks_waiting
                and not (self._readers_turn and self._readers_waiting))

    def _wait_as_reader(self) -> None:
        self._readers_waiting += 1
        try:
            self._cond.wait_for(self._reader_may_enter)
        finally:
            self._readers_waiting -= 1
            if not self._readers_waiting:
                self._readers_turn = False
                self._cond.notify_all()

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold while reading the store in this process."""
        with self._cond:
            self._wait_as_reader()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold while writing; waits for the readers in flight, then runs alone."""
        with self._cond:
            self._writers_waiting += 1
            try:
                self._cond.wait_for(self._writer_may_enter)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self.generation += 1
                for hook in self.after_write:
                    try:
                        hook(self.generation)
                    except Exception:  # noqa: BLE001 - a failed fork must not fail the write that is done
                        pass
                self._writing = False
                self._readers_turn = self._readers_waiting > 0
                self._cond.notify_all()

    def wait_quiet(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for a moment when nobody is in the store or waiting to write, holding nobody back.

        For forks nobody waits for (spare query workers): a fork then finds the store free at once.
        """
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._writing and not self._readers and not self._writers_waiting, timeout_s)

    def fork(self, fork_fn):
        """Call ``fork_fn`` (which forks) when nothing is inside the store; returns its result and the generation.

        A waiting fork holds new readers and writers back until those inside have left.
        """
        with self._cond:
            self._forks_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._writing and not self._readers)
            finally:
                self._forks_waiting -= 1
                self._cond.notify_all()
            return fork_fn(), self.generation


class GuardedStore(Store):
    """A :class:`Store` that passes every operation through a :class:`Gate`."""

    def __init__(self, inner: Store, gate: Gate | None = None) -> None:
        self.inner = inner
        self.gate = gate or Gate()
        self.location = inner.location
        # What callers ask of the store itself, as the inner store answers it.
        self.merged_graph = inner.merged_graph
        self.bind_durations = inner.bind_durations
        self.parses_in_process = inner.parses_in_process

    def _query(self, text, bindings, default_graphs, named_graphs) -> QueryResult:
        with self.gate.read():
            return self.inner._query(text, bindings, default_graphs, named_graphs)

    def update(self, update: queries.NamedQuery | str, values: Sequence[Row] | None = None) -> None:
        with self.gate.write():
            self.inner.update(update, values)

    def native_update(self, text: str, *, base_iri: str | None = None) -> None:
        with self.gate.write():
            self.inner.native_update(text, base_iri=base_iri)

    def replace_graphs(self, graphs: Mapping[str, Iterable], provenance: Mapping[str, Provenance]) -> None:
        # Materialise first: the caller's iterables might read the store.
        graphs = {name: list(data) for name, data in graphs.items()}
        with self.gate.write():
            self.inner.replace_graphs(graphs, provenance)

    def load_graph(self, graph: str, triples, provenance: Provenance) -> None:
        self.replace_graphs({graph: triples}, {graph: provenance})

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        names = list(graphs)
        with self.gate.write():
            self.inner.drop_graphs(names)

    def quads(self):
        with self.gate.read():
            return list(self.inner.quads())

    def close(self) -> None:
        self.inner.close()

