"""Writing the built site: only files whose content changed, with a manifest.

The manifest (``.credgraph-site.json`` in the output folder) records the
SHA-256 of every file the last build wrote, so that a rebuild after one
catalogue change rewrites only the affected files and removes the files of
entities that are gone, and leaves every other file (and its timestamp) alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = ".credgraph-site.json"


class SiteOutput:
    """The output folder of one build."""

    def __init__(self, root: Path, *, incremental: bool) -> None:
        self.root = root
        self.incremental = incremental
        self.previous: dict[str, str] = {}
        manifest = root / MANIFEST
        if manifest.exists():
            try:
                self.previous = json.loads(manifest.read_text("utf-8")).get("files", {})
            except (ValueError, OSError):
                self.previous = {}
        self.current: dict[str, str] = {}
        self.written: list[str] = []
        self.unchanged = 0
        self.removed: list[str] = []
        self._made: set[Path] = set()

    def write(self, rel: str, data: bytes | str) -> None:
        """Write ``data`` to ``rel`` (a path relative to the output folder) unless it is unchanged."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if rel in self.current:
            raise ValueError(f"the site build wrote {rel} twice (two entities share a page path)")
        digest = hashlib.sha256(data).hexdigest()
        self.current[rel] = digest
        target = self.root / rel
        if self.incremental and self.previous.get(rel) == digest and target.exists():
            self.unchanged += 1
            return
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        # Written in place (a rename per file costs more than the page itself on some file systems).
        target.write_bytes(data)
        self.written.append(rel)

    def finish(self) -> None:
        """Remove files the previous build wrote and this one did not; save the manifest."""
        for rel in sorted(set(self.previous) - set(self.current)):
            path = self.root / rel
            if path.exists():
                path.unlink()
                self.removed.append(rel)
                parent = path.parent
                while parent != self.root and parent.exists() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        (self.root / MANIFEST).write_text(json.dumps({"files": self.current}, sort_keys=True, indent=0), "utf-8")
