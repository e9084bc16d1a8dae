"""The signed documents in the SQLite ledger, kept apart from the credential rows (table ``documents``,
one row per issued credential) and compressed where it pays.

Credentials of one achievement are nearly identical (the achievement, issuer and context blocks; only
ids, recipient, dates, status entries and the proof differ), so each document is deflated (zlib) with
a *preset dictionary*: the first document recorded for its achievement, kept once in the table
``dictionaries``. A Data Integrity credential of ~7 KB then takes ~0.3 KB, a VC-JWT of ~4.7 KB ~1 KB
(base64 hides part of the repetition). A document that does not shrink is kept as it is (``raw``).
The exact bytes come back for re-delivery and audit, and everything needed to inflate them is in
the ledger file itself.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from ..errors import LedgerError

if TYPE_CHECKING:
    import sqlite3

#: zlib uses at most the last 32 KiB of a preset dictionary.
_WINDOW = 32 * 1024
_LEVEL = 6

TABLES = [
    """CREATE TABLE dictionaries (
         dictionary_id INTEGER PRIMARY KEY,
         achievement_id TEXT NOT NULL UNIQUE,
         content BLOB NOT NULL)""",
    """CREATE TABLE documents (
         seq INTEGER PRIMARY KEY REFERENCES credentials (seq),
         codec TEXT NOT NULL CHECK (codec IN ('raw', 'zlib')),
         dictionary_id INTEGER REFERENCES dictionaries (dictionary_id),
         length INTEGER NOT NULL CHECK (length >= 0),
         body BLOB NOT NULL,
         CHECK (codec = 'raw' OR dictionary_id IS NOT NULL))""",
]


class DocumentStore:
    """Writes and reads ``documents`` inside the ledger's transactions; caches the dictionaries
    (immutable once committed) by id and by achievement. The ledger calls :meth:`forget` when a
    transaction rolls back, so nothing it wrote and undid stays cached."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._dictionaries: dict[int, bytes] = {}
        self._by_achievement: dict[str, int] = {}

    def forget(self) -> None:
        """Drop the caches (after a rollback)."""
        self._dictionaries.clear()
        self._by_achievement.clear()

    def _dictionary(self, db: sqlite3.Connection, dictionary_id: int) -> bytes:
        content = self._dictionaries.get(dictionary_id)
        if content is None:
            row = db.execute(
                "SELECT content FROM dictionaries WHERE dictionary_id = ?", (dictionary_id,)
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"damaged: document dictionary {dictionary_id} is missing",
                    source=self.source,
                    code="ledger.damaged",
                )
            content = bytes(row[0])
            if len(self._dictionaries) >= 256:
                self._dictionaries.clear()
            self._dictionaries[dictionary_id] = content
        return content

    def put(self, db: sqlite3.Connection, seq: int, achievement_id: str, data: bytes) -> None:
        """Store ``data`` for credential ``seq`` (inside the caller's transaction)."""
        known = self._by_achievement.get(achievement_id)  # dictionaries are never replaced or removed
        row = (
            (known,)
            if known is not None
            else db.execute(
                "SELECT dictionary_id FROM dictionaries WHERE achievement_id = ?", (achievement_id,)
            ).fetchone()
        )
        if row is None:
            cursor = db.execute(
                "INSERT INTO dictionaries (achievement_id, content) VALUES (?, ?)",
                (achievement_id, data[-_WINDOW:]),
            )
            assert cursor.lastrowid is not None
            dictionary_id = cursor.lastrowid
        else:
            dictionary_id = row[0]
        if len(self._by_achievement) >= 4096:
            self._by_achievement.clear()
        self._by_achievement[achievement_id] = dictionary_id
        packer = zlib.compressobj(_LEVEL, zdict=self._dictionary(db, dictionary_id))
        packed = packer.compress(data) + packer.flush()
        args: tuple[int, str, int | None, int, bytes]
        if len(packed) < len(data):
            args = (seq, "zlib", dictionary_id, len(data), packed)
        else:
            args = (seq, "raw", None, len(data), data)
        db.execute(
            "INSERT INTO documents (seq, codec, dictionary_id, length, body) VALUES (?, ?, ?, ?, ?)", args
        )

    def get(self, db: sqlite3.Connection, seq: int) -> bytes | None:
        """The exact bytes stored for credential ``seq``, or None."""
        row = db.execute(
            "SELECT codec, dictionary_id, length, body FROM documents WHERE seq = ?", (seq,)
        ).fetchone()
        if row is None:
            return None
        codec, dictionary_id, length, body = row
        if codec == "raw":
            data = bytes(body)
        else:
            try:
                unpacker = zlib.decompressobj(zdict=self._dictionary(db, dictionary_id))
                data = unpacker.decompress(body, length + 1)  # bounded: a damaged row cannot balloon
            except zlib.error as exc:
                raise LedgerError(
                    f"damaged: the document of credential {seq} does not inflate ({exc})",
                    source=self.source,
                    code="ledger.damaged",
                ) from exc
        if len(data) != length:
            raise LedgerError(
                f"damaged: the document of credential {seq} has {len(data)} bytes, not {length}",
                source=self.source,
                code="ledger.damaged",
            )
        return data
