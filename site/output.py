"""Writing the built site: only files whose content changed, with a manifest.

The manifest (``.credgraph-site.json`` in the output folder) records the
SHA-256 of every file the last build wrote, and for every *unit* (a page in
its three languages with its linked-data files, one page of a list, ...) the
fingerprint of the data it was rendered from and the files it wrote. A
rebuild skips the units whose fingerprint did not change (they are neither
rendered nor written), writes a rendered file only when its content differs,
and removes the files of entities that are gone; every other file keeps its
timestamp.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MANIFEST = ".credgraph-site.json"


class SiteOutput:
    """The output folder of one build."""

    def __init__(self, root: Path, *, incremental: bool) -> None:
        self.root = root
        self.incremental = incremental
        self.previous: dict[str, str] = {}
        self.previous_units: dict[str, dict] = {}
        self.previous_inputs = ""
        self.previous_specifications = 0
        manifest = root / MANIFEST
        if manifest.exists():
            try:
                saved = json.loads(manifest.read_text("utf-8"))
                self.previous = saved.get("files", {})
                if incremental:
                    self.previous_units = saved.get("units", {})
                    self.previous_inputs = saved.get("inputs", "")
                    self.previous_specifications = saved.get("specifications", 0)
            except (ValueError, OSError, AttributeError):
                self.previous, self.previous_units = {}, {}
        self.inputs = ""
        self.specifications = 0
        self.current: dict[str, str] = {}
        self.units: dict[str, dict] = {}
        self.units_reused = 0
        self.units_rendered = 0
        self._unit: list[str] | None = None
        self.written: list[str] = []
        self.unchanged = 0
        self.removed: list[str] = []
        self._made: set[str] = set()
        self._prefix = str(root) + "/"

    def write(self, rel: str, data: bytes | str) -> None:
        """Write ``data`` to ``rel`` (a path relative to the output folder) unless it is unchanged."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if rel in self.current:
            raise ValueError(f"the site build wrote {rel} twice (two entities share a page path)")
        digest = hashlib.sha256(data).hexdigest()
        self.current[rel] = digest
        if self._unit is not None:
            self._unit.append(rel)
        # Plain string paths and os calls: pathlib's objects cost more than the write itself, 50,000 times a build.
        target = self._prefix + rel
        if self.incremental and self.previous.get(rel) == digest and os.path.exists(target):
            self.unchanged += 1
            return
        parent = target.rpartition("/")[0]
        if parent not in self._made:
            # One mkdir where the parent exists (most pages): os.makedirs would look at the parent first.
            try:
                os.mkdir(parent)
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        # Written in place (a rename per file costs more than the page itself on some file systems).
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.written.append(rel)

    def unchanged_since(self, inputs: str) -> bool:
        """True (and every file kept) if the last build had the same ``inputs`` and all its files are in place."""
        if not self.incremental or not inputs or inputs != self.previous_inputs:
            return False
        if not all((self.root / rel).exists() for rel in self.previous):
            return False
        self.current = dict(self.previous)
        self.unchanged = len(self.current)
        self.units = dict(self.previous_units)
        self.units_reused = len(self.units)
        return True

    def reuse(self, key: str, fingerprint: str) -> bool:
        """Keep unit ``key``'s files from the last build if its fingerprint is unchanged (True), else start it.

        After False the caller renders the unit; what it writes until the next
        :meth:`reuse` call is recorded as the unit's files.
        """
        self._unit = None
        previous = self.previous_units.get(key)
        if previous is not None and previous["fp"] == fingerprint and key not in self.units:
            files = previous["files"]
            if all(rel in self.previous and rel not in self.current and (self.root / rel).exists() for rel in files):
                for rel in files:
                    self.current[rel] = self.previous[rel]
                self.unchanged += len(files)
                self.units[key] = previous
                self.units_reused += 1
                return True
        if key in self.units:
            raise ValueError(f"the site build made the unit {key} twice (two entities share a page path)")
        self._unit = []
        self.units[key] = {"fp": fingerprint, "files": self._unit, "rendered": True}
        self.units_rendered += 1
        return False

    def end(self) -> None:
        """Close the current unit: later writes belong to no unit (they are compared by content only)."""
        self._unit = None

    def merge(self, part: dict) -> None:
        """Take in what a worker process wrote (see :meth:`state`)."""
        clash = set(part["current"]) & set(self.current)
        if clash:
            raise ValueError(f"the site build wrote {sorted(clash)[0]} twice (two entities share a page path)")
        self.current.update(part["current"])
        self.written.extend(part["written"])
        self.unchanged += part["unchanged"]
        self.units.update(part["units"])
        self.units_reused += part["units_reused"]
        self.units_rendered += part["units_rendered"]

    def reset(self) -> None:
        """Forget what was written (in a worker process, before its share of the work)."""
        self.current, self.written, self.unchanged, self.units = {}, [], 0, {}
        self.units_reused = self.units_rendered = 0
        self._unit = None

    def state(self) -> dict:
        """What was written since :meth:`reset`, for :meth:`merge` in the parent process."""
        self._unit = None
        return {"current": self.current, "written": self.written, "unchanged": self.unchanged, "units": self.units,
                "units_reused": self.units_reused, "units_rendered": self.units_rendered}

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
        self._unit = None
        units = {key: {"fp": unit["fp"], "files": unit["files"]} for key, unit in self.units.items()}
        manifest = {"files": self.current, "units": units, "inputs": self.inputs, "specifications": self.specifications}
        (self.root / MANIFEST).write_text(json.dumps(manifest, sort_keys=True, indent=0), "utf-8")
