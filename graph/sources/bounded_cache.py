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
        key = _Key(key)
        with self._lock:
            value = self._items.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        """Remember ``value`` for ``key``."""
        key = _Key(key)
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


_MISSING = object()


class _Key:
    """A key whose hash is computed once (keys here are often long tuples: skeletons, descriptions)."""

    __slots__ = ("key", "hash")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.hash = hash(key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.key == other.key
