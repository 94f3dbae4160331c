"""Settings: one place that reads the environment and command-line overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where data lives and which store to use.

    ``store``: ``None`` (the embedded on-disk store under ``data_dir/store``),
    ``memory:``, ``oxigraph:///path``, a directory, or ``http(s)://host:port``.
    ``private_store``: where personal data goes; by default an embedded store
    under ``data_dir/private`` (``memory:`` when ``store`` is ``memory:``), so
    that learners' data never reaches a shared triple store.
    """

    data_dir: Path = Path("credgraph-data")
    store: str | None = None
    private_store: str | None = None
    max_document_bytes: int = 5 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from ``CREDGRAPH_*`` variables, then ``overrides`` (CLI flags) on top."""
        settings = cls(
            data_dir=Path(os.environ.get("CREDGRAPH_DATA", "credgraph-data")),
            store=os.environ.get("CREDGRAPH_STORE") or None,
            private_store=os.environ.get("CREDGRAPH_PRIVATE_STORE") or None,
            max_document_bytes=int(os.environ.get("CREDGRAPH_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in given:
            given["data_dir"] = Path(given["data_dir"])  # type: ignore[arg-type]
        return replace(settings, **given)  # type: ignore[arg-type]

    @property
    def private_location(self) -> str:
        """The store location for personal data."""
        if self.private_store:
            return self.private_store
        if self.store == "memory:":
            return "memory:"
        return str(self.data_dir / "private")
