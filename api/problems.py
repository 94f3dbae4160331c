"""RFC 9457 problem details: every error the API answers is one of these."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"
TYPE_BASE = "https://w3id.org/credgraph/problems/"


class Problem(Exception):
    """Raise to answer a problem document; ``extra`` members are added to it."""

    def __init__(self, status: int, detail: str, *, type_: str | None = None, title: str | None = None,
                 headers: dict[str, str] | None = None, **extra) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_
        self.title = title
        self.headers = headers or {}
        self.extra = extra


def problem_response(status: int, detail: str, instance: str = "", type_: str | None = None,
                     title: str | None = None, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    """A problem+json response."""
    phrase = HTTPStatus(status).phrase
    body = {
        "type": TYPE_BASE + (type_ or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    # Extension members never replace the standard ones (RFC 9457: "status" is the HTTP status number).
    body.update({k: v for k, v in extra.items() if v is not None and k not in body and k != "instance"})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    """Turn every error (ours, routing, validation, unexpected) into a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.detail, request.url.path, exc.type, exc.title, exc.headers,
                                **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(exc.status_code, detail, request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [
            {"location": "/".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"location": "", "message": "invalid request"}
        return problem_response(422, f"{first['location']}: {first['message']}", request.url.path,
                                type_="invalid-request", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # Never echo internals (they could quote data): name the class only.
        return problem_response(500, f"internal error ({type(exc).__name__})",
                                request.url.path)
