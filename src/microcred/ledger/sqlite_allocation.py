"""Allocating status-list indexes in the SQLite ledger: uniformly at random among the free indexes of
the newest list with room, never one that was ever taken (abandoned reservations included), in
constant time however full the list is.

Each list keeps its free indexes as a virtual array, positions ``0 .. size - used - 1``, in the table
``free_slots``: a position without a row holds its own index, so a fresh list costs no rows. Taking
an index draws a uniformly random position, hands out the index there and moves the last free
position's index into its place (a sparse Fisher–Yates shuffle): three keyed lookups and writes per
reservation, whatever the fill level, and at most ``min(used, size - used)`` rows per list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LedgerError
from .protocol import check_list_owner

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

TABLE = """CREATE TABLE free_slots (
     list_id INTEGER NOT NULL REFERENCES status_lists (list_id),
     pos INTEGER NOT NULL CHECK (pos >= 0),
     slot INTEGER NOT NULL CHECK (slot >= 0),
     PRIMARY KEY (list_id, pos)) WITHOUT ROWID"""


def build_free_slots(db: sqlite3.Connection, list_id: int, size: int, taken: set[int]) -> None:
    """Lay out the free-slot array of a list whose ``taken`` indexes were allocated another way (a
    migration): positions below the free count that hold a taken index get a free index from above."""
    free = size - len(taken)
    above = (index for index in range(free, size) if index not in taken)
    rows = [(list_id, pos, next(above)) for pos in sorted(i for i in taken if i < free)]
    db.executemany("INSERT INTO free_slots (list_id, pos, slot) VALUES (?, ?, ?)", rows)


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
        if row is not None:
            check_list_owner(row[4], issuer, base, self.source)
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
        free = size - used
        if free <= 0:
            raise LedgerError(
                "status list bookkeeping is inconsistent (no free index in a list marked not full)",
                source=self.source,
                code="ledger.damaged",
            )
        pos, last = self.randbelow(free), free - 1
        if not 0 <= pos < free:
            raise LedgerError(f"randbelow({free}) gave {pos}", code="ledger.error", source=self.source)
        moved = dict(
            db.execute(
                "SELECT pos, slot FROM free_slots WHERE list_id = ? AND pos IN (?, ?)", (list_id, pos, last)
            ).fetchall()
        )
        index = moved.get(pos, pos)  # a position without a row holds its own index
        if pos != last:
            db.execute(
                "INSERT OR REPLACE INTO free_slots (list_id, pos, slot) VALUES (?, ?, ?)",
                (list_id, pos, moved.get(last, last)),
            )
        if last in moved:
            db.execute("DELETE FROM free_slots WHERE list_id = ? AND pos = ?", (list_id, last))
        db.execute("UPDATE status_lists SET used = used + 1 WHERE list_id = ?", (list_id,))
        return list_id, url, index
