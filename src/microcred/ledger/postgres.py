"""The issuer ledger in PostgreSQL (``pip install 'microcred[postgres]'``): the same operations and
guarantees as the SQLite ledger (:mod:`microcred.ledger.protocol`), shared by any number of issuing
processes on any number of machines.

**Allocation across nodes.** Each reservation transaction (``READ COMMITTED``) locks the row of the
newest status list it draws from (``SELECT … FOR UPDATE``), draws uniformly random candidates, keeps
the first one no credential holds, and bumps the list's ``used`` count before committing; the lock is
held for one batch (a cohort chunk), not while signing. Unique indexes are the backstop the database
enforces whatever a client does: one holder per (list, index), abandoned reservations included; one
live credential per id and per (achievement, row key). Two nodes starting the same new list, or
reserving the same cohort row, collide on those constraints: the loser's transaction is retried from
the start and then sees the winner's row. Serialization failures and deadlocks (an operator may set
``default_transaction_isolation = serializable``) are retried the same way; a lost connection (a
server restart, ``pg_terminate_backend``) is reopened and the transaction retried when that is safe.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .. import _time
from ..errors import LedgerError
from ..status.bitstring import MIN_LIST_BITS
from . import postgres_schema as schema
from .postgres_allocation import Allocating
from .postgres_session import Conn, connect
from .protocol import (
    CredentialRecord,
    Ledger,
    Reservation,
    ReserveRequest,
    SignedDocument,
    StatusChange,
    StatusEvent,
    StatusListRecord,
    StatusRecord,
    StatusSlot,
    canonical_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

log = logging.getLogger(__name__)


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    if not _time.is_aware(moment):
        raise LedgerError("datetimes given to the ledger must be timezone-aware", code="ledger.time")
    return _time.format_utc(moment)


class PostgresLedger(Allocating, Ledger):
    """An open PostgreSQL issuer ledger (:class:`~microcred.ledger.protocol.Ledger`), one connection
    per instance. Use :meth:`open`; close it (or use ``with``) when done."""

    # ---- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        now: Callable[[], datetime] | None = None,
        randbelow: Callable[[int], int] | None = None,
        _list_size: int = MIN_LIST_BITS,
    ) -> PostgresLedger:
        """Connect to the ledger at ``dsn`` (``postgresql://…`` or ``key=value`` connection string),
        creating its tables if absent and ``create`` is true, migrating older ones.

        Raises :class:`LedgerError`: ``ledger.unreadable`` (cannot connect), ``ledger.missing``,
        ``ledger.foreign``, ``ledger.damaged``, ``ledger.too_new``.
        """
        if _list_size <= 0 or _list_size % 8:
            raise LedgerError(
                f"list size must be a positive multiple of 8, not {_list_size}", code="ledger.error"
            )
        clock = now or _time.now
        dsn = os.fspath(path)
        try:
            conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise LedgerError(
                f"not a valid PostgreSQL connection string: {exc}", code="ledger.unreadable"
            ) from None
        ledger = cls(dsn, connect(dsn), now=clock, randbelow=randbelow or secrets.randbelow,
                     list_size=_list_size)  # fmt: skip
        try:
            version = ledger._run(
                lambda db: schema.prepare(db, create=create, now=_iso(clock()), source=ledger.source),
                idempotent=True,
                # each statement its own snapshot, whatever the server's default: after waiting for the
                # advisory lock, the tables and rows another node just created are seen
                begin="BEGIN ISOLATION LEVEL READ COMMITTED",
            )
        except BaseException:
            ledger.close()
            raise
        if version == 0:
            log.info("created the ledger in %s", ledger.source)
        elif version < schema.SCHEMA_VERSION:
            log.info("migrated %s from schema %d to %d", ledger.source, version, schema.SCHEMA_VERSION)
        return ledger

    def reserve_many(self, requests: Sequence[ReserveRequest]) -> list[Reservation]:
        """Take random, never-used status-list indexes for each request and record it as reserved, all
        in one transaction (all, or none); see :meth:`SQLiteLedger.reserve_many
        <microcred.ledger.sqlite.SQLiteLedger.reserve_many>` for reruns and duplicates."""
        for request in requests:
            _validate(request)
        ids = [r.credential_id for r in requests]
        rows = [(r.achievement_id, r.row_key) for r in requests if r.row_key is not None]
        if len(set(ids)) < len(ids) or len(set(rows)) < len(rows):  # a batch that reruns itself
            body: Callable[[Conn], list[Reservation]] = lambda db: [self._reserve(db, r) for r in requests]  # noqa: E731
        else:
            body = lambda db: self._reserve_batch(db, requests)  # noqa: E731
        # idempotent: a retry after an unacknowledged COMMIT abandons its own earlier reservations
        return self._run(body, idempotent=True)

    def _reserve_batch(self, db: Conn, requests: Sequence[ReserveRequest]) -> list[Reservation]:
        """:meth:`reserve_many` in a few round trips: one clash check, one lock and draw per list, one
        insert (for batches whose requests name distinct credentials and rows)."""
        if not requests:
            return []
        keyed = [r for r in requests if r.row_key is not None]
        clash = self._x(
            db,
            "SELECT seq, credential_id, achievement_id, row_key, state FROM microcred_credentials "
            "WHERE state <> 'abandoned' AND (credential_id = ANY(%s) OR (achievement_id, row_key) IN "
            "(SELECT a, k FROM unnest(%s::text[], %s::text[]) AS u(a, k))) FOR UPDATE",
            (
                [r.credential_id for r in requests],
                [r.achievement_id for r in keyed],
                [r.row_key for r in keyed],
            ),
        ).fetchall()
        if clash:
            issued = {(c[1]): c for c in clash if c[4] == "issued"}
            issued_rows = {(c[2], c[3]): c for c in clash if c[4] == "issued"}
            for r in requests:
                hit = issued.get(r.credential_id) or issued_rows.get((r.achievement_id, r.row_key))
                if hit is not None:
                    what = f"credential {hit[1]}" + (f" (cohort row {r.row_key!r})" if r.row_key else "")
                    raise LedgerError(
                        f"{what} is already issued for {r.achievement_id}",
                        code="ledger.duplicate",
                        source=self.source,
                    )
            self._x(
                db,
                "UPDATE microcred_credentials SET state = 'abandoned' WHERE seq = ANY(%s)",
                ([c[0] for c in clash],),
            )
        now = _iso(self._now())
        needs: dict[tuple[str, str], list[str | None]] = {}
        for r in requests:
            base = r.status_list_base_url.rstrip("/")
            needs.setdefault((base, "revocation"), []).append(r.issuer)
            if r.suspension:
                needs.setdefault((base, "suspension"), []).append(r.issuer)
        drawn: dict[tuple[str, str], list[tuple[int, str, int]]] = {}
        for key in sorted(needs):  # lists locked in one order: two batches never wait on each other
            issuers = needs[key]
            issuer = next((i for i in issuers if i is not None), None)
            if any(i is not None and i != issuer for i in issuers):
                raise LedgerError(
                    f"one batch names two issuers for the status lists under {key[0]}",
                    code="ledger.issuer",
                    source=self.source,
                )
            drawn[key] = self._pick_many(db, key[0], key[1], issuer, now, len(issuers))
        slots: list[tuple[tuple[int, str, int], tuple[int, str, int] | None]] = []
        taken = {key: iter(values) for key, values in drawn.items()}
        for r in requests:
            base = r.status_list_base_url.rstrip("/")
            rev = next(taken[(base, "revocation")])
            slots.append((rev, next(taken[(base, "suspension")]) if r.suspension else None))
        inserted = self._x(
            db,
            "INSERT INTO microcred_credentials (credential_id, achievement_id, recipient, format, issuer, "
            "issued_at, row_key, state, reserved_at, revocation_list, revocation_index, "
            "suspension_list, suspension_index) "
            "SELECT i, a, p, f, s, t, k, 'reserved', %s, rl, ri, sl, si FROM unnest("
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
            "%s::bigint[], %s::int[], %s::bigint[], %s::int[]) AS u(i, a, p, f, s, t, k, rl, ri, sl, si) "
            "RETURNING credential_id, seq",
            (
                now,
                [r.credential_id for r in requests],
                [r.achievement_id for r in requests],
                [r.recipient for r in requests],
                [r.format for r in requests],
                [r.issuer for r in requests],
                [_iso(r.issued_at) for r in requests],
                [r.row_key for r in requests],
                [rev[0] for rev, _ in slots],
                [rev[2] for rev, _ in slots],
                [sus[0] if sus else None for _, sus in slots],
                [sus[2] if sus else None for _, sus in slots],
            ),
        ).fetchall()
        seqs = dict(inserted)
        return [
            Reservation(
                int(seqs[r.credential_id]),
                r.credential_id,
                StatusSlot(rev[1], rev[2], "revocation"),
                StatusSlot(sus[1], sus[2], "suspension") if sus else None,
            )
            for r, (rev, sus) in zip(requests, slots, strict=True)
        ]

    def _reserve(self, db: Conn, request: ReserveRequest) -> Reservation:
        """One request of a batch that reruns itself, in order (a later one abandons an earlier)."""
        return self._reserve_batch(db, [request])[0]

    def record_signed_many(self, items: Sequence[tuple[Reservation | int, SignedDocument]]) -> list[str]:
        """Record the signed credential of each reservation, in one transaction; their SHA-256 (hex)
        of :func:`canonical_bytes`. Recording the same bytes twice is harmless."""
        prepared = []
        for reservation, document in items:
            seq = reservation.seq if isinstance(reservation, Reservation) else int(reservation)
            data = canonical_bytes(document)
            prepared.append((seq, hashlib.sha256(data).hexdigest(), data))
        return self._run(lambda db: self._record_batch(db, prepared), idempotent=True)

    def _record_batch(self, db: Conn, items: list[tuple[int, str, bytes]]) -> list[str]:
        if len({seq for seq, _, _ in items}) < len(items):  # the same reservation twice: in order
            return [self._record_one(db, *item) for item in items]
        found = {
            row[0]: row[1:]
            for row in self._x(
                db,
                "SELECT seq, credential_id, state, document_sha256 FROM microcred_credentials "
                "WHERE seq = ANY(%s) ORDER BY seq FOR UPDATE",
                ([seq for seq, _, _ in items],),
            )
        }
        fresh = [item for item in items if self._recordable(found.get(item[0]), *item)]
        if fresh:
            now = _iso(self._now())
            self._x(
                db,
                "UPDATE microcred_credentials c SET state = 'issued', document_sha256 = u.h, "
                "recorded_at = %s FROM unnest(%s::bigint[], %s::text[]) AS u(s, h) WHERE c.seq = u.s",
                (now, [i[0] for i in fresh], [i[1] for i in fresh]),
            )
            self._x(
                db,
                "INSERT INTO microcred_documents (credential_seq, document) "
                "SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
                ([i[0] for i in fresh], [i[2] for i in fresh]),
            )
        return [digest for _, digest, _ in items]

    def _recordable(self, row: tuple[Any, ...] | None, seq: int, digest: str, data: bytes) -> bool:
        """Whether reservation ``seq`` (its row: id, state, digest) still needs recording; raises the
        protocol's errors for an unknown, abandoned or differently recorded one."""
        if row is None:
            raise LedgerError(
                f"no reservation {seq} in the ledger", code="ledger.unknown", source=self.source
            )
        credential_id, state, existing = row
        if state == "issued":
            if existing != digest:
                raise LedgerError(
                    f"credential {credential_id} is already recorded with another document",
                    code="ledger.duplicate",
                    source=self.source,
                )
            return False
        if state == "abandoned":
            raise LedgerError(
                f"the reservation for {credential_id} was abandoned (another run issued it "
                "again); discard this signed copy",
                code="ledger.abandoned",
                source=self.source,
            )
        return True

    def record_signed(self, reservation: Reservation | int, document: SignedDocument) -> str:
        """:meth:`record_signed_many` for one reservation."""
        return self.record_signed_many([(reservation, document)])[0]

    def _record_one(self, db: Conn, seq: int, digest: str, data: bytes) -> str:
        return self._record_batch(db, [(seq, digest, data)])[0]

    # ---- status changes --------------------------------------------------------------------

    def set_status(self, credential_id: str, change: StatusChange, reason: str | None = None) -> StatusRecord:
        """Revoke, suspend or reinstate an issued credential and keep the event (see the protocol)."""
        if change not in ("revoked", "suspended", "reinstated"):
            raise LedgerError(f"unknown status change {change!r}", code="ledger.error")

        def body(db: Conn) -> None:
            row = self._x(
                db,
                "SELECT seq, state, revoked, suspended, suspension_list FROM microcred_credentials "
                "WHERE credential_id = %s AND state <> 'abandoned' FOR UPDATE",
                (credential_id,),
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"no credential {credential_id!r} in this ledger",
                    code="ledger.unknown",
                    source=self.source,
                )
            seq, state, revoked, suspended, suspension_list = row
            if state != "issued":
                raise LedgerError(
                    f"credential {credential_id} was reserved but never issued (an interrupted run); "
                    "there is nothing to change",
                    code="ledger.not_issued",
                    source=self.source,
                )
            problem = _change_problem(change, revoked, suspended, suspension_list)
            if problem:
                raise LedgerError(
                    f"credential {credential_id} {problem}", code="ledger.state", source=self.source
                )
            if change == "revoked":
                self._x(db, "UPDATE microcred_credentials SET revoked = TRUE WHERE seq = %s", (seq,))
            else:
                self._x(
                    db,
                    "UPDATE microcred_credentials SET suspended = %s WHERE seq = %s",
                    (change == "suspended", seq),
                )
            self._x(
                db,
                "INSERT INTO microcred_status_events (credential_seq, status, at, reason) "
                "VALUES (%s, %s, %s, %s)",
                (seq, change, _iso(self._now()), reason),
            )

        self._run(body, idempotent=False)
        return self.status(credential_id)

    # ---- reading ---------------------------------------------------------------------------

    _SELECT = (
        "SELECT c.credential_id, c.achievement_id, c.recipient, c.format, c.issuer, c.issued_at, c.row_key, "
        "c.state, c.revoked, c.suspended, r.url, c.revocation_index, s.url, c.suspension_index, "
        "c.document_sha256, c.recorded_at FROM microcred_credentials c "
        "JOIN microcred_status_lists r ON r.list_id = c.revocation_list "
        "LEFT JOIN microcred_status_lists s ON s.list_id = c.suspension_list "
    )

    def get(self, credential_id: str) -> CredentialRecord | None:
        """The live record for ``credential_id`` (issued or reserved), or None."""
        rows = self._read(
            self._SELECT + "WHERE c.credential_id = %s AND c.state <> 'abandoned'", (credential_id,)
        )
        return _record(rows[0]) if rows else None

    def find_by_row_key(self, achievement_id: str, row_key: str) -> CredentialRecord | None:
        """The live record for a cohort row of an achievement, or None. ``state == "reserved"`` means
        an interrupted run never issued it: issue it again."""
        rows = self._read(
            self._SELECT + "WHERE c.achievement_id = %s AND c.row_key = %s AND c.state <> 'abandoned'",
            (achievement_id, row_key),
        )
        return _record(rows[0]) if rows else None

    def document(self, credential_id: str) -> bytes | None:
        """The exact signed credential recorded for ``credential_id`` (to re-deliver it), or None."""
        rows = self._read(
            "SELECT d.document FROM microcred_credentials c JOIN microcred_documents d "
            "ON d.credential_seq = c.seq WHERE c.credential_id = %s AND c.state = 'issued'",
            (credential_id,),
        )
        return bytes(rows[0][0]) if rows else None

    def credentials(self, *, include_reserved: bool = False) -> list[CredentialRecord]:
        """Every issued credential (and reserved-but-unissued ones when asked), oldest first."""
        where = "WHERE c.state <> 'abandoned' " if include_reserved else "WHERE c.state = 'issued' "
        return [_record(r) for r in self._read(self._SELECT + where + "ORDER BY c.seq")]

    def status(self, credential_id: str) -> StatusRecord:
        """A credential's current status (``active``/``revoked``/``suspended``/``pending``) and history."""
        record = self.get(credential_id)
        if record is None:
            raise LedgerError(
                f"no credential {credential_id!r} in this ledger", code="ledger.unknown", source=self.source
            )
        events = self._read(
            "SELECT e.status, e.at, e.reason FROM microcred_status_events e "
            "JOIN microcred_credentials c ON c.seq = e.credential_seq "
            "WHERE c.credential_id = %s AND c.state = 'issued' ORDER BY e.event_id",
            (credential_id,),
        )
        return StatusRecord(credential_id, record.status, tuple(StatusEvent(*e) for e in events))

    def lists(self) -> list[StatusListRecord]:
        """Every status list, in creation order."""
        rows = self._read(
            "SELECT url, purpose, size, used, issuer, created_at FROM microcred_status_lists ORDER BY list_id"
        )
        return [StatusListRecord(*r) for r in rows]

    def list_bits(self, list_url: str) -> bytes:
        """The current bitstring of a list (one statement: one consistent snapshot), revoked or
        currently suspended issued credentials set, whichever node changed them."""

        def body(db: Conn) -> bytes:
            row = db.execute(
                "SELECT list_id, purpose, size FROM microcred_status_lists WHERE url = %s", (list_url,)
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"no status list {list_url!r} in this ledger", code="ledger.unknown", source=self.source
                )
            list_id, purpose, size = row
            if purpose == "revocation":
                sql = (
                    "SELECT revocation_index FROM microcred_credentials WHERE revocation_list = %s "
                    "AND revoked AND state = 'issued'"
                )
            else:
                sql = (
                    "SELECT suspension_index FROM microcred_credentials WHERE suspension_list = %s "
                    "AND suspended AND state = 'issued'"
                )
            bits = bytearray(size // 8)
            for (index,) in db.execute(sql, (list_id,)):
                bits[index >> 3] |= 0x80 >> (index & 7)
            return bytes(bits)

        return self._run(body, idempotent=True)

    def check(self) -> None:
        """Check the bookkeeping the constraints do not cover: every list's ``used`` count equals
        its holders, every issued credential has its document; raise :class:`LedgerError` if not."""
        bad_lists = self._read(
            "SELECT l.url FROM microcred_status_lists l WHERE l.used <> "
            "(SELECT COUNT(*) FROM microcred_credentials c "
            "WHERE c.revocation_list = l.list_id OR c.suspension_list = l.list_id)"
        )
        if bad_lists:
            raise LedgerError(
                f"damaged: the used count of {bad_lists[0][0]} disagrees with its holders",
                source=self.source,
                code="ledger.damaged",
            )
        missing = self._read(
            "SELECT COUNT(*) FROM microcred_credentials c WHERE c.state = 'issued' AND NOT EXISTS "
            "(SELECT 1 FROM microcred_documents d WHERE d.credential_seq = c.seq)"
        )
        if missing[0][0]:
            raise LedgerError(
                f"damaged: {missing[0][0]} issued credentials have no recorded document",
                source=self.source,
                code="ledger.damaged",
            )


def _validate(request: ReserveRequest) -> None:
    if request.format not in ("di", "jwt"):
        raise LedgerError(f"format must be 'di' or 'jwt', not {request.format!r}", code="ledger.error")
    for name in ("credential_id", "achievement_id", "recipient", "status_list_base_url"):
        value = getattr(request, name)
        if not isinstance(value, str) or not value:
            raise LedgerError(f"{name} must be a non-empty string", code="ledger.error")
    _iso(request.issued_at)


def _change_problem(change: StatusChange, revoked: bool, suspended: bool, suspension_list: Any) -> str | None:
    """Why ``change`` does not apply to a credential in this state, or None."""
    if change == "revoked":
        return "is already revoked" if revoked else None
    if change == "suspended":
        if suspension_list is None:
            return "was issued without a suspension status entry; it can be revoked, not suspended"
        if revoked:
            return "is revoked; it cannot be suspended"
        return "is already suspended" if suspended else None
    if revoked:
        return "is revoked; revocation cannot be undone"
    return None if suspended else "is not suspended"


def _record(row: tuple[Any, ...]) -> CredentialRecord:
    state, revoked, suspended = row[7], row[8], row[9]
    status = (
        "pending" if state != "issued" else "revoked" if revoked else "suspended" if suspended else "active"
    )
    return CredentialRecord(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], state, status,
        row[10], row[11], row[12], row[13], row[14], row[15],
    )  # fmt: skip
