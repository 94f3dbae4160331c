"""REST resources under /api/v1/: render what the services in credgraph.graph compute."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
