"""Status-list indexes in the PostgreSQL ledger (:class:`Allocating`): uniformly random, never one
that was ever taken, across any number of nodes.

The newest list's row is locked (``SELECT … FOR UPDATE``) until the reserving transaction commits, so
its ``used`` count is exact and two nodes never draw from it at the same moment; candidates are drawn
at random, a batch per round trip, and checked against the holders (rejection sampling, twice the
draws each round); a nearly full list is drawn from its exact free set. The unique index on (list,
index) stands behind it all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LedgerError
from .postgres_session import Session
from .protocol import check_list_owner

if TYPE_CHECKING:
    from .postgres_session import Conn

_RANDOM_TRIES = 6


class Allocating(Session):
    """A :class:`Session` that draws status-list indexes inside its transactions."""

    def _pick_many(
        self, db: Conn, base: str, purpose: str, issuer: str | None, now: str, count: int
    ) -> list[tuple[int, str, int]]:
        """``count`` distinct (list id, URL, index), each uniformly random among the free indexes of
        the newest list with room (rolling over to new lists), every list's row locked until commit."""
        out: list[tuple[int, str, int]] = []
        column = "revocation" if purpose == "revocation" else "suspension"
        while len(out) < count:
            list_id, url, size, used = self._newest_list(db, base, purpose, issuer, now)
            want = min(count - len(out), size - used)
            chosen: list[int] = []
            seen: set[int] = set()
            for round_no in range(_RANDOM_TRIES):  # rejection sampling: twice the draws each round
                draws = min(4096, (want - len(chosen)) << round_no)
                candidates = [self._randbelow(size) for _ in range(draws)]
                held = {
                    r[0]
                    for r in self._x(
                        db,
                        f"SELECT {column}_index FROM microcred_credentials "
                        f"WHERE {column}_list = %s AND {column}_index = ANY(%s)",
                        (list_id, candidates),
                    )
                }
                for c in candidates:
                    if c not in held and c not in seen and len(chosen) < want:
                        seen.add(c)
                        chosen.append(c)
                if len(chosen) == want:
                    break
            if len(chosen) < want:  # nearly full: draw from the exact free set
                free = [
                    r[0]
                    for r in self._x(
                        db,
                        f"SELECT i FROM generate_series(0, %s - 1) AS i WHERE NOT EXISTS (SELECT 1 FROM "
                        f"microcred_credentials WHERE {column}_list = %s AND {column}_index = i) ORDER BY i",
                        (size, list_id),
                    )
                    if r[0] not in seen
                ]
                while len(chosen) < want:
                    if not free:
                        raise LedgerError(
                            "status list bookkeeping is inconsistent (no free index in a list marked "
                            "not full)",
                            source=self.source,
                            code="ledger.damaged",
                        )
                    chosen.append(free.pop(self._randbelow(len(free))))
            self._x(
                db, "UPDATE microcred_status_lists SET used = used + %s WHERE list_id = %s", (want, list_id)
            )
            out += [(list_id, url, index) for index in chosen]
        return out

    def _newest_list(
        self, db: Conn, base: str, purpose: str, issuer: str | None, now: str
    ) -> tuple[int, str, int, int]:
        """(list id, URL, size, used) of the newest list under ``base`` with room, locked; a new one
        when it is full (two nodes starting the same list collide on its UNIQUE key: one retries)."""
        row = self._x(
            db,
            "SELECT list_id, url, size, used, issuer, seq FROM microcred_status_lists "
            "WHERE base_url = %s AND purpose = %s ORDER BY seq DESC LIMIT 1 FOR UPDATE",
            (base, purpose),
        ).fetchone()
        if row is not None:
            check_list_owner(row[4], issuer, base, self.source)
        if row is not None and row[3] < row[2]:
            if row[4] is None and issuer is not None:
                self._x(
                    db,
                    "UPDATE microcred_status_lists SET issuer = %s "
                    "WHERE base_url = %s AND purpose = %s AND issuer IS NULL",
                    (issuer, base, purpose),
                )
            return int(row[0]), row[1], row[2], row[3]
        number = 1 if row is None else row[5] + 1
        url = f"{base}/{purpose}-{number}"
        owner = issuer if row is None else (row[4] or issuer)
        created = self._x(
            db,
            "INSERT INTO microcred_status_lists (url, base_url, purpose, seq, size, used, issuer, "
            "created_at) VALUES (%s, %s, %s, %s, %s, 0, %s, %s) RETURNING list_id",
            (url, base, purpose, number, self._list_size, owner, now),
        ).fetchone()
        assert created is not None
        return int(created[0]), url, self._list_size, 0
