"""Interactive documentation at /docs (from packaged files, nothing from outside) and the /api/v1/ index."""

from __future__ import annotations

import re

import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("api-docs")
    ws = Workspace(Settings(data_dir=tmp, store="memory:"))
    with TestClient(create_app(ws, ApiSettings(audit_log=tmp / "audit.log"))) as client:
        yield client
    ws.close()


def test_docs_page_loads_only_files_of_this_server(api):
    page = api.get("/docs", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert linked and all(url.startswith("/") and not url.startswith("//") for url in linked), linked
    assert "<script>" not in page.text  # no inline script: start-up code is a file
    for url in linked:
        asset = api.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    script = api.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"] and b"SwaggerUIBundle" in script.content
    assert 'data-openapi="/openapi.json"' in page.text and api.get("/openapi.json").status_code == 200


def test_api_index_lists_the_operations(api):
    for path in ("/api/v1/", "/api/v1"):
        index = api.get(path)
        assert index.status_code == 200, path
        body = index.json()
        assert body["documentation"] == "/docs" and body["openapi"] == "/openapi.json"
        listed = {(op["method"], op["path"]) for op in body["operations"]}
        assert ("GET", "/api/v1/catalogue") in listed
        # Exactly the REST operations of the OpenAPI document.
        schema = api.get("/openapi.json").json()["paths"]
        expected = {(m.upper(), p) for p, ms in schema.items() if p.startswith("/api/v1/") and p != "/api/v1/" for m in ms}
        assert listed == expected
