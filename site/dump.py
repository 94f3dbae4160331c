"""The public dataset as one download: gzipped N-Quads (``data/credgraph.nq.gz``).

Packed in a thread beside the reading and rendering (zlib releases the GIL),
with mtime 0, so that identical data gives identical bytes.
"""

from __future__ import annotations

import gzip
import threading

from credgraph.graph.store.interface import StoreError
from credgraph.site.snapshot import Snapshot


class Dump:
    """The gzipped N-Quads of a snapshot, packed in a thread started at once."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.packed: bytes | None = None
        self.error: StoreError | None = None
        self._thread = threading.Thread(target=self._pack, args=(snapshot,))
        self._thread.start()

    def _pack(self, snapshot: Snapshot) -> None:
        try:
            self.packed = gzip.compress(snapshot.nquads(), compresslevel=6, mtime=0)
        except StoreError as exc:
            self.error = exc

    def bytes(self) -> bytes:
        """The packed dump, once the thread is done (its error raised here)."""
        self._thread.join()
        if self.packed is None:
            assert self.error is not None
            raise self.error
        return self.packed
