"""The journal of issued rows kept in ``out_dir``: what makes a rerun without a ledger idempotent."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import _files
from ..errors import MicrocredError
from .digests import DigestTable, digest
from .output import DIR_SYNC_EVERY

if TYPE_CHECKING:
    from pathlib import Path

#: The journal of issued rows kept in ``out_dir`` (used for idempotency when there is no ledger).
JOURNAL_NAME = ".microcred-journal.jsonl"

log = logging.getLogger(__name__)


class Journal:
    """Append-only record of issued rows in out_dir: one JSON object per line, flushed per line.

    Loaded for reruns as a compact index (row key digest -> byte offset of its latest line), so a rerun
    of a large cohort without a ledger stays small too; a line is read back only when its row comes up.
    """

    def __init__(self, out_dir: Path, achievement_id: str, *, load: bool) -> None:
        self.path = out_dir / JOURNAL_NAME
        self.achievement_id = achievement_id
        self.index = DigestTable(wide=True)
        self.reader: Any = None
        # created 0600, never through a link, and only ever a regular file of this user
        self.handle = os.fdopen(_files.open_private(self.path, append=True), "ab")
        if self.handle.tell():
            try:
                self._load(keep=load)
            except BaseException:
                self.handle.close()
                raise
        if self.handle.tell() and self._ends_torn():
            log.info("the journal %s ends in a line torn by a crash; that row is issued again", self.path)
            self.handle.write(b"\n")  # a line torn by a crash ends here; the next one starts clean
        self.unsynced = 0

    def _open_read(self) -> BinaryIO:
        return os.fdopen(os.open(self.path, os.O_RDONLY | _files.NOFOLLOW | _files.CLOEXEC), "rb")

    def _ends_torn(self) -> bool:
        with self._open_read() as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"

    def _load(self, *, keep: bool) -> None:
        offset = 0
        with self._open_read() as handle:
            for raw in handle:
                entry = self._parse(raw)
                if entry is not None:
                    achievement, row_key = entry[0], entry[1]
                    if achievement != self.achievement_id:
                        raise MicrocredError(
                            f"{self.path.parent} already holds credentials for achievement {achievement!r}, "
                            f"not {self.achievement_id!r}; use a separate output folder for each achievement",
                            code="cohort.out_dir_conflict",
                            source=str(self.path),
                        )
                    if keep:
                        self.index.put(digest("j", row_key), offset)
                offset += len(raw)
        if keep and self.index.count:
            self.reader = self._open_read()

    @staticmethod
    def _parse(raw: bytes) -> tuple[str, str, str, str, str] | None:
        try:
            entry = json.loads(raw)
            return entry["a"], entry["k"], entry["id"], entry["f"], entry["h"]
        except (ValueError, KeyError, TypeError):  # a torn line after a crash: that row is issued again
            return None

    def get(self, row_key: str) -> tuple[str, str, str] | None:
        """(credential id, file, sha256) of the latest line for ``row_key``, or None."""
        offset = self.index.get(digest("j", row_key))
        if offset is None or self.reader is None:
            return None
        self.reader.seek(offset)
        entry = self._parse(self.reader.readline())
        if entry is None or entry[1] != row_key:  # a digest collision: treat the row as not issued
            return None
        return entry[2], entry[3], entry[4]

    def append(self, row_key: str, credential_id: str, file: str, sha: str) -> None:
        line = {"a": self.achievement_id, "k": row_key, "id": credential_id, "f": file, "h": sha}
        self.handle.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        self.handle.flush()
        self.unsynced += 1
        if self.unsynced >= DIR_SYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        _files.sync_file(self.handle.fileno())
        self.unsynced = 0

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.sync()
        self.handle.close()
        if self.reader is not None:
            self.reader.close()
