"""Settings of the API server (limits, key file, audit log, built site)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from credgraph.settings import Settings


@dataclass(frozen=True)
class ApiSettings:
    """What the server enforces.

    ``keys_file``: JSON list of API keys (hashes and roles, see :mod:`credgraph.api.keys`);
    ``audit_log``: JSON-lines file recording every read of private data;
    ``site_dir``: a built static site served at ``/`` (API routes take precedence).
    """

    query_timeout_s: float = 10.0
    row_cap: int = 10_000
    max_concurrent_queries: int = 4
    max_body_bytes: int = 5 * 1024 * 1024
    keys_file: Path | None = None
    audit_log: Path | None = None
    site_dir: Path | None = None
    public_base: str = ""  # e.g. https://credgraph.example.org (links in HTML); "" = relative

    @classmethod
    def for_workspace(cls, settings: Settings, **overrides) -> "ApiSettings":
        """Defaults under the data directory, then ``CREDGRAPH_API_*`` variables, then ``overrides``."""
        data = Path(settings.data_dir)
        values: dict = {
            "keys_file": data / "api-keys.json",
            "audit_log": data / "audit.log",
            "max_body_bytes": settings.max_document_bytes,
        }
        env = os.environ
        if env.get("CREDGRAPH_API_TIMEOUT_S"):
            values["query_timeout_s"] = float(env["CREDGRAPH_API_TIMEOUT_S"])
        if env.get("CREDGRAPH_API_ROW_CAP"):
            values["row_cap"] = int(env["CREDGRAPH_API_ROW_CAP"])
        if env.get("CREDGRAPH_API_MAX_QUERIES"):
            values["max_concurrent_queries"] = int(env["CREDGRAPH_API_MAX_QUERIES"])
        if env.get("CREDGRAPH_API_KEYS"):
            values["keys_file"] = Path(env["CREDGRAPH_API_KEYS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
