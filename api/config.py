"""Settings of the API server (limits, key file, audit log, built site)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from credgraph.settings import Settings, SettingsError


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
    public_base: str = ""  # e.g. https://credgraph.example.org (links, service description); "" = the bound address
    # -- limits against careless and hostile clients (docs/api.md, "Limits") --
    max_query_chars: int = 256 * 1024  # longer query/update texts: 413, before any look at them
    max_query_tokens: int = 50_000  # more SPARQL tokens: 400
    max_query_depth: int = 100  # deeper {, ( or [ nesting: 400 (pyoxigraph's parser crashes at ~3,000)
    queue_wait_s: float = 0.0  # how long a query waits for a slot; 0: the query timeout (a heavy client's: 1 s); then 503 busy
    queries_per_client: int = 0  # queries one client (key or address) runs at once; 0: a quarter of the slots
    queued_per_client: int = 8  # queries one client may have waiting for a slot; one more: 429
    long_queries: int = 0  # queries running over 0.5 s moved out of the ordinary slots; 0: half the slots
    reserved_keyed_queries: int = 0  # slots only keyed clients may use; 0: a quarter of the slots
    worker_memory_mb: int = 512  # address space a query worker may add to what it shares with the server
    max_result_bytes: int = 32 * 1024 * 1024  # a larger answer (any format): 422 result-too-large
    recycle_worker_mb: int = 64  # a worker that grew by more than this is retired after its answer
    max_anonymous_validations: int = 2  # /validate and /verify without a key, at once; more: 503
    header_timeout_s: float = 10.0  # a connection that has not sent its request head by then is closed
    body_timeout_s: float = 30.0  # a body that stalls this long between chunks: 408

    @classmethod
    def for_workspace(cls, settings: Settings, **overrides) -> "ApiSettings":
        """Defaults under the data directory, then the ``CREDGRAPH_API_*`` values of ``settings``, then ``overrides``."""
        data = Path(settings.data_dir)
        values: dict = {
            "keys_file": data / "api-keys.json",
            "audit_log": data / "audit.log",
            "max_body_bytes": settings.max_document_bytes,
        }
        # Timeout, row cap, concurrency and the key file were read once, into ``settings``
        # (credgraph.settings); the API's further limits are read here.
        for name, value in (("query_timeout_s", settings.api_timeout_s), ("row_cap", settings.api_row_cap),
                            ("max_concurrent_queries", settings.api_max_queries), ("keys_file", settings.api_keys_file)):
            if value is not None:
                values[name] = value
        # The environment itself is read in credgraph.settings only (settings.api_values).
        for name, kind in _LIMITS.items():
            raw = settings.api_values.get(name)
            if raw:
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise SettingsError(f"CREDGRAPH_API_{name.upper()}={raw!r} is not a {kind.__name__}") from None
        if settings.public_base:
            values["public_base"] = settings.public_base
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def client_share(self) -> int:
        """Queries one client may run at once."""
        return self.queries_per_client or max(1, self.max_concurrent_queries // 4)

    @property
    def queue_wait(self) -> float:
        """Seconds a query waits for a slot: longer than it takes a query to become preemptible (half the timeout)."""
        return self.queue_wait_s or self.query_timeout_s

    @property
    def long_share(self) -> int:
        """Long queries (running over 0.5 s) that may hold no ordinary slot, at once."""
        return self.long_queries or max(1, self.max_concurrent_queries // 2)

    @property
    def keyed_reserve(self) -> int:
        """Query slots anonymous clients never take (0 when there is only one slot)."""
        if self.max_concurrent_queries <= 1:
            return 0
        return min(self.reserved_keyed_queries or max(1, self.max_concurrent_queries // 4),
                   self.max_concurrent_queries - 1)


# Every limit can be set as CREDGRAPH_API_<NAME> (e.g. CREDGRAPH_API_MAX_QUERY_DEPTH=50).
_LIMITS = {
    "queue_wait_s": float, "queued_per_client": int, "long_queries": int, "max_query_chars": int,
    "max_query_tokens": int, "max_query_depth": int, "queries_per_client": int,
    "reserved_keyed_queries": int, "worker_memory_mb": int, "max_result_bytes": int, "recycle_worker_mb": int,
    "max_anonymous_validations": int, "header_timeout_s": float, "body_timeout_s": float,
}
