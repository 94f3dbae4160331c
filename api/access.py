"""Who is calling: API keys from ``Authorization: Bearer`` or ``X-API-Key``, checked against roles."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from credgraph.api.problems import Problem

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    """The key holder behind a request (``role`` is ``anonymous`` without a key)."""

    name: str
    role: str
    providers: tuple[str, ...] = ()  # issuer keys: the organisation IRIs it may write for

    def may_write_for(self) -> frozenset[str] | None:
        """The providers this caller may write documents for; None: any (admin)."""
        if self.role == "admin":
            return None
        return frozenset(self.providers)


def presented_key(request: Request) -> str | None:
    """The key the request carries, if any."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def caller(request: Request) -> Caller:
    """Identify the caller; a key that matches nothing is refused (401), never downgraded."""
    key = presented_key(request)
    if key is None:
        return Caller(ANONYMOUS, ANONYMOUS)
    entry = request.app.state.keyring.find(key)
    if entry is None:
        raise Problem(401, "the API key is not valid", type_="invalid-key",
                      headers={"WWW-Authenticate": 'Bearer realm="credgraph"'})
    return Caller(entry.name, entry.role, entry.providers)


def require(*roles: str):
    """A dependency that admits only keys with one of ``roles`` (401 without a key, 403 with another role)."""

    def check(request: Request) -> Caller:
        who = caller(request)
        if who.role == ANONYMOUS:
            raise Problem(401, f"this route needs an API key with role {' or '.join(roles)}",
                          type_="missing-key", headers={"WWW-Authenticate": 'Bearer realm="credgraph"'})
        if who.role not in roles:
            raise Problem(403, f"role {who.role!r} may not do this; it needs {' or '.join(roles)}",
                          type_="forbidden-role")
        return who

    return check
