"""The PostgreSQL ledger's schema and migrations: its own numbered versions (``microcred_meta`` keeps
the format mark and the version), created or migrated by whichever node opens it first, under a
transaction-scoped advisory lock, in one transaction (DDL is transactional in PostgreSQL).

Every table is prefixed ``microcred_`` so the ledger can live in a database (or schema, chosen with
``options=-csearch_path=…`` in the connection string) that holds other tables too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LedgerError

if TYPE_CHECKING:
    import psycopg

#: The schema version this code writes; older ledgers are migrated, newer ones refused.
SCHEMA_VERSION = 1
FORMAT_MARK = "microcred-ledger"
#: pg_advisory_xact_lock key held while creating or migrating ("mcrd" as an integer).
SCHEMA_LOCK = 0x6D637264

# _MIGRATIONS[n] brings a ledger from version n to n + 1.
_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE microcred_meta (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL)""",
        """CREATE TABLE microcred_status_lists (
             list_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             url TEXT NOT NULL UNIQUE,
             base_url TEXT NOT NULL,
             purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
             seq INTEGER NOT NULL,
             size INTEGER NOT NULL CHECK (size > 0 AND size % 8 = 0),
             used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= size),
             issuer TEXT,
             created_at TEXT NOT NULL,
             UNIQUE (base_url, purpose, seq))""",
        # the hot table stays narrow: the signed documents live in microcred_documents
        """CREATE TABLE microcred_credentials (
             seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
             revocation_list BIGINT NOT NULL REFERENCES microcred_status_lists (list_id),
             revocation_index INTEGER NOT NULL CHECK (revocation_index >= 0),
             suspension_list BIGINT REFERENCES microcred_status_lists (list_id),
             suspension_index INTEGER CHECK (suspension_index >= 0),
             document_sha256 TEXT,
             revoked BOOLEAN NOT NULL DEFAULT FALSE,
             suspended BOOLEAN NOT NULL DEFAULT FALSE,
             CHECK ((suspension_list IS NULL) = (suspension_index IS NULL)),
             CHECK (state <> 'issued' OR document_sha256 IS NOT NULL))""",
        # an index is never held twice, abandoned reservations included: indexes are never reused
        """CREATE UNIQUE INDEX microcred_credentials_revocation_slot
             ON microcred_credentials (revocation_list, revocation_index)""",
        """CREATE UNIQUE INDEX microcred_credentials_suspension_slot
             ON microcred_credentials (suspension_list, suspension_index)""",
        # one live credential per id, and per cohort row and achievement, whichever node issues it
        """CREATE UNIQUE INDEX microcred_credentials_live_id
             ON microcred_credentials (credential_id) WHERE state <> 'abandoned'""",
        """CREATE UNIQUE INDEX microcred_credentials_live_row
             ON microcred_credentials (achievement_id, row_key)
             WHERE row_key IS NOT NULL AND state <> 'abandoned'""",
        # publication reads only the set bits of a list
        """CREATE INDEX microcred_credentials_revoked ON microcred_credentials (revocation_list)
             WHERE revoked AND state = 'issued'""",
        """CREATE INDEX microcred_credentials_suspended ON microcred_credentials (suspension_list)
             WHERE suspended AND state = 'issued'""",
        # TOASTed and compressed by PostgreSQL past ~2 kB
        """CREATE TABLE microcred_documents (
             credential_seq BIGINT PRIMARY KEY REFERENCES microcred_credentials (seq),
             document BYTEA NOT NULL)""",
        """CREATE TABLE microcred_status_events (
             event_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             credential_seq BIGINT NOT NULL REFERENCES microcred_credentials (seq),
             status TEXT NOT NULL CHECK (status IN ('revoked', 'suspended', 'reinstated')),
             at TEXT NOT NULL,
             reason TEXT)""",
        "CREATE INDEX microcred_status_events_credential ON microcred_status_events (credential_seq)",
    ],
]
assert len(_MIGRATIONS) == SCHEMA_VERSION


def prepare(conn: psycopg.Connection[tuple[object, ...]], *, create: bool, now: str, source: str) -> int:
    """Inside an open transaction: check the ledger's schema, creating or migrating it under the
    advisory lock; the version found before any migration (0 for a new ledger).

    Raises :class:`LedgerError`: ``ledger.missing`` (none here and not ``create``), ``ledger.foreign``
    (a ``microcred_meta`` table that is not a ledger's), ``ledger.damaged`` or ``ledger.too_new``.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
    row = conn.execute("SELECT to_regclass('microcred_meta') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        stray = conn.execute("SELECT to_regclass('microcred_credentials') IS NOT NULL").fetchone()
        if stray is not None and stray[0]:
            raise LedgerError(
                "ledger tables without their microcred_meta table; restore the database from a backup",
                source=source,
                code="ledger.damaged",
            )
        if not create:
            raise LedgerError(
                "no ledger in this database (it is created by issuing with --ledger)",
                source=source,
                code="ledger.missing",
            )
        migrate(conn, 0, now)
        return 0
    meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM microcred_meta").fetchall()}
    if meta.get("format") != FORMAT_MARK:
        raise LedgerError(
            "a microcred_meta table that does not identify a microcred ledger; refusing to touch it",
            source=source,
            code="ledger.foreign",
        )
    try:
        version = int(str(meta.get("schema_version")))
    except ValueError:
        raise LedgerError(
            "the ledger's schema version is unreadable", source=source, code="ledger.damaged"
        ) from None
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"written by a newer microcred (ledger schema {version}; this version reads up "
            f"to {SCHEMA_VERSION}); upgrade microcred",
            source=source,
            code="ledger.too_new",
        )
    if version < SCHEMA_VERSION:
        migrate(conn, version, now)
    return version


def migrate(conn: psycopg.Connection[tuple[object, ...]], start: int, now: str) -> None:
    """Run the migrations from ``start`` to :data:`SCHEMA_VERSION` in the caller's transaction."""
    for version in range(start, SCHEMA_VERSION):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)  # fixed DDL text
        if version == 0:
            conn.execute(
                "INSERT INTO microcred_meta (key, value) VALUES ('format', %s), ('created_at', %s), "
                "('schema_version', '0')",
                (FORMAT_MARK, now),
            )
    conn.execute("UPDATE microcred_meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
