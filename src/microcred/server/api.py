"""The VC-API endpoints: issue, verify credentials and presentations, update status, status lists.

Each handler reads its body within the size limit, refuses bad input with a problem-details 4xx
naming the field, and runs the library (which is synchronous) off the event loop.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from .. import _time
from .._fields import achievement_id_of, recipient_of
from ..credential.builder import build_credential
from ..errors import InputError, MicrocredError
from ..issuing import new_credential_id, sign
from ..keys.algorithms import default_format
from ..model.definition import definition_from_mapping
from ..model.learner import Recipient
from ..suites.data_integrity import SIGNING_CRYPTOSUITES
from ..verifying.presentation import PresentationReport, verify_presentation
from ..verifying.verify import verify
from .batch import IssueJob
from .problems import Problem, kind_of, on_input, read_json_object

if TYPE_CHECKING:
    from datetime import datetime

    from starlette.requests import Request

    from ..issuing import IssuedCredential
    from ..ledger.protocol import Ledger, StatusChange, StatusRecord
    from ..verifying.report import VerificationReport
    from .state import ServerState

VC_V2 = "https://www.w3.org/ns/credentials/v2"
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_JWT_DATA_URL = "data:application/vc+jwt,"

#: VC-API check names → the report's checks they stand for (parse and context always count).
CHECK_GROUPS: dict[str, frozenset[str]] = {
    "proof": frozenset({"proof", "issuer_key"}),
    "status": frozenset({"status"}),
    "credentialStatus": frozenset({"status"}),
    "expiration": frozenset({"validity"}),
    "validity": frozenset({"validity"}),
    "validFrom": frozenset({"validity"}),
    "validUntil": frozenset({"validity"}),
    "schema": frozenset({"schema"}),
    "credentialSchema": frozenset({"schema"}),
    "issuer": frozenset({"issuer_key"}),
    "endorsements": frozenset({"endorsements"}),
}
_ALWAYS = frozenset({"parse", "context"})

_CHANGES: dict[str, StatusChange] = {
    "revoke": "revoked",
    "revoked": "revoked",
    "suspend": "suspended",
    "suspended": "suspended",
    "reinstate": "reinstated",
    "reinstated": "reinstated",
    "active": "reinstated",
    "unsuspend": "reinstated",
}


def _require_key(request: Request, state: ServerState) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key")
    if not presented:
        raise Problem(401, "auth.missing", "this endpoint needs an API key: Authorization: Bearer <key>")
    if not state.config.api_key_ok(presented):
        raise Problem(401, "auth.wrong", "the API key is not one this server accepts")


def _object(body: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    value = body.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        what = "missing" if value is None else f"a {kind_of(value)}"
        raise Problem(400, "body.field", f"{name} must be a JSON object, but it is {what}", field=name)
    return value


def _from_microcred(exc: MicrocredError, status: int = 400) -> Problem:
    extra = {"field": exc.path} if exc.path else {}
    return Problem(status, exc.code, str(exc), **extra)


# --------------------------------------------------------------------------------------------- issue


async def issue_credential(request: Request) -> Response:
    """POST /credentials/issue: sign a full credential, or build one from a definition; 201."""
    state: ServerState = request.app.state.microcred
    _require_key(request, state)
    body = await read_json_object(request, state.config.max_body)
    options = _object(body, "options")
    if state.config.key is None:
        raise Problem(501, "issue.no_key", "this server was started without an issuer key")
    fmt = options.get("format")
    if fmt not in (None, "di", "jwt"):
        raise Problem(
            400,
            "options.format",
            f"options.format must be 'di' or 'jwt', not {fmt!r}",
            field="options.format",
        )
    suite = options.get("cryptosuite")
    if suite is not None and (not isinstance(suite, str) or suite not in SIGNING_CRYPTOSUITES):
        raise Problem(
            400,
            "options.cryptosuite",
            f"unknown cryptosuite {suite!r}: this server signs with "
            f"{', '.join(sorted(SIGNING_CRYPTOSUITES))} as its key allows",
            field="options.cryptosuite",
        )
    if "definition" in body:
        issued = await on_input(_issue_definition, state, body, fmt, suite)
    elif "credential" in body:
        credential = _object(body, "credential", required=True)
        issued = await on_input(_issue_credential, state, credential, fmt, suite)
    else:
        raise Problem(
            400, "body.field", "send {credential, options} or {definition, recipient}", field="credential"
        )
    return JSONResponse({"verifiableCredential": _delivered(issued)}, status_code=201)


def _delivered(issued: IssuedCredential) -> dict[str, Any]:
    if issued.jwt is not None:
        return {
            "@context": [VC_V2],
            "id": _JWT_DATA_URL + issued.jwt,
            "type": "EnvelopedVerifiableCredential",
        }
    return dict(issued.credential)


def _issue_definition(state: ServerState, body: dict[str, Any], fmt: Any, suite: Any) -> IssuedCredential:
    key = state.config.key
    assert key is not None
    recipient, name, grade = body.get("recipient"), body.get("name"), body.get("grade")
    if not isinstance(recipient, str) or not recipient.strip():
        raise Problem(400, "body.field", "recipient must be an email or a DID (a string)", field="recipient")
    for field, value in (("name", name), ("grade", grade)):
        if value is not None and not isinstance(value, str):
            raise Problem(400, "body.field", f"{field} must be a string", field=field)
    try:
        definition = definition_from_mapping(_object(body, "definition", required=True), source="definition")
        learner = Recipient.parse(recipient, name)
        now = _time.now()
        unsigned = build_credential(
            definition,
            learner,
            issuer_id=key.controller,
            now=now,
            credential_id=new_credential_id(),
            result=grade,
        )
        return _sign_and_record(state, unsigned, fmt, suite, now)
    except MicrocredError as exc:
        raise _from_microcred(exc) from None


def _issue_credential(state: ServerState, given: dict[str, Any], fmt: Any, suite: Any) -> IssuedCredential:
    key = state.config.key
    assert key is not None
    credential = dict(given)
    for name in ("@context", "type", "credentialSubject"):
        if not credential.get(name):
            raise Problem(
                400, "credential.field", f"the credential has no {name}", field=f"credential.{name}"
            )
    issuer = credential.get("issuer")
    if "issuer" not in credential:  # left out: this server's; given (even as null): judged as given
        credential["issuer"] = key.controller
    elif isinstance(issuer, dict) and "id" not in issuer:
        credential["issuer"] = {**issuer, "id": key.controller}
    credential.setdefault("id", new_credential_id())
    contexts = (
        credential["@context"] if isinstance(credential["@context"], list) else [credential["@context"]]
    )
    # a status entry only where its terms are defined (VCDM 2.0) and none was given
    with_status = contexts[0] == VC_V2 and "credentialStatus" not in credential
    try:
        return _sign_and_record(state, credential, fmt, suite, None, add_status=with_status)
    except MicrocredError as exc:
        raise _from_microcred(exc) from None


def _sign_and_record(
    state: ServerState,
    unsigned: dict[str, Any],
    fmt: Any,
    suite: Any,
    now: datetime | None,
    *,
    add_status: bool = True,
) -> IssuedCredential:
    """Sign ``unsigned``; with a ledger, reserve its status entries first and record it after (in a
    batch with whatever other requests are waiting)."""
    key = state.config.key
    assert key is not None
    format = fmt or default_format(key.algorithm)

    def signer(document: dict[str, Any]) -> IssuedCredential:
        return sign(document, key, format=format, cryptosuite=suite, created=now, now=now)

    if state.config.ledger_path is None or not add_status:
        return signer(unsigned)
    fallback = str(unsigned["id"])
    job = IssueJob(
        unsigned,
        signer,
        format,
        achievement_id_of(unsigned) or fallback,
        recipient_of(unsigned) or fallback,
        state.config.status_base_url,
        state.config.suspension,
    )
    return state.issuer.issue(job)


# -------------------------------------------------------------------------------------------- verify


def _checks_option(options: dict[str, Any]) -> frozenset[str] | None:
    wanted = options.get("checks")
    if wanted is None:
        return None
    if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
        raise Problem(
            400, "options.checks", "options.checks must be an array of strings", field="options.checks"
        )
    unknown = sorted(set(wanted) - set(CHECK_GROUPS))
    if unknown:
        raise Problem(
            400,
            "options.checks",
            f"unknown check(s) {', '.join(unknown)}; known: {', '.join(sorted(CHECK_GROUPS))}",
            field="options.checks",
        )
    return _ALWAYS.union(*(CHECK_GROUPS[c] for c in wanted))


def _text_option(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is not None and not isinstance(value, str):
        raise Problem(400, f"options.{name}", f"options.{name} must be a string", field=f"options.{name}")
    return value


def _credential_source(value: Any) -> dict[str, Any] | bytes:
    if isinstance(value, dict):
        envelope = value.get("id") if value.get("type") == "EnvelopedVerifiableCredential" else None
        if isinstance(envelope, str) and envelope.startswith(_JWT_DATA_URL):
            return envelope[len(_JWT_DATA_URL) :].encode()
        return value
    if isinstance(value, str) and _JWT.match(value.strip()):
        return value.strip().encode()
    what = "missing" if value is None else f"a {kind_of(value)}"
    raise Problem(
        400,
        "body.field",
        f"verifiableCredential must be a credential (a JSON object) or a compact VC-JWT, but it is {what}",
        field="verifiableCredential",
        verified=False,
    )


def _answer(report: VerificationReport | PresentationReport) -> JSONResponse:
    """The VC-API answer: 200 ``{verified: true, …}``, else 422, naming every check (and, for a
    presentation, every credential that did not verify)."""
    errors = [c.to_dict() for c in report.checks if c.status == "failed"]
    if isinstance(report, PresentationReport):
        for number, item in enumerate(report.credentials):
            if isinstance(item, MicrocredError):
                errors.append({"id": f"credentials[{number}]", "status": "failed", "message": str(item)})
            elif not item.verified:
                failed = (
                    "; ".join(f"{c.id}: {c.message}" for c in item.failed) or "a required check did not run"
                )
                errors.append({"id": f"credentials[{number}]", "status": "failed", "message": failed})
    body = {
        "verified": report.verified,
        "checks": [_vcapi_name(c.id) for c in report.checks if c.status == "passed"],
        "warnings": [c.to_dict() for c in report.checks if c.status == "warning"],
        "errors": errors,
        "report": report.to_dict(),
    }
    return JSONResponse(body, status_code=200 if report.verified else 422)


def _vcapi_name(check_id: str) -> str:
    return {"validity": "expiration", "issuer_key": "issuer"}.get(check_id, check_id)


async def verify_credential(request: Request) -> Response:
    """POST /credentials/verify: 200 ``{verified: true, …}``, 422 when a check fails, 400 for bad input."""
    state: ServerState = request.app.state.microcred
    body = await read_json_object(request, state.config.max_body)
    options = _object(body, "options")
    selected = _checks_option(options)
    domain, challenge = _text_option(options, "domain"), _text_option(options, "challenge")
    source = _credential_source(body.get("verifiableCredential", body.get("credential")))
    try:
        report = await on_input(
            verify,
            source,
            fetch=state.request_fetch(),
            name="verifiableCredential",
            checks=selected,
            domain=domain,
            challenge=challenge,
        )
    except InputError as exc:
        raise Problem(400, exc.code, str(exc), verified=False, field="verifiableCredential") from None
    except MicrocredError as exc:
        raise _from_microcred(exc) from None
    return _answer(report)


async def verify_presentation_endpoint(request: Request) -> Response:
    """POST /presentations/verify: the holder's proof (``domain``, ``challenge``) and every credential."""
    state: ServerState = request.app.state.microcred
    body = await read_json_object(request, state.config.max_body)
    options = _object(body, "options")
    selected = _checks_option(options)
    domain, challenge = _text_option(options, "domain"), _text_option(options, "challenge")
    presentation = body.get("verifiablePresentation", body.get("presentation"))
    if not isinstance(presentation, dict):
        what = "missing" if presentation is None else f"a {kind_of(presentation)}"
        raise Problem(
            400,
            "body.field",
            f"verifiablePresentation must be a presentation (a JSON object), but it is {what}",
            field="verifiablePresentation",
            verified=False,
        )
    try:
        report = await on_input(
            verify_presentation,
            presentation,
            domain=domain,
            challenge=challenge,
            fetch=state.request_fetch(),
            checks=selected,
            name="verifiablePresentation",
        )
    except InputError as exc:
        raise Problem(400, exc.code, str(exc), verified=False, field="verifiablePresentation") from None
    except MicrocredError as exc:
        raise _from_microcred(exc) from None
    return _answer(report)


# -------------------------------------------------------------------------------------------- status


_PURPOSES: dict[str, StatusChange] = {"revocation": "revoked", "suspension": "suspended"}


def _change_of(body: dict[str, Any]) -> StatusChange:
    """What to do: ``status``, or ``credentialStatus`` ({type, status} or, to set the bit of a purpose,
    {type, statusPurpose}), as an object or a one-item array."""
    statuses = body.get("credentialStatus")
    entry = statuses[0] if isinstance(statuses, list) and statuses else statuses
    word = body.get("status")
    if isinstance(entry, dict):
        word = entry.get("status", word)
        purpose = entry.get("statusPurpose")
        if word is None and isinstance(purpose, str) and purpose in _PURPOSES:
            return _PURPOSES[purpose]
    if not isinstance(word, str) or word.lower() not in _CHANGES:
        raise Problem(
            400,
            "body.field",
            "say what to do: credentialStatus: [{type, status}] or status, one of revoke, suspend, reinstate",
            field="credentialStatus",
        )
    return _CHANGES[word.lower()]


async def update_status(request: Request) -> Response:
    """POST /credentials/status: revoke, suspend or reinstate a credential this server's ledger holds."""
    state: ServerState = request.app.state.microcred
    _require_key(request, state)
    body = await read_json_object(request, state.config.max_body)
    credential_id = body.get("credentialId")
    if not isinstance(credential_id, str) or not credential_id:
        raise Problem(
            400, "body.field", "credentialId must be the credential's id (a string)", field="credentialId"
        )
    change = _change_of(body)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Problem(400, "body.field", "reason must be a string", field="reason")
    if state.config.ledger_path is None:
        raise Problem(501, "status.no_ledger", "this server was started without a ledger")

    def apply(ledger: Ledger) -> StatusRecord:
        if ledger.get(credential_id) is None:
            raise Problem(
                404,
                "status.unknown_id",
                f"no credential {credential_id} in this server's ledger",
                field="credentialId",
            )
        return ledger.set_status(credential_id, change, reason)

    try:
        record = await run_in_threadpool(state.on_ledger, apply)
    except MicrocredError as exc:
        raise _from_microcred(exc, 409 if exc.code.startswith("ledger.") else 400) from None
    state.changed()
    return JSONResponse({"credentialId": record.credential_id, "status": record.status})


async def publish_list(request: Request) -> Response:
    """POST {status list URL}/publish: 204; lists are always served as the ledger holds them."""
    state: ServerState = request.app.state.microcred
    _require_key(request, state)
    path = request.url.path.removesuffix("/publish")
    if await run_in_threadpool(state.own_list_url, path) is None:
        raise Problem(404, "status.unknown_list", f"no status list is published at {path}")
    return Response(status_code=204)


async def status_list(request: Request) -> Response:
    """GET of a signed status list, at exactly the URL the credentials name."""
    state: ServerState = request.app.state.microcred
    url = await run_in_threadpool(state.own_list_url, request.url.path)
    if url is None:
        raise Problem(404, "status.unknown_list", f"no status list is published at {request.url.path}")
    document = await run_in_threadpool(state.list_document, url)
    return Response(document, media_type="application/vc+ld+json", headers={"Cache-Control": "max-age=60"})
