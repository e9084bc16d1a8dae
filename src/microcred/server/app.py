"""The ASGI application: routes, security headers on every response, problems instead of tracebacks."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import __version__
from . import api, web
from .openapi import openapi_document
from .page import CSP
from .problems import Problem
from .state import ServerState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .config import ServerConfig

log = logging.getLogger("microcred.server")

_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class _SecurityHeaders:
    """Adds the CSP and friends to every response, and ``no-store`` unless the route set a cache policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in _HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "route.unknown", 405: "route.method"}.get(exc.status_code, "http.error")
    return Problem(exc.status_code, code, str(exc.detail)).response()


async def _bug(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    body = {
        "type": "https://w3id.org/microcred/problems#server.bug",
        "title": "Internal error",
        "status": 500,
        "detail": f"an unexpected {type(exc).__name__}; it is logged on the server",
    }
    return JSONResponse(body, status_code=500, media_type="application/problem+json")


def create_app(config: ServerConfig) -> Starlette:
    """The ASGI app serving the employer page and the VC-API for ``config``."""
    state = ServerState(config)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(__version__), headers={"Cache-Control": "max-age=3600"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.close()

    status_prefix = "/" + config.status_path.strip("/")
    routes = [
        Route("/", web.home, methods=["GET"]),
        Route("/verify", web.verify_form, methods=["GET", "POST"]),
        Route("/static/page.css", web.stylesheet, methods=["GET"]),
        Route("/static/page.js", web.script, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/credentials/issue", api.issue_credential, methods=["POST"]),
        Route("/credentials/verify", api.verify_credential, methods=["POST"]),
        Route("/presentations/verify", api.verify_presentation_endpoint, methods=["POST"]),
        Route("/credentials/status", api.update_status, methods=["POST"]),
        Route(status_prefix + "/{name}/publish", api.publish_list, methods=["POST"]),
        Route(status_prefix + "/{name:path}", api.status_list, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_SecurityHeaders)],
        exception_handlers={Problem: _problem, HTTPException: _http_error, Exception: _bug},
        lifespan=lifespan,
    )
    app.state.microcred = state
    return app
