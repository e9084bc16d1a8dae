"""The ledger interface: the operations issuing, cohorts, status publishing and the command line need
from a record of issued credentials, whatever stores it (:class:`Ledger`, a ``typing.Protocol``).

SQLite (:mod:`microcred.ledger.sqlite`) implements it, and PostgreSQL (:mod:`microcred.ledger.postgres`,
several processes on several machines) implements the same operations with the same guarantees:

* **Reserve, then record.** :meth:`Ledger.reserve_many` takes random, never-used status-list indexes
  for each request and records each credential as *reserved*, all in one transaction (all or none),
  before anything is signed. :meth:`Ledger.record_signed_many` then records the exact signed bytes
  (:func:`canonical_bytes`), all in one transaction, before the credential leaves the process. An
  index is never handed out twice, abandoned reservations included.
* **Idempotent reruns**, keyed by (achievement, row key) and by credential id: reserving one that is
  already *issued* raises :class:`~microcred.errors.LedgerError` ``ledger.duplicate``; one that is only
  *reserved* (a run that died before signing) is abandoned, its indexes staying burnt, and recording
  the abandoned reservation later raises ``ledger.abandoned``.
* **Status changes** (:meth:`Ledger.set_status`) keep a history; :meth:`Ledger.list_bits` gives the
  current bitstring of a status list for publication.

Errors are :class:`~microcred.errors.LedgerError` with these codes: ``ledger.duplicate``,
``ledger.abandoned``, ``ledger.unknown`` (no such credential, reservation or list), ``ledger.not_issued``,
``ledger.state`` (a status change that does not apply), ``ledger.issuer`` (a status list base URL that
belongs to another issuer), ``ledger.time``, ``ledger.busy``, ``ledger.error``; opening adds
``ledger.missing``, ``ledger.foreign``, ``ledger.damaged``, ``ledger.too_new`` and ``ledger.unreadable``;
any write can fail with ``ledger.disk_full``, ``ledger.read_only`` or ``ledger.io_error`` (nothing
committed is lost).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

from ..errors import LedgerError
from ..status.bitstring import Purpose, status_entry

if TYPE_CHECKING:
    import os
    from datetime import datetime
    from types import TracebackType

#: How a credential is delivered: with a Data Integrity proof, or as a VC-JWT.
Format = Literal["di", "jwt"]
#: A status change: what :meth:`Ledger.set_status` does.
StatusChange = Literal["revoked", "suspended", "reinstated"]
#: A signed credential as handed out: its exact text (JSON or a JWT), bytes, or a parsed JSON object.
SignedDocument = str | bytes | Mapping[str, Any]


def check_list_owner(owner: str | None, issuer: str | None, base: str, source: str) -> None:
    """Refuse to draw indexes for ``issuer`` from the lists under ``base`` when ``owner`` (the issuer
    they were created for) is another one; either being unknown (None) refuses nothing."""
    if owner is not None and issuer is not None and owner != issuer:
        raise LedgerError(
            f"the status lists under {base} belong to issuer {owner}, not {issuer}; "
            "use another status list base URL",
            code="ledger.issuer",
            source=source,
        )


def canonical_bytes(document: SignedDocument) -> bytes:
    """The bytes a ledger hashes and keeps: text as given (a JWT, or JSON exactly as written out);
    a JSON object as compact JSON with sorted keys (UTF-8), so any parsed copy hashes the same."""
    if isinstance(document, str):
        return document.encode("utf-8")
    if isinstance(document, bytes | bytearray | memoryview):
        return bytes(document)
    if isinstance(document, Mapping):
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raise LedgerError(
        f"cannot record a {type(document).__name__} as a signed credential", code="ledger.error"
    )


@dataclass(frozen=True)
class ReserveRequest:
    """One credential to reserve status entries for, before it is signed.

    ``issued_at`` is when it takes effect (its ``validFrom``); ``row_key`` names it for idempotent
    reruns within ``achievement_id``; ``issuer`` owns the status lists under ``status_list_base_url``.
    """

    credential_id: str
    achievement_id: str
    recipient: str
    format: Format
    issued_at: datetime | str
    status_list_base_url: str
    suspension: bool = False
    row_key: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class StatusSlot:
    """One index taken in one status list."""

    list_url: str
    index: int
    purpose: Purpose

    @property
    def entry(self) -> dict[str, Any]:
        """The credential's ``BitstringStatusListEntry`` for this index."""
        return status_entry(self.list_url, self.index, self.purpose)


@dataclass(frozen=True)
class Reservation:
    """Status-list indexes taken for one credential, committed before it is signed.

    ``seq`` identifies the reservation within its ledger.
    """

    seq: int
    credential_id: str
    revocation: StatusSlot
    suspension: StatusSlot | None = None

    @property
    def revocation_entry(self) -> dict[str, Any]:
        """The revocation ``BitstringStatusListEntry``."""
        return self.revocation.entry

    @property
    def suspension_entry(self) -> dict[str, Any] | None:
        """The suspension ``BitstringStatusListEntry``, if one was reserved."""
        return self.suspension.entry if self.suspension is not None else None

    @property
    def credential_status(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The value for the credential's ``credentialStatus``: one entry, or a list of two."""
        if self.suspension is None:
            return self.revocation.entry
        return [self.revocation.entry, self.suspension.entry]


@dataclass(frozen=True)
class CredentialRecord:
    """One credential in the ledger.

    ``state`` is ``issued``, or ``reserved`` (indexes taken, never handed out: treat it as not
    issued); ``status`` is ``active``, ``revoked``, ``suspended`` or ``pending``.
    """

    credential_id: str
    achievement_id: str
    recipient: str
    format: str
    issuer: str | None
    issued_at: str
    row_key: str | None
    state: str
    status: str
    revocation_list: str
    revocation_index: int
    suspension_list: str | None
    suspension_index: int | None
    document_sha256: str | None
    recorded_at: str | None


@dataclass(frozen=True)
class StatusEvent:
    """One status change: ``revoked``, ``suspended`` or ``reinstated``, when and why."""

    status: str
    at: str
    reason: str | None


@dataclass(frozen=True)
class StatusRecord:
    """A credential's current status and its history."""

    credential_id: str
    status: str
    events: tuple[StatusEvent, ...]


@dataclass(frozen=True)
class StatusListRecord:
    """One status list: where it is published, what it is for, how full it is."""

    url: str
    purpose: Purpose
    size: int
    used: int
    issuer: str | None
    created_at: str


class Ledger(Protocol):
    """A record of issued credentials, their status-list indexes and every status change.

    Open one with :meth:`Ledger.open`; close it (or use ``with``) when done. Backends implement the
    methods without a body here; the others (:meth:`reserve`, :meth:`record_signed`, :meth:`revoke`,
    :meth:`suspend`, :meth:`reinstate`, ``with``) come with the protocol when a backend subclasses it.
    """

    @staticmethod
    def open(path: str | os.PathLike[str], *, create: bool = True) -> Ledger:
        """Open the ledger at ``path`` (an SQLite file, ``sqlite:///…``, or a ``postgresql://…``
        connection URL: :func:`~microcred.ledger.opening.open_ledger`), creating it if absent and
        ``create`` is true.

        Raises :class:`~microcred.errors.LedgerError` for a file that is not a microcred ledger (never
        touching it), a damaged or truncated one, or one written by a newer microcred.
        """
        from .opening import open_ledger  # the backends import this module: imported here, not above

        return open_ledger(path, create=create)

    # ---- issuing ---------------------------------------------------------------------------

    def reserve_many(self, requests: Sequence[ReserveRequest]) -> list[Reservation]:
        """Reserve status entries for every request, in order, in one transaction: all, or none."""
        ...

    def record_signed_many(self, items: Sequence[tuple[Reservation, SignedDocument]]) -> list[str]:
        """Record the signed credential of each reservation, in one transaction; their SHA-256 (hex)
        of :func:`canonical_bytes`. Recording the same bytes twice is harmless."""
        ...

    def reserve(self, request: ReserveRequest) -> Reservation:
        """:meth:`reserve_many` for one request."""
        return self.reserve_many([request])[0]

    def record_signed(self, reservation: Reservation, document: SignedDocument) -> str:
        """:meth:`record_signed_many` for one reservation."""
        return self.record_signed_many([(reservation, document)])[0]

    # ---- reading ---------------------------------------------------------------------------

    def get(self, credential_id: str) -> CredentialRecord | None:
        """The live record for ``credential_id`` (issued or reserved), or None."""
        ...

    def find_by_row_key(self, achievement_id: str, row_key: str) -> CredentialRecord | None:
        """The live record for a cohort row of an achievement, or None. ``state == "reserved"`` means
        an interrupted run never issued it: issue it again."""
        ...

    def document(self, credential_id: str) -> bytes | None:
        """The exact signed credential recorded for ``credential_id`` (to re-deliver it), or None."""
        ...

    def credentials(self, *, include_reserved: bool = False) -> list[CredentialRecord]:
        """Every issued credential (and reserved-but-unissued ones when asked), oldest first."""
        ...

    def status(self, credential_id: str) -> StatusRecord:
        """A credential's current status (``active``/``revoked``/``suspended``/``pending``) and history."""
        ...

    # ---- status changes --------------------------------------------------------------------

    def set_status(self, credential_id: str, change: StatusChange, reason: str | None = None) -> StatusRecord:
        """Revoke (for good), suspend (only a credential issued with a suspension entry) or reinstate
        (lift a suspension) an issued credential; ``ledger.state`` when the change does not apply."""
        ...

    def revoke(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Revoke a credential for good (its revocation bit is set in the next published list)."""
        return self.set_status(credential_id, "revoked", reason)

    def suspend(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Suspend a credential issued with a suspension entry (undo with :meth:`reinstate`)."""
        return self.set_status(credential_id, "suspended", reason)

    def reinstate(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Lift a suspension. A revoked credential stays revoked."""
        return self.set_status(credential_id, "reinstated", reason)

    # ---- publication -----------------------------------------------------------------------

    def lists(self) -> list[StatusListRecord]:
        """Every status list, in creation order."""
        ...

    def list_bits(self, list_url: str) -> bytes:
        """The current bitstring of a list: revoked (or currently suspended) issued credentials set."""
        ...

    # ---- lifecycle -------------------------------------------------------------------------

    def check(self) -> None:
        """Check the store's integrity; raise :class:`~microcred.errors.LedgerError` on any problem."""
        ...

    def close(self) -> None:
        """Release the connection (idempotent)."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
