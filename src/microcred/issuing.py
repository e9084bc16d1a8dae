"""Issuing: build → sign, and with a ledger reserve → sign → record, written once.

:func:`issue` builds one credential, and with a ledger runs the three steps below; cohorts
(:mod:`microcred.cohort`) run the very same steps for many rows at once, signing in worker processes
between them:

1. :func:`reserve` takes status-list indexes for each credential (one transaction for a batch; when a
   batch fails, one at a time, so only the bad ones fail) — nothing has been signed yet;
2. :func:`with_status` adds the reserved ``credentialStatus`` and :func:`sign` signs;
3. :func:`record` records the exact signed bytes (one transaction per batch) — only then does the
   credential leave.

:func:`reserve_sign_record` runs the three for one unsigned credential and any signing callable.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar

from . import _time
from ._fields import achievement_id_of, issuer_id, recipient_of
from .credential.builder import build_credential
from .credential.vcdm import vcdm_problems
from .errors import LedgerError, MicrocredError, ProofError, SchemaValidationError
from .jsonld.limits import check_limits
from .jsonld.protection import check_unprotected_terms
from .keys.algorithms import default_cryptosuite, default_format
from .ledger.protocol import Ledger, Reservation, ReserveRequest, SignedDocument
from .suites.data_integrity import sign_proof
from .suites.jwt import sign_jwt

if TYPE_CHECKING:
    from datetime import datetime

    from .jsonld.loader import DocumentLoader
    from .keys.material import IssuerKey
    from .model.award import AwardDetails
    from .model.definition import Definition
    from .model.elements import Achievement, Issuer
    from .model.learner import Evidence, Recipient, Result

Format = Literal["di", "jwt"]
T = TypeVar("T")
log = logging.getLogger(__name__)


class BuildOptions(TypedDict, total=False):
    """What :func:`issue` passes on to :func:`~microcred.credential.builder.build_credential`."""

    issuer: Issuer
    valid_from: datetime
    valid_until: datetime
    awarded_date: datetime
    result: Result | str
    evidence: Iterable[Evidence]
    award: AwardDetails


@dataclass(frozen=True)
class IssuedCredential:
    """A signed credential: the JSON-LD document (with its proof, or as carried by the JWT) and the JWT."""

    credential: Mapping[str, Any]
    format: Format
    jwt: str | None = None

    @property
    def id(self) -> str:
        """The credential's id (``urn:uuid:…``)."""
        return str(self.credential.get("id", ""))

    def serialize(self) -> str:
        """The text to deliver: pretty JSON for a Data Integrity credential, the compact JWT otherwise."""
        if self.format == "jwt":
            assert self.jwt is not None
            return self.jwt
        return json.dumps(self.credential, indent=2, ensure_ascii=False) + "\n"

    @property
    def suffix(self) -> str:
        """The usual file suffix: ``.json`` or ``.jwt``."""
        return ".jwt" if self.format == "jwt" else ".json"


def default_status_base_url(issuer_url: object) -> str:
    """Where an issuer publishes its status lists unless told: ``<issuer url>/credentials/status``.

    Raises :class:`MicrocredError` (``usage.status_url``) when the issuer has no https url.
    """
    if isinstance(issuer_url, str) and issuer_url.startswith("https://"):
        return issuer_url.rstrip("/") + "/credentials/status"
    raise MicrocredError(
        "issuing into a ledger needs the https:// base URL where the status lists will be published "
        "(status_base_url=, or --status-url); the issuer has no https url to derive it from",
        path="status_base_url",
        code="usage.status_url",
    )


def new_credential_id() -> str:
    """A fresh credential id: ``urn:uuid:`` and a random (version 4) UUID."""
    return f"urn:uuid:{uuid.uuid4()}"


# ------------------------------------------------------------------------------------------- signing


def _check_issuer(credential: Mapping[str, Any], key: IssuerKey) -> None:
    issuer = credential.get("issuer")
    issuer_ref = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_ref != key.controller:
        raise ProofError(
            f"the key belongs to {key.controller!r} but the credential's issuer is {issuer_ref!r}; "
            "a verifier would reject it",
            path="issuer.id",
            code="proof.issuer_mismatch",
        )


def sign(
    credential: Mapping[str, Any],
    key: IssuerKey,
    *,
    format: Format | None = None,
    cryptosuite: str | None = None,
    created: datetime | str | None = None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
) -> IssuedCredential:
    """Sign a built credential with ``key`` as a Data Integrity proof (``di``) or a VC-JWT (``jwt``).

    ``format`` and ``cryptosuite`` default by key type (:func:`microcred.keys.algorithms.default_format`,
    :func:`~microcred.keys.algorithms.default_cryptosuite`): Ed25519 → ``eddsa-rdfc-2022``, P-256 →
    ``ecdsa-rdfc-2019``, RSA → a VC-JWT (RS256). The key's controller must be the credential's
    issuer. An existing proof is refused, and so is a document that is not VC Data Model 2.0 (or 1.1)
    (:func:`~microcred.credential.vcdm.vcdm_problems`; :class:`SchemaValidationError` naming the field).
    """
    if not key.has_private:
        raise ProofError(
            "the key has no private part; signing needs the issuer's private key", code="key.public_only"
        )
    if "proof" in credential:
        raise ProofError("the credential already carries a proof", path="proof", code="proof.already_signed")
    check_limits(credential)  # before anything walks it: a hostile depth is an error, not a RecursionError
    format = format or default_format(key.algorithm)
    # a Data Integrity proof's JSON-LD safe mode refuses relative ids by path itself (a JsonLdError)
    problems = vcdm_problems(credential, allow_v1=True, check_ids=format != "di")
    if problems:
        listing = "; ".join(str(p) for p in problems)
        raise SchemaValidationError(
            f"not a conforming VC Data Model 2.0 credential: {listing}",
            path=problems[0].path,
            code="vcdm.invalid",
        )
    _check_issuer(credential, key)
    check_unprotected_terms(credential, loader)  # what verify() refuses is not signed either
    if format == "jwt":
        token = sign_jwt(dict(credential), key, now=now)
        return IssuedCredential(dict(credential), "jwt", token)
    if format != "di":
        raise MicrocredError(f"unknown format {format!r}: use 'di' or 'jwt'", code="usage.format")
    suite = cryptosuite or default_cryptosuite(key.algorithm)
    signed = sign_proof(dict(credential), key, cryptosuite=suite, created=created or now, loader=loader)
    return IssuedCredential(signed, "di")


# ------------------------------------------------------------------------ reserve → sign → record


def reserve(ledger: Ledger, requests: Sequence[ReserveRequest]) -> list[Reservation | MicrocredError]:
    """Step 1: status entries for each request, in order, in one transaction. When that fails, each is
    tried on its own, so one bad request spoils only itself (its error stands in its place)."""
    try:
        return list(ledger.reserve_many(requests))
    except MicrocredError as exc:
        if len(requests) <= 1:
            return [exc]
        log.info("reserving a batch of %d failed (%s); retrying them one at a time", len(requests), exc)
    out: list[Reservation | MicrocredError] = []
    for request in requests:
        try:
            out.append(ledger.reserve(request))
        except MicrocredError as exc:
            out.append(exc)
    return out


def with_status(credential: Mapping[str, Any], reservation: Reservation) -> dict[str, Any]:
    """Step 2, before signing: the credential with the reserved entries as its ``credentialStatus``."""
    return {**credential, "credentialStatus": reservation.credential_status}


def record(ledger: Ledger, items: Sequence[tuple[Reservation, SignedDocument]]) -> list[str | MicrocredError]:
    """Step 3: record each signed credential (its SHA-256 back), in one transaction; when that fails,
    each on its own, so one bad item spoils only itself (its error stands in its place)."""
    try:
        return list(ledger.record_signed_many(items))
    except MicrocredError as exc:
        if len(items) <= 1:
            return [exc]
        log.info("recording a batch of %d failed (%s); retrying them one at a time", len(items), exc)
    out: list[str | MicrocredError] = []
    for reservation, document in items:
        try:
            out.append(ledger.record_signed(reservation, document))
        except MicrocredError as exc:
            out.append(exc)
    return out


def _done(result: T | MicrocredError) -> T:
    if isinstance(result, MicrocredError):
        raise result
    return result


def reserve_sign_record(
    ledger: Ledger,
    unsigned: Mapping[str, Any],
    *,
    sign: Callable[[dict[str, Any]], T],
    format: Format,
    status_list_base_url: str,
    document_of: Callable[[T], SignedDocument] | None = None,
    achievement_id: str | None = None,
    recipient: str | None = None,
    issued_at: datetime | str | None = None,
    suspension: bool = False,
    row_key: str | None = None,
    issuer: str | None = None,
) -> tuple[T, Reservation]:
    """Reserve, add ``credentialStatus``, sign, record; returns ``sign``'s result and the reservation.

    ``document_of`` turns that result into what is recorded (default: the result itself: the JWT or
    JSON text handed out, or the signed JSON object). The credential's ``id`` names it; the
    achievement id, recipient (``credentialSubject.id`` or its first ``identityHash``), issuer and
    issue time are read from it unless given.
    """
    credential_id = unsigned.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise LedgerError(
            "the credential needs an id to be recorded in the ledger", path="id", code="ledger.error"
        )
    achievement_id = achievement_id or achievement_id_of(unsigned)
    recipient = recipient or recipient_of(unsigned)
    if not achievement_id or not recipient:
        missing = "credentialSubject.achievement.id" if not achievement_id else "credentialSubject.id"
        raise LedgerError(
            f"cannot tell the {missing.split('.')[-2]} to record: give it", path=missing, code="ledger.error"
        )
    when = issued_at or unsigned.get("validFrom") or unsigned.get("issuanceDate") or _time.now()
    request = ReserveRequest(
        credential_id,
        achievement_id,
        recipient,
        format,
        when,
        status_list_base_url,
        suspension=suspension,
        row_key=row_key,
        issuer=issuer if issuer is not None else issuer_id(unsigned),
    )
    reservation = _done(reserve(ledger, [request])[0])
    signed = sign(with_status(unsigned, reservation))
    document = document_of(signed) if document_of is not None else signed
    if not isinstance(document, str | bytes | Mapping):
        raise LedgerError(
            f"cannot record a {type(document).__name__} as a signed credential", code="ledger.error"
        )
    _done(record(ledger, [(reservation, document)])[0])
    return signed, reservation


# ------------------------------------------------------------------------------------------ issue()


def issue(
    definition: Definition | Achievement,
    recipient: Recipient | str,
    key: IssuerKey,
    *,
    format: Format | None = None,
    cryptosuite: str | None = None,
    ledger: Ledger | None = None,
    status_base_url: str | None = None,
    suspension: bool = False,
    row_key: str | None = None,
    now: datetime | None = None,
    created: datetime | str | None = None,
    loader: DocumentLoader | None = None,
    build_options: BuildOptions | None = None,
    new_id: Callable[[], str] | None = None,
) -> IssuedCredential:
    """Build a credential for ``recipient``, sign it with ``key`` and record it in ``ledger``.

    The issuer's id comes from the key (its did:key, or the did:web / https issuer the key names);
    ``format`` and ``cryptosuite`` default by key type, as in :func:`sign`. With a ledger, status
    entries are reserved, the credential signed with them and recorded before it is returned
    (``status_base_url`` says where the issuer publishes its status lists; default
    :func:`default_status_base_url` of the issuer's url). An :class:`Achievement` needs
    ``build_options={"issuer": ...}``.
    """
    now = now or _time.now()
    credential_id = (new_id or new_credential_id)()
    options: dict[str, Any] = dict(build_options or {})
    options.setdefault("now", now)
    options["credential_id"] = credential_id
    credential = build_credential(definition, recipient, issuer_id=key.controller, **options)
    format = format or default_format(key.algorithm)

    def signed(document: dict[str, Any]) -> IssuedCredential:
        return sign(
            document,
            key,
            format=format,
            cryptosuite=cryptosuite,
            created=created or now,
            loader=loader,
            now=now,
        )

    if ledger is None:
        return signed(credential)
    issuer = credential.get("issuer")
    issuer_url = issuer.get("url") if isinstance(issuer, Mapping) else None
    base = status_base_url or default_status_base_url(issuer_url)
    issued, _reservation = reserve_sign_record(
        ledger,
        credential,
        sign=signed,
        document_of=IssuedCredential.serialize,
        format=format,
        status_list_base_url=base,
        suspension=suspension,
        row_key=row_key,
    )
    return issued
