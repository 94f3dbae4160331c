"""A workspace: the settings, the public, private and research stores (opened lazily), and the instance secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path

from credgraph.graph.store import Store, open_store
from credgraph.settings import Settings


def keyed_id(key: bytes, kind: str, stable_key: str) -> str:
    """``<kind>-`` and the first 16 hex digits of HMAC-SHA256(key, stable_key)."""
    return f"{kind}-{hmac.new(key, stable_key.encode('utf-8'), hashlib.sha256).hexdigest()[:16]}"


def keyed_hash(key: bytes, digest: str) -> str:
    """A content hash as the public store records it: keyed, so the document's bytes do not lead to it."""
    return "hmac-sha256:" + hmac.new(key, digest.encode("utf-8"), hashlib.sha256).hexdigest()


class Workspace:
    """Everything a command or a server needs to reach the data.

    The public store holds vocabularies, catalogues and pseudonymised issuance
    records; the private store holds personal data and quarantined documents.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.settings.check()  # also for settings made in code: never publish the private store
        self.repaired = False  # set once the stores were checked for half-written documents (graph.consistency)

    @cached_property
    def store(self) -> Store:
        """The public store."""
        return open_store(self.settings.store, data_dir=self.settings.data_dir, endpoints=self.settings.endpoints)

    @cached_property
    def private(self) -> Store:
        """The private store (personal data, quarantine)."""
        return open_store(self.settings.private_location, data_dir=self.settings.data_dir,
                          endpoints=self.settings.private_endpoints)

    @cached_property
    def research(self) -> Store:
        """The research store: issuance records with learner pseudonyms (researcher view, learner statistics)."""
        return open_store(self.settings.research_location, data_dir=self.settings.data_dir,
                          endpoints=self.settings.research_endpoints)

    @property
    def learners(self) -> Store:
        """The public store with learner queries answered by the research store (graph.learner_view)."""
        from credgraph.graph.learner_view import LearnerView

        view = self.__dict__.get("_learners")
        if view is None or view.public is not self.store:  # the API server wraps the public store in a gate
            view = self.__dict__["_learners"] = LearnerView(self.store, self.research)
        return view

    def pseudonym_key(self) -> bytes:
        """The instance secret (learner pseudonyms, keyed names); created with mode 0600 on first use."""
        found = self.__dict__.get("_secret")
        if found is not None:
            return found
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
        self.__dict__["_secret"] = bytes.fromhex(text)
        return self.__dict__["_secret"]

    def keyed_id(self, kind: str, stable_key: str) -> str:
        """``<kind>-<16 hex>``: a name for something public derived from ``stable_key`` under the instance secret.

        Keyed (HMAC), so that nobody holding a credential can compute the
        names of its graphs and records (docs/privacy.md).
        """
        return keyed_id(self.pseudonym_key(), kind, stable_key)

    def close(self) -> None:
        """Close whichever stores were opened."""
        for name in ("store", "private", "research"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
