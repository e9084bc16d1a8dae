"""Allocating status-list indexes in the SQLite ledger: uniformly at random among the free indexes of
the newest list with room, never one that was ever taken (abandoned reservations included).

Rejection sampling while the list has room; once it is nearly full, the k-th free index is picked
exactly, bucket by bucket. (The last few thousand indexes of a list cost a scan per reservation: the
constant-time redesign is issue 15's.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LedgerError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

_RANDOM_TRIES = 32
_BUCKET = 1024


class Allocator:
    """Picks indexes inside one open transaction of the ledger ``db``."""

    def __init__(
        self, db: sqlite3.Connection, *, randbelow: Callable[[int], int], list_size: int, source: str
    ) -> None:
        self.db = db
        self.randbelow = randbelow
        self.list_size = list_size
        self.source = source

    def __call__(self, base: str, purpose: str, issuer: str | None, now: str) -> tuple[int, str, int]:
        """(list id, list URL, index): a uniformly random free index in the newest list with room for
        ``base``/``purpose``, starting a new list when it is full; ``ledger.issuer`` when the lists
        under ``base`` belong to another issuer."""
        db = self.db
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
                source=self.source,
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
                    self.list_size,
                    issuer if row is None else (row[4] or issuer),
                    now,
                ),
            )
            list_id, size, used = cursor.lastrowid, self.list_size, 0
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
            candidate = self.randbelow(size)
            if db.execute(taken, (list_id, candidate)).fetchone() is None:
                index = candidate
                break
        if index < 0:  # nearly full: pick the k-th free index exactly, bucket by bucket
            index = self._kth_free(column, list_id, size, self.randbelow(size - used))
        db.execute("UPDATE status_lists SET used = used + 1 WHERE list_id = ?", (list_id,))
        return list_id, url, index

    def _kth_free(self, column: str, list_id: int, size: int, k: int) -> int:
        db = self.db
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
            source=self.source,
            code="ledger.damaged",
        )
