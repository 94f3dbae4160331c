"""Names and hashes made public under the instance secret (HMAC-SHA256).

Keyed, so that nobody holding a credential can compute the names of its graphs
and records, nor tell from the store which document bytes were imported
(docs/privacy.md). The secret itself is the workspace's
(:meth:`credgraph.graph.workspace.Workspace.pseudonym_key`).
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_id(key: bytes, kind: str, stable_key: str) -> str:
    """``<kind>-`` and the first 16 hex digits of HMAC-SHA256(key, stable_key)."""
    return f"{kind}-{hmac.new(key, stable_key.encode('utf-8'), hashlib.sha256).hexdigest()[:16]}"


def keyed_hash(key: bytes, digest: str) -> str:
    """A content hash as the public store records it: keyed, so the document's bytes do not lead to it."""
    return "hmac-sha256:" + hmac.new(key, digest.encode("utf-8"), hashlib.sha256).hexdigest()
