"""credgraph.api: the HTTP API (SPARQL 1.1 Protocol, REST under /api/v1/, linked data).

``create_app(workspace)`` builds the FastAPI application; ``credgraph serve``
runs it with uvicorn.
"""

from __future__ import annotations


def create_app(workspace, api_settings=None):
    """Build the FastAPI application (see :func:`credgraph.api.app.create_app`)."""
    from credgraph.api.app import create_app as _create

    return _create(workspace, api_settings)
