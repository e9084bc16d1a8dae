"""Problem details (RFC 9457) for every refusal, and reading request bodies within their limits."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from ..errors import MicrocredError

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

log = logging.getLogger("microcred.server")
P = ParamSpec("P")
T = TypeVar("T")

PROBLEM_TYPE = "https://w3id.org/microcred/problems#"


class Problem(Exception):
    """A request refused: an HTTP status, a stable code, and a sentence saying what to change."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra

    def response(self) -> JSONResponse:
        """The ``application/problem+json`` answer."""
        body = {
            "type": PROBLEM_TYPE + self.code,
            "title": _TITLES.get(self.status, "Bad request"),
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            **self.extra,
        }
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(
            body, status_code=self.status, media_type="application/problem+json", headers=headers
        )


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    501: "Not implemented",
}


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes (declared or sent)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Problem(413, "body.too_large", f"the request body is over the {limit}-byte limit")
        except ValueError:
            raise Problem(400, "body.length", "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "body.too_large", f"the request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, or a 400/413/415 problem naming what is wrong."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise Problem(415, "body.media_type", f"send application/json, not {kind}")
    raw = await read_body(request, limit)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Problem(400, "body.json", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(400, "body.not_object", f"the body must be a JSON object, not a {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def kind_of(value: Any) -> str:
    """The JSON type name of ``value`` (object, array, string, number, boolean, null)."""
    return _kind(value)


async def on_input(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run library code on a request's input off the event loop. An exception that is not microcred's
    own (a library bug reached by hostile input) is logged with its traceback and answered as a 400
    problem: the input is refused, never half-processed, and the client gets no traceback."""
    try:
        return await run_in_threadpool(func, *args, **kwargs)
    except (Problem, MicrocredError):
        raise
    except Exception as exc:
        log.exception("unexpected %s while processing a request's input", type(exc).__name__)
        raise Problem(
            400,
            "input.unprocessable",
            f"this input could not be processed ({type(exc).__name__}); the server logged it",
        ) from None
