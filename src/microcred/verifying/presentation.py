"""Verifiable presentations: a holder presents credentials to a verifier, who checks who presented them.

:func:`present` wraps credentials (JSON-LD, or VC-JWTs as ``EnvelopedVerifiableCredential``) in a
``VerifiablePresentation`` signed by the holder's key with a Data Integrity proof of purpose
``authentication``, carrying the verifier's ``domain`` and ``challenge`` (so it cannot be replayed
elsewhere or later). :func:`verify_presentation` checks that proof (purpose, domain, challenge), that
the signing key is the holder's, and verifies every embedded credential with
:func:`~microcred.verifying.verify.verify`, reporting each.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _time
from .._fields import json_copy
from ..credential.reader import Source, enveloped_jwt, read_credential
from ..credential.vcdm import V2_CONTEXT, is_url
from ..errors import CanonicalizationError, InputError, JsonLdError, MicrocredError
from ..fetch import Fetch, Fetcher
from ..jsonld.canonical import check_safe_mode
from ..jsonld.limits import check_limits
from ..jsonld.loader import DocumentLoader, default_loader
from ..keys.algorithms import default_cryptosuite, jws_algorithm
from ..keys.dids import resolve_verification_method
from ..suites.data_integrity import check_cryptosuites, sign_proof, verify_proof
from ..suites.jwt import read_jwt
from ..suites.signatures import verify_bytes
from .checks import proof_values
from .report import Check, VerificationReport
from .verify import verify

if TYPE_CHECKING:
    from datetime import datetime

    from ..keys.material import IssuerKey, ResolvedKey

#: The checks of a presentation report, in order.
PRESENTATION_CHECK_IDS = ("parse", "context", "proof", "holder", "credentials", "holder_binding")
_REQUIRED = frozenset({"parse", "context", "proof", "holder", "credentials"})


@dataclass(frozen=True)
class PresentationReport:
    """What :func:`verify_presentation` found: the presentation's own checks and one report per credential."""

    checks: tuple[Check, ...]
    credentials: tuple[VerificationReport | MicrocredError, ...] = ()
    holder: str | None = None
    format: str = "data-integrity"
    source: str | None = None
    presentation: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def verified(self) -> bool:
        """True when no check failed, none required was skipped, and every credential verified."""
        if any(c.status == "failed" for c in self.checks):
            return False
        seen = {c.id: c for c in self.checks}
        if not all(cid in seen and seen[cid].status != "skipped" for cid in _REQUIRED):
            return False
        return all(isinstance(r, VerificationReport) and r.verified for r in self.credentials)

    def check(self, check_id: str) -> Check | None:
        """The check with ``check_id``, or None if it did not run."""
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: verified, holder, the presentation's checks, each credential's report."""
        creds: list[dict[str, Any]] = []
        for r in self.credentials:
            if isinstance(r, VerificationReport):
                creds.append(r.to_dict())
            else:
                creds.append({"verified": False, "error": {"code": r.code, "message": str(r)}})
        return {
            "verified": self.verified,
            "type": "VerifiablePresentation",
            "format": self.format,
            "source": self.source,
            "holder": self.holder,
            "checks": [c.to_dict() for c in self.checks],
            "credentials": creds,
        }

    def summary_line(self) -> str:
        """One line: verdict, source and, when not verified, why."""
        name = self.source or "presentation"
        n = len(self.credentials)
        if self.verified:
            by = self.holder or "an unnamed holder"
            return f"VERIFIED      {name}  (presentation by {by}, {n} credential(s))"
        reasons = "; ".join(f"{c.id}: {c.message}" for c in self.checks if c.status == "failed")
        return f"NOT VERIFIED  {name}  — {reasons or 'a required check did not run'}"

    def to_text(self) -> str:
        """The report for a person: the verdict, the presentation's checks, then each credential's."""
        marks = {"passed": "✔", "failed": "✘", "warning": "!", "skipped": "–"}
        lines = [
            "✔ VERIFIED — presented by its holder, and every credential verified."
            if self.verified
            else "✘ NOT VERIFIED — do not rely on this presentation (reasons below).",
        ]
        if self.source:
            lines.append(f"  Source: {self.source} (presentation, {self.format})")
        lines += ["", "Presentation checks:"]
        lines += [f"  {marks[c.status]} {c.id:<15} {c.status:<8} {c.message}" for c in self.checks]
        for i, r in enumerate(self.credentials):
            lines += ["", f"Credential {i + 1} of {len(self.credentials)}:"]
            text = r.to_text() if isinstance(r, VerificationReport) else f"✘ unreadable: {r}"
            lines += ["  " + line for line in text.splitlines()]
        return "\n".join(lines)


def is_presentation(document: object) -> bool:
    """Whether a JSON object is a (possibly enveloped) verifiable presentation."""
    if not isinstance(document, Mapping):
        return False
    t = document.get("type")
    types = t if isinstance(t, list) else [t]
    return "VerifiablePresentation" in types or "EnvelopedVerifiablePresentation" in types


def _enveloped(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return False
    t = item.get("type")
    return t == "EnvelopedVerifiableCredential" or (
        isinstance(t, list) and "EnvelopedVerifiableCredential" in t
    )


def present(
    credentials: Sequence[Mapping[str, Any] | str],
    key: IssuerKey,
    *,
    domain: str | None = None,
    challenge: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    presentation_id: str | None = None,
    now: datetime | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """A ``VerifiablePresentation`` of ``credentials`` signed by the holder's ``key`` (purpose
    ``authentication``) with the verifier's ``domain`` and ``challenge``.

    A credential is a JSON-LD credential (kept as is, proof and all) or a compact VC-JWT (wrapped as an
    ``EnvelopedVerifiableCredential``). ``holder`` defaults to the key's controller. Raises
    :class:`InputError` for something that is not a credential, :class:`ProofError` when it cannot sign.
    """
    if isinstance(credentials, (str, Mapping)):
        raise InputError("credentials must be a list of credentials")
    items: list[Any] = []
    for i, cred in enumerate(credentials):
        if isinstance(cred, str):
            token = cred.strip()
            read_jwt(token)  # a compact JWS, or InputError
            items.append(
                {
                    "@context": [V2_CONTEXT],
                    "id": f"data:application/vc+jwt,{token}",
                    "type": "EnvelopedVerifiableCredential",
                }
            )
        elif isinstance(cred, Mapping) and (_enveloped(cred) or "VerifiableCredential" in _types(cred)):
            items.append(json_copy(dict(cred)))
        else:
            raise InputError(
                f"verifiableCredential[{i}] is not a credential", path=f"verifiableCredential[{i}]"
            )
    holder_id = holder or key.controller
    if not is_url(holder_id):
        raise InputError(f"holder {holder_id!r} is not a URL", path="holder")
    vp: dict[str, Any] = {"@context": [V2_CONTEXT], "type": ["VerifiablePresentation"], "holder": holder_id}
    if presentation_id is not None:
        vp["id"] = presentation_id
    vp["verifiableCredential"] = items
    return sign_proof(
        vp,
        key,
        cryptosuite=cryptosuite or default_cryptosuite(key.algorithm),
        created=now or _time.now(),
        proof_purpose="authentication",
        loader=loader,
        domain=domain,
        challenge=challenge,
    )


def _types(doc: Mapping[str, Any]) -> list[str]:
    t = doc.get("type")
    return [x for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)]


def verify_presentation(
    source: Source,
    *,
    domain: str | None = None,
    challenge: str | None = None,
    fetch: Fetch | None = None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
    trusted_keys: Iterable[IssuerKey] | None = None,
    allow_unchecked_status: bool = False,
    cryptosuites: Collection[str] | None = None,
    jwt_algorithms: Collection[str] | None = None,
    strict: bool = False,
    checks: Collection[str] | None = None,
    require_proof: bool = True,
    json_value: bool = False,
    name: str | None = None,
) -> PresentationReport:
    """Verify a presentation: a dict, JSON text, a file, or an ``EnvelopedVerifiablePresentation`` (VP-JWT).

    The proof must be the holder's (purpose ``authentication``) and carry ``domain`` and ``challenge``
    when they are given (a VP-JWT: ``aud`` and ``nonce``); an unsigned presentation fails unless
    ``require_proof`` is false and neither is given. Every embedded credential is verified with
    :func:`~microcred.verifying.verify.verify` and the same options (``checks`` applies to them).
    Raises :class:`InputError` when the input is not a presentation at all.
    """
    fetch = fetch or Fetcher()
    loader = loader or default_loader
    trusted = list(trusted_keys or [])
    accepted = check_cryptosuites(cryptosuites)
    if json_value and not isinstance(source, Mapping):
        raise InputError(
            "a JSON string was sent where a presentation object belongs", code="input.json_string"
        )
    if isinstance(source, Mapping):
        doc: dict[str, Any] = dict(source)
        label = name or "presentation"
    else:
        read = read_credential(source, fetch=fetch, name=name)
        if read.credential is None:
            raise InputError("a presentation must be a JSON object", code="input.not_presentation")
        doc, label = read.credential, read.name
    if not is_presentation(doc):
        raise InputError(
            "not a verifiable presentation (no VerifiablePresentation type)", code="input.not_presentation"
        )
    fmt = "data-integrity"
    vp_checks: list[Check] = []
    signer: ResolvedKey | None = None
    trusted_map = {k.key_id: k for k in trusted}

    def resolve(vm_id: str) -> ResolvedKey:
        return resolve_verification_method(vm_id, fetch=fetch, trusted_keys=trusted_map or None)

    proof_check = Check("proof", "skipped", "not checked yet")
    if "EnvelopedVerifiablePresentation" in _types(doc):
        fmt = "vp-jwt"
        token = enveloped_jwt(doc, "EnvelopedVerifiablePresentation")
        doc, proof_check, signer = _verify_vp_jwt(token, resolve, domain, challenge, jwt_algorithms)
    try:
        check_limits(doc)
    except CanonicalizationError as exc:
        refused = Check("parse", "failed", f"refused before any processing: {exc}", {"code": exc.code})
        return PresentationReport((refused,), format=fmt, source=label)
    ctx = doc.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    holder = doc.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    if first not in (V2_CONTEXT, "https://www.w3.org/2018/credentials/v1"):
        vp_checks.append(Check("parse", "failed", f"the first @context must be {V2_CONTEXT}, not {first!r}"))
    elif holder is not None and not is_url(holder_id):
        vp_checks.append(Check("parse", "failed", f"holder {holder_id!r} is not a URL"))
    else:
        vp_checks.append(Check("parse", "passed", f"VerifiablePresentation ({fmt})"))
    if fmt == "data-integrity":
        unsigned = {k: v for k, v in doc.items() if k != "proof"}
        try:
            check_safe_mode(unsigned, loader=loader)
            vp_checks.append(Check("context", "passed", "every term is defined by a known context"))
        except (JsonLdError, CanonicalizationError) as exc:
            vp_checks.append(Check("context", "failed", str(exc), {"code": exc.code, "path": exc.path}))
        proof_check, signer = _check_vp_proof(
            doc, resolve, loader, accepted, domain, challenge, require_proof
        )
    else:
        vp_checks.append(Check("context", "passed", "a VP-JWT: the JSON payload is what was signed"))
    vp_checks.append(proof_check)
    vp_checks.append(_check_holder(signer, holder_id, proof_check))

    credential_reports: list[VerificationReport | MicrocredError] = []
    raw = doc.get("verifiableCredential", [])
    items = raw if isinstance(raw, list) else [raw]
    for i, item in enumerate(items):
        try:
            if not isinstance(item, Mapping):
                raise InputError(
                    f"verifiableCredential[{i}] is {type(item).__name__}, not a credential object",
                    code="input.json_string" if isinstance(item, str) else "input.not_object",
                )
            credential_reports.append(
                verify(
                    item,
                    fetch=fetch,
                    loader=loader,
                    now=now,
                    trusted_keys=trusted,
                    allow_unchecked_status=allow_unchecked_status,
                    cryptosuites=cryptosuites,
                    jwt_algorithms=jwt_algorithms,
                    strict=strict,
                    checks=checks,
                    name=f"verifiableCredential[{i}]",
                )
            )
        except MicrocredError as exc:
            credential_reports.append(exc)
    vp_checks.append(_check_credentials(credential_reports))
    vp_checks.append(_check_binding(credential_reports, holder_id))
    return PresentationReport(
        tuple(vp_checks),
        tuple(credential_reports),
        holder_id if isinstance(holder_id, str) else None,
        fmt,
        label,
        doc,
    )


def _check_vp_proof(
    doc: Mapping[str, Any],
    resolve: Any,
    loader: DocumentLoader,
    accepted: frozenset[str] | None,
    domain: str | None,
    challenge: str | None,
    require_proof: bool,
) -> tuple[Check, ResolvedKey | None]:
    if not doc.get("proof"):
        if require_proof or domain is not None or challenge is not None:
            return Check(
                "proof", "failed", "the presentation is not signed: nothing ties it to a holder"
            ), None
        return Check("proof", "skipped", "the presentation is not signed (allowed by the caller)"), None
    try:
        result = verify_proof(
            dict(doc),
            resolve=resolve,
            loader=loader,
            expected_purpose="authentication",
            cryptosuites=accepted,
        )
    except MicrocredError as exc:
        return Check("proof", "failed", str(exc), {"code": exc.code}), None
    details = {"cryptosuite": result.cryptosuite, "verification_method": result.verification_method}
    if not result.verified:
        return Check("proof", "failed", result.reason, details), result.key
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    proof = next(
        (
            p
            for p in proofs
            if isinstance(p, Mapping) and p.get("verificationMethod") == result.verification_method
        ),
        proofs[0],
    )
    if domain is not None and domain not in proof_values(proof, "domain"):
        found = proof_values(proof, "domain") or "none"
        return Check(
            "proof", "failed", f"the proof's domain is {found}, not the expected {domain!r}", details
        ), result.key
    if challenge is not None and proof_values(proof, "challenge") != [challenge]:
        found = proof_values(proof, "challenge") or "none"
        return (
            Check(
                "proof",
                "failed",
                f"the proof's challenge is {found}, not the expected {challenge!r}",
                details,
            ),
            result.key,
        )
    said = " with the expected domain and challenge" if domain or challenge else ""
    return Check(
        "proof", "passed", f"{result.cryptosuite} authentication proof valid{said}", details
    ), result.key


def _verify_vp_jwt(
    token: str,
    resolve: Any,
    domain: str | None,
    challenge: str | None,
    algorithms: Collection[str] | None,
) -> tuple[dict[str, Any], Check, ResolvedKey | None]:
    """A VP-JWT (VC-JOSE-COSE: the payload is the presentation; VCDM 1.1: a ``vp`` claim)."""
    parts = read_jwt(token)
    header, payload = parts.header, parts.payload
    claim = payload.get("vp")
    vp: Mapping[str, Any] = claim if isinstance(claim, Mapping) else payload
    doc = {k: v for k, v in vp.items() if k not in ("iss", "aud", "nonce", "exp", "nbf", "iat", "jti", "sub")}
    if "holder" not in doc and isinstance(payload.get("iss"), str):
        doc["holder"] = payload["iss"]
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return doc, Check("proof", "failed", "the VP-JWT header has no kid naming the holder's key"), None
    try:
        key = resolve(kid)
    except MicrocredError as exc:
        return doc, Check("proof", "failed", f"the holder's key {kid} cannot be resolved: {exc}"), None
    alg = header.get("alg")
    if alg != jws_algorithm(key.algorithm) or (algorithms is not None and alg not in algorithms):
        return (
            doc,
            Check("proof", "failed", f"JWT alg {alg!r} is not accepted for the {key.algorithm} key"),
            key,
        )
    if not verify_bytes(key.public_key, key.algorithm, parts.signing_input, parts.signature):
        return doc, Check("proof", "failed", "the VP-JWT signature does not match"), key
    aud = payload.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if domain is not None and domain not in auds:
        return doc, Check("proof", "failed", f"the VP-JWT aud is {aud!r}, not the expected {domain!r}"), key
    if challenge is not None and payload.get("nonce") != challenge:
        return doc, Check("proof", "failed", f"the VP-JWT nonce is not the expected {challenge!r}"), key
    return doc, Check("proof", "passed", f"VP-JWT signature valid ({alg})"), key


def _check_holder(signer: ResolvedKey | None, holder: Any, proof: Check) -> Check:
    if proof.status != "passed" or signer is None:
        return Check(
            "holder", "skipped" if proof.status == "skipped" else "failed", "no verified holder proof"
        )
    details = {
        "verification_method": signer.key_id,
        "controller": signer.controller,
        "binding": signer.binding,
    }
    if holder is None:
        return Check("holder", "passed", f"no holder stated; presented by {signer.controller}", details)
    if signer.controller != holder:
        return Check(
            "holder", "failed", f"signed by {signer.controller}, not by the holder {holder}", details
        )
    if not signer.confirmed:
        return Check(
            "holder",
            "failed",
            f"the key {signer.key_id} only names itself; {holder} does not list it",
            details,
        )
    return Check("holder", "passed", f"signed by the holder {holder} ({signer.binding})", details)


def _check_credentials(reports: Sequence[VerificationReport | MicrocredError]) -> Check:
    if not reports:
        return Check("credentials", "passed", "the presentation holds no credentials")
    bad = [
        f"[{i}] " + (r.summary_line() if isinstance(r, VerificationReport) else f"unreadable: {r}")
        for i, r in enumerate(reports)
        if not (isinstance(r, VerificationReport) and r.verified)
    ]
    if bad:
        return Check(
            "credentials",
            "failed",
            f"{len(bad)} of {len(reports)} credential(s) do not verify: " + "; ".join(bad),
        )
    return Check("credentials", "passed", f"all {len(reports)} credential(s) verified")


def _check_binding(reports: Sequence[VerificationReport | MicrocredError], holder: Any) -> Check:
    """``holder_binding``: whether each credential's subject is the holder (reported, a warning if not:
    a presentation may carry credentials about someone else, such as a child's)."""
    if not isinstance(holder, str):
        return Check("holder_binding", "skipped", "no holder stated")
    others = []
    for i, r in enumerate(reports):
        cred = r.credential if isinstance(r, VerificationReport) else None
        subject = cred.get("credentialSubject") if isinstance(cred, Mapping) else None
        subjects = subject if isinstance(subject, list) else [subject]
        ids = [s.get("id") for s in subjects if isinstance(s, Mapping)]
        if holder not in ids:
            others.append(f"[{i}] subject {ids[0] if ids else 'unnamed'}")
    if others:
        return Check("holder_binding", "warning", f"not about the holder {holder}: " + ", ".join(others))
    return Check("holder_binding", "passed", f"every credential's subject is the holder {holder}")
