"""The issuer ledger in SQLite (the embedded default): every issued credential, its status-list
indexes and every status change, in one file, crash-safe.

Issuing is reserve (commit 1: indexes are taken) → sign → record (commit 2: then hand it out); see
:mod:`microcred.ledger.protocol` for the guarantees and :mod:`microcred.issuing` for the steps. A crash
after commit 1 leaves a *reserved* row: its indexes stay taken forever (never handed to anyone else)
and a rerun re-issues it under a new index (the stale reservation is abandoned). Indexes are drawn
uniformly at random among the free ones of the newest list that has room, in constant time
(:mod:`~microcred.ledger.sqlite_allocation`).

Schema 2: partial indexes hold just the revoked and suspended entries (publishing reads only those);
the signed documents live apart, compressed (:mod:`~microcred.ledger.sqlite_documents`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import secrets
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _time
from ..errors import LedgerError
from ..status.bitstring import MIN_LIST_BITS
from . import sqlite_schema as schema
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
from .sqlite_allocation import Allocator
from .sqlite_documents import DocumentStore
from .sqlite_schema import (
    APPLICATION_ID,
    BUSY_TIMEOUT_S,
    FORMAT_MARK,
    configure,
    create_file,
    inspect_file,
    migrate,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime

log = logging.getLogger(__name__)
#: purpose -> (column prefix, status flag, the partial index holding the set bits)
_BITS = {
    "revocation": ("revocation", "revoked", "credentials_revoked"),
    "suspension": ("suspension", "suspended", "credentials_suspended"),
}


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    if not _time.is_aware(moment):
        raise LedgerError("datetimes given to the ledger must be timezone-aware", code="ledger.time")
    return _time.format_utc(moment)


def storage_error(exc: BaseException, path: Path) -> LedgerError | None:
    """An honest :class:`LedgerError` for a full disk, a read-only file or folder, or an I/O error,
    which say what happened and that nothing committed was lost (SQLite rolls back a failed write);
    None for anything else. Never "damaged": that advice would have a backup replace newer records."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    number = getattr(exc, "errno", None)
    text = str(exc).lower()
    kept = "nothing already recorded in it was lost or changed (the failed write was rolled back)"
    if name == "SQLITE_FULL" or number in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        return LedgerError(
            f"cannot write to the ledger: the disk is full; {kept}. Free some space and rerun",
            source=str(path),
            code="ledger.disk_full",
        )
    if (
        name.startswith("SQLITE_READONLY")
        or number in (errno.EROFS, errno.EACCES, errno.EPERM)
        or "readonly" in text
        or "read-only" in text
    ):
        return LedgerError(
            f"cannot write to the ledger: its file or folder is read-only; {kept}. "
            "Make it writable (the folder too: SQLite writes a journal beside it) and rerun",
            source=str(path),
            code="ledger.read_only",
        )
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return LedgerError(
            f"the disk reported an I/O error while writing the ledger ({exc}); {kept}. "
            "Check the disk (space, health, a network share that went away) and rerun",
            source=str(path),
            code="ledger.io_error",
        )
    return None


class SQLiteLedger(Ledger):
    """An open SQLite issuer ledger (:class:`~microcred.ledger.protocol.Ledger`). Use :meth:`open`;
    close it (or use ``with``) when done."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        now: Callable[[], datetime],
        randbelow: Callable[[int], int],
        list_size: int,
    ) -> None:
        self._conn = conn
        self.path = path
        self._now = now
        self._randbelow = randbelow
        self._list_size = list_size
        self._documents = DocumentStore(str(path))

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
    ) -> SQLiteLedger:
        """Open the ledger at ``path``, creating it if absent and ``create`` is true.

        Raises :class:`LedgerError` for a file that is not a microcred ledger (never touching it),
        a damaged or truncated one, or one written by a newer microcred. ``randbelow`` picks indexes
        (default :func:`secrets.randbelow`); ``_list_size`` is a test knob for the entries per new list.
        """
        if _list_size <= 0 or _list_size % 8:
            raise LedgerError(
                f"list size must be a positive multiple of 8, not {_list_size}", code="ledger.error"
            )
        clock = now or _time.now
        target = Path(path)
        if not target.exists():
            if not create:
                raise LedgerError(
                    "no ledger here (it is created by issuing with --ledger)",
                    source=str(target),
                    code="ledger.missing",
                )
            if not target.parent.is_dir():
                raise LedgerError(
                    f"the folder {target.parent} does not exist", source=str(target), code="ledger.missing"
                )
            try:
                create_file(target, _iso(clock()))
            except (sqlite3.Error, OSError) as exc:
                raise storage_error(exc, target) or LedgerError(
                    f"cannot create the ledger: {exc}", source=str(target), code="ledger.error"
                ) from exc
            log.info("created the ledger %s", target)
        inspect_file(target)
        try:
            conn = sqlite3.connect(target, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot open the ledger: {exc}", source=str(target), code="ledger.unreadable"
            ) from exc
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise LedgerError(
                    f"an SQLite database, but not a microcred ledger (application_id {app_id:#x}); "
                    "refusing to touch it",
                    source=str(target),
                    code="ledger.foreign",
                )
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > schema.SCHEMA_VERSION:
                raise LedgerError(
                    f"written by a newer microcred (ledger schema {version}; this version reads up "
                    f"to {schema.SCHEMA_VERSION}); upgrade microcred",
                    source=str(target),
                    code="ledger.too_new",
                )
            configure(conn, target)
            if version < schema.SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    current = conn.execute("PRAGMA user_version").fetchone()[0]
                    if current < schema.SCHEMA_VERSION:
                        migrate(conn, current, _iso(clock()))
                        log.info(
                            "migrated the ledger %s from schema %d to %d",
                            target,
                            current,
                            schema.SCHEMA_VERSION,
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            mark = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if mark is None or mark[0] != FORMAT_MARK:
                raise LedgerError(
                    "the ledger's meta table does not identify it as a microcred ledger",
                    source=str(target),
                    code="ledger.damaged",
                )
        except LedgerError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise storage_error(exc, target) or LedgerError(
                f"damaged: {exc}; restore it from a backup", source=str(target), code="ledger.damaged"
            ) from exc
        return cls(conn, target, now=clock, randbelow=randbelow or secrets.randbelow, list_size=_list_size)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._conn.in_transaction:  # a batch call's outer transaction: join it
            yield self._conn
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield self._conn
        except sqlite3.Error as exc:
            self._rollback()
            raise self._error(exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._error(exc) from exc

    def _rollback(self) -> None:
        self._documents.forget()  # a dictionary this transaction wrote is gone again
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def _error(self, exc: sqlite3.Error) -> LedgerError:
        storage = storage_error(exc, self.path)
        if storage is not None:
            return storage
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return LedgerError(
                f"the ledger stayed locked by another process for {BUSY_TIMEOUT_S:.0f}s",
                source=str(self.path),
                code="ledger.busy",
            )
        return LedgerError(f"ledger operation failed: {exc}", source=str(self.path), code="ledger.error")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    # ---- issuing ---------------------------------------------------------------------------

    def reserve_many(self, requests: Sequence[ReserveRequest]) -> list[Reservation]:
        """Take random, never-used status-list indexes for each request and record it as reserved, all
        in one transaction (all, or none).

        A live reservation for the same ``credential_id`` (or ``achievement_id`` + ``row_key``) that was
        never signed (a crashed run) is abandoned, its indexes staying burnt; an issued one raises
        :class:`LedgerError` (code ``ledger.duplicate``).
        """
        with self._tx() as db:
            return [self._reserve(db, request) for request in requests]

    def _reserve(self, db: sqlite3.Connection, request: ReserveRequest) -> Reservation:
        credential_id, achievement_id, recipient = (
            request.credential_id,
            request.achievement_id,
            request.recipient,
        )
        format, row_key, issuer = request.format, request.row_key, request.issuer
        status_list_base_url = request.status_list_base_url
        if format not in ("di", "jwt"):
            raise LedgerError(f"format must be 'di' or 'jwt', not {format!r}", code="ledger.error")
        for name, value in (
            ("credential_id", credential_id),
            ("achievement_id", achievement_id),
            ("recipient", recipient),
            ("status_list_base_url", status_list_base_url),
        ):
            if not isinstance(value, str) or not value:
                raise LedgerError(f"{name} must be a non-empty string", code="ledger.error")
        base = status_list_base_url.rstrip("/")
        issued = _iso(request.issued_at)
        clash = db.execute(
            # two indexed lookups (an OR of them scans the whole table: O(n) per reservation)
            "SELECT seq, credential_id, state FROM credentials WHERE state <> 'abandoned' AND "
            "credential_id = ? UNION SELECT seq, credential_id, state FROM credentials "
            "WHERE state <> 'abandoned' AND achievement_id = ? AND row_key = ?",
            (credential_id, achievement_id, row_key),
        ).fetchall()
        for seq, other_id, state in clash:
            if state == "issued":
                what = f"credential {other_id}" + (f" (cohort row {row_key!r})" if row_key else "")
                raise LedgerError(
                    f"{what} is already issued for {achievement_id}",
                    code="ledger.duplicate",
                    source=str(self.path),
                )
            db.execute("UPDATE credentials SET state = 'abandoned' WHERE seq = ?", (seq,))
        now = _iso(self._now())
        pick = self._allocator(db)
        rev_list, rev_url, rev_index = pick(base, "revocation", issuer, now)
        sus: tuple[int, str, int] | None = None
        if request.suspension:
            sus = pick(base, "suspension", issuer, now)
        cursor = db.execute(
            "INSERT INTO credentials (credential_id, achievement_id, recipient, format, issuer, "
            "issued_at, row_key, state, reserved_at, revocation_list, revocation_index, "
            "suspension_list, suspension_index) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?, ?)",
            (
                credential_id,
                achievement_id,
                recipient,
                format,
                issuer,
                issued,
                row_key,
                now,
                rev_list,
                rev_index,
                sus[0] if sus else None,
                sus[2] if sus else None,
            ),
        )
        seq = cursor.lastrowid
        assert seq is not None
        return Reservation(
            seq,
            credential_id,
            StatusSlot(rev_url, rev_index, "revocation"),
            StatusSlot(sus[1], sus[2], "suspension") if sus else None,
        )

    def record_signed_many(self, items: Sequence[tuple[Reservation | int, SignedDocument]]) -> list[str]:
        """:meth:`record_signed` for each (reservation, document), all in one transaction."""
        with self._tx():
            return [self.record_signed(reservation, document) for reservation, document in items]

    def _allocator(self, db: sqlite3.Connection) -> Allocator:
        return Allocator(db, randbelow=self._randbelow, list_size=self._list_size, source=str(self.path))

    def record_signed(self, reservation: Reservation | int, document: SignedDocument) -> str:
        """Record the signed credential for a reservation; returns its SHA-256 (hex).

        The hash is over :func:`canonical_bytes`: the exact text handed out, or a signed JSON object
        in canonical form. Call it before the credential leaves the process; recording the same
        bytes twice is harmless.
        """
        seq = reservation.seq if isinstance(reservation, Reservation) else int(reservation)
        data = canonical_bytes(document)
        digest = hashlib.sha256(data).hexdigest()
        with self._tx() as db:
            row = db.execute(
                "SELECT credential_id, state, document_sha256, achievement_id FROM credentials WHERE seq = ?",
                (seq,),
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"no reservation {seq} in the ledger", code="ledger.unknown", source=str(self.path)
                )
            credential_id, state, existing, achievement_id = row
            if state == "issued":
                if existing != digest:
                    raise LedgerError(
                        f"credential {credential_id} is already recorded with another document",
                        code="ledger.duplicate",
                        source=str(self.path),
                    )
                return digest
            if state == "abandoned":
                raise LedgerError(
                    f"the reservation for {credential_id} was abandoned (another run issued it "
                    "again); discard this signed copy",
                    code="ledger.abandoned",
                    source=str(self.path),
                )
            db.execute(
                "UPDATE credentials SET state = 'issued', document_sha256 = ?, recorded_at = ? WHERE seq = ?",
                (digest, _iso(self._now()), seq),
            )
            self._documents.put(db, seq, achievement_id, data)
        return digest

    # ---- status changes --------------------------------------------------------------------

    def _live(self, db: sqlite3.Connection, credential_id: str) -> tuple[int, str, int, int, int | None]:
        row: tuple[int, str, int, int, int | None] | None = db.execute(
            "SELECT seq, state, revoked, suspended, suspension_list FROM credentials "
            "WHERE credential_id = ? AND state <> 'abandoned'",
            (credential_id,),
        ).fetchone()
        if row is None:
            raise LedgerError(
                f"no credential {credential_id!r} in this ledger",
                code="ledger.unknown",
                source=str(self.path),
            )
        if row[1] != "issued":
            raise LedgerError(
                f"credential {credential_id} was reserved but never issued (an interrupted run); "
                "there is nothing to change",
                code="ledger.not_issued",
                source=str(self.path),
            )
        return row

    def _event(self, db: sqlite3.Connection, seq: int, status: str, reason: str | None) -> None:
        db.execute(
            "INSERT INTO status_events (credential_seq, status, at, reason) VALUES (?, ?, ?, ?)",
            (seq, status, _iso(self._now()), reason),
        )

    def set_status(self, credential_id: str, change: StatusChange, reason: str | None = None) -> StatusRecord:
        """Revoke, suspend or reinstate an issued credential and keep the event (see the protocol)."""
        if change not in ("revoked", "suspended", "reinstated"):
            raise LedgerError(f"unknown status change {change!r}", code="ledger.error")
        with self._tx() as db:
            seq, _, revoked, suspended, suspension_list = self._live(db, credential_id)
            problem = self._change_problem(change, revoked, suspended, suspension_list)
            if problem:
                raise LedgerError(
                    f"credential {credential_id} {problem}", code="ledger.state", source=str(self.path)
                )
            if change == "revoked":
                db.execute("UPDATE credentials SET revoked = 1 WHERE seq = ?", (seq,))
            else:
                flag = 1 if change == "suspended" else 0
                db.execute("UPDATE credentials SET suspended = ? WHERE seq = ?", (flag, seq))
            self._event(db, seq, change, reason)
        return self.status(credential_id)

    @staticmethod
    def _change_problem(
        change: StatusChange, revoked: int, suspended: int, suspension_list: Any
    ) -> str | None:
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

    # ---- reading ---------------------------------------------------------------------------

    _SELECT = (
        "SELECT c.credential_id, c.achievement_id, c.recipient, c.format, c.issuer, c.issued_at, c.row_key, "
        "c.state, c.revoked, c.suspended, r.url, c.revocation_index, s.url, c.suspension_index, "
        "c.document_sha256, c.recorded_at FROM credentials c "
        "JOIN status_lists r ON r.list_id = c.revocation_list "
        "LEFT JOIN status_lists s ON s.list_id = c.suspension_list "
    )

    @staticmethod
    def _record(row: tuple[Any, ...]) -> CredentialRecord:
        state, revoked, suspended = row[7], row[8], row[9]
        status = (
            "pending"
            if state != "issued"
            else "revoked"
            if revoked
            else "suspended"
            if suspended
            else "active"
        )
        return CredentialRecord(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            state,
            status,
            row[10],
            row[11],
            row[12],
            row[13],
            row[14],
            row[15],
        )

    def get(self, credential_id: str) -> CredentialRecord | None:
        """The live record for ``credential_id`` (issued or reserved), or None."""
        rows = self._read(
            self._SELECT + "WHERE c.credential_id = ? AND c.state <> 'abandoned'", (credential_id,)
        )
        return self._record(rows[0]) if rows else None

    def find_by_row_key(self, achievement_id: str, row_key: str) -> CredentialRecord | None:
        """The live record for a cohort row of an achievement, or None. ``state == "reserved"`` means
        an interrupted run never issued it: issue it again."""
        rows = self._read(
            self._SELECT + "WHERE c.achievement_id = ? AND c.row_key = ? AND c.state <> 'abandoned'",
            (achievement_id, row_key),
        )
        return self._record(rows[0]) if rows else None

    def document(self, credential_id: str) -> bytes | None:
        """The exact signed credential recorded for ``credential_id`` (to re-deliver it), or None."""
        rows = self._read(
            "SELECT seq FROM credentials WHERE credential_id = ? AND state = 'issued'", (credential_id,)
        )
        if not rows:
            return None
        try:
            return self._documents.get(self._conn, rows[0][0])
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def credentials(self, *, include_reserved: bool = False) -> list[CredentialRecord]:
        """Every issued credential (and reserved-but-unissued ones when asked), oldest first."""
        where = "WHERE c.state <> 'abandoned' " if include_reserved else "WHERE c.state = 'issued' "
        return [self._record(r) for r in self._read(self._SELECT + where + "ORDER BY c.seq")]

    def status(self, credential_id: str) -> StatusRecord:
        """A credential's current status (``active``/``revoked``/``suspended``/``pending``) and history."""
        record = self.get(credential_id)
        if record is None:
            raise LedgerError(
                f"no credential {credential_id!r} in this ledger",
                code="ledger.unknown",
                source=str(self.path),
            )
        events = self._read(
            "SELECT e.status, e.at, e.reason FROM status_events e "
            "JOIN credentials c ON c.seq = e.credential_seq "
            "WHERE c.credential_id = ? AND c.state = 'issued' ORDER BY e.event_id",
            (credential_id,),
        )
        return StatusRecord(credential_id, record.status, tuple(StatusEvent(*e) for e in events))

    def lists(self) -> list[StatusListRecord]:
        """Every status list, in creation order."""
        rows = self._read(
            "SELECT url, purpose, size, used, issuer, created_at FROM status_lists ORDER BY list_id"
        )
        return [StatusListRecord(*r) for r in rows]

    def list_bits(self, list_url: str) -> bytes:
        """The current bitstring of a list: revoked (or currently suspended) issued credentials set."""
        rows = self._read("SELECT list_id, purpose, size FROM status_lists WHERE url = ?", (list_url,))
        if not rows:
            raise LedgerError(
                f"no status list {list_url!r} in this ledger", code="ledger.unknown", source=str(self.path)
            )
        list_id, purpose, size = rows[0]
        # the partial index holds exactly these entries: the cost follows the revoked/suspended count
        column, flag, index_name = _BITS[purpose]
        sql = (
            f"SELECT {column}_index FROM credentials INDEXED BY {index_name} "
            f"WHERE {column}_list = ? AND state = 'issued' AND {flag} = 1"
        )
        bits = bytearray(size // 8)
        for (index,) in self._read(sql, (list_id,)):
            bits[index >> 3] |= 0x80 >> (index & 7)
        return bytes(bits)

    def check(self) -> None:
        """Integrity, foreign-key and free-slot checks (:func:`.sqlite_schema.check_file`)."""
        schema.check_file(self._read, str(self.path))
