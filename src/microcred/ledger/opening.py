"""Choosing the ledger backend from where the ledger is (:func:`open_ledger`, what
:meth:`Ledger.open <microcred.ledger.protocol.Ledger.open>` and every ``--ledger`` option use).

``postgresql://…`` or ``postgres://…`` opens the PostgreSQL ledger (the ``[postgres]`` extra); a
path, or ``sqlite:///relative.db`` / ``sqlite:////absolute.db`` (SQLAlchemy's spelling), opens SQLite.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import LedgerError
from .sqlite import SQLiteLedger

if TYPE_CHECKING:
    from .protocol import Ledger

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def is_postgres(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` names a PostgreSQL ledger (a ``postgresql://`` connection URL)."""
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def open_ledger(target: str | os.PathLike[str], *, create: bool = True) -> Ledger:
    """Open the ledger ``target`` names, creating it if absent and ``create`` is true.

    Raises :class:`~microcred.errors.LedgerError`; ``ledger.unreadable`` when PostgreSQL is asked
    for but the ``[postgres]`` extra (psycopg) is not installed.
    """
    if is_postgres(target):
        try:
            from .postgres import PostgresLedger  # here: psycopg is an optional extra
        except ImportError as exc:
            raise LedgerError(
                "a PostgreSQL ledger needs psycopg: pip install 'microcred[postgres]'",
                code="ledger.unreadable",
            ) from exc
        return PostgresLedger.open(str(target), create=create)
    path = os.fspath(target)
    if isinstance(path, str) and path.lower().startswith(SQLITE_SCHEME):
        path = path[len(SQLITE_SCHEME) :]
        if not path:
            raise LedgerError("sqlite:/// needs a file path after it", code="ledger.missing")
    return SQLiteLedger.open(path, create=create)
