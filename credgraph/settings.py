"""Settings: the one place that reads the environment and command-line overrides.

Everything configurable about where data lives is read here, once, into a
frozen :class:`Settings`; the stores, the API server and the commands take
their values from it and never look at the environment themselves.

Three stores, each with its own endpoints (docs/privacy.md):

- the public store (``--store`` / ``CREDGRAPH_STORE``): vocabularies,
  catalogues, issuance records; what anonymous readers see. For a remote
  server whose endpoints do not follow ``<base>/query``, ``/update``,
  ``/store``, ``CREDGRAPH_QUERY_URL``, ``CREDGRAPH_UPDATE_URL`` and
  ``CREDGRAPH_GSP_URL`` name them: these are for the public store only;
- the private store (``--private-store`` / ``CREDGRAPH_PRIVATE_STORE``):
  personal data and quarantine; its endpoints are named with
  ``CREDGRAPH_PRIVATE_QUERY_URL`` (``_UPDATE_URL``, ``_GSP_URL``);
- the research store (``CREDGRAPH_RESEARCH_STORE``): issuance records with
  learner pseudonyms, read with a researcher key; endpoints
  ``CREDGRAPH_RESEARCH_QUERY_URL`` and so on.

:meth:`Settings.check` refuses configurations that would send personal data
to the public store: a private or research store at the same place as the
public one (same directory or same endpoint URL), or public endpoint
overrides that only a private store could take.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class SettingsError(ValueError):
    """The configuration is unsafe or inconsistent; the message names the setting."""


@dataclass(frozen=True)
class Endpoints:
    """How one remote store is reached (None: ``<base>/query``, ``/update``, ``/store``).

    Besides the endpoint URLs: ``merged_graph``, the named graph that keeps the
    merged public graph on a server whose default graph is the union of all
    graphs (Virtuoso); ``user``/``password``, HTTP digest credentials for
    updates; ``bind_durations``, write ``xsd:duration`` through ``BIND`` (Virtuoso 7.2).
    """

    query_url: str | None = None
    update_url: str | None = None
    gsp_url: str | None = None
    merged_graph: str | None = None
    user: str | None = None
    password: str | None = None
    bind_durations: bool = False
    # Seconds a query / an update may take on the server (whole-graph writes, e.g. a
    # full ESCO export of ~450k triples, can take minutes on a loaded server; queries should not).
    timeout_s: float = 300.0
    update_timeout_s: float = 1800.0

    def any(self) -> bool:
        return bool(self.query_url or self.update_url or self.gsp_url)


# The variables behind each store's endpoint overrides.
_ENDPOINT_VARIABLES = {
    "public": ("CREDGRAPH_QUERY_URL", "CREDGRAPH_UPDATE_URL", "CREDGRAPH_GSP_URL"),
    "private": ("CREDGRAPH_PRIVATE_QUERY_URL", "CREDGRAPH_PRIVATE_UPDATE_URL", "CREDGRAPH_PRIVATE_GSP_URL"),
    "research": ("CREDGRAPH_RESEARCH_QUERY_URL", "CREDGRAPH_RESEARCH_UPDATE_URL", "CREDGRAPH_RESEARCH_GSP_URL"),
}


@dataclass(frozen=True)
class Settings:
    """Where data lives, which stores to use, and the server's limits.

    ``store``: ``None`` (the embedded on-disk store under ``data_dir/store``),
    ``memory:``, ``oxigraph:///path``, a directory, or ``http(s)://host:port``.
    ``private_store``: where personal data goes; by default an embedded store
    under ``data_dir/private`` (``memory:`` when ``store`` is ``memory:``), so
    that learners' data never reaches a shared triple store.
    ``research_store``: issuance records with learner pseudonyms; by default
    ``data_dir/research`` (``memory:`` likewise).
    """

    data_dir: Path = Path("credgraph-data")
    store: str | None = None
    private_store: str | None = None
    research_store: str | None = None
    max_document_bytes: int = 5 * 1024 * 1024
    endpoints: Endpoints = field(default_factory=Endpoints)
    private_endpoints: Endpoints = field(default_factory=Endpoints)
    research_endpoints: Endpoints = field(default_factory=Endpoints)
    # The API server's limits and files (see credgraph.api.config); None: its default.
    api_timeout_s: float | None = None
    api_row_cap: int | None = None
    api_max_queries: int | None = None
    api_keys_file: Path | None = None
    # Every CREDGRAPH_API_<NAME> value as given (name without the prefix, lower case):
    # credgraph.api.config turns the ones it knows into the API's limits.
    api_values: Mapping[str, str] = field(default_factory=dict, hash=False)  # Settings stay hashable
    public_base: str = ""  # the server's public base URL; "": the bound address
    # Seals: the trust anchor certificates (PEM) chains are checked against; None: chain trust "unknown".
    trust_anchors: Path | None = None
    # Issuing through the API: each awarding body's sealing key and chain (api/routes_issue.py).
    sealing_keys: Path | None = None
    # Memos checked while running (graph/sources/memo_check.py): one use in N recomputed;
    # None: its default (200); 0: off.
    memo_check_every: int | None = None

    @property
    def sealing_keys_file(self) -> Path:
        """The sealing key settings: ``CREDGRAPH_SEALING_KEYS``, else ``<data>/sealing-keys.json``."""
        return self.sealing_keys or Path(self.data_dir) / "sealing-keys.json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Settings from ``CREDGRAPH_*`` variables, then ``overrides`` (CLI flags) on top; checked."""
        env = os.environ if environ is None else environ

        def endpoints(which: str) -> Endpoints:
            q, u, g = (env.get(name) or None for name in _ENDPOINT_VARIABLES[which])
            prefix = "CREDGRAPH_" if which == "public" else f"CREDGRAPH_{which.upper()}_"
            return Endpoints(
                q, u, g,
                merged_graph=env.get(prefix + "MERGED_GRAPH") or None,
                user=env.get(prefix + "REMOTE_USER") or None,
                password=env.get(prefix + "REMOTE_PASSWORD") or None,
                bind_durations=env.get(prefix + "BIND_DURATIONS", "") in {"1", "yes", "true"},
                # The same timeouts for every remote store.
                timeout_s=number("CREDGRAPH_REMOTE_TIMEOUT", float) or Endpoints.timeout_s,
                update_timeout_s=number("CREDGRAPH_REMOTE_UPDATE_TIMEOUT", float) or Endpoints.update_timeout_s,
            )

        def number(name: str, kind):
            raw = env.get(name)
            if not raw:
                return None
            try:
                return kind(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from None

        settings = cls(
            data_dir=Path(env.get("CREDGRAPH_DATA", "credgraph-data")),
            store=env.get("CREDGRAPH_STORE") or None,
            private_store=env.get("CREDGRAPH_PRIVATE_STORE") or None,
            research_store=env.get("CREDGRAPH_RESEARCH_STORE") or None,
            max_document_bytes=number("CREDGRAPH_MAX_DOCUMENT_BYTES", int) or 5 * 1024 * 1024,
            endpoints=endpoints("public"),
            private_endpoints=endpoints("private"),
            research_endpoints=endpoints("research"),
            api_timeout_s=number("CREDGRAPH_API_TIMEOUT_S", float),
            api_row_cap=number("CREDGRAPH_API_ROW_CAP", int),
            api_max_queries=number("CREDGRAPH_API_MAX_QUERIES", int),
            api_keys_file=Path(env["CREDGRAPH_API_KEYS"]) if env.get("CREDGRAPH_API_KEYS") else None,
            api_values={name[len("CREDGRAPH_API_"):].lower(): value for name, value in env.items()
                        if name.startswith("CREDGRAPH_API_") and value},
            public_base=(env.get("CREDGRAPH_PUBLIC_BASE") or "").rstrip("/"),
            trust_anchors=Path(env["CREDGRAPH_TRUST_ANCHORS"]) if env.get("CREDGRAPH_TRUST_ANCHORS") else None,
            sealing_keys=Path(env["CREDGRAPH_SEALING_KEYS"]) if env.get("CREDGRAPH_SEALING_KEYS") else None,
            memo_check_every=number("CREDGRAPH_MEMO_CHECK_EVERY", int),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in given:
            given["data_dir"] = Path(given["data_dir"])  # type: ignore[arg-type]
        settings = replace(settings, **given)  # type: ignore[arg-type]
        settings.check()
        return settings

    @property
    def private_location(self) -> str:
        """The store location for personal data."""
        return self._own_location(self.private_store, "private")

    @property
    def research_location(self) -> str:
        """The store location for issuance records with learner pseudonyms."""
        return self._own_location(self.research_store, "research")

    def _own_location(self, configured: str | None, folder: str) -> str:
        if configured:
            return configured
        if self.store == "memory:":
            return "memory:"
        return str(self.data_dir / folder)

    @property
    def public_location(self) -> str:
        """The public store's location as a string (the embedded default spelled out)."""
        return self.store or str(self.data_dir / "store")

    def check(self) -> None:
        """Raise :class:`SettingsError` for a configuration that could put personal data in public."""
        public_remote = _is_remote(self.public_location)
        if self.endpoints.any() and not public_remote:
            names = [n for n, v in zip(_ENDPOINT_VARIABLES["public"], (self.endpoints.query_url, self.endpoints.update_url,
                                                                      self.endpoints.gsp_url)) if v]
            raise SettingsError(
                f"{', '.join(names)} name endpoints of a remote public store, but the public store is "
                f"{self.public_location!r}; they are never used for the private store "
                "(set CREDGRAPH_PRIVATE_QUERY_URL, CREDGRAPH_PRIVATE_UPDATE_URL, CREDGRAPH_PRIVATE_GSP_URL for it)")
        for which, location, endpoints in (("private", self.private_location, self.private_endpoints),
                                           ("research", self.research_location, self.research_endpoints)):
            if endpoints.any() and not _is_remote(location):
                raise SettingsError(f"CREDGRAPH_{which.upper()}_*_URL are set but the {which} store is {location!r}, not a remote server")
            if location == "memory:":
                continue
            clash = set(self._places("public", self.public_location, self.endpoints)) & set(
                self._places(which, location, endpoints))
            if clash:
                raise SettingsError(
                    f"the {which} store ({location}) is configured at the same place as the public store "
                    f"({sorted(clash)[0]}): learners' data would be published; give it its own store")
        clash = set(self._places("private", self.private_location, self.private_endpoints)) & set(
            self._places("research", self.research_location, self.research_endpoints))
        if clash and self.private_location != "memory:":
            raise SettingsError(f"the research store is configured at the same place as the private store ({sorted(clash)[0]})")

    def _places(self, which: str, location: str, endpoints: Endpoints) -> list[str]:
        """Every place a store of ``location`` reads or writes (directories resolved, URLs normalised)."""
        if location == "memory:":
            return []
        if not _is_remote(location):
            path = location[len("oxigraph://"):] if location.startswith("oxigraph://") else location
            return ["dir:" + str(Path(path).resolve())]
        base = location.rstrip("/")
        urls = [base, endpoints.query_url or base + "/query", endpoints.update_url or base + "/update",
                endpoints.gsp_url or base + "/store"]
        return [_normal_url(u) for u in urls]


def read_secret(variable: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret in the environment variable ``variable`` (None: not set).

    By design a secret is never written in a settings file: the file names the
    variable that holds it (``password_env`` of the sealing key settings,
    ``--password-env`` of ``credgraph issue``). This is the one place such a
    name is looked up; the value is passed on and never logged or stored.
    """
    env = os.environ if environ is None else environ
    return env.get(variable)


def _is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _normal_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host in ("localhost", "::1") or host.startswith("127."):
        host = "127.0.0.1"  # the loopback names reach the same server
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return urlunsplit((parts.scheme.lower(), f"{host}:{port}", parts.path.rstrip("/") or "/", parts.query, ""))
