"""The issuer ledger: a SQLite file recording every issued credential, its status-list indexes and
every status change, so that credentials can be revoked and status lists published.

Issuing with a ledger is three steps, each crash-safe::

    r = ledger.reserve(cid, achievement_id=..., recipient=..., format="di", issued_at=...,
                       status_list_base_url="https://example.edu/status")   # commit 1: indexes are taken
    signed = sign({**unsigned, "credentialStatus": r.credential_status})       # nothing has left yet
    ledger.record_signed(r, text_of_signed)                                    # commit 2: then hand it out

A crash after commit 1 leaves a *reserved* row: its indexes stay taken forever (never handed to
anyone else) and a rerun re-issues it under a new index (:meth:`Ledger.reserve` abandons the stale
reservation). :meth:`Ledger.issue` runs the three steps for you.

Plain SQL throughout (portable to PostgreSQL); SQLite runs in WAL mode with ``synchronous=FULL``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from . import _time
from .errors import LedgerError
from .status.bitstring import MIN_LIST_BITS, status_entry

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "CredentialRecord",
    "Ledger",
    "Reservation",
    "StatusEvent",
    "StatusListRecord",
    "StatusRecord",
    "canonical_bytes",
]

#: ``PRAGMA application_id`` of a microcred ledger ("mcrd"), so a foreign SQLite file is recognised.
APPLICATION_ID = 0x6D637264
#: The schema version this code writes; older files are migrated, newer ones refused.
SCHEMA_VERSION = 1
_FORMAT_MARK = "microcred-ledger"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_S = 30.0
_RANDOM_TRIES = 32
_BUCKET = 1024

T = TypeVar("T")
Format = Literal["di", "jwt"]
Purpose = Literal["revocation", "suspension"]

# One list of statements per schema version; _MIGRATIONS[n] brings a file from version n to n + 1.
_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE meta (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL)""",
        """CREATE TABLE status_lists (
             list_id INTEGER PRIMARY KEY,
             url TEXT NOT NULL UNIQUE,
             base_url TEXT NOT NULL,
             purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
             seq INTEGER NOT NULL,
             size INTEGER NOT NULL CHECK (size > 0 AND size % 8 = 0),
             used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= size),
             issuer TEXT,
             created_at TEXT NOT NULL,
             UNIQUE (base_url, purpose, seq))""",
        """CREATE TABLE credentials (
             seq INTEGER PRIMARY KEY,
             credential_id TEXT NOT NULL,
             achievement_id TEXT NOT NULL,
             recipient TEXT NOT NULL,
             format TEXT NOT NULL CHECK (format IN ('di', 'jwt')),
             issuer TEXT,
             issued_at TEXT NOT NULL,
             row_key TEXT,
             state TEXT NOT NULL CHECK (state IN ('reserved', 'issued', 'abandoned')),
             reserved_at TEXT NOT NULL,
             recorded_at TEXT,
             revocation_list INTEGER NOT NULL REFERENCES status_lists (list_id),
             revocation_index INTEGER NOT NULL CHECK (revocation_index >= 0),
             suspension_list INTEGER REFERENCES status_lists (list_id),
             suspension_index INTEGER CHECK (suspension_index >= 0),
             document_sha256 TEXT,
             document BLOB,
             revoked INTEGER NOT NULL DEFAULT 0,
             suspended INTEGER NOT NULL DEFAULT 0,
             CHECK ((suspension_list IS NULL) = (suspension_index IS NULL)),
             CHECK (state <> 'issued' OR document_sha256 IS NOT NULL))""",
        # an index is never held twice, abandoned reservations included: indexes are never reused
        "CREATE UNIQUE INDEX credentials_revocation_slot ON credentials (revocation_list, revocation_index)",
        "CREATE UNIQUE INDEX credentials_suspension_slot ON credentials (suspension_list, suspension_index)",
        # one live credential per id, and per cohort row and achievement
        "CREATE UNIQUE INDEX credentials_live_id ON credentials (credential_id) WHERE state <> 'abandoned'",
        """CREATE UNIQUE INDEX credentials_live_row ON credentials (achievement_id, row_key)
             WHERE row_key IS NOT NULL AND state <> 'abandoned'""",
        """CREATE TABLE status_events (
             event_id INTEGER PRIMARY KEY,
             credential_seq INTEGER NOT NULL REFERENCES credentials (seq),
             status TEXT NOT NULL CHECK (status IN ('revoked', 'suspended', 'reinstated')),
             at TEXT NOT NULL,
             reason TEXT)""",
        "CREATE INDEX status_events_credential ON status_events (credential_seq)",
    ],
]
assert len(_MIGRATIONS) == SCHEMA_VERSION


# --------------------------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class Reservation:
    """Status-list indexes taken for one credential, committed before it is signed."""

    seq: int
    credential_id: str
    revocation_entry: dict[str, Any]
    suspension_entry: dict[str, Any] | None = None

    @property
    def credential_status(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The value for the credential's ``credentialStatus``: one entry, or a list of two."""
        if self.suspension_entry is None:
            return dict(self.revocation_entry)
        return [dict(self.revocation_entry), dict(self.suspension_entry)]


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
    purpose: str
    size: int
    used: int
    issuer: str | None
    created_at: str


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    if not _time.is_aware(moment):
        raise LedgerError("datetimes given to the ledger must be timezone-aware", code="ledger.time")
    return _time.format_utc(moment)


def canonical_bytes(document: str | bytes | Mapping[str, Any]) -> bytes:
    """The bytes the ledger hashes and keeps: text as given (a JWT, or JSON exactly as written out);
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


def _sha256(document: str | bytes | Mapping[str, Any]) -> tuple[str, bytes]:
    data = canonical_bytes(document)
    return hashlib.sha256(data).hexdigest(), data


def _derived(unsigned: Mapping[str, Any], what: str) -> str | None:
    subject = unsigned.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    if not isinstance(subject, Mapping):
        return None
    if what == "achievement":
        achievement = subject.get("achievement")
        value = achievement.get("id") if isinstance(achievement, Mapping) else None
        return value if isinstance(value, str) else None
    if isinstance(subject.get("id"), str):
        return subject["id"]
    identifiers = subject.get("identifier")
    for item in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(item, Mapping) and isinstance(item.get("identityHash"), str):
            return item["identityHash"]
    return None


# --------------------------------------------------------------------------------------------
# opening


def _inspect_file(path: Path) -> None:
    """Refuse anything that is not a complete SQLite file before SQLite touches it."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise LedgerError(
            f"cannot read the ledger: {exc.strerror or exc}", source=str(path), code="ledger.unreadable"
        ) from exc
    if not header:
        raise LedgerError(
            "the file is empty, so it is not a microcred ledger; refusing to use it "
            "(remove it or choose another --ledger path)",
            source=str(path),
            code="ledger.foreign",
        )
    if not header.startswith(_SQLITE_MAGIC):
        raise LedgerError(
            "not a microcred ledger (not an SQLite database); refusing to touch it",
            source=str(path),
            code="ledger.foreign",
        )
    if len(header) < 100:
        raise LedgerError(
            f"truncated: the SQLite header is {len(header)} of 100 bytes",
            source=str(path),
            code="ledger.damaged",
        )
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change, pages, valid_for = (struct.unpack(">I", header[o : o + 4])[0] for o in (24, 28, 92))
    if page_size < 512 or page_size & (page_size - 1):
        raise LedgerError(
            f"damaged: invalid SQLite page size {page_size}", source=str(path), code="ledger.damaged"
        )
    wal = path.with_name(path.name + "-wal")
    pending_wal = wal.exists() and wal.stat().st_size > 0  # a checkpoint cut short: SQLite recovers from it
    if pages and change == valid_for and size < pages * page_size and not pending_wal:
        raise LedgerError(
            f"truncated: the file has {size} bytes but its header promises {pages} pages of "
            f"{page_size} bytes; restore it from a backup",
            source=str(path),
            code="ledger.damaged",
        )


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise LedgerError(
            f"cannot switch the ledger to WAL mode (got {mode})", source=str(path), code="ledger.error"
        )
    conn.execute("PRAGMA synchronous = FULL")


def _migrate(conn: sqlite3.Connection, start: int, now: str) -> None:
    for version in range(start, SCHEMA_VERSION):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
        if version == 0:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('format', ?), ('created_at', ?)", (_FORMAT_MARK, now)
            )
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create(path: Path, now: str) -> None:
    """Create a ledger at ``path`` atomically: build it aside, then link it in (never overwriting)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.creating")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            _configure(conn, tmp)
            conn.execute("BEGIN IMMEDIATE")
            _migrate(conn, 0, now)
            conn.execute("COMMIT")
        finally:
            conn.close()
        try:
            os.link(tmp, path)  # atomic, and fails if something appeared at ``path`` meanwhile
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError:  # a file system without hard links: exclusive create, then copy
            try:
                with path.open("xb") as target:
                    target.write(tmp.read_bytes())
                    target.flush()
                    os.fsync(target.fileno())
            except FileExistsError:
                pass
        else:
            with contextlib.suppress(OSError):
                fd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


class Ledger:
    """An open issuer ledger. Use :meth:`open`; close it (or use ``with``) when done."""

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
    ) -> Ledger:
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
            _create(target, _iso(clock()))
        _inspect_file(target)
        try:
            conn = sqlite3.connect(target, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
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
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"written by a newer microcred (ledger schema {version}; this version reads up "
                    f"to {SCHEMA_VERSION}); upgrade microcred",
                    source=str(target),
                    code="ledger.too_new",
                )
            _configure(conn, target)
            if version < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    current = conn.execute("PRAGMA user_version").fetchone()[0]
                    if current < SCHEMA_VERSION:
                        _migrate(conn, current, _iso(clock()))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            mark = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if mark is None or mark[0] != _FORMAT_MARK:
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
            raise LedgerError(
                f"damaged: {exc}; restore it from a backup", source=str(target), code="ledger.damaged"
            ) from exc
        return cls(conn, target, now=clock, randbelow=randbelow or secrets.randbelow, list_size=_list_size)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise self._error(exc) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> LedgerError:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return LedgerError(
                f"the ledger stayed locked by another process for {_BUSY_TIMEOUT_S:.0f}s",
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

    def reserve(
        self,
        credential_id: str,
        *,
        achievement_id: str,
        recipient: str,
        format: Format,
        issued_at: datetime | str,
        status_list_base_url: str,
        suspension: bool = False,
        row_key: str | None = None,
        issuer: str | None = None,
    ) -> Reservation:
        """Take random, never-used status-list indexes for a credential and record it, in one transaction.

        A live reservation for the same ``credential_id`` (or ``achievement_id`` + ``row_key``) that was
        never signed (a crashed run) is abandoned, its indexes staying burnt; an issued one raises
        :class:`LedgerError` (code ``ledger.duplicate``).
        """
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
        issued = _iso(issued_at)
        with self._tx() as db:
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
            rev_list, rev_url, rev_index = self._allocate(db, base, "revocation", issuer, now)
            sus: tuple[int, str, int] | None = None
            if suspension:
                sus = self._allocate(db, base, "suspension", issuer, now)
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
            status_entry(rev_url, rev_index, "revocation"),
            status_entry(sus[1], sus[2], "suspension") if sus else None,
        )

    def reserve_many(self, requests: Iterable[Mapping[str, Any]]) -> list[Reservation]:
        """:meth:`reserve` for each request (its keyword arguments, ``credential_id`` included), all in
        one transaction: all are reserved, or none."""
        with self._tx():
            return [self.reserve(**request) for request in requests]

    def record_signed_many(self, items: Iterable[tuple[Reservation | int, str | bytes]]) -> list[str]:
        """:meth:`record_signed` for each (reservation, document), all in one transaction."""
        with self._tx():
            return [self.record_signed(reservation, document) for reservation, document in items]

    def _allocate(
        self, db: sqlite3.Connection, base: str, purpose: str, issuer: str | None, now: str
    ) -> tuple[int, str, int]:
        """A uniformly random free index in the newest non-full list for ``base``/``purpose``."""
        row = db.execute(
            "SELECT list_id, url, size, used, issuer FROM status_lists WHERE base_url = ? AND purpose = ? "
            "ORDER BY seq DESC LIMIT 1",
            (base, purpose),
        ).fetchone()
        if row is not None and row[4] is not None and issuer is not None and row[4] != issuer:
            raise LedgerError(
                f"the status lists under {base} belong to issuer {row[4]}, not {issuer}; "
                "use another status list base URL",
                code="ledger.issuer",
                source=str(self.path),
            )
        if row is None or row[3] >= row[2]:
            number = (
                1
                if row is None
                else db.execute(
                    "SELECT MAX(seq) FROM status_lists WHERE base_url = ? AND purpose = ?", (base, purpose)
                ).fetchone()[0]
                + 1
            )
            url = f"{base}/{purpose}-{number}"
            cursor = db.execute(
                "INSERT INTO status_lists (url, base_url, purpose, seq, size, used, issuer, created_at) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    url,
                    base,
                    purpose,
                    number,
                    self._list_size,
                    issuer if row is None else (row[4] or issuer),
                    now,
                ),
            )
            list_id, size, used = cursor.lastrowid, self._list_size, 0
            assert list_id is not None
        else:
            list_id, url, size, used = row[0], row[1], row[2], row[3]
            if row[4] is None and issuer is not None:
                db.execute(
                    "UPDATE status_lists SET issuer = ? "
                    "WHERE base_url = ? AND purpose = ? AND issuer IS NULL",
                    (issuer, base, purpose),
                )
        column = "revocation" if purpose == "revocation" else "suspension"
        taken = f"SELECT 1 FROM credentials WHERE {column}_list = ? AND {column}_index = ?"
        index = -1
        for _ in range(_RANDOM_TRIES):  # rejection sampling: uniform, and fast while the list has room
            candidate = self._randbelow(size)
            if db.execute(taken, (list_id, candidate)).fetchone() is None:
                index = candidate
                break
        if index < 0:  # nearly full: pick the k-th free index exactly, bucket by bucket
            index = self._kth_free(db, column, list_id, size, self._randbelow(size - used))
        db.execute("UPDATE status_lists SET used = used + 1 WHERE list_id = ?", (list_id,))
        return list_id, url, index

    def _kth_free(self, db: sqlite3.Connection, column: str, list_id: int, size: int, k: int) -> int:
        counts = dict(
            db.execute(
                f"SELECT {column}_index / {_BUCKET}, COUNT(*) FROM credentials WHERE {column}_list = ? "
                f"GROUP BY {column}_index / {_BUCKET}",
                (list_id,),
            ).fetchall()
        )
        for bucket in range((size + _BUCKET - 1) // _BUCKET):
            start, stop = bucket * _BUCKET, min(size, (bucket + 1) * _BUCKET)
            free = (stop - start) - counts.get(bucket, 0)
            if k >= free:
                k -= free
                continue
            used = {
                r[0]
                for r in db.execute(
                    f"SELECT {column}_index FROM credentials WHERE {column}_list = ? AND {column}_index >= ? "
                    f"AND {column}_index < ?",
                    (list_id, start, stop),
                )
            }
            for index in range(start, stop):
                if index not in used:
                    if k == 0:
                        return index
                    k -= 1
        raise LedgerError(
            "status list bookkeeping is inconsistent (no free index in a list marked not full)",
            source=str(self.path),
            code="ledger.damaged",
        )

    def record_signed(self, reservation: Reservation | int, document: str | bytes | Mapping[str, Any]) -> str:
        """Record the signed credential for a reservation; returns its SHA-256 (hex).

        The hash is over :func:`canonical_bytes`: the exact text handed out, or a signed JSON object
        in canonical form. Call it before the credential leaves the process; recording the same
        bytes twice is harmless.
        """
        seq = reservation.seq if isinstance(reservation, Reservation) else int(reservation)
        digest, data = _sha256(document)
        with self._tx() as db:
            row = db.execute(
                "SELECT credential_id, state, document_sha256 FROM credentials WHERE seq = ?", (seq,)
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"no reservation {seq} in the ledger", code="ledger.unknown", source=str(self.path)
                )
            credential_id, state, existing = row
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
                "UPDATE credentials SET state = 'issued', document_sha256 = ?, document = ?, recorded_at = ? "
                "WHERE seq = ?",
                (digest, data, _iso(self._now()), seq),
            )
        return digest

    def issue(
        self,
        unsigned: dict[str, Any],
        *,
        sign: Callable[[dict[str, Any]], T],
        format: Format,
        status_list_base_url: str,
        document_of: Callable[[T], str | bytes | Mapping[str, Any]] | None = None,
        achievement_id: str | None = None,
        recipient: str | None = None,
        issued_at: datetime | str | None = None,
        suspension: bool = False,
        row_key: str | None = None,
        issuer: str | None = None,
    ) -> tuple[T, Reservation]:
        """Reserve, add ``credentialStatus``, sign, record; returns ``sign``'s result and the reservation.

        ``document_of`` turns that into what is recorded (default: it as is: the JWT or JSON text
        handed out, or the signed JSON object, see :func:`canonical_bytes`). The credential's ``id``
        names it; the achievement id, recipient (``credentialSubject.id`` or its first
        ``identityHash``), issuer and issue time are read from it unless given.
        """
        credential_id = unsigned.get("id")
        if not isinstance(credential_id, str) or not credential_id:
            raise LedgerError(
                "the credential needs an id to be recorded in the ledger", path="id", code="ledger.error"
            )
        if issuer is None:
            raw = unsigned.get("issuer")
            issuer = raw if isinstance(raw, str) else raw.get("id") if isinstance(raw, Mapping) else None
        achievement_id = achievement_id or _derived(unsigned, "achievement")
        recipient = recipient or _derived(unsigned, "recipient")
        if not achievement_id or not recipient:
            missing = "credentialSubject.achievement.id" if not achievement_id else "credentialSubject.id"
            raise LedgerError(
                f"cannot tell the {missing.split('.')[-2]} to record: give it",
                path=missing,
                code="ledger.error",
            )
        when = issued_at or unsigned.get("validFrom") or unsigned.get("issuanceDate") or self._now()
        reservation = self.reserve(
            credential_id,
            achievement_id=achievement_id,
            recipient=recipient,
            format=format,
            issued_at=when,
            status_list_base_url=status_list_base_url,
            suspension=suspension,
            row_key=row_key,
            issuer=issuer,
        )
        signed = sign({**unsigned, "credentialStatus": reservation.credential_status})
        self.record_signed(reservation, document_of(signed) if document_of else signed)  # type: ignore[arg-type]
        return signed, reservation

    # ---- status changes --------------------------------------------------------------------

    def _live(self, db: sqlite3.Connection, credential_id: str) -> tuple[int, str, int, int, Any]:
        row = db.execute(
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

    def revoke(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Revoke a credential for good (its revocation bit is set in the next published list)."""
        with self._tx() as db:
            seq, _, revoked, _, _ = self._live(db, credential_id)
            if revoked:
                raise LedgerError(
                    f"credential {credential_id} is already revoked",
                    code="ledger.state",
                    source=str(self.path),
                )
            db.execute("UPDATE credentials SET revoked = 1 WHERE seq = ?", (seq,))
            self._event(db, seq, "revoked", reason)
        return self.status(credential_id)

    def suspend(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Suspend a credential issued with a suspension entry (undo with :meth:`reinstate`)."""
        with self._tx() as db:
            seq, _, revoked, suspended, suspension_list = self._live(db, credential_id)
            if suspension_list is None:
                raise LedgerError(
                    f"credential {credential_id} was issued without a suspension status entry; "
                    "it can be revoked, not suspended",
                    code="ledger.state",
                    source=str(self.path),
                )
            if revoked:
                raise LedgerError(
                    f"credential {credential_id} is revoked; it cannot be suspended",
                    code="ledger.state",
                    source=str(self.path),
                )
            if suspended:
                raise LedgerError(
                    f"credential {credential_id} is already suspended",
                    code="ledger.state",
                    source=str(self.path),
                )
            db.execute("UPDATE credentials SET suspended = 1 WHERE seq = ?", (seq,))
            self._event(db, seq, "suspended", reason)
        return self.status(credential_id)

    def reinstate(self, credential_id: str, reason: str | None = None) -> StatusRecord:
        """Lift a suspension. A revoked credential stays revoked."""
        with self._tx() as db:
            seq, _, revoked, suspended, _ = self._live(db, credential_id)
            if revoked:
                raise LedgerError(
                    f"credential {credential_id} is revoked; revocation cannot be undone",
                    code="ledger.state",
                    source=str(self.path),
                )
            if not suspended:
                raise LedgerError(
                    f"credential {credential_id} is not suspended", code="ledger.state", source=str(self.path)
                )
            db.execute("UPDATE credentials SET suspended = 0 WHERE seq = ?", (seq,))
            self._event(db, seq, "reinstated", reason)
        return self.status(credential_id)

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
            "SELECT document FROM credentials WHERE credential_id = ? AND state = 'issued'", (credential_id,)
        )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

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
        if purpose == "revocation":
            sql = (
                "SELECT revocation_index FROM credentials WHERE revocation_list = ? AND state = 'issued' "
                "AND revoked = 1"
            )
        else:
            sql = (
                "SELECT suspension_index FROM credentials WHERE suspension_list = ? AND state = 'issued' "
                "AND suspended = 1"
            )
        bits = bytearray(size // 8)
        for (index,) in self._read(sql, (list_id,)):
            bits[index >> 3] |= 0x80 >> (index & 7)
        return bytes(bits)

    def check(self) -> None:
        """Run SQLite's integrity and foreign-key checks; raise :class:`LedgerError` on any problem."""
        problems = [r[0] for r in self._read("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise LedgerError(
                "damaged: " + "; ".join(problems[:5]), source=str(self.path), code="ledger.damaged"
            )
        orphans = self._read("PRAGMA foreign_key_check")
        if orphans:
            raise LedgerError(
                f"damaged: {len(orphans)} rows break foreign keys",
                source=str(self.path),
                code="ledger.damaged",
            )
