"""A workspace: the settings, the public, private and research stores (opened lazily), and the instance secret."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from credgraph.graph.keyed_names import keyed_id
from credgraph.graph.sources import memo_check
from credgraph.graph.store.interface import Store, StoreError, open_store
from credgraph.settings import Settings


class Workspace:
    """Everything a command or a server needs to reach the data.

    The public store holds vocabularies, catalogues and pseudonymised issuance
    records; the private store holds personal data and quarantined documents;
    the research store holds issuance records with learner pseudonyms.
    Any store may be given (a test's store, the API server's guarded store;
    the caller closes it); otherwise it is opened on first use. ``must_exist``:
    refuse to open the embedded store of a data directory that does not exist
    (the command line, except ``init``), rather than quietly create an empty one.
    """

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 private: Store | None = None, research: Store | None = None, must_exist: bool = False) -> None:
        self.settings = settings or Settings.from_env()
        self.settings.check()  # also for settings made in code: never publish the private store
        memo_check.configure(self.settings.memo_check_every)  # CREDGRAPH_MEMO_CHECK_EVERY, when set
        self.repaired = False  # set once the stores were checked for half-written documents (graph.consistency)
        self.must_exist = must_exist
        self._store = store
        self._private = private
        self._research = research
        self._opened: list[Store] = []  # what close() closes: the stores this workspace opened itself
        self._learners = None
        self._secret: bytes | None = None

    @property
    def store(self) -> Store:
        """The public store."""
        if self._store is None:
            if self.settings.store is None:  # the embedded store under the data directory
                self._check_data_dir()
            self._store = self._open(self.settings.store, self.settings.endpoints)
        return self._store

    @property
    def private(self) -> Store:
        """The private store (personal data, quarantine)."""
        if self._private is None:
            if not self.settings.private_store and self.settings.store != "memory:":  # under the data directory
                self._check_data_dir()
            self._private = self._open(self.settings.private_location, self.settings.private_endpoints)
        return self._private

    @property
    def research(self) -> Store:
        """The research store: issuance records with learner pseudonyms (researcher view, learner statistics)."""
        if self._research is None:
            self._research = self._open(self.settings.research_location, self.settings.research_endpoints)
        return self._research

    @property
    def learners(self) -> Store:
        """The public store with learner queries answered by the research store (graph/store/learner_view.py)."""
        from credgraph.graph.store.learner_view import LearnerView

        view = self._learners
        if view is None or view.public is not self.store or view.research is not self.research:
            view = self._learners = LearnerView(self.store, self.research)
        return view

    def wrap_store(self, wrap: Callable[[Store], Store]) -> Store:
        """Put the public and research stores behind ``wrap(store)`` for everyone who holds this workspace.

        The API server passes its guarded store in this way: every write made
        through the workspace while the server runs (imports, tests) then goes
        through the server's gate. Closing still closes the stores opened here.
        Returns the wrapped public store.
        """
        self._store = wrap(self.store)
        self._research = wrap(self.research)
        return self._store

    def _open(self, location: str | None, endpoints) -> Store:
        opened = open_store(location, data_dir=self.settings.data_dir, endpoints=endpoints)
        self._opened.append(opened)
        return opened

    def _check_data_dir(self) -> None:
        data_dir = Path(self.settings.data_dir)
        if self.must_exist and not data_dir.is_dir():
            raise StoreError(f"the data directory {data_dir} does not exist; "
                             f"create it with: credgraph --data {data_dir} init")

    def pseudonym_key(self) -> bytes:
        """The instance secret (learner pseudonyms, keyed names); created with mode 0600 on first use."""
        if self._secret is not None:
            return self._secret
        path = Path(self.settings.data_dir) / "pseudonym.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # made by a concurrent process a moment ago
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
                    handle.flush()
                    os.fsync(handle.fileno())
        text = path.read_text().strip()
        if len(text) != 64:
            raise ValueError(f"{path}: the instance secret is damaged (expected 64 hex digits)")
        self._secret = bytes.fromhex(text)
        return self._secret

    def keyed_id(self, kind: str, stable_key: str) -> str:
        """``<kind>-<16 hex>``: a name for something public derived from ``stable_key`` under the instance secret.

        Keyed (HMAC), so that nobody holding a credential can compute the
        names of its graphs and records (docs/privacy.md).
        """
        return keyed_id(self.pseudonym_key(), kind, stable_key)

    def close(self) -> None:
        """Close the stores this workspace opened (not those it was given)."""
        opened, self._opened = self._opened, []
        for store in opened:
            for attr in ("_store", "_private", "_research"):
                if getattr(self, attr) is store:
                    setattr(self, attr, None)
            store.close()
        self._learners = None

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
