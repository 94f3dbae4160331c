"""A small progress display for long work (imports), on standard error."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts work done; redraws one line on a terminal, prints a line now and then elsewhere."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.monotonic()
        # The first line only after one interval: a short import prints one line (its final state), not two.
        self._last = self.started
        self._tty = self.stream.isatty()

    def advance(self, n: int = 1, note: str = "") -> None:
        """Record ``n`` more units of work."""
        self.done += n
        now = time.monotonic()
        if now - self._last >= (0.1 if self._tty else 5.0):
            self._last = now
            self._draw(note)

    def _draw(self, note: str = "", end: str = "") -> None:
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        if self.total:
            width = 24
            filled = int(width * min(self.done / self.total, 1.0))
            bar = "[" + "#" * filled + "-" * (width - filled) + "]"
            text = f"{self.label} {bar} {self.done:,}/{self.total:,} ({self.done / elapsed:,.0f}/s) {note}"
        else:
            text = f"{self.label}: {self.done:,} ({self.done / elapsed:,.0f}/s) {note}"
        if self._tty:
            self.stream.write("\r\x1b[2K" + text + end)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self, note: str = "") -> float:
        """Draw the final state; returns the elapsed seconds."""
        self._draw(note, end="\n")
        return time.monotonic() - self.started
