"""The audit log: every read of private data, one JSON line each (who, when, what, why)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class AuditEntry:
    """One private read."""

    who: str  # key name
    role: str
    when: str  # ISO 8601, UTC
    what: str  # the resource read (route and id)
    why: str  # the caller's stated purpose


class AuditLog:
    """Appends entries to a JSON-lines file (mode 0600), flushed per entry."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self.memory: list[AuditEntry] = []  # when no file is configured (tests)

    def record(self, who: str, role: str, what: str, why: str) -> AuditEntry:
        """Write one entry before the data is handed out; raises if it cannot be written."""
        entry = AuditEntry(who, role, datetime.now(timezone.utc).isoformat(), what, why)
        with self._lock:
            if self.path is None:
                self.memory.append(entry)
                return entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return entry

    def entries(self) -> list[AuditEntry]:
        """Every entry written so far."""
        if self.path is None:
            return list(self.memory)
        if not self.path.exists():
            return []
        return [AuditEntry(**json.loads(line)) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
