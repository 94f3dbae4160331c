"""API keys with roles, stored hashed in a JSON settings file.

File format (``<data>/api-keys.json``)::

    {"keys": [{"name": "enic-naric-de", "role": "agency",
               "hash": "sha256:<hex>"},
              {"name": "uni-x", "role": "issuer", "hash": "sha256:<hex>",
               "providers": ["https://w3id.org/credgraph/id/org/uni-x"]}]}

An issuer key names the providers (awarding bodies, as organisation IRIs) it
may write for: credentials they award and catalogue rows they publish. Other
providers' documents are refused (403); an issuer key naming none writes nothing.

Hashes are ``sha256:<hex>`` (for the random 256-bit keys ``credgraph keys add``
makes) or ``scrypt:<salt hex>:<hex>`` (for keys a person chose). The plain key
is shown once, when created, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROLES = ("researcher", "agency", "issuer", "admin")


@dataclass(frozen=True)
class ApiKey:
    """A known key: who holds it and what it may do."""

    name: str
    role: str
    hash: str
    providers: tuple[str, ...] = ()  # issuer keys: the organisation IRIs it may write for


def hash_key(key: str, method: str = "sha256") -> str:
    """The stored form of ``key``."""
    if method == "sha256":
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    if method == "scrypt":
        salt = secrets.token_bytes(16)
        digest = hashlib.scrypt(key.encode(), salt=salt, n=2**14, r=8, p=1)
        return f"scrypt:{salt.hex()}:{digest.hex()}"
    raise ValueError(f"unknown key hash method {method!r}; expected sha256 or scrypt")


def key_matches(key: str, stored: str) -> bool:
    """True if ``key`` hashes to ``stored`` (constant-time comparison)."""
    method, _, rest = stored.partition(":")
    if method == "sha256":
        return hmac.compare_digest(hashlib.sha256(key.encode()).hexdigest(), rest)
    if method == "scrypt":
        salt_hex, _, digest_hex = rest.partition(":")
        digest = hashlib.scrypt(key.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
        return hmac.compare_digest(digest.hex(), digest_hex)
    return False


class KeyRing:
    """The keys of one settings file."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    @classmethod
    def load(cls, path: Path | None) -> "KeyRing":
        """Keys from ``path`` (no file: no keys, so every protected route answers 401)."""
        if path is None or not Path(path).exists():
            return cls([])
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        keys = []
        for i, entry in enumerate(data.get("keys", [])):
            role = entry.get("role")
            if role not in ROLES:
                raise ValueError(f"{path}: keys[{i}] has role {role!r}; expected one of {', '.join(ROLES)}")
            if not str(entry.get("hash", "")).startswith(("sha256:", "scrypt:")):
                raise ValueError(f"{path}: keys[{i}] has no sha256: or scrypt: hash")
            providers = entry.get("providers", [])
            if not isinstance(providers, list) or not all(isinstance(p, str) and _is_iri(p) for p in providers):
                raise ValueError(f"{path}: keys[{i}].providers must be a list of organisation IRIs")
            keys.append(ApiKey(str(entry.get("name", f"key-{i}")), role, entry["hash"], tuple(providers)))
        return cls(keys)

    def find(self, key: str) -> ApiKey | None:
        """The entry ``key`` belongs to, or None."""
        for entry in self.keys:
            if key_matches(key, entry.hash):
                return entry
        return None


def _is_iri(value: str) -> bool:
    return value.startswith(("http://", "https://", "urn:")) and not any(c in value for c in ' <>"{}|\\^`')


def add_key(path: Path, role: str, name: str, method: str = "sha256", providers: list[str] | tuple[str, ...] = ()) -> str:
    """Create a random key with ``role``, store its hash in ``path``; returns the plain key (shown once).

    ``providers``: for an issuer key, the organisation IRIs it may write for.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if providers and role != "issuer":
        raise ValueError("only issuer keys name providers")
    bad = [p for p in providers if not _is_iri(p)]
    if bad:
        raise ValueError(f"--provider {bad[0]!r} is not an organisation IRI (e.g. https://w3id.org/credgraph/id/org/<slug>)")
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"keys": []}
    if any(k.get("name") == name for k in data.get("keys", [])):
        raise ValueError(f"{path}: a key named {name!r} exists already")
    key = "cgk_" + secrets.token_urlsafe(32)
    entry = {"name": name, "role": role, "hash": hash_key(key, method)}
    if role == "issuer":
        entry["providers"] = list(providers)
    data.setdefault("keys", []).append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(tmp, path)
    return key
