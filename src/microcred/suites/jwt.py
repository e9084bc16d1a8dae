"""VC-JWT as Open Badges 3.0 defines it: a compact JWS whose payload is the credential itself plus
``iss``, ``jti``, ``sub``, ``nbf``, ``exp`` (and ``iat``); header ``alg``, ``kid``, ``typ: JWT``.

Every algorithm (EdDSA, ES256, ES384, RS256) signs and verifies through the one signature path of
the Data Integrity suites (:mod:`microcred.suites.signatures`): the JWS signing input is
``base64url(header).base64url(payload)``, and ECDSA signatures are ``r‖s`` as JWS requires. The
verifier takes the algorithm from the resolved key, never from the token: ``none``, HMAC, ``crit``
extensions and any ``alg`` that does not match the key are refused with a reason. The legacy VCDM
1.1 shape (a ``vc`` claim) is read too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .. import _json, _time, limits
from .._fields import issuer_id as _issuer_id
from .._fields import json_copy, subject_id
from ..errors import DidError, FetchError, InputError, JwtError, KeyFormatError
from ..keys.algorithms import SIGNING_DEFAULTS, jws_algorithm
from ..keys.material import key_from_jwk, same_key
from ..keys.multibase import b64url_decode, b64url_encode
from .signatures import sign_bytes, verify_bytes

if TYPE_CHECKING:
    from datetime import datetime

    from ..keys.material import IssuerKey, PublicKey, ResolvedKey

#: Registered JWT claims taken off the payload to get the bare credential back.
JWT_CLAIMS: Final = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
#: The JWS algorithms a VC-JWT is verified with (one per key type; see keys.algorithms).
JWT_ALGORITHMS: Final = tuple(alg for alg, _ in SIGNING_DEFAULTS.values())
#: The NumericDate range read (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z): the instants a date-time has.
NUMERIC_DATE_RANGE: Final = (-62_135_596_800, 253_402_300_799)
#: Longest token read (a baked credential with an image stays far below this).
MAX_TOKEN_CHARS: Final = limits.MAX_TOKEN_CHARS


@dataclass(frozen=True)
class JwtParts:
    """A compact JWS taken apart (nothing verified)."""

    header: dict[str, Any]
    payload: dict[str, Any]
    credential: dict[str, Any]
    signing_input: bytes
    signature: bytes


@dataclass(frozen=True)
class JwtResult:
    """The outcome of :func:`verify_jwt`; ``reason`` is ``"ok"`` or why not."""

    verified: bool
    credential: dict[str, Any] | None
    header: dict[str, Any]
    key: ResolvedKey | None
    reason: str
    #: The token's payload as read (its claims), verified or not.
    payload: dict[str, Any] = field(default_factory=dict)


def numeric_date(value: Any) -> int | None:
    """A JWT NumericDate claim as whole seconds; None unless a finite number in :data:`NUMERIC_DATE_RANGE`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    low, high = NUMERIC_DATE_RANGE
    return int(value) if low <= value <= high else None


def _epoch(value: Any, what: str) -> int:
    """The JWT NumericDate of a credential date-time (``nbf``/``exp`` from ``validFrom``/``validUntil``)."""
    if not isinstance(value, str):
        raise JwtError(f"{what} must be a date-time string", path=what)
    try:
        return _time.to_epoch(_time.parse(value))
    except _time.DateTimeError as exc:
        why = "has no time zone" if exc.no_timezone else "is not an ISO 8601 date-time"
        raise JwtError(f"{what} {value!r} {why}", path=what) from None


def _start(credential: Mapping[str, Any]) -> tuple[str, Any]:
    return (
        ("validFrom", credential["validFrom"])
        if "validFrom" in credential
        else ("issuanceDate", credential.get("issuanceDate"))
    )


def _end(credential: Mapping[str, Any]) -> tuple[str, Any]:
    return (
        ("validUntil", credential["validUntil"])
        if "validUntil" in credential
        else ("expirationDate", credential.get("expirationDate"))
    )


def _json_b64(value: Mapping[str, Any]) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return b64url_encode(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise JwtError("the credential holds text that is not Unicode (a lone surrogate)") from None


def sign_jwt(credential: dict[str, Any], key: IssuerKey, *, now: datetime | None = None) -> str:
    """A compact VC-JWT of ``credential`` signed by ``key`` (RS256, ES256 or EdDSA by key type).

    Payload: the credential plus ``iss`` (issuer id), ``jti`` (id), ``sub`` (credentialSubject.id),
    ``nbf`` (validFrom), ``exp`` (validUntil) and ``iat`` (``now``, default the current time).
    """
    if not isinstance(credential, dict):
        raise JwtError("the credential must be a JSON object")
    if key.private_key is None:
        raise JwtError(f"key {key.key_id} has no private part: it cannot sign", code="jwt.no_private_key")
    issuer = _issuer_id(credential)
    if not issuer:
        raise JwtError("the credential has no issuer id for 'iss'", path="issuer")
    start_name, start = _start(credential)
    if start is None:
        raise JwtError("the credential has no validFrom for 'nbf'", path="validFrom")
    payload = json_copy(credential)
    payload["iss"] = issuer
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    subject = subject_id(credential)
    if subject:
        payload["sub"] = subject
    payload["nbf"] = _epoch(start, start_name)
    end_name, end = _end(credential)
    if end is not None:
        payload["exp"] = _epoch(end, end_name)
    issued_at = now or _time.now()
    if not _time.is_aware(issued_at):
        raise JwtError("now must be timezone-aware")
    payload["iat"] = _time.to_epoch(issued_at)
    alg = key.jws_algorithm
    header = {"alg": alg, "kid": key.key_id, "typ": "JWT"}
    signing_input = f"{_json_b64(header)}.{_json_b64(payload)}"
    signature = sign_bytes(key.private_key, key.algorithm, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def _credential_from_payload(payload: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """The credential a payload carries, built from ``own``: a second parse of the same payload, so
    the credential shares nothing with ``payload`` (parsing again is cheaper than a deep copy)."""
    vc = own.get("vc")
    if isinstance(vc, Mapping):  # VCDM 1.1 shape: claims stand for credential properties
        credential = dict(vc)
        iss = payload.get("iss")
        if isinstance(iss, str):
            issuer = credential.get("issuer")
            if issuer is None:
                credential["issuer"] = iss
            elif isinstance(issuer, dict) and "id" not in issuer:
                issuer["id"] = iss
        # a claim that is no NumericDate is left out here; the claims check refuses the token for it
        nbf, exp = numeric_date(payload.get("nbf")), numeric_date(payload.get("exp"))
        if nbf is not None and "issuanceDate" not in credential and "validFrom" not in credential:
            credential["issuanceDate"] = _time.from_epoch(nbf)
        if exp is not None and "expirationDate" not in credential and "validUntil" not in credential:
            credential["expirationDate"] = _time.from_epoch(exp)
        if isinstance(payload.get("jti"), str) and "id" not in credential:
            credential["id"] = payload["jti"]
        subject = credential.get("credentialSubject")
        if isinstance(payload.get("sub"), str) and isinstance(subject, dict) and "id" not in subject:
            subject["id"] = payload["sub"]
        return dict(credential)
    return {k: v for k, v in own.items() if k not in JWT_CLAIMS}


def read_jwt(token: str) -> JwtParts:
    """Take a compact JWS apart without verifying it; :class:`InputError` if it is not one."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise InputError("a JWT must be ASCII text", code="jwt.malformed") from None
    if not isinstance(token, str):
        raise InputError("a JWT must be a string", code="jwt.malformed")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise InputError(f"the JWT is longer than {MAX_TOKEN_CHARS} characters", code="jwt.too_large")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise InputError(
            "not a compact JWS: expected three base64url parts separated by '.'", code="jwt.malformed"
        )
    decoded: list[dict[str, Any]] = []
    text = ""
    for name, part in (("header", parts[0]), ("payload", parts[1])):
        try:
            text = b64url_decode(part).decode("utf-8")
            value = _json.loads(text)
        except (KeyFormatError, UnicodeDecodeError, ValueError):
            raise InputError(f"the JWT {name} is not base64url-encoded JSON", code="jwt.malformed") from None
        if not isinstance(value, dict):
            raise InputError(f"the JWT {name} is not a JSON object", code="jwt.malformed")
        decoded.append(value)
    try:
        signature = b64url_decode(parts[2]) if parts[2] else b""
    except KeyFormatError:
        raise InputError("the JWT signature is not base64url", code="jwt.malformed") from None
    header, payload = decoded
    return JwtParts(
        header,
        payload,
        _credential_from_payload(payload, json.loads(text)),  # checked by _json.loads above
        f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature,
    )


def _claims_problem(payload: Mapping[str, Any], credential: Mapping[str, Any]) -> str | None:
    iss = payload.get("iss")
    issuer = _issuer_id(credential)
    if iss is not None and iss != issuer:
        return f"iss {iss!r} is not the credential's issuer {issuer!r}"
    if "jti" in payload and payload["jti"] != credential.get("id"):
        return f"jti {payload['jti']!r} is not the credential id {credential.get('id')!r}"
    if "sub" in payload:
        subject = subject_id(credential)
        if subject is not None and payload["sub"] != subject:
            return f"sub {payload['sub']!r} is not credentialSubject.id {subject!r}"
    if "iat" in payload and numeric_date(payload["iat"]) is None:
        return "iat is not a NumericDate (a finite number of seconds since 1970 in years 1-9999)"
    for claim, (name, value) in (("nbf", _start(credential)), ("exp", _end(credential))):
        if claim in payload:
            seconds = numeric_date(payload[claim])
            if seconds is None:
                return f"{claim} is not a NumericDate (a finite number of seconds since 1970 in years 1-9999)"
            if value is not None:
                try:
                    if seconds != _epoch(value, name):
                        return f"{claim} {payload[claim]} does not match {name} {value}"
                except JwtError as exc:
                    return exc.message
    return None


def check_algorithms(algorithms: Collection[str] | None) -> frozenset[str] | None:
    """An allow-list of JWS algorithms, checked: each must be one :func:`verify_jwt` knows."""
    if algorithms is None:
        return None
    if isinstance(algorithms, str):
        raise JwtError("algorithms must be a collection of names, not a string", code="usage.algorithms")
    unknown = sorted(set(algorithms) - set(JWT_ALGORITHMS))
    if unknown:
        raise JwtError(
            f"unknown JWS algorithm {unknown[0]!r} in the allow-list (known: {', '.join(JWT_ALGORITHMS)})",
            code="usage.algorithms",
        )
    return frozenset(algorithms)


#: Binds a key a token carries in its ``jwk`` header to an issuer: (public key, issuer id, kid) → key.
BindKey = Callable[["PublicKey", "str | None", "str | None"], "ResolvedKey"]


def _embedded_key(
    header: Mapping[str, Any], issuer: str | None, kid: str | None, bind_key: BindKey | None
) -> ResolvedKey | str:
    """The key of a ``jwk`` header bound through ``bind_key``, or why it cannot be used."""
    jwk = header.get("jwk")
    if not isinstance(jwk, Mapping):
        return "the JWT header's jwk is not a JSON object"
    if "d" in jwk:
        return "the JWT header's jwk contains a private part 'd'"
    try:
        public, _, _ = key_from_jwk(jwk)
    except (KeyFormatError, ValueError) as exc:
        return f"the JWT header's jwk is not a public key this verifier reads ({exc})"
    if bind_key is None:
        return "the JWT carries its key in a jwk header, and no way to bind it to the issuer was given"
    return bind_key(public, issuer, kid)


def verify_jwt(
    token: str,
    *,
    resolve: Callable[[str], ResolvedKey],
    algorithms: Collection[str] | None = None,
    bind_key: BindKey | None = None,
) -> JwtResult:
    """Verify a VC-JWT: the key from ``kid`` (or a DID/URL ``iss``) decides the algorithm, never the header.

    A key carried in a ``jwk`` header is used when ``kid`` names none that resolves (or names the same
    key), bound to the issuer by ``bind_key`` (did:key, listed by the issuer, or trusted; else
    ``self-named``, which the issuer check refuses).

    ``algorithms`` (default: all of :data:`JWT_ALGORITHMS`) is the allow-list: a token whose key signs
    with any other algorithm is refused. Never raises for a forged or mismatched token
    (``verified=False`` with a reason); a token that is not a compact JWS at all raises
    :class:`InputError`. A key that cannot be resolved gives ``verified=False``.
    """
    accepted = check_algorithms(algorithms)
    parts = read_jwt(token)
    header, payload = parts.header, parts.payload
    credential = parts.credential

    def no(reason: str, key: ResolvedKey | None = None) -> JwtResult:
        return JwtResult(False, credential, header, key, reason, payload)

    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        return no(f"JWT alg {alg!r} is not accepted: an unsigned token proves nothing")
    if alg.upper().startswith("HS"):
        return no(f"JWT alg {alg} (HMAC, a shared secret) is not accepted for credentials")
    if "crit" in header:
        return no(f"JWT header lists critical extensions {header['crit']!r} this verifier does not know")
    kid = header.get("kid")
    if not kid:
        iss = payload.get("iss")
        if isinstance(iss, str) and (iss.startswith("did:key:") or "#" in iss):
            kid = iss
    key: ResolvedKey | None = None
    if "jwk" in header:
        embedded = _embedded_key(
            header, _issuer_id(credential), kid if isinstance(kid, str) else None, bind_key
        )
        if isinstance(embedded, str):
            return no(embedded)
        if isinstance(kid, str) and kid and embedded.binding == "self-named":
            try:
                resolved = resolve(kid)
            except (DidError, FetchError, KeyFormatError):
                resolved = None
            if resolved is not None:
                if not same_key(resolved.public_key, embedded.public_key):
                    return no(f"the JWT header's jwk is not the key {kid} names")
                embedded = resolved
        key = embedded
    elif not isinstance(kid, str) or not kid:
        return no("the JWT header has no kid naming the signing key")
    else:
        try:
            key = resolve(kid)
        except (DidError, FetchError, KeyFormatError) as exc:
            return no(f"the signing key {kid} cannot be resolved: {exc}")
    kid = key.key_id
    expected = jws_algorithm(key.algorithm)
    if alg != expected:
        return no(f"JWT alg {alg} does not match the {key.algorithm} key {kid} (which signs {expected})", key)
    if accepted is not None and alg not in accepted:
        return no(f"JWT alg {alg} is not among the accepted algorithms ({', '.join(sorted(accepted))})", key)
    if not verify_bytes(key.public_key, key.algorithm, parts.signing_input, parts.signature):
        return no(f"JWT {alg} signature does not match (altered, or signed by another key)", key)
    problem = _claims_problem(payload, credential)
    if problem:
        return no(f"JWT claims disagree with the credential: {problem}", key)
    return JwtResult(True, credential, header, key, "ok", payload)
