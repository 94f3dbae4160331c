"""A workspace: the settings, the public store and the private store, opened lazily."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from credgraph.graph.store import Store, open_store
from credgraph.settings import Settings


class Workspace:
    """Everything a command or a server needs to reach the data.

    The public store holds vocabularies, catalogues and pseudonymised issuance
    records; the private store holds personal data and quarantined documents.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()

    @cached_property
    def store(self) -> Store:
        """The public store."""
        return open_store(self.settings.store, data_dir=self.settings.data_dir)

    @cached_property
    def private(self) -> Store:
        """The private store (personal data, quarantine)."""
        return open_store(self.settings.private_location, data_dir=self.settings.data_dir)

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
        """Close whichever stores were opened."""
        for name in ("store", "private"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
