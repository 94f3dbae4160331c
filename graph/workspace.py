"""A workspace: the settings, the public store and the private store, opened lazily."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from credgraph.graph.store import Store, StoreError, open_store
from credgraph.settings import Settings


class Workspace:
    """Everything a command or a server needs to reach the data.

    The public store holds vocabularies, catalogues and pseudonymised issuance
    records; the private store holds personal data and quarantined documents.
    Either store may be given (a test's store, the API server's guarded
    store; the caller closes it); otherwise it is opened on first use. ``must_exist``: refuse to
    open the embedded store of a data directory that does not exist (the
    command line, except ``init``), rather than quietly create an empty one.
    """

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 private: Store | None = None, must_exist: bool = False) -> None:
        self.settings = settings or Settings.from_env()
        self.must_exist = must_exist
        self._store = store
        self._private = private
        self._opened: list[Store] = []  # what close() closes: the stores this workspace opened itself

    @property
    def store(self) -> Store:
        """The public store."""
        if self._store is None:
            if self.settings.store is None:  # the embedded store under the data directory
                self._check_data_dir()
            self._store = open_store(self.settings.store, data_dir=self.settings.data_dir)
            self._opened.append(self._store)
        return self._store

    @property
    def private(self) -> Store:
        """The private store (personal data, quarantine)."""
        if self._private is None:
            if not self.settings.private_store and self.settings.store != "memory:":  # under the data directory
                self._check_data_dir()
            self._private = open_store(self.settings.private_location, data_dir=self.settings.data_dir)
            self._opened.append(self._private)
        return self._private

    def wrap_store(self, wrap: Callable[[Store], Store]) -> Store:
        """Put the public store behind ``wrap(store)`` for everyone who holds this workspace; returns it.

        The API server passes its guarded store in this way: every write made
        through the workspace while the server runs (imports, tests) then goes
        through the server's gate. Closing still closes the store opened here.
        """
        self._store = wrap(self.store)
        return self._store

    def _check_data_dir(self) -> None:
        data_dir = Path(self.settings.data_dir)
        if self.must_exist and not data_dir.is_dir():
            raise StoreError(f"the data directory {data_dir} does not exist; "
                             f"create it with: credgraph --data {data_dir} init")

    def pseudonym_key(self) -> bytes:
        """The secret for learner pseudonyms; created with mode 0600 on first use."""
        path = Path(self.settings.data_dir) / "pseudonym.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())

    def close(self) -> None:
        """Close the stores this workspace opened (not those it was given)."""
        opened, self._opened = self._opened, []
        for store in opened:
            if store is self._store:
                self._store = None
            if store is self._private:
                self._private = None
            store.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
