"""verify(): input → parse → checks → report; every check a credential must pass, named, failing closed.

Two kinds of failure: when the input cannot be read as a credential at all, verify() raises
:class:`~microcred.errors.InputError`; when it can be read but is bad, it returns a report whose checks
say what failed. A check that could not run counts as failed (or, for status, as "could not check"),
never as passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import _time
from .._fields import issuer_id
from ..credential.inspection import credential_elements
from ..credential.reader import Source, read_credential
from ..errors import CanonicalizationError, InputError, MicrocredError
from ..fetch import Fetch, FetchBudget, Fetcher
from ..jsonld.canonical import converting_once
from ..jsonld.limits import check_limits
from ..jsonld.loader import DocumentLoader, default_loader
from ..keys.dids import bind_embedded_key, resolve_verification_method
from ..suites.data_integrity import check_cryptosuites
from ..suites.jwt import JwtResult, check_algorithms, verify_jwt
from .checks import (
    check_context,
    check_credential_status,
    check_di_proof,
    check_issuer_key,
    check_jwt_proof,
    check_names,
    check_proof_binding,
    check_recipient,
    check_related_resources,
    check_schema,
    check_validity,
    is_v1,
    types_of,
)
from .report import Check, VerificationReport

if TYPE_CHECKING:
    from datetime import datetime

    from ..keys.material import IssuerKey, PublicKey, ResolvedKey


log = logging.getLogger(__name__)
#: The code of the InputError verify() raises when something unforeseen stopped it (a bug, reported).
INTERNAL_ERROR = "input.internal_error"


@dataclass(frozen=True)
class _Options:
    """What every check of one verify() call shares."""

    fetch: Fetch
    loader: DocumentLoader
    now: datetime
    trusted: Mapping[str, IssuerKey]
    cryptosuites: frozenset[str] | None
    jwt_algorithms: frozenset[str] | None
    strict: bool = False
    checks: frozenset[str] | None = None
    domain: str | None = None
    challenge: str | None = None

    def wants(self, check_id: str) -> bool:
        return self.checks is None or check_id in self.checks

    def resolve(self, vm_id: str) -> ResolvedKey:
        return resolve_verification_method(vm_id, fetch=self.fetch, trusted_keys=self.trusted or None)

    def bind(self, public: PublicKey, issuer: str | None, kid: str | None) -> ResolvedKey:
        return bind_embedded_key(
            public, issuer, fetch=self.fetch, trusted_keys=self.trusted or None, key_id=kid
        )


def verify(
    source: Source,
    *,
    fetch: Fetch | None = None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
    recipient: str | None = None,
    trusted_keys: Iterable[IssuerKey] | None = None,
    allow_unchecked_status: bool = False,
    check_endorsements: bool = True,
    cryptosuites: Collection[str] | None = None,
    jwt_algorithms: Collection[str] | None = None,
    name: str | None = None,
    strict: bool = False,
    checks: Collection[str] | None = None,
    domain: str | None = None,
    challenge: str | None = None,
    json_value: bool = False,
) -> VerificationReport:
    """Verify a credential: a dict, JSON text, a compact JWT, a baked PNG/SVG (bytes), a file path, or a URL.

    ``fetch`` answers every URL verify needs (key documents, DID documents, status lists); the default
    fetches HTTPS under the default :class:`~microcred.fetch.NetworkPolicy` (public addresses only).
    One verification asks for at most :data:`~microcred.limits.MAX_FETCHES_PER_VERIFICATION`
    documents, each once, and fetches no status list when the proof or the issuer's key failed.
    ``trusted_keys`` are accepted as bound to their controller. ``allow_unchecked_status`` turns a
    status that could not be checked from a failure into a warning. ``cryptosuites`` and
    ``jwt_algorithms`` are allow-lists (default: every Data Integrity cryptosuite of
    :data:`microcred.suites.VERIFYING_CRYPTOSUITES`, every JWS algorithm microcred signs with): a
    proof made otherwise fails the ``proof`` check; the cryptosuites apply to status lists and
    endorsements too. ``name`` labels the input in the report.

    ``strict`` makes each departure from the 1EdTech JSON Schema an error (by default an authentic
    credential that departs from it verifies with a warning naming each departure). ``checks`` names
    the checks to run (of :data:`~microcred.verifying.report.CHECK_IDS`; ``parse`` always runs): the
    others are reported as ``skipped``, and the verdict rests on those requested. ``domain`` and
    ``challenge``, when given, must be the Data Integrity proof's own. ``json_value`` says ``source``
    is a JSON value taken from a request (a VC-API body): there a string is refused as "a JSON string
    where a credential object belongs" instead of being parsed as credential text. Raises
    :class:`~microcred.errors.InputError` when the input cannot be read as a credential at all (and,
    code :data:`INTERNAL_ERROR`, when anything unforeseen stopped verification: nothing else escapes), and
    :class:`~microcred.errors.MicrocredError` for an allow-list or check naming something unknown.
    """
    fetch = FetchBudget(fetch or Fetcher())  # one verification's budget, each URL asked once
    options = _Options(
        fetch=fetch,
        loader=loader or default_loader,
        now=_time.verification_clock(now),
        trusted={k.key_id: k for k in (trusted_keys or [])},
        cryptosuites=check_cryptosuites(cryptosuites),
        jwt_algorithms=check_algorithms(jwt_algorithms),
        strict=strict,
        checks=check_names(checks),
        domain=domain,
        challenge=challenge,
    )
    try:
        read = read_credential(source, fetch=fetch, name=name, json_value=json_value)
        kinds = (read.credential or {}).get("type")
        if "VerifiablePresentation" in (kinds if isinstance(kinds, list) else [kinds]):
            raise InputError(
                "this is a verifiable presentation, not a credential: verify it with verify_presentation()",
                source=read.name,
                code="input.presentation",
            )
        with converting_once():  # the safe-mode check and the proof share one conversion to quads
            return _verify_read(
                read.credential,
                read.jwt,
                read.name,
                options,
                recipient=recipient,
                allow_unchecked_status=allow_unchecked_status,
                check_endorsements=check_endorsements,
            )
    except MicrocredError:
        raise
    except Exception as exc:  # the last line of defence: a bug must not crash a batch or a server
        log.error("verification stopped on an unexpected error", exc_info=True)
        raise InputError(
            f"verification stopped on an unexpected {type(exc).__name__}; the input is treated as bad "
            "(a microcred bug: please report it)",
            code=INTERNAL_ERROR,
            source=name,
        ) from exc


def _verify_read(
    credential: dict[str, Any] | None,
    token: str | None,
    name: str,
    options: _Options,
    *,
    recipient: str | None,
    allow_unchecked_status: bool,
    check_endorsements: bool,
    depth: int = 0,
) -> VerificationReport:
    checks: list[Check] = []
    fmt = "vc-jwt" if token is not None else "data-integrity"
    jwt_result: JwtResult | None = None
    if token is not None:
        jwt_result = verify_jwt(
            token, resolve=options.resolve, algorithms=options.jwt_algorithms, bind_key=options.bind
        )
        if credential is None:
            credential = jwt_result.credential
    if not isinstance(credential, dict):
        raise MicrocredError("no credential could be read from the input", code="input.unreadable")
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
                f"{', '.join(sorted(t for t in types if t != 'VerifiableCredential'))} ({shape}, {fmt})",
            )
        )

    def run(check_id: str, make: Callable[[], Check]) -> None:
        if options.wants(check_id):
            checks.append(make())
        else:
            checks.append(Check(check_id, "skipped", "not requested"))

    doc = credential
    run("context", lambda: check_context(doc, options.loader))
    run("schema", lambda: check_schema(doc, strict=options.strict))
    if jwt_result is not None:
        proof_check, key = check_jwt_proof(jwt_result, options.now)
    else:
        proof_check, key = check_di_proof(
            credential,
            options.resolve,
            options.loader,
            cryptosuites=options.cryptosuites,
            now=options.now,
        )
        proof_check = check_proof_binding(credential, proof_check, options.domain, options.challenge)
    run("proof", lambda: proof_check)
    run("issuer_key", lambda: check_issuer_key(key, issuer_id(doc)))
    claims = jwt_result.payload if jwt_result is not None else None
    run("validity", lambda: check_validity(doc, options.now, claims))
    ran = {c.id: c.status for c in checks}
    if "failed" in (ran.get("proof"), ran.get("issuer_key")):  # fetch nothing more for a forgery
        checks.append(Check("status", "skipped", "not checked: the proof or the issuer's key already failed"))
    else:
        run(
            "status",
            lambda: check_credential_status(
                doc,
                fetch=options.fetch,
                loader=options.loader,
                now=options.now,
                trusted=options.trusted,
                allow_unchecked=allow_unchecked_status,
                cryptosuites=options.cryptosuites,
            ),
        )
    if recipient is not None:
        run("recipient", lambda: check_recipient(doc, recipient))
    if check_endorsements and depth == 0:
        run("endorsements", lambda: _check_endorsements(doc, options))
    if "relatedResource" in credential:
        run("related_resource", lambda: check_related_resources(doc, options.fetch))

    try:
        elements: Mapping[str, Any] | None = credential_elements(credential)
    except MicrocredError:
        elements = None
    return VerificationReport(
        tuple(checks),
        format=fmt,
        source=name,
        credential=credential,
        elements=elements,
        requested=options.checks,
    )


_SCALARS = (str, int, float)


def _embedded_endorsements(credential: Mapping[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        # scalars hold nothing: they are skipped without a call or a path (most of a document)
        if isinstance(node, dict) or (not isinstance(node, list) and isinstance(node, Mapping)):
            for k, v in node.items():
                if isinstance(v, _SCALARS) or v is None:
                    continue
                here = f"{path}.{k}" if path else k
                if (k == "endorsement" and isinstance(v, list)) or (
                    k == "endorsementJwt" and isinstance(v, list)
                ):
                    # named by id where there is one: the order of the array is not signed
                    found.extend((_endorsement_label(here, i, e), e) for i, e in enumerate(v))
                elif k not in ("proof",):
                    walk(v, here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if not (isinstance(v, _SCALARS) or v is None):
                    walk(v, f"{path}[{i}]")

    walk(credential, "")
    return found


def _endorsement_label(here: str, index: int, item: Any) -> str:
    ident = item.get("id") if isinstance(item, Mapping) else None
    return f"{here}[{ident}]" if isinstance(ident, str) else f"{here}[{index}]"


def _check_endorsements(credential: Mapping[str, Any], options: _Options) -> Check:
    endorsements = sorted(_embedded_endorsements(credential), key=lambda found: found[0])
    if not endorsements:
        return Check("endorsements", "skipped", "no endorsements")
    results = []
    for path, item in endorsements:
        token = item if isinstance(item, str) else None
        doc = item if isinstance(item, dict) else None
        by = _endorser(doc)
        try:
            rep = _verify_read(
                doc,
                token,
                path,
                replace(options, checks=None, strict=False),
                recipient=None,
                allow_unchecked_status=True,
                check_endorsements=False,
                depth=1,
            )
            by = _endorser(rep.credential) or by
            bad = [f"{c.id}: {_why(c)}" for c in rep.checks if c.status == "failed" and c.id != "schema"]
        except MicrocredError as exc:
            bad = [str(exc)]
        results.append({"path": path, "endorser": by, "verified": not bad, "problems": bad})
    failed: list[dict[str, Any]] = [r for r in results if not r["verified"]]
    if failed:
        # an endorsement is a third party's claim about the credential: reported, never failing it
        said = "; ".join(
            f"endorsement by {r['endorser'] or r['path']}: not verified, {', '.join(r['problems'])}"
            for r in failed
        )
        return Check(
            "endorsements",
            "warning",
            f"{len(results) - len(failed)} of {len(results)} endorsement(s) verified; {said}",
            {"endorsements": results},
        )
    names = ", ".join(str(r["endorser"] or r["path"]) for r in results)
    return Check(
        "endorsements",
        "passed",
        f"{len(results)} endorsement(s) verified ({names})",
        {"endorsements": results},
    )


def _endorser(doc: Mapping[str, Any] | None) -> str | None:
    if not isinstance(doc, Mapping):
        return None
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping):
        name = issuer.get("name")
        return name if isinstance(name, str) else issuer_id(doc)
    return issuer_id(doc)


def _why(check: Check) -> str:
    reason = check.details.get("reason") if check.details else None
    return str(reason).replace("_", " ") if isinstance(reason, str) else check.message


def verify_many(
    sources: Sequence[Source],
    *,
    fetch: Fetch | None = None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
    recipient: str | None = None,
    trusted_keys: Iterable[IssuerKey] | None = None,
    allow_unchecked_status: bool = False,
    check_endorsements: bool = True,
    cryptosuites: Collection[str] | None = None,
    jwt_algorithms: Collection[str] | None = None,
    strict: bool = False,
) -> list[tuple[Source, VerificationReport | MicrocredError]]:
    """:func:`verify` each source with the same options; an unreadable one gives its error instead.

    Without ``fetch``, one :class:`~microcred.fetch.Fetcher` serves the whole batch (each URL once)."""
    trusted = list(trusted_keys or [])
    fetch = fetch or Fetcher()
    out: list[tuple[Source, VerificationReport | MicrocredError]] = []
    for src in sources:
        try:
            report = verify(
                src,
                fetch=fetch,
                loader=loader,
                now=now,
                recipient=recipient,
                trusted_keys=trusted,
                allow_unchecked_status=allow_unchecked_status,
                check_endorsements=check_endorsements,
                cryptosuites=cryptosuites,
                jwt_algorithms=jwt_algorithms,
                strict=strict,
            )
            out.append((src, report))
        except MicrocredError as exc:
            out.append((src, exc))
    return out
