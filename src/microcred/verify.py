"""verify(): every check a credential must pass, named, failing closed.

Two kinds of failure (DESIGN.md §4): when the input cannot be read as a credential at all, verify()
raises :class:`~microcred.errors.InputError`; when it can be read but is bad, it returns a report whose
checks say what failed. A check that could not run counts as failed (or, for status, as "could not
check"), never as passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import _time
from ._fields import issuer_id as _issuer_id
from .errors import CanonicalizationError, JsonLdError, MicrocredError, SchemaValidationError
from .jsonld.loader import DocumentLoader, default_loader
from .report import Check, VerificationReport

__all__ = ["verify", "verify_many"]

_V1 = "https://www.w3.org/2018/credentials/v1"
_V2 = "https://www.w3.org/ns/credentials/v2"
_OB_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"
_CONFIRMED_BINDINGS = {
    "did:key": "the key is its own did:key identifier",
    "did:web": "the issuer's did:web DID document lists the key",
    "published": "the issuer's published profile / key document lists the key",
    "trusted": "the caller explicitly trusted this key",
}


def _types(credential: Mapping[str, Any]) -> list[str]:
    """The credential's ``type`` values that are strings (a lone string counts as one)."""
    value = credential.get("type")
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [t for t in values if isinstance(t, str)]


def _is_v1(credential: Mapping[str, Any]) -> bool:
    ctx = credential.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    return first == _V1


def _as_v2_for_schema(credential: Mapping[str, Any]) -> dict[str, Any]:
    """A VCDM 2.0 view of a VCDM 1.1 credential, for the (2.0-only) 1EdTech JSON Schema."""
    view = dict(credential)
    ctx = list(view.get("@context") or [])
    view["@context"] = [
        _V2 if c == _V1 else c for c in ctx if c != "https://w3id.org/security/data-integrity/v1"
    ]
    if "issuanceDate" in view:
        view.setdefault("validFrom", view.pop("issuanceDate"))
    if "expirationDate" in view:
        view.setdefault("validUntil", view.pop("expirationDate"))
    view.pop("issued", None)
    return view


# --------------------------------------------------------------------------------------------- checks


def _check_context(credential: Mapping[str, Any], loader: DocumentLoader) -> Check:
    from .jsonld.canonical import check_safe_mode

    ctx = credential.get("@context")
    if not isinstance(ctx, list) or not ctx:
        return Check("context", "failed", "@context must be a non-empty list")
    if ctx[0] not in (_V1, _V2):
        return Check("context", "failed", f"the first @context must be {_V2} (or {_V1}), not {ctx[0]!r}")
    needs_ob = {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"} & set(
        _types(credential)
    )
    if needs_ob and not any(isinstance(c, str) and c.startswith(_OB_PREFIX) for c in ctx):
        return Check("context", "failed", "no Open Badges 3.0 context in @context")
    document = {k: v for k, v in credential.items() if k != "proof"}
    try:
        check_safe_mode(document, loader=loader)
    except (JsonLdError, CanonicalizationError) as exc:
        return Check("context", "failed", str(exc), {"code": exc.code, "path": exc.path})
    return Check("context", "passed", "every term is defined by a known context (JSON-LD safe mode, offline)")


def _check_schema(credential: Mapping[str, Any]) -> Check:
    from .credential.schema import schema_errors

    view = _as_v2_for_schema(credential) if _is_v1(credential) else dict(credential)
    try:
        issues = schema_errors(view)
    except SchemaValidationError as exc:
        return Check("schema", "failed", str(exc))
    if issues:
        first = issues[0]
        return Check(
            "schema",
            "failed",
            f"{len(issues)} schema error(s); first at {first.path or '(root)'}: {first.message}",
            {"errors": [{"path": i.path, "message": i.message, "schema": i.schema} for i in issues[:50]]},
        )
    note = " (VCDM 1.1 shape, checked as its VCDM 2.0 equivalent)" if _is_v1(credential) else ""
    return Check("schema", "passed", "valid against the 1EdTech Open Badges 3.0 JSON Schema" + note)


def _binding_check(key: Any, issuer: str | None) -> Check:
    if key is None:
        return Check("issuer_key", "failed", "no key was resolved, so the issuer cannot be bound to it")
    details = {"verification_method": key.key_id, "controller": key.controller, "binding": key.binding}
    if issuer is None:
        return Check("issuer_key", "failed", "the credential names no issuer id", details)
    if key.controller != issuer:
        return Check(
            "issuer_key",
            "failed",
            f"the signing key belongs to {key.controller!r}, not to the issuer {issuer!r}",
            details,
        )
    if key.binding in _CONFIRMED_BINDINGS:
        return Check(
            "issuer_key",
            "passed",
            f"key controlled by the issuer: {_CONFIRMED_BINDINGS[key.binding]}",
            details,
        )
    return Check(
        "issuer_key",
        "failed",
        "the signature checks out, but the key only names itself (a '#z6Mk…' fragment) and the issuer's "
        "published profile or DID document was not available to confirm it lists this key; give it with "
        "--resource URL=FILE or trust the key explicitly",
        details,
    )


def _check_validity(credential: Mapping[str, Any], now: datetime) -> Check:
    start_key = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_key = "validUntil" if "validUntil" in credential else "expirationDate"
    start_raw, end_raw = credential.get(start_key), credential.get(end_key)
    start, end = _time.parse_or_none(start_raw), _time.parse_or_none(end_raw)
    details = {"now": now.isoformat(), start_key: start_raw, end_key: end_raw}
    if start_raw is None:
        return Check("validity", "failed", "the credential states no validFrom / issuanceDate", details)
    if start is None:
        return Check("validity", "failed", f"{start_key} {start_raw!r} is not a valid date-time", details)
    if end_raw is not None and end is None:
        return Check("validity", "failed", f"{end_key} {end_raw!r} is not a valid date-time", details)
    if now < start:
        return Check(
            "validity",
            "failed",
            f"not yet valid: valid from {start_raw}",
            {**details, "reason": "not_yet_valid"},
        )
    if end is not None and now >= end:
        return Check(
            "validity", "failed", f"expired: valid until {end_raw}", {**details, "reason": "expired"}
        )
    until = f" until {end_raw}" if end_raw else " with no expiry"
    return Check("validity", "passed", f"valid from {start_raw}{until}", details)


def _check_recipient(credential: Mapping[str, Any], recipient: str) -> Check:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    wanted = recipient.strip()
    for subj in subjects:
        if not isinstance(subj, Mapping):
            continue
        if subj.get("id") == wanted:
            return Check("recipient", "passed", f"credentialSubject.id is {wanted}")
        for ident in subj.get("identifier") or []:
            if not isinstance(ident, Mapping):
                continue
            value = ident.get("identityHash")
            salt = ident.get("salt") or ""
            candidates = {wanted, wanted.lower()} if ident.get("identityType") == "emailAddress" else {wanted}
            if ident.get("hashed") and isinstance(value, str) and value.startswith("sha256$"):
                for cand in candidates:
                    if hashlib.sha256((cand + salt).encode()).hexdigest() == value[7:].lower():
                        return Check(
                            "recipient", "passed", f"hashed {ident.get('identityType')} matches {wanted}"
                        )
            elif not ident.get("hashed") and value in candidates:
                return Check("recipient", "passed", f"{ident.get('identityType')} matches {wanted}")
    return Check("recipient", "failed", f"the credential was not issued to {wanted}")


# --------------------------------------------------------------------------------------------- verify


def _read(
    source: Any, fetch: Callable[[str], bytes], name: str | None
) -> tuple[str, dict[str, Any] | None, str | None, str]:
    from .credential.reader import read_credential

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
    from .fetch import Fetcher

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
    from .keys.dids import resolve_verification_method

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
        from .suites.jwt import verify_jwt

        proof_result = verify_jwt(token, resolve=resolve)
        if credential is None:
            credential = proof_result.credential
    if not isinstance(credential, dict):
        raise MicrocredError("no credential could be read from the input", code="input.unreadable")
    from .jsonld.limits import check_limits

    try:
        check_limits(credential)
    except CanonicalizationError as exc:
        refused = Check("parse", "failed", f"refused before any processing: {exc}", {"code": exc.code})
        return VerificationReport((refused,), format=fmt, source=name, credential=None, elements=None)
    types = _types(credential)
    if "VerifiableCredential" not in types:
        checks.append(Check("parse", "failed", "type does not include VerifiableCredential"))
    else:
        shape = "VCDM 1.1" if _is_v1(credential) else "VCDM 2.0"
        checks.append(
            Check(
                "parse",
                "passed",
                f"{', '.join(t for t in types if t != 'VerifiableCredential')} ({shape}, {fmt})",
            )
        )
    checks.append(_check_context(credential, loader))
    checks.append(_check_schema(credential))

    issuer = _issuer_id(credential)
    if token is not None:
        proof_check, key = _jwt_proof_check(proof_result)
    else:
        proof_check, key = _check_di_proof(credential, resolve, loader)
    checks.append(proof_check)
    checks.append(_binding_check(key, issuer))
    checks.append(_check_validity(credential, now))
    checks.append(
        _check_status(
            credential,
            fetch=fetch,
            loader=loader,
            now=now,
            trusted=trusted,
            allow_unchecked=allow_unchecked_status,
        )
    )
    if recipient is not None:
        checks.append(_check_recipient(credential, recipient))
    if check_endorsements and depth == 0:
        checks.append(_check_endorsements(credential, fetch=fetch, loader=loader, now=now, trusted=trusted))

    elements = None
    try:
        from .credential.inspection import credential_elements

        elements = credential_elements(credential)
    except MicrocredError:
        elements = None
    return VerificationReport(
        tuple(checks), format=fmt, source=name, credential=credential, elements=elements
    )


def _jwt_proof_check(result: Any) -> tuple[Check, Any]:
    header = result.header or {}
    details = {"alg": header.get("alg"), "kid": header.get("kid")}
    if result.verified:
        return Check("proof", "passed", f"VC-JWT signature valid ({header.get('alg')})", details), result.key
    return Check("proof", "failed", result.reason, details), result.key


def _check_di_proof(
    credential: Mapping[str, Any], resolve: Callable[[str], Any], loader: DocumentLoader
) -> tuple[Check, Any]:
    """The proof check and the key it resolved (None when none was)."""
    from .suites import verify_proof

    if "proof" not in credential:
        return Check("proof", "failed", "the credential carries no proof (it is unsigned)"), None
    try:
        result = verify_proof(dict(credential), resolve=resolve, loader=loader)
    except MicrocredError as exc:
        return Check("proof", "failed", str(exc), {"code": exc.code}), None
    details = {"cryptosuite": result.cryptosuite, "verification_method": result.verification_method}
    if result.verified:
        return Check("proof", "passed", f"{result.cryptosuite} signature valid", details), result.key
    return Check("proof", "failed", result.reason, details), result.key


def _check_status(
    credential: Mapping[str, Any],
    *,
    fetch: Callable[[str], bytes],
    loader: DocumentLoader,
    now: datetime,
    trusted: Mapping[str, Any],
    allow_unchecked: bool,
) -> Check:
    if not credential.get("credentialStatus"):
        return Check(
            "status",
            "passed",
            "no status entry: this credential cannot be revoked or suspended",
            {"outcome": "no_status"},
        )
    from .status.checking import check_status, list_verifier

    verify_list = list_verifier(fetch=fetch, trusted_keys=trusted or None, loader=loader)
    result = check_status(dict(credential), fetch=fetch, verify_list=verify_list, now=now)
    outcome, reason = result.outcome, result.reason
    details: dict[str, Any] = {"outcome": outcome, "entries": result.details}
    if outcome in ("valid", "no_status"):
        return Check(
            "status",
            "passed",
            f"not revoked or suspended ({reason})" if reason else "not revoked or suspended",
            details,
        )
    if outcome in ("revoked", "suspended"):
        return Check(
            "status",
            "failed",
            f"{outcome.upper()} by the issuer ({reason})" if reason else outcome.upper(),
            details,
        )
    if allow_unchecked:
        return Check("status", "warning", f"status could not be checked: {reason}", details)
    return Check("status", "failed", f"status could not be checked: {reason}", details)


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
