"""Byte strings read one after the other as one binary stream.

pyoxigraph's ``load`` reads from a file-like object; feeding it a sequence
of parts (one graph's dump after another) through this stream keeps only
one part in memory at a time.
"""

from __future__ import annotations

import io
from collections.abc import Iterable


class ByteStream(io.RawIOBase):
    """The byte strings of ``parts``, read one after the other as one stream."""

    def __init__(self, parts: Iterable[bytes]) -> None:
        super().__init__()
        self._parts = iter(parts)
        self._chunk, self._at = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._at >= len(self._chunk):
            chunk = next(self._parts, None)
            if chunk is None:
                return 0
            self._chunk, self._at = chunk, 0
        n = min(len(buffer), len(self._chunk) - self._at)
        buffer[:n] = self._chunk[self._at:self._at + n]
        self._at += n
        return n
