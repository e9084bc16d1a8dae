"""The checks of :func:`~microcred.verifying.verify.verify`, one function each: every one returns a
named :class:`~microcred.verifying.report.Check`, and one that cannot run fails (closed)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import _time
from ..credential.schema import schema_errors
from ..credential.vcdm import vcdm_problems
from ..errors import CanonicalizationError, JsonLdError, MicrocredError, SchemaValidationError
from ..jsonld.canonical import check_safe_mode
from ..jsonld.loader import known_context_urls
from ..jsonld.protection import check_unprotected_terms
from ..keys.dids import key_url_under
from ..keys.multibase import multibase_decode
from ..status.checking import check_status, list_verifier
from ..suites.data_integrity import Resolve, verify_proof
from ..suites.jwt import numeric_date
from .report import CHECK_IDS, Check

if TYPE_CHECKING:
    from datetime import datetime

    from ..fetch import Fetch
    from ..jsonld.loader import DocumentLoader
    from ..keys.material import IssuerKey, ResolvedKey
    from ..suites.jwt import JwtResult

_V1 = "https://www.w3.org/2018/credentials/v1"
_V2 = "https://www.w3.org/ns/credentials/v2"
_OB_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"
#: How far after the time of a check a proof's ``created`` may lie before it is reported (clock skew).
CREATED_SKEW = timedelta(minutes=5)
_CONFIRMED_BINDINGS = {
    "did:key": "the key is its own did:key identifier",
    "did:web": "the issuer's did:web DID document lists the key",
    "published": "the issuer's published profile / key document lists the key",
    "trusted": "the caller explicitly trusted this key",
}


def types_of(credential: Mapping[str, Any]) -> list[str]:
    """The credential's ``type`` values that are strings (a lone string counts as one)."""
    value = credential.get("type")
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [t for t in values if isinstance(t, str)]


def is_v1(credential: Mapping[str, Any]) -> bool:
    ctx = credential.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    return first == _V1


def as_v2_for_schema(credential: Mapping[str, Any]) -> dict[str, Any]:
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


def check_context(credential: Mapping[str, Any], loader: DocumentLoader) -> Check:
    ctx = credential.get("@context")
    if not isinstance(ctx, list) or not ctx:
        return Check("context", "failed", "@context must be a non-empty list")
    if ctx[0] not in (_V1, _V2):
        return Check("context", "failed", f"the first @context must be {_V2} (or {_V1}), not {ctx[0]!r}")
    needs_ob = {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"} & set(
        types_of(credential)
    )
    if needs_ob and not any(isinstance(c, str) and c.startswith(_OB_PREFIX) for c in ctx):
        return Check("context", "failed", "no Open Badges 3.0 context in @context")
    document = {k: v for k, v in credential.items() if k != "proof"}
    try:
        check_safe_mode(document, loader=loader)
        check_unprotected_terms(document, loader)
    except (JsonLdError, CanonicalizationError) as exc:
        return Check("context", "failed", str(exc), {"code": exc.code, "path": exc.path})
    return Check(
        "context",
        "passed",
        "every term is defined by a known context (JSON-LD safe mode, offline); none of an "
        "unprotected Open Badges context is redefined",
    )


#: Types judged by Open Badges rules (the 1EdTech JSON Schema, a required validFrom).
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"})
CLR_TYPES = frozenset({"ClrCredential"})


def check_schema(credential: Mapping[str, Any], *, strict: bool = False) -> Check:
    """``schema``: VC Data Model conformance (always an error when broken), then, for Open Badges and
    CLR credentials, the 1EdTech rules: each departure a warning naming it, or an error when ``strict``.

    Conformance is not authenticity: an authentic, current credential that departs from the 1EdTech
    JSON Schema (``issuer.type`` as a string, ``achievementType: "Program"``) verifies with warnings, as
    DCC's verifiers do; ``strict`` behaves as the 1EdTech validator does.
    """
    problems = vcdm_problems(credential, allow_v1=True)
    if problems:
        listing = "; ".join(str(p) for p in problems[:5])
        return Check(
            "schema",
            "failed",
            f"{len(problems)} VC Data Model departure(s): {listing}",
            {"errors": [{"path": p.path, "message": p.message, "schema": "vcdm-2.0"} for p in problems]},
        )
    types = set(types_of(credential))
    note = " (VCDM 1.1 shape, checked as its VCDM 2.0 equivalent)" if is_v1(credential) else ""
    if not types & (OB_TYPES | CLR_TYPES):
        return Check(
            "schema", "passed", "conforms to the VC Data Model (not an Open Badges or CLR credential)"
        )
    if types & OB_TYPES:
        view = as_v2_for_schema(credential) if is_v1(credential) else dict(credential)
        try:
            issues = [(i.path, i.message) for i in schema_errors(view)]
        except SchemaValidationError as exc:
            issues = [(exc.path or "(credential)", exc.message)]
        against = "the 1EdTech Open Badges 3.0 JSON Schema"
    else:  # CLR 2.0: its JSON Schema is not packaged; the Open Badges rule on validFrom still holds
        issues = (
            [] if "validFrom" in credential or "issuanceDate" in credential else [("validFrom", "missing")]
        )
        against = "the CLR 2.0 rules checked (validFrom; the CLR JSON Schema is not packaged)"
    if not issues:
        return Check("schema", "passed", f"valid against {against}{note}")
    listing = "; ".join(f"{path}: {message}" for path, message in issues[:5])
    more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
    details = {
        "errors": [{"path": p, "message": m, "schema": against} for p, m in issues[:50]],
        "strict": strict,
    }
    if strict:
        return Check(
            "schema", "failed", f"{len(issues)} departure(s) from {against}: {listing}{more}", details
        )
    return Check(
        "schema",
        "warning",
        f"{len(issues)} departure(s) from {against} (conformance, not authenticity; --strict makes them "
        f"errors): {listing}{more}",
        details,
    )


def check_issuer_key(key: ResolvedKey | None, issuer: str | None) -> Check:
    """``issuer_key``: the signing key's controller is the issuer, and that binding is confirmed."""
    if key is None:
        return Check("issuer_key", "failed", "no key was resolved, so the issuer cannot be bound to it")
    details = {"verification_method": key.key_id, "controller": key.controller, "binding": key.binding}
    if issuer is None:
        return Check("issuer_key", "failed", "the credential names no issuer id", details)
    if key.controller != issuer and key.binding == "published" and key_url_under(key.key_id, issuer):
        return Check(
            "issuer_key",
            "passed",
            "key published under the issuer's own URL path (the same host alone would not do: "
            "one host may serve many issuers)",
            {**details, "binding": "under-issuer-path"},
        )
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


def check_validity(
    credential: Mapping[str, Any], now: datetime, token_claims: Mapping[str, Any] | None = None
) -> Check:
    """``validity``: the credential's window holds ``now``, and so do a VC-JWT's ``nbf`` and ``exp``.

    The token's claims are signed too, so they bind whatever the credential's own fields say.
    """
    found = _credential_validity(credential, now)
    if found.status == "failed" or not token_claims:
        return found
    for claim in ("nbf", "exp"):
        if claim not in token_claims:
            continue
        raw = token_claims[claim]
        seconds = numeric_date(raw)
        details = {**found.details, f"jwt_{claim}": raw if seconds is not None else repr(raw)}
        if seconds is None:
            return Check("validity", "failed", f"the VC-JWT's {claim} is not a NumericDate", details)
        moment = _time.from_epoch(seconds)
        if claim == "nbf" and _time.to_epoch(now) < seconds:
            return Check(
                "validity",
                "failed",
                f"not yet valid: the VC-JWT's nbf is {moment}",
                {**details, "reason": "not_yet_valid"},
            )
        if claim == "exp" and _time.to_epoch(now) >= seconds:
            return Check(
                "validity",
                "failed",
                f"expired: the VC-JWT's exp is {moment}",
                {**details, "reason": "expired"},
            )
    return found


def _credential_validity(credential: Mapping[str, Any], now: datetime) -> Check:
    start_key = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_key = "validUntil" if "validUntil" in credential else "expirationDate"
    start_raw, end_raw = credential.get(start_key), credential.get(end_key)
    start, end = _time.parse_or_none(start_raw), _time.parse_or_none(end_raw)
    details = {"now": now.isoformat(), start_key: start_raw, end_key: end_raw}
    if start_raw is None and end_raw is None:
        # VCDM 2.0 makes validFrom optional (Open Badges requires it: a schema warning, not a failure)
        return Check("validity", "passed", "no validFrom or validUntil stated: valid at any time", details)
    if start_raw is not None and start is None:
        return Check("validity", "failed", f"{start_key} {start_raw!r} is not a valid date-time", details)
    if end_raw is not None and end is None:
        return Check("validity", "failed", f"{end_key} {end_raw!r} is not a valid date-time", details)
    if start is not None and now < start:
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
    since = f"valid from {start_raw}" if start_raw is not None else "no validFrom stated, valid"
    return Check("validity", "passed", f"{since}{until}", details)


def check_recipient(credential: Mapping[str, Any], recipient: str) -> Check:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    wanted = recipient.strip()
    for subj in subjects:
        if not isinstance(subj, Mapping):
            continue
        if subj.get("id") == wanted:
            return Check("recipient", "passed", f"credentialSubject.id is {wanted}")
        identifiers = subj.get("identifier")
        for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
            if not isinstance(ident, Mapping):
                continue
            value = ident.get("identityHash")
            salt = ident.get("salt")
            if salt is None:
                salt = ""
            if not isinstance(value, str) or not isinstance(salt, str):
                continue  # the schema check reports the wrong type; it can match no one
            candidates = {wanted, wanted.lower()} if ident.get("identityType") == "emailAddress" else {wanted}
            if ident.get("hashed") and isinstance(value, str) and value.startswith("sha256$"):
                for cand in candidates:
                    if (
                        hashlib.sha256((cand + salt).encode("utf-8", "surrogatepass")).hexdigest()
                        == value[7:].lower()
                    ):
                        return Check(
                            "recipient", "passed", f"hashed {ident.get('identityType')} matches {wanted}"
                        )
            elif not ident.get("hashed") and value in candidates:
                return Check("recipient", "passed", f"{ident.get('identityType')} matches {wanted}")
    return Check("recipient", "failed", f"the credential was not issued to {wanted}")


# --------------------------------------------------------------------------------------------- verify

#: Multihash codes of the digests ``digestMultibase`` may carry.
_MULTIHASH = {0x12: "sha256", 0x20: "sha384", 0x13: "sha512"}


def _expected_digest(entry: Mapping[str, Any]) -> tuple[str, bytes] | None:
    sri = entry.get("digestSRI")
    if isinstance(sri, str) and "-" in sri:
        algorithm, _, b64 = sri.partition("-")
        try:
            return algorithm, base64.b64decode(b64, validate=True)
        except ValueError:
            return None
    mb = entry.get("digestMultibase")
    if isinstance(mb, str):
        try:
            raw = multibase_decode(mb)
        except MicrocredError:
            return None
        if len(raw) > 2 and raw[0] in _MULTIHASH and raw[1] == len(raw) - 2:
            return _MULTIHASH[raw[0]], raw[2:]
    return None


def check_related_resources(credential: Mapping[str, Any], fetch: Fetch) -> Check:
    """``related_resource``: each ``relatedResource`` fetched (through ``fetch``) and its digest compared;
    a mismatch fails, a resource that cannot be fetched is a warning (the digest could not be checked)."""
    value = credential.get("relatedResource")
    entries = value if isinstance(value, list) else [value]
    matched, unavailable = [], []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            return Check("related_resource", "failed", "a relatedResource entry has no id")
        url = entry["id"]
        expected = _expected_digest(entry)
        if expected is None or expected[0] not in ("sha256", "sha384", "sha512"):
            return Check(
                "related_resource", "failed", f"the digest of {url} is malformed or of an unknown kind"
            )
        if url.split("#")[0] in known_context_urls():  # verification never fetches a JSON-LD context
            unavailable.append(f"{url} (a JSON-LD context: never fetched while verifying)")
            continue
        try:
            data = fetch(url)
        except (MicrocredError, OSError) as exc:
            unavailable.append(f"{url} ({exc})")
            continue
        if hashlib.new(expected[0], data).digest() != expected[1]:
            return Check(
                "related_resource",
                "failed",
                f"{url} does not match its {expected[0]} digest: the related resource has changed",
                {"id": url},
            )
        matched.append(url)
    if unavailable:
        return Check(
            "related_resource",
            "warning",
            f"{len(matched)} related resource(s) match their digest; not available to check: "
            + "; ".join(unavailable),
        )
    return Check("related_resource", "passed", f"{len(matched)} related resource(s) match their digest")


#: Names a VC-API caller may use for microcred's checks.
CHECK_ALIASES = {
    "credentialStatus": "status",
    "expiration": "validity",
    "validFrom": "validity",
    "validUntil": "validity",
    "issuer": "issuer_key",
    "issuerKey": "issuer_key",
    "credentialSchema": "schema",
}


def check_names(names: Collection[str] | None) -> frozenset[str] | None:
    """The checks to run, by id (or a VC-API alias such as ``credentialStatus``); ``parse`` always runs."""
    if names is None:
        return None
    if isinstance(names, str):
        raise MicrocredError("checks must be a collection of check names, not a string", code="usage.checks")
    chosen = {CHECK_ALIASES.get(n, n) for n in names}
    unknown = sorted(n for n in chosen if n not in CHECK_IDS)
    if unknown:
        raise MicrocredError(
            f"unknown check {unknown[0]!r} (known: {', '.join(CHECK_IDS)})", code="usage.checks"
        )
    return frozenset(chosen | {"parse"})


def proof_values(node: Any, name: str) -> list[str]:
    """The string values of ``name`` in a proof (a lone string or an array)."""
    value = node.get(name) if isinstance(node, Mapping) else None
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def check_proof_binding(
    document: Mapping[str, Any], proof_check: Check, domain: str | None, challenge: str | None
) -> Check:
    """``proof`` again: when a ``domain`` / ``challenge`` is expected, the verified proof must carry it."""
    if proof_check.status not in ("passed", "warning") or (domain is None and challenge is None):
        return proof_check
    proofs = document.get("proof")
    proof = (proofs[0] if proofs else None) if isinstance(proofs, list) else proofs
    if domain is not None and domain not in proof_values(proof, "domain"):
        found = proof_values(proof, "domain") or "none"
        return Check("proof", "failed", f"the proof's domain is {found}, not the expected {domain!r}")
    if challenge is not None and proof_values(proof, "challenge") != [challenge]:
        found = proof_values(proof, "challenge") or "none"
        return Check("proof", "failed", f"the proof's challenge is {found}, not the expected {challenge!r}")
    return Check(
        "proof",
        proof_check.status,
        proof_check.message + " (domain and challenge as expected)",
        proof_check.details,
    )


def check_jwt_proof(result: JwtResult, now: datetime | None = None) -> tuple[Check, ResolvedKey | None]:
    """``proof`` for a VC-JWT (already verified by :func:`~microcred.suites.verify_jwt`), and its key.

    A token issued (``iat``) more than :data:`CREATED_SKEW` after ``now`` is a warning, as a Data
    Integrity proof ``created`` then is.
    """
    header = result.header or {}
    details = {"alg": header.get("alg"), "kid": header.get("kid")}
    if result.verified:
        issued = numeric_date(result.payload.get("iat"))
        moment = _time.verification_clock(now)
        if issued is not None and issued > _time.to_epoch(moment + CREATED_SKEW):
            when = _time.from_epoch(issued)
            return (
                Check(
                    "proof",
                    "warning",
                    f"VC-JWT signature valid ({header.get('alg')}), but the token says it was issued at "
                    f"{when} (iat), after the time of this check ({_time.format_utc(moment)}): a wrong "
                    "clock or a back-dated check",
                    {**details, "iat": when},
                ),
                result.key,
            )
        return Check("proof", "passed", f"VC-JWT signature valid ({header.get('alg')})", details), result.key
    return Check("proof", "failed", result.reason, details), result.key


def check_di_proof(
    credential: Mapping[str, Any],
    resolve: Resolve,
    loader: DocumentLoader,
    *,
    cryptosuites: frozenset[str] | None = None,
    now: datetime | None = None,
) -> tuple[Check, ResolvedKey | None]:
    """``proof`` for a Data Integrity proof (only ``cryptosuites`` when given), and the key it resolved.

    A proof past its ``expires`` fails; one ``created`` more than :data:`CREATED_SKEW` after ``now``
    is reported as a warning (the signature holds, but its date cannot be true yet).
    """
    if "proof" not in credential:
        return Check("proof", "failed", "the credential carries no proof (it is unsigned)"), None
    moment = _time.verification_clock(now)
    try:
        result = verify_proof(
            dict(credential), resolve=resolve, loader=loader, cryptosuites=cryptosuites, now=moment
        )
    except MicrocredError as exc:
        return Check("proof", "failed", str(exc), {"code": exc.code}), None
    details = {"cryptosuite": result.cryptosuite, "verification_method": result.verification_method}
    if result.verified:
        future = _created_in_future(credential.get("proof"), moment)
        if future is not None:
            return (
                Check(
                    "proof",
                    "warning",
                    f"{result.cryptosuite} signature valid, but the proof says it was created at {future}, "
                    f"after the time of this check ({_time.format_utc(moment)}): a wrong clock or a "
                    "back-dated check",
                    {**details, "created": future},
                ),
                result.key,
            )
        return Check("proof", "passed", f"{result.cryptosuite} signature valid", details), result.key
    return Check("proof", "failed", result.reason, details), result.key


def _created_in_future(proof: Any, now: datetime) -> str | None:
    """The latest ``created`` of the proof(s) when it lies more than :data:`CREATED_SKEW` after ``now``."""
    proofs = proof if isinstance(proof, list) else [proof]
    late = [
        (moment, p["created"])
        for p in proofs
        if isinstance(p, Mapping)
        and (moment := _time.parse_or_none(p.get("created"))) is not None
        and moment > now + CREATED_SKEW
    ]
    return max(late)[1] if late else None


def check_credential_status(
    credential: Mapping[str, Any],
    *,
    fetch: Fetch,
    loader: DocumentLoader,
    now: datetime,
    trusted: Mapping[str, IssuerKey],
    allow_unchecked: bool,
    cryptosuites: frozenset[str] | None = None,
) -> Check:
    """``status``: revoked, suspended, could-not-check (a failure unless ``allow_unchecked``) or fine."""
    if not credential.get("credentialStatus"):
        return Check(
            "status",
            "passed",
            "no status entry: this credential cannot be revoked or suspended",
            {"outcome": "no_status"},
        )
    verify_list = list_verifier(
        fetch=fetch, trusted_keys=trusted or None, loader=loader, cryptosuites=cryptosuites
    )
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
