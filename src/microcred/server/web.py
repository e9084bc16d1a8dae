"""The employer page's routes: the form, a verification from a file, pasted text or a URL, and
the link form ``/verify?url=…``. Nothing uploaded is written anywhere; it lives for one request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, Response

from ..errors import MicrocredError
from ..limits import MAX_INPUT_BYTES
from ..verifying.verify import verify
from .page import CSS, SCRIPT, form_page, result_page
from .problems import Problem, on_input, read_body
from .view import page_view

if TYPE_CHECKING:
    from starlette.requests import Request

    from .state import ServerState


async def home(request: Request) -> Response:
    """GET /: the form."""
    state: ServerState = request.app.state.microcred
    return HTMLResponse(form_page(state.config.max_upload))


async def stylesheet(request: Request) -> Response:
    """The page's stylesheet (a file of its own, so the CSP needs no inline style)."""
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def script(request: Request) -> Response:
    """The page's optional script (dropping a file, the print button)."""
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


def _verify_page(state: ServerState, source: bytes, name: str) -> tuple[int, str]:
    try:
        report = verify(source, fetch=state.request_fetch(), name=name)
    except MicrocredError as exc:
        return 400, form_page(state.config.max_upload, error=str(exc))
    return 200, result_page(page_view(report), state.config.max_upload)


def _fetch_url(state: ServerState, url: str) -> bytes:
    if not url.startswith("https://"):
        raise MicrocredError("the address must start with https://", code="input.url")
    data = state.request_fetch()(url)
    if len(data) > min(MAX_INPUT_BYTES, state.config.max_upload):
        raise MicrocredError("the document at that address is too large", code="input.too_large")
    return data


async def _answer(state: ServerState, source: bytes | None, name: str, url: str | None) -> Response:
    if source is None and url:
        try:
            source = await run_in_threadpool(_fetch_url, state, url)
        except MicrocredError as exc:
            return HTMLResponse(form_page(state.config.max_upload, error=f"{url}: {exc}"), status_code=400)
        name = url
    if not source:
        message = "Choose a file, paste a credential or give its address, then press Verify."
        return HTMLResponse(form_page(state.config.max_upload, error=message), status_code=400)
    try:
        code, html = await on_input(_verify_page, state, source, name)
    except Problem as problem:
        return HTMLResponse(form_page(state.config.max_upload, error=problem.detail), status_code=400)
    return HTMLResponse(html, status_code=code)


async def verify_form(request: Request) -> Response:
    """POST /verify (the form) or GET /verify?url=… (a "verify this badge" link)."""
    state: ServerState = request.app.state.microcred
    if request.method == "GET":
        url = request.query_params.get("url", "").strip()
        if not url:
            return HTMLResponse(form_page(state.config.max_upload))
        return await _answer(state, None, url, url)
    limit = state.config.max_upload
    try:
        raw = await read_body(request, limit)
    except Problem as problem:
        message = (
            f"That is too large: up to {limit / 1_000_000:g} MB." if problem.status == 413 else problem.detail
        )
        return HTMLResponse(form_page(limit, error=message), status_code=problem.status)
    request._body = raw  # starlette's form parser reads the body already read (and capped) here
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return HTMLResponse(form_page(limit, error="Send the form, please."), status_code=415)
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
    except Exception as exc:  # starlette raises its own MultiPartException / HTTPException here
        return HTMLResponse(form_page(limit, error=f"The form could not be read: {exc}"), status_code=400)
    try:
        upload, text, address = form.get("file"), form.get("text"), form.get("url")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            if data:
                return await _answer(state, data, upload.filename, None)
        if isinstance(text, str) and text.strip():
            return await _answer(state, text.strip().encode(), "pasted text", None)
        return await _answer(state, None, "", address.strip() if isinstance(address, str) else None)
    finally:
        await form.close()  # uploads spooled to a temporary file are deleted here
