"""The PostgreSQL ledger's connection: one per ledger, transactions run and retried (:class:`Session`).

A transaction that lost a race (a unique constraint), a serialization check or a deadlock is run again
from the start; after a lost connection (a server restart, ``pg_terminate_backend``) the connection is
reopened, waiting up to :data:`RECONNECT_S`, and the transaction run again unless COMMIT had been sent
for one that is not idempotent.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ..errors import LedgerError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

log = logging.getLogger(__name__)
T = TypeVar("T")
Conn = psycopg.Connection[tuple[Any, ...]]

#: Attempts of one transaction that lost to another (constraint race, serialization, deadlock).
RETRIES = 30
#: How long a lost connection is retried (a server restart), in seconds.
RECONNECT_S = 60.0
_RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected, pg_errors.UniqueViolation)


def redact(dsn: str) -> str:
    """The connection string without its password, for messages."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    params.pop("password", None)
    host, db = params.get("host") or "localhost", params.get("dbname") or "?"
    return f"postgresql ledger {db} on {host}"


class _Lost(Exception):
    """The connection broke; ``committing`` tells whether COMMIT had been sent."""

    def __init__(self, cause: BaseException, *, committing: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.committing = committing


class Session:
    """One connection to a PostgreSQL ledger and the transactions run on it."""

    def __init__(
        self,
        dsn: str,
        conn: Conn,
        *,
        now: Callable[[], datetime],
        randbelow: Callable[[int], int],
        list_size: int,
    ) -> None:
        self._dsn = dsn
        self._conn: Conn | None = conn
        self.source = redact(dsn)
        self._now = now
        self._randbelow = randbelow
        self._list_size = list_size
        #: Test hook: called with each statement's SQL before it runs inside a transaction.
        self._hook: Callable[[str], None] | None = None
        #: Transactions retried (lost races, serialization failures, lost connections), for figures.
        self.retries = 0

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> Conn:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._dsn, source=self.source, wait=RECONNECT_S)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None

    def _run(self, body: Callable[[Conn], T], *, idempotent: bool, begin: str = "BEGIN") -> T:
        """Run ``body`` in one transaction; retry it when it lost a race, a serialization check or a
        deadlock, and after a lost connection unless COMMIT had been sent and ``body`` is not
        ``idempotent`` (then whether it committed is unknown: ``ledger.error`` says so)."""
        deadline = time.monotonic() + RECONNECT_S
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(body, begin)
            except _RETRYABLE as exc:
                if attempt >= RETRIES:
                    raise LedgerError(
                        f"gave up after {attempt} attempts that each lost to another process ({exc})",
                        source=self.source,
                        code="ledger.busy",
                    ) from exc
                log.debug("retrying a ledger transaction: %s", exc)
            except _Lost as lost:
                self._drop()
                if lost.committing and not idempotent:
                    raise LedgerError(
                        "the connection broke while committing; the change may or may not have been "
                        f"made: look at the credential's status before trying again ({lost.cause})",
                        source=self.source,
                        code="ledger.error",
                    ) from lost.cause
                if time.monotonic() > deadline:
                    raise LedgerError(
                        f"lost the connection to the database and could not get it back: {lost.cause}",
                        source=self.source,
                        code="ledger.busy",
                    ) from lost.cause
                log.warning("lost the connection to %s (%s); retrying", self.source, lost.cause)
            except psycopg.Error as exc:
                raise LedgerError(
                    f"ledger operation failed: {exc}", source=self.source, code="ledger.error"
                ) from exc
            self.retries += 1
            time.sleep(min(0.5, 0.005 * 2 ** min(attempt, 7)) * (0.5 + secrets.randbelow(1000) / 1000))

    def _attempt(self, body: Callable[[Conn], T], begin: str) -> T:
        db = self._db()
        committing = False
        try:
            db.execute(begin)  # one of two fixed statements
            try:
                result = body(db)
            except BaseException:
                if not db.broken:
                    db.execute("ROLLBACK")
                raise
            committing = True
            db.execute("COMMIT")
            return result
        except psycopg.OperationalError as exc:
            if db.broken or db.closed or isinstance(exc, pg_errors.AdminShutdown):
                raise _Lost(exc, committing=committing) from exc
            raise

    def _x(self, db: Conn, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        if self._hook is not None:
            self._hook(sql)
        return db.execute(sql, args)  # fixed SQL text; values are parameters

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda db: db.execute(sql, args).fetchall(), idempotent=True)

    # ---- issuing ---------------------------------------------------------------------------


def connect(dsn: str, *, source: str | None = None, wait: float = 0.0) -> Conn:
    """A connection in autocommit mode (transactions are explicit), retried for ``wait`` seconds."""
    params = conninfo_to_dict(dsn)
    params.setdefault("application_name", "microcred")
    params.setdefault("connect_timeout", "10")
    conninfo = make_conninfo(**params)  # type: ignore[arg-type]
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return psycopg.connect(conninfo, autocommit=True, prepare_threshold=None)
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise LedgerError(
                    f"cannot connect to the database: {str(exc).strip()}",
                    source=source or redact(dsn),
                    code="ledger.unreadable",
                ) from exc
            time.sleep(delay)
            delay = min(1.0, delay * 2)
