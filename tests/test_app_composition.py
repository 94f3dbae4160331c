"""api/app.py composes its layers through public ASGI middleware (no override of FastAPI.__call__)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings


@pytest.fixture
def app(tmp_path):
    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"))
    app = create_app(ws, ApiSettings(keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.log"))

    @app.get("/broken")
    def broken():
        raise RuntimeError("secret detail from inside")

    return app


def test_the_app_is_plain_fastapi_with_hardening_outermost(app):
    assert type(app) is FastAPI  # no subclass overriding __call__
    names = [m.cls.__name__ for m in app.user_middleware]
    assert names[0] == "Hardening" and names[1] == "SparqlFastPath"


def test_an_unexpected_error_is_a_hardened_problem(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret" not in response.text and "RuntimeError" in response.json()["detail"]


def test_the_error_is_still_raised_to_the_server(app):
    # Starlette's error layer (and so uvicorn's log) still sees it.
    from fastapi.testclient import TestClient

    with TestClient(app) as client, pytest.raises(RuntimeError, match="secret"):
        client.get("/broken")


def test_head_and_405(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        head = client.head("/api/v1/")
        assert head.status_code == 200 and head.content == b"" and head.headers["referrer-policy"] == "same-origin"
        put = client.put("/api/v1/")
        assert put.status_code == 405 and "GET" in put.headers["allow"]
