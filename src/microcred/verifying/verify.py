"""verify(): every check a credential must pass, named, failing closed.

Two kinds of failure (DESIGN.md §4): when the input cannot be read as a credential at all, verify()
raises :class:`~microcred.errors.InputError`; when it can be read but is bad, it returns a report whose
checks say what failed. A check that could not run counts as failed (or, for status, as "could not
check"), never as passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import _time
from .._fields import issuer_id as _issuer_id
from ..errors import CanonicalizationError, MicrocredError
from ..jsonld.loader import DocumentLoader, default_loader
from .checks import (
    check_context,
    check_credential_status,
    check_di_proof,
    check_issuer_key,
    check_jwt_proof,
    check_recipient,
    check_schema,
    check_validity,
    is_v1,
    types_of,
)
from .report import Check, VerificationReport


def _read(
    source: Any, fetch: Callable[[str], bytes], name: str | None
) -> tuple[str, dict[str, Any] | None, str | None, str]:
    from ..credential.reader import read_credential

    read = read_credential(source, fetch=fetch, name=name)
    return read.kind, read.credential, read.jwt, read.name


def verify(
    source: Mapping[str, Any] | str | bytes | Path,
    *,
    fetch: Callable[[str], bytes] | None = None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
    recipient: str | None = None,
    trusted_keys: Iterable[Any] | None = None,
    allow_unchecked_status: bool = False,
    check_endorsements: bool = True,
    name: str | None = None,
) -> VerificationReport:
    """Verify a credential: a dict, JSON text, a compact JWT, a baked PNG/SVG (bytes), a file path, or a URL.

    ``fetch`` answers every URL verify needs (key documents, DID documents, status lists); the default
    fetches HTTPS with a timeout and a size cap. ``trusted_keys`` (IssuerKey objects) are accepted as
    bound to their controller. ``allow_unchecked_status`` turns a status that could not be checked from a
    failure into a warning. ``name`` labels the input in the report.
    Raises InputError when the input cannot be read as a credential at all.
    """
    from ..fetch import Fetcher

    fetch = fetch or Fetcher()
    loader = loader or default_loader
    now = _time.verification_clock(now)
    trusted = {k.key_id: k for k in (trusted_keys or [])}
    kind, credential, token, name = _read(source, fetch, name)
    return _verify_read(
        kind,
        credential,
        token,
        name,
        fetch=fetch,
        loader=loader,
        now=now,
        recipient=recipient,
        trusted=trusted,
        allow_unchecked_status=allow_unchecked_status,
        check_endorsements=check_endorsements,
    )


def _resolver(fetch: Callable[[str], bytes], trusted: Mapping[str, Any]) -> Callable[[str], Any]:
    from ..keys.dids import resolve_verification_method

    def resolve(vm_id: str) -> Any:
        return resolve_verification_method(vm_id, fetch=fetch, trusted_keys=trusted or None)

    return resolve


def _verify_read(
    kind: str,
    credential: dict[str, Any] | None,
    token: str | None,
    name: str,
    *,
    fetch: Callable[[str], bytes],
    loader: DocumentLoader,
    now: datetime,
    recipient: str | None,
    trusted: Mapping[str, Any],
    allow_unchecked_status: bool,
    check_endorsements: bool,
    depth: int = 0,
) -> VerificationReport:
    checks: list[Check] = []
    resolve = _resolver(fetch, trusted)
    fmt = "vc-jwt" if token is not None else "data-integrity"
    proof_result: Any = None
    if token is not None:
        from ..suites.jwt import verify_jwt

        proof_result = verify_jwt(token, resolve=resolve)
        if credential is None:
            credential = proof_result.credential
    if not isinstance(credential, dict):
        raise MicrocredError("no credential could be read from the input", code="input.unreadable")
    from ..jsonld.limits import check_limits

    try:
        check_limits(credential)
    except CanonicalizationError as exc:
        refused = Check("parse", "failed", f"refused before any processing: {exc}", {"code": exc.code})
        return VerificationReport((refused,), format=fmt, source=name, credential=None, elements=None)
    types = types_of(credential)
    if "VerifiableCredential" not in types:
        checks.append(Check("parse", "failed", "type does not include VerifiableCredential"))
    else:
        shape = "VCDM 1.1" if is_v1(credential) else "VCDM 2.0"
        checks.append(
            Check(
                "parse",
                "passed",
                f"{', '.join(t for t in types if t != 'VerifiableCredential')} ({shape}, {fmt})",
            )
        )
    checks.append(check_context(credential, loader))
    checks.append(check_schema(credential))

    issuer = _issuer_id(credential)
    if token is not None:
        proof_check, key = check_jwt_proof(proof_result)
    else:
        proof_check, key = check_di_proof(credential, resolve, loader)
    checks.append(proof_check)
    checks.append(check_issuer_key(key, issuer))
    checks.append(check_validity(credential, now))
    checks.append(
        check_credential_status(
            credential,
            fetch=fetch,
            loader=loader,
            now=now,
            trusted=trusted,
            allow_unchecked=allow_unchecked_status,
        )
    )
    if recipient is not None:
        checks.append(check_recipient(credential, recipient))
    if check_endorsements and depth == 0:
        checks.append(_check_endorsements(credential, fetch=fetch, loader=loader, now=now, trusted=trusted))

    elements = None
    try:
        from ..credential.inspection import credential_elements

        elements = credential_elements(credential)
    except MicrocredError:
        elements = None
    return VerificationReport(
        tuple(checks), format=fmt, source=name, credential=credential, elements=elements
    )


def _embedded_endorsements(credential: Mapping[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                here = f"{path}.{k}" if path else k
                if (k == "endorsement" and isinstance(v, list)) or (
                    k == "endorsementJwt" and isinstance(v, list)
                ):
                    found.extend((f"{here}[{i}]", e) for i, e in enumerate(v))
                elif k not in ("proof",):
                    walk(v, here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(credential, "")
    return found


def _check_endorsements(
    credential: Mapping[str, Any],
    *,
    fetch: Callable[[str], bytes],
    loader: DocumentLoader,
    now: datetime,
    trusted: Mapping[str, Any],
) -> Check:
    endorsements = _embedded_endorsements(credential)
    if not endorsements:
        return Check("endorsements", "skipped", "no endorsements")
    results = []
    for path, item in endorsements:
        token = item if isinstance(item, str) else None
        doc = item if isinstance(item, dict) else None
        try:
            rep = _verify_read(
                "jwt" if token else "json",
                doc,
                token,
                path,
                fetch=fetch,
                loader=loader,
                now=now,
                recipient=None,
                trusted=trusted,
                allow_unchecked_status=True,
                check_endorsements=False,
                depth=1,
            )
            bad = [f"{c.id}: {c.message}" for c in rep.checks if c.status == "failed" and c.id != "schema"]
        except MicrocredError as exc:
            bad = [str(exc)]
        results.append({"path": path, "verified": not bad, "problems": bad})
    failed: list[dict[str, Any]] = [r for r in results if not r["verified"]]
    if failed:
        first = failed[0]
        return Check(
            "endorsements",
            "failed",
            f"{len(failed)} of {len(results)} endorsement(s) do not verify; "
            f"{first['path']}: {first['problems'][0]}",
            {"endorsements": results},
        )
    return Check(
        "endorsements", "passed", f"{len(results)} endorsement(s) verified", {"endorsements": results}
    )


def verify_many(
    sources: Sequence[Any], **options: Any
) -> list[tuple[Any, VerificationReport | MicrocredError]]:
    """verify() each source; an unreadable one gives its error instead of a report."""
    out: list[tuple[Any, VerificationReport | MicrocredError]] = []
    for src in sources:
        try:
            out.append((src, verify(src, **options)))
        except MicrocredError as exc:
            out.append((src, exc))
    return out
