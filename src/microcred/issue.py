"""issue(): build, sign and (optionally) record one credential; sign(): sign one built elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from . import _time
from .errors import MicrocredError, ProofError
from .jsonld.loader import DocumentLoader
from .keys.algorithms import default_cryptosuite, default_format

__all__ = ["Format", "IssuedCredential", "default_status_base_url", "issue", "sign"]

Format = Literal["di", "jwt"]


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


def _check_issuer(credential: Mapping[str, Any], key: Any) -> None:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != key.controller:
        raise ProofError(
            f"the key belongs to {key.controller!r} but the credential's issuer is {issuer_id!r}; "
            "a verifier would reject it",
            path="issuer.id",
            code="proof.issuer_mismatch",
        )


def sign(
    credential: Mapping[str, Any],
    key: Any,
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
    issuer. An existing proof is refused.
    """
    if not key.has_private:
        raise ProofError(
            "the key has no private part; signing needs the issuer's private key", code="key.public_only"
        )
    if "proof" in credential:
        raise ProofError("the credential already carries a proof", path="proof", code="proof.already_signed")
    _check_issuer(credential, key)
    format = format or default_format(key.algorithm)
    if format == "jwt":
        from .suites.jwt import sign_jwt

        token = sign_jwt(dict(credential), key, now=now)
        return IssuedCredential(dict(credential), "jwt", token)
    if format != "di":
        raise MicrocredError(f"unknown format {format!r}: use 'di' or 'jwt'", code="usage.format")
    from .suites import sign_proof

    suite = cryptosuite or default_cryptosuite(key.algorithm)
    signed = sign_proof(dict(credential), key, cryptosuite=suite, created=created or now, loader=loader)
    return IssuedCredential(signed, "di")


def issue(
    definition: Any,
    recipient: Any,
    key: Any,
    *,
    format: Format | None = None,
    cryptosuite: str | None = None,
    ledger: Any | None = None,
    status_base_url: str | None = None,
    suspension: bool = False,
    row_key: str | None = None,
    now: datetime | None = None,
    created: datetime | str | None = None,
    loader: DocumentLoader | None = None,
    build_options: Mapping[str, Any] | None = None,
    new_id: Callable[[], str] | None = None,
) -> IssuedCredential:
    """Build a credential for ``recipient``, sign it with ``key`` and record it in ``ledger``.

    The issuer's id comes from the key (its did:key, or the did:web / https issuer the key names);
    ``format`` and ``cryptosuite`` default by key type, as in :func:`sign`. With a
    ledger, a status index is allocated and the credential recorded in one transaction before the signed
    credential is returned (``status_base_url`` says where the issuer publishes its status lists).
    """
    import uuid

    from .builder import build_credential

    now = now or _time.now()
    credential_id = (new_id or (lambda: f"urn:uuid:{uuid.uuid4()}"))()
    options = dict(build_options or {})
    options.setdefault("now", now)
    options["credential_id"] = credential_id
    credential = build_credential(definition, recipient, issuer_id=key.controller, **options)
    format = format or default_format(key.algorithm)
    if ledger is None:
        return sign(
            credential,
            key,
            format=format,
            cryptosuite=cryptosuite,
            created=created or now,
            loader=loader,
            now=now,
        )
    issuer = credential.get("issuer")
    base = status_base_url or default_status_base_url(
        issuer.get("url") if isinstance(issuer, Mapping) else None
    )
    issued, _reservation = ledger.issue(
        credential,
        sign=lambda doc: sign(
            doc, key, format=format, cryptosuite=cryptosuite, created=created or now, loader=loader, now=now
        ),
        document_of=lambda done: done.serialize(),
        format=format,
        status_list_base_url=base,
        suspension=suspension,
        row_key=row_key,
    )
    return issued


def default_status_base_url(issuer_url: object) -> str:
    """Where an issuer publishes its status lists unless told: ``<issuer url>/credentials/status``.

    Raises :class:`MicrocredError` (``usage.status_url``) when the issuer has no https url.
    """
    url = issuer_url
    if isinstance(url, str) and url.startswith("https://"):
        return url.rstrip("/") + "/credentials/status"
    raise MicrocredError(
        "issuing into a ledger needs the https:// base URL where the status lists will be published "
        "(status_base_url=, or --status-url); the issuer has no https url to derive it from",
        path="status_base_url",
        code="usage.status_url",
    )
