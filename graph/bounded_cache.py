"""A small, thread-safe map that keeps only the entries used most recently.

The importer remembers work per document shape (parsed JSON-LD templates,
validation results, description hashes); a long-running server must not let
those memories grow without end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class BoundedCache:
    """At most ``size`` entries; putting one more forgets the least recently used."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: object = None) -> object:
        """The value for ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: object) -> None:
        """Remember ``value`` for ``key``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
