"""The SQLite ledger file: its schema and migrations, and creating, checking and configuring it.

Plain SQL throughout (portable to PostgreSQL). A new file is built aside and linked into place, so a
crash never leaves half a ledger; a file that is not a complete microcred ledger is refused before
SQLite touches it; WAL mode with ``synchronous=FULL`` (``OFF`` only under the test-only switch
:data:`microcred._files.DURABLE`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import struct
from typing import TYPE_CHECKING, Any

from .. import _files
from ..errors import LedgerError
from . import sqlite_allocation, sqlite_documents

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

APPLICATION_ID = 0x6D637264
#: The schema version this code writes; older files are migrated, newer ones refused.
SCHEMA_VERSION = 2
FORMAT_MARK = "microcred-ledger"
_SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0


def _to_version_2(db: sqlite3.Connection) -> None:
    """Schema 2 (issue 15): the signed documents move out of the credential rows into ``documents``
    (compressed), partial indexes cover the status-list query, and each list gets its free-slot array
    (laid out from the indexes already taken)."""
    for statement in sqlite_documents.TABLES:
        db.execute(statement)
    store = sqlite_documents.DocumentStore("migration")
    cursor = db.execute(
        "SELECT seq, achievement_id, document FROM credentials WHERE document IS NOT NULL ORDER BY seq"
    )
    while batch := cursor.fetchmany(500):
        for seq, achievement_id, document in batch:
            store.put(db, seq, achievement_id, bytes(document))
    db.execute("ALTER TABLE credentials DROP COLUMN document")
    db.execute(sqlite_allocation.TABLE)
    for list_id, purpose, size in db.execute("SELECT list_id, purpose, size FROM status_lists").fetchall():
        column = "revocation" if purpose == "revocation" else "suspension"
        taken = {
            r[0]
            for r in db.execute(f"SELECT {column}_index FROM credentials WHERE {column}_list = ?", (list_id,))
        }
        sqlite_allocation.build_free_slots(db, list_id, size, taken)
        db.execute("UPDATE status_lists SET used = ? WHERE list_id = ?", (len(taken), list_id))
    for statement in _HOT_INDEXES:
        db.execute(statement)


#: Publication reads only these: the revoked (suspended) issued credentials of a list, from the index
#: alone (its columns repeat the filter's, so SQLite needs no table row).
_HOT_INDEXES = [
    """CREATE INDEX credentials_revoked ON credentials (revocation_list, revocation_index, state, revoked)
         WHERE revoked = 1 AND state = 'issued'""",
    """CREATE INDEX credentials_suspended ON credentials (suspension_list, suspension_index, state, suspended)
         WHERE suspended = 1 AND state = 'issued'""",
]

# One step per schema version (statements, or a function for a step that moves data);
# _MIGRATIONS[n] brings a file from version n to n + 1.
_MIGRATIONS: list[list[str] | Callable[[sqlite3.Connection], None]] = [
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
    _to_version_2,
]
assert len(_MIGRATIONS) == SCHEMA_VERSION


def inspect_file(path: Path) -> None:
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


def configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise LedgerError(
            f"cannot switch the ledger to WAL mode (got {mode})", source=str(path), code="ledger.error"
        )
    conn.execute("PRAGMA synchronous = FULL" if _files.DURABLE else "PRAGMA synchronous = OFF")


def migrate(conn: sqlite3.Connection, start: int, now: str) -> None:
    for version in range(start, SCHEMA_VERSION):
        step = _MIGRATIONS[version]
        if callable(step):
            step(conn)
        else:
            for statement in step:
                conn.execute(statement)
        if version == 0:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('format', ?), ('created_at', ?)", (FORMAT_MARK, now)
            )
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def create_file(path: Path, now: str) -> None:
    """Create a ledger at ``path`` atomically: build it aside, then link it in (never overwriting)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.creating")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            configure(conn, tmp)
            conn.execute("BEGIN IMMEDIATE")
            migrate(conn, 0, now)
            conn.execute("COMMIT")
        finally:
            conn.close()
        os.chmod(tmp, 0o600)  # the ledger names learners (as pseudonyms): readable by its owner only
        try:
            os.link(tmp, path)  # atomic, and fails if something appeared at ``path`` meanwhile
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError:  # a file system without hard links: exclusive create, then copy
            try:
                with path.open("xb") as target:
                    target.write(tmp.read_bytes())
                    target.flush()
                    _files.sync_file(target.fileno())
            except FileExistsError:
                pass
        else:
            _files.sync_folder(path.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def check_file(read: Callable[[str], list[tuple[Any, ...]]], source: str) -> None:
    """SQLite's integrity and foreign-key checks, and the free-slot arrays (only positions still
    free, holding indexes inside their list); :class:`LedgerError` ``ledger.damaged`` on a problem."""
    problems = [r[0] for r in read("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise LedgerError("damaged: " + "; ".join(problems[:5]), source=source, code="ledger.damaged")
    orphans = read("PRAGMA foreign_key_check")
    if orphans:
        raise LedgerError(
            f"damaged: {len(orphans)} rows break foreign keys", source=source, code="ledger.damaged"
        )
    stray = read(
        "SELECT l.url FROM free_slots f JOIN status_lists l ON l.list_id = f.list_id "
        "WHERE f.pos >= l.size - l.used OR f.slot >= l.size LIMIT 1"
    )
    if stray:
        raise LedgerError(
            f"damaged: the free-slot bookkeeping of {stray[0][0]} is inconsistent",
            source=source,
            code="ledger.damaged",
        )
