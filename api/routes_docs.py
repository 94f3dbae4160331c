"""Interactive API documentation at ``/docs`` and an index of the REST API at ``/api/v1/``.

The documentation page is Swagger UI 5 (FastAPI's OpenAPI documents are
version 3.1), served from the files the ``fastapi-offline`` package ships
(mounted at ``/docs/assets``; only its files are used, not its app factory):
the server makes no page that loads anything from outside, and the page's own
start-up code is a file too (``/api-static/docs.js``), so it runs under a
policy that forbids inline scripts.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

router = APIRouter()

# Mounted by the app factory at ASSETS_PATH: Swagger UI's script, style sheet and icon.
ASSETS_PATH = "/docs/assets"
ASSETS_DIR = str(resources.files("fastapi_offline") / "static")


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    html = request.app.state.templates.get_template("docs.html").render(
        title=request.app.title, assets=ASSETS_PATH, openapi=request.app.openapi_url)
    return HTMLResponse(html)


@router.get("/api/v1/", summary="Index of the REST API", tags=["Index"])
@router.get("/api/v1", include_in_schema=False)
def api_index(request: Request) -> JSONResponse:
    """What the REST API offers: every operation under ``/api/v1`` with its summary, and where the documentation is."""
    schema = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, "summary": spec.get("summary", "")}
        for path, methods in schema.get("paths", {}).items()
        if path.startswith("/api/v1/") and path != "/api/v1/"
        for method, spec in methods.items()
    ]
    return JSONResponse({
        "title": schema["info"]["title"],
        "version": schema["info"]["version"],
        "documentation": "/docs",
        "openapi": request.app.openapi_url,
        "sparql": "/sparql",
        "operations": operations,
    })
