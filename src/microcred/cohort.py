"""Cohort issuance: read a learner CSV as a stream, sign across processes, write one file per learner.

The flow, in chunks of rows (DESIGN.md §6, §7)::

    read + validate row ─► already issued? (ledger, else the out_dir journal) ─► reserve status entries
      (this process)                                                          (ledger, one commit)
                                                                                     │
    summary row ◄─ journal line ◄─ write file ◄─ record signed bytes ◄─ build + sign (worker process)
                                                 (ledger, one commit)

This process is the single writer (ledger, files, journal, summary); workers only build and sign
(and bake). At most ``max_in_flight`` rows are between "read" and "written", so memory stays flat
however large the cohort: rows stream in, files stream out, and the summary is streamed to disk.

**Idempotency.** Each row has a key (the ``row_key`` column, else the normalised recipient). With a
ledger, a row whose (achievement, row key) is recorded as issued is skipped, and its file is rewritten
from the ledger's copy if it is missing or changed; a reserved but never signed row is issued again.
The signed bytes are recorded *before* the file is written, so no file exists that the ledger does not
know. Without a ledger, ``out_dir/.microcred-journal.jsonl`` plays that part: a line is appended (and
flushed) only after the credential file is in place (temp file, fsync, rename), and a row is skipped
only when its journal line names a file that is still there with the same SHA-256; a crash between
the two issues the row again, overwriting the file.

**CSV format** (UTF-8, with or without BOM; comma separated; header names are case-insensitive and
spaces/hyphens count as underscores):

=====================  =========================================================================
``recipient``          email address (``mailto:`` optional) or DID; ``email`` or ``did`` also
                       name this column (exactly one of the three must be present)
``name``               the learner's name, any script (optional)
``grade``              a grade or score, free text (optional)
``evidence_url``       an http(s) URL of evidence (optional); ``evidence_name`` and
                       ``evidence_narrative`` describe it (optional)
``valid_from``         ISO 8601 date (midnight UTC) or date-time with a timezone (optional)
``valid_until``        the same; must be after ``valid_from`` (optional)
``awarded_date``       the same (optional)
``row_key``            a stable key for idempotent reruns (optional; default: the normalised
                       recipient: a lower-cased email address, or the DID as written)
=====================  =========================================================================

Any other column is an error (so a typo such as ``evidance_url`` is not silently dropped), except
``notes``, ``note``, ``comment``, ``comments`` and names starting with ``x_`` (or ``x-``), which are
ignored, as are unnamed columns that hold no values. Blank lines are skipped. A recipient or row key
that repeats an earlier line is an error on the later line.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import functools
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
import unicodedata
import uuid
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from . import _time
from .errors import MicrocredError
from .issuing import default_status_base_url, record, reserve, sign, with_status
from .keys.algorithms import default_cryptosuite, default_format
from .ledger.protocol import Ledger, Reservation, ReserveRequest

__all__ = [
    "COHORT_COLUMNS",
    "IGNORED_COLUMNS",
    "JOURNAL_NAME",
    "LOCK_NAME",
    "SUMMARY_CSV",
    "SUMMARY_DIR",
    "SUMMARY_JSON",
    "CohortEvent",
    "CohortInterrupted",
    "CohortResult",
    "CohortRow",
    "CohortRowError",
    "CohortSummary",
    "count_cohort_rows",
    "credential_file_name",
    "issue_many",
    "iter_summary",
    "read_cohort",
    "run_cohort_command",
    "scan_cohort",
]

#: Every column the cohort CSV understands (after normalising the header name).
COHORT_COLUMNS = (
    "recipient",
    "email",
    "did",
    "name",
    "grade",
    "evidence_url",
    "evidence_name",
    "evidence_narrative",
    "valid_from",
    "valid_until",
    "awarded_date",
    "row_key",
)
#: Columns that are read and ignored; names starting with ``x_`` are ignored too.
IGNORED_COLUMNS = frozenset({"notes", "note", "comment", "comments"})
#: The journal of issued rows kept in ``out_dir`` (used for idempotency when there is no ledger).
JOURNAL_NAME = ".microcred-journal.jsonl"
#: Held (flock) by a run, so that two runs never write into one ``out_dir`` at once.
LOCK_NAME = ".microcred-cohort.lock"
#: The per-row summary of the last run: ``out_dir/summary/summary.csv`` and ``.json`` (in a folder of
#: their own, so that ``microcred verify out_dir`` sees only credentials).
SUMMARY_DIR = "summary"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
_TMP_PREFIX = ".mc-tmp-"
_RECIPIENT_COLUMNS = ("recipient", "email", "did")
_MAX_TEXT = 1000
_DIR_SYNC_EVERY = 256
_CHUNK = 32

RowStatus = Literal["issued", "skipped-existing", "failed"]
OnError = Literal["skip", "stop"]


# ------------------------------------------------------------------------------------------- errors


class CohortRowError(MicrocredError, ValueError):
    """A cohort CSV row (or its header, line 1) is invalid: ``line``, ``field`` and why."""

    code = "cohort.row_invalid"

    def __init__(
        self,
        line: int,
        field: str | None,
        message: str,
        *,
        source: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, path=field, source=source, code=code)
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}" if self.source else f"line {self.line}"
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> Any:  # keep it picklable (keyword-only arguments)
        return (_rebuild_row_error, (self.line, self.field, self.message, self.source, self.code))


def _rebuild_row_error(
    line: int, fld: str | None, message: str, source: str | None, code: str
) -> CohortRowError:
    return CohortRowError(line, fld, message, source=source, code=code)


class CohortInterrupted(KeyboardInterrupt):
    """A cohort run stopped on SIGINT after finishing its in-flight rows; ``summary`` says what was done."""

    def __init__(self, summary: CohortSummary) -> None:
        super().__init__("cohort run interrupted")
        self.summary = summary


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One validated learner row. ``recipient`` is normalised (lower-cased email or DID)."""

    line: int
    recipient: str
    row_key: str
    name: str | None = None
    grade: str | None = None
    evidence_url: str | None = None
    evidence_name: str | None = None
    evidence_narrative: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    awarded_date: datetime | None = None


_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@(?:[^@\s<>()\[\],;:\"\\.]+\.)+[^@\s<>()\[\],;:\"\\.]{2,}$")
_DID = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._%-]*:)*[A-Za-z0-9._%-]+$")


def _norm_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFC", name).strip().lower())


def _text(value: str, line: int, fld: str, source: str | None, *, multiline: bool = False) -> str | None:
    value = unicodedata.normalize("NFC", value.strip())
    if multiline:
        value = value.replace("\r\n", "\n")
    if not value:
        return None
    if len(value) > _MAX_TEXT:
        raise CohortRowError(
            line, fld, f"is {len(value)} characters long; at most {_MAX_TEXT} are allowed", source=source
        )
    allowed = "\n\t" if multiline else ""
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in allowed), None)
    if bad is not None:
        raise CohortRowError(line, fld, f"contains the control character U+{ord(bad):04X}", source=source)
    return value


def _recipient(value: str, line: int, fld: str, source: str | None) -> str:
    text = _text(value, line, fld, source)
    if text is None:
        raise CohortRowError(line, fld, "is empty; every row needs an email address or a DID", source=source)
    if text.lower().startswith("did:"):
        if not _DID.match(text):
            raise CohortRowError(line, fld, f"{text!r} is not a valid DID (did:<method>:<id>)", source=source)
        return text
    email = text[7:] if text.lower().startswith("mailto:") else text
    if not _EMAIL.match(email):
        raise CohortRowError(line, fld, f"{text!r} is not an email address or a DID", source=source)
    return email.lower()


def _url(value: str, line: int, fld: str, source: str | None) -> str | None:
    text = _text(value, line, fld, source)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise CohortRowError(line, fld, f"{text!r} is not an http(s) URL", source=source)
    return text


def _when(value: str, line: int, fld: str, source: str | None) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        return _time.parse_date_or_datetime(text)
    except _time.DateTimeError as exc:
        if exc.no_timezone:
            why = "has no timezone; add Z or an offset such as +01:00"
        elif len(text) == 10:
            why = "is not a calendar date"
        else:
            why = "is not an ISO 8601 date (2026-01-31) or date-time (2026-01-31T09:00:00Z)"
        raise CohortRowError(line, fld, f"{text!r} {why}", source=source) from None


class _SeenTable:
    """A compact map from 64-bit digests to numbers (a line, a byte offset): open addressing over two
    arrays, 24 to 32 bytes per entry at most (a dict takes over 100), so large cohorts stay small."""

    def __init__(self, size: int = 1024, *, wide: bool = False) -> None:
        self.code = "Q" if wide else "I"
        self.size = size
        self.count = 0
        self.keys = array("Q", bytes(8 * size))
        self.values = array(self.code, bytes(array(self.code).itemsize * size))

    def _slot(self, digest: int) -> int:
        mask = self.size - 1
        i = digest & mask
        while self.keys[i] not in (0, digest):
            i = (i + 1) & mask
        return i

    def get(self, digest: int) -> int | None:
        """The number recorded for ``digest``, or None."""
        i = self._slot(digest or 1)
        return self.values[i] if self.keys[i] else None

    def add(self, digest: int, value: int) -> None:
        """Record ``value`` for ``digest`` unless it has one already."""
        self._set(digest or 1, value, replace=False)

    def put(self, digest: int, value: int) -> None:
        """Record ``value`` for ``digest``, replacing what it had."""
        self._set(digest or 1, value, replace=True)

    def _set(self, digest: int, value: int, *, replace: bool) -> None:  # 0 marks an empty slot
        i = self._slot(digest)
        if self.keys[i]:
            if replace:
                self.values[i] = value
            return
        self.keys[i], self.values[i] = digest, value
        self.count += 1
        if 2 * self.count > self.size:
            keys, values = self.keys, self.values
            self.size *= 2
            self.keys = array("Q", bytes(8 * self.size))
            self.values = array(self.code, bytes(array(self.code).itemsize * self.size))
            for k, v in zip(keys, values, strict=True):
                if k:
                    j = self._slot(k)
                    self.keys[j], self.values[j] = k, v


def _digest(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}\0{value}".encode(), digest_size=8).digest(), "big")


class _Header:
    def __init__(self, cells: list[str], source: str | None) -> None:
        self.source = source
        self.index: dict[str, int] = {}
        self.silent: list[int] = []  # unnamed columns: must stay empty
        for i, raw in enumerate(cells):
            name = _norm_header(raw)
            if not name:
                self.silent.append(i)
                continue
            if name in IGNORED_COLUMNS or name.startswith("x_"):
                continue
            if name not in COHORT_COLUMNS:
                raise CohortRowError(
                    1,
                    raw.strip(),
                    f"unknown column {raw.strip()!r}; known columns: {', '.join(COHORT_COLUMNS)} "
                    f"(columns named {', '.join(sorted(IGNORED_COLUMNS))} or starting with x_ are ignored)",
                    source=source,
                    code="cohort.header_invalid",
                )
            if name in self.index:
                raise CohortRowError(
                    1,
                    raw.strip(),
                    f"column {name!r} appears twice",
                    source=source,
                    code="cohort.header_invalid",
                )
            self.index[name] = i
        present = [c for c in _RECIPIENT_COLUMNS if c in self.index]
        if not present:
            raise CohortRowError(
                1,
                None,
                "the header has no recipient column; name one column "
                "'recipient' (or 'email' or 'did') holding each learner's email address or DID",
                source=source,
                code="cohort.header_invalid",
            )
        if len(present) > 1:
            raise CohortRowError(
                1,
                present[1],
                f"columns {' and '.join(present)} both name the recipient; keep exactly one",
                source=source,
                code="cohort.header_invalid",
            )
        self.recipient_column = present[0]
        self.width = len(cells)

    def get(self, cells: list[str], name: str) -> str:
        i = self.index.get(name)
        return cells[i] if i is not None and i < len(cells) else ""


def _parse_row(header: _Header, cells: list[str], line: int) -> CohortRow:
    source = header.source
    if len(cells) > header.width and any(c.strip() for c in cells[header.width :]):
        raise CohortRowError(
            line, None, f"the row has {len(cells)} fields but the header has {header.width}", source=source
        )
    for i in header.silent:
        if i < len(cells) and cells[i].strip():
            raise CohortRowError(
                line,
                f"column {i + 1}",
                f"holds {cells[i].strip()!r} but the column has no name in the header",
                source=source,
            )
    rcol = header.recipient_column
    recipient = _recipient(header.get(cells, rcol), line, rcol, source)
    row_key = _text(header.get(cells, "row_key"), line, "row_key", source) or recipient
    valid_from = _when(header.get(cells, "valid_from"), line, "valid_from", source)
    valid_until = _when(header.get(cells, "valid_until"), line, "valid_until", source)
    if valid_from and valid_until and valid_until <= valid_from:
        raise CohortRowError(
            line,
            "valid_until",
            f"{valid_until.isoformat()} is not after valid_from {valid_from.isoformat()}",
            source=source,
        )
    return CohortRow(
        line=line,
        recipient=recipient,
        row_key=row_key,
        name=_text(header.get(cells, "name"), line, "name", source),
        grade=_text(header.get(cells, "grade"), line, "grade", source),
        evidence_url=_url(header.get(cells, "evidence_url"), line, "evidence_url", source),
        evidence_name=_text(header.get(cells, "evidence_name"), line, "evidence_name", source),
        evidence_narrative=_text(
            header.get(cells, "evidence_narrative"), line, "evidence_narrative", source, multiline=True
        ),
        valid_from=valid_from,
        valid_until=valid_until,
        awarded_date=_when(header.get(cells, "awarded_date"), line, "awarded_date", source),
    )


def _records(handle: TextIO, source: str | None) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) for each CSV record, blank lines skipped."""
    reader = csv.reader(handle, strict=True)
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CohortRowError(
                last + 1, None, f"malformed CSV: {exc}", source=source, code="cohort.csv_invalid"
            ) from None
        except UnicodeDecodeError as exc:
            raise CohortRowError(
                reader.line_num + 1,
                None,
                f"the file is not UTF-8 text ({exc.reason} at byte "
                f"{exc.start} of the chunk being read); save it as UTF-8 and retry",
                source=source,
                code="cohort.csv_invalid",
            ) from None
        first, last = last + 1, reader.line_num
        if any(c.strip() for c in cells):
            yield first, cells


def scan_cohort(path: str | os.PathLike[str]) -> Iterator[CohortRow | CohortRowError]:
    """Stream a cohort CSV: a :class:`CohortRow` per valid row, a :class:`CohortRowError` per bad one.

    Problems with the file as a whole (no such file, not UTF-8, malformed CSV, a bad header) are raised.
    A recipient or row key that repeats an earlier row gives an error on the later line.
    """
    source = str(path)
    seen = _SeenTable()
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise CohortRowError(
            0,
            None,
            f"cannot open the cohort file: {exc.strerror or exc}",
            source=source,
            code="cohort.unreadable",
        ) from None
    try:
        records = _records(handle, source)
        first = next(records, None)
        if first is None:
            raise CohortRowError(
                1,
                None,
                "the file is empty; the first line must be a header such as 'recipient,name,grade'",
                source=source,
                code="cohort.header_invalid",
            )
        header = _Header(first[1], source)
        for line, cells in records:
            try:
                row = _parse_row(header, cells, line)
                keys = [("r", row.recipient, header.recipient_column)]
                if row.row_key != row.recipient:
                    keys.append(("k", row.row_key, "row_key"))
                for kind, value, fld in keys:
                    earlier = seen.get(_digest(kind, value))
                    if earlier is not None:
                        what = "recipient" if kind == "r" else "row key"
                        raise CohortRowError(
                            line,
                            fld,
                            f"duplicate {what} {value!r}: already on line {earlier}",
                            source=source,
                            code="cohort.duplicate",
                        )
                for kind, value, _ in keys:
                    seen.add(_digest(kind, value), line)
            except CohortRowError as exc:
                yield exc
                continue
            yield row
    finally:
        handle.close()


def read_cohort(path: str | os.PathLike[str]) -> Iterator[CohortRow]:
    """Stream the rows of a cohort CSV; raise :class:`CohortRowError` (with its line) at the first bad row."""
    for item in scan_cohort(path):
        if isinstance(item, CohortRowError):
            raise item
        yield item


def count_cohort_rows(path: str | os.PathLike[str]) -> int:
    """The number of non-blank data rows (a quick streaming pass, no validation), for progress bars."""
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as handle:
        n = sum(1 for cells in csv.reader(handle) if any(c.strip() for c in cells))
    return max(n - 1, 0)


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class CohortResult:
    """What happened to one row. ``file`` and ``image`` are relative to ``out_dir``."""

    line: int
    recipient: str
    row_key: str
    status: RowStatus
    credential_id: str | None = None
    file: str | None = None
    image: str | None = None
    error_code: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CohortEvent:
    """Passed to ``progress`` after each row: its result and the counts so far."""

    result: CohortResult
    issued: int
    skipped_existing: int
    failed: int


@dataclass
class CohortSummary:
    """The outcome of a cohort run (the per-row results are in ``summary_csv`` / ``summary_json``)."""

    out_dir: Path
    achievement_id: str | None
    issued: int = 0
    skipped_existing: int = 0
    failed: int = 0
    interrupted: bool = False
    stopped_at_line: int | None = None
    first_error: str | None = None
    elapsed_seconds: float = 0.0
    summary_csv: Path | None = None
    summary_json: Path | None = None

    @property
    def total(self) -> int:
        """Rows seen: issued + skipped-existing + failed."""
        return self.issued + self.skipped_existing + self.failed

    @property
    def rate(self) -> float:
        """Credentials issued per second in this run."""
        return self.issued / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        """True when every row is issued (now or before) and the run was neither stopped nor interrupted."""
        return not self.failed and not self.interrupted and self.stopped_at_line is None

    def to_dict(self) -> dict[str, Any]:
        """Counts and paths, for ``--json`` (the rows themselves are in the summary files)."""
        return {
            "out_dir": str(self.out_dir),
            "achievement_id": self.achievement_id,
            "counts": {
                "issued": self.issued,
                "skipped-existing": self.skipped_existing,
                "failed": self.failed,
                "total": self.total,
            },
            "interrupted": self.interrupted,
            "stopped_at_line": self.stopped_at_line,
            "first_error": self.first_error,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "credentials_per_second": round(self.rate, 1),
            "summary_csv": str(self.summary_csv) if self.summary_csv else None,
            "summary_json": str(self.summary_json) if self.summary_json else None,
        }

    def to_text(self) -> str:
        """One line for a person."""
        text = f"{self.issued} issued, {self.skipped_existing} already issued, {self.failed} failed"
        if self.stopped_at_line is not None:
            text += f" (stopped at line {self.stopped_at_line})"
        elif self.interrupted:
            text += " (interrupted)"
        speed = f"{self.elapsed_seconds:.1f} s ({self.rate:.1f} credentials/s)"
        return f"{text} in {speed}; summary: {self.summary_csv}"


_SUMMARY_FIELDS = [f for f in CohortResult.__dataclass_fields__]


def iter_summary(out_dir: str | os.PathLike[str]) -> Iterator[CohortResult]:
    """Read back the per-row results of the last run from ``out_dir/summary/summary.csv``."""
    with open(Path(out_dir) / SUMMARY_DIR / SUMMARY_CSV, encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            fields: dict[str, Any] = {k: (v if v != "" else None) for k, v in rec.items()}
            fields["line"] = int(rec["line"])
            yield CohortResult(**fields)


# ---------------------------------------------------------------------------------------- file names


@functools.lru_cache(maxsize=1024)
def credential_file_name(row_key: str) -> str:
    """A file stem for a row key: readable, safe in any script and on any file system, unique by hash.

    Letters and digits of every script are kept (NFC); everything else becomes ``_``; the stem is cut to
    at most 80 UTF-8 bytes and followed by 10 hex characters of the key's SHA-256, so two keys that
    differ only in case or punctuation still get different names.
    """
    key = unicodedata.normalize("NFC", row_key)
    for prefix in ("mailto:", "did:"):
        if key.lower().startswith(prefix):
            key = key[len(prefix) :]
    slug = "".join(c if (c.isalnum() or c in "-.@") else "_" for c in key)
    slug = re.sub(r"_+", "_", slug).strip("._-") or "learner"
    raw = slug.encode("utf-8")[:80]
    slug = raw.decode("utf-8", errors="ignore").rstrip("._-") or "learner"
    digest = hashlib.sha256(row_key.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}"


def _atomic_write(path: Path, data: bytes, fsync: bool = True) -> None:
    """Write to a temp file in the same folder, fsync it (unless told not to), rename it into place."""
    tmp = path.with_name(f"{_TMP_PREFIX}{os.getpid()}-{path.name}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        if fsync:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)


def _write_all(folder: Path, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        _atomic_write(folder / name, data, fsync=False)


def _sync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------------ worker signing


@dataclass
class _Shared:
    """What every job of a run shares: the achievement definition, the key (PKCS#8 DER and its ids),
    the badge image to bake, the clock and the cryptosuite. Our own worker processes receive it once,
    through the pool's initializer, and cache it by ``fingerprint``; ``obj`` (the loaded key, for
    in-process and thread executors) is never pickled.
    """

    fingerprint: str
    algorithm: str
    der: bytes
    key_id: str
    controller: str
    definition: Any = None
    bake: bytes | None = None
    obj: Any = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["obj"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def light(self) -> _Shared:
        """The same, without its payload: for jobs sent to workers that were given it already."""
        return replace(self, der=b"", definition=None, bake=None, obj=None)


_WORKER_CACHE: dict[str, tuple[Any, Any, bytes | None]] = {}  # fingerprint -> (key, definition, image)
_WORKER_LOCK = threading.Lock()


def _shared(key: Any, definition: Any, bake: bytes | None) -> _Shared:
    import pickle

    from cryptography.hazmat.primitives import serialization

    if getattr(key, "private_key", None) is None:
        raise MicrocredError(
            "the key has no private part; issuing needs the issuer's private key", code="key.public_only"
        )
    der = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    digest = hashlib.sha256(der)
    for part in (key.key_id.encode(), key.controller.encode(), pickle.dumps(definition), bake or b""):
        digest.update(hashlib.sha256(part).digest())
    return _Shared(digest.hexdigest(), key.algorithm, der, key.key_id, key.controller, definition, bake, key)


def _load_key(shared: _Shared) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    from .keys.material import IssuerKey

    private = load_der_private_key(shared.der, password=None)
    return IssuerKey(shared.algorithm, private.public_key(), private, shared.key_id, shared.controller)  # type: ignore[arg-type]


def _worker_context(shared: _Shared) -> tuple[Any, Any, bytes | None]:
    """(key, definition, image) for a job: the shared object in-process, else this process's cached copy."""
    if shared.obj is not None:
        return shared.obj, shared.definition, shared.bake
    cached = _WORKER_CACHE.get(shared.fingerprint)
    if cached is None:
        if not shared.der:
            raise RuntimeError("a cohort worker process was not initialised with the signing key")
        with _WORKER_LOCK:
            cached = _WORKER_CACHE.get(shared.fingerprint)
            if cached is None:
                cached = _WORKER_CACHE[shared.fingerprint] = (
                    _load_key(shared),
                    shared.definition,
                    shared.bake,
                )
    return cached


def _orphan_watch(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (kill -9): do not linger as an orphan
            os._exit(1)


def _worker_init(shared: _Shared | None = None) -> None:
    """Initializer for worker processes: ignore SIGINT (the parent decides when to stop), exit if the
    parent dies, and cache what the jobs share."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphan_watch, args=(os.getppid(),), daemon=True, name="microcred-orphan").start()
    if shared is not None:  # with "fork" the object arrives as is, key included
        key = shared.obj or _load_key(shared)
        _WORKER_CACHE[shared.fingerprint] = (key, shared.definition, shared.bake)


@dataclass(frozen=True, slots=True)
class _SignJob:
    """One learner: the row, the credential id, and the status entry the ledger reserved for it."""

    row: CohortRow
    credential_id: str
    reservation: Reservation | None
    shared: _Shared
    format: str
    cryptosuite: str
    now: datetime
    salt: str | None


@dataclass(frozen=True, slots=True)
class _Signed:
    credential_id: str
    data: bytes
    suffix: str
    image: bytes | None


def _bake(image: bytes, data: bytes, fmt: str) -> bytes:
    from .baking import bake

    text = data.decode("utf-8")
    return bake(image, text.strip() if fmt == "jwt" else json.loads(text))


def _sign_job(job: _SignJob) -> _Signed:
    """Runs in a worker: build the learner's credential, sign it (and bake it); return the bytes to write."""
    key, definition, bake = _worker_context(job.shared)
    credential = _build_unsigned(
        definition,
        job.row,
        issuer_id=key.controller,
        now=job.now,
        credential_id=job.credential_id,
        salt=job.salt,
    )
    if job.reservation is not None:
        credential = with_status(credential, job.reservation)
    issued = sign(
        credential,
        key,
        format=job.format,  # type: ignore[arg-type]
        cryptosuite=job.cryptosuite,
        created=job.now,
        now=job.now,
    )
    data = issued.serialize().encode("utf-8")
    image = _bake(bake, data, job.format) if bake is not None else None
    return _Signed(issued.id, data, issued.suffix, image)


class _InlineExecutor(cf.Executor):
    """Runs each job at submit time, in this thread (``workers=1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered through the future, like any executor
            future.set_exception(exc)
        return future


# -------------------------------------------------------------------------------------- build glue


def _build_unsigned(
    definition: Any, row: CohortRow, *, issuer_id: str, now: datetime, credential_id: str, salt: str | None
) -> dict[str, Any]:
    from .builder import build_credential
    from .model import Evidence, Recipient, Result

    recipient = Recipient.parse(row.recipient, row.name, salt=salt)
    evidence: tuple[Evidence, ...] = ()
    if row.evidence_url is not None:
        evidence = (Evidence(id=row.evidence_url, name=row.evidence_name, narrative=row.evidence_narrative),)
    return build_credential(
        definition,
        recipient,
        issuer_id=issuer_id,
        now=now,
        credential_id=credential_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        awarded_date=row.awarded_date,
        result=Result(row.grade) if row.grade is not None else None,
        evidence=evidence,
    )


def _image_suffix(image: bytes) -> str:
    return ".png" if image.startswith(b"\x89PNG") else ".svg"


# ------------------------------------------------------------------------------------- idempotency


class _Journal:
    """Append-only record of issued rows in out_dir: one JSON object per line, flushed per line.

    Loaded for reruns as a compact index (row key digest -> byte offset of its latest line), so a rerun
    of a large cohort without a ledger stays small too; a line is read back only when its row comes up.
    """

    def __init__(self, out_dir: Path, achievement_id: str, *, load: bool) -> None:
        self.path = out_dir / JOURNAL_NAME
        self.achievement_id = achievement_id
        self.index = _SeenTable(wide=True)
        self.reader: Any = None
        if self.path.exists():
            self._load(keep=load)
        self.handle = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        if self.handle.tell() and self._ends_torn():
            self.handle.write(b"\n")  # a line torn by a crash ends here; the next one starts clean
        self.unsynced = 0

    def _ends_torn(self) -> bool:
        with open(self.path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"

    def _load(self, *, keep: bool) -> None:
        offset = 0
        with open(self.path, "rb") as handle:
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
                        self.index.put(_digest("j", row_key), offset)
                offset += len(raw)
        if keep and self.index.count:
            self.reader = open(self.path, "rb")  # noqa: SIM115 - closed by close()

    @staticmethod
    def _parse(raw: bytes) -> tuple[str, str, str, str, str] | None:
        try:
            entry = json.loads(raw)
            return entry["a"], entry["k"], entry["id"], entry["f"], entry["h"]
        except (ValueError, KeyError, TypeError):  # a torn line after a crash: that row is issued again
            return None

    def get(self, row_key: str) -> tuple[str, str, str] | None:
        """(credential id, file, sha256) of the latest line for ``row_key``, or None."""
        offset = self.index.get(_digest("j", row_key))
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
        if self.unsynced >= _DIR_SYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        os.fsync(self.handle.fileno())
        self.unsynced = 0

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.sync()
        self.handle.close()
        if self.reader is not None:
            self.reader.close()


class _SummaryWriter:
    """Streams per-row results to a temporary CSV; ``finish`` renames it and writes the JSON beside it."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = out_dir / SUMMARY_DIR
        self.folder.mkdir(exist_ok=True)
        for stale in self.folder.glob(f"{_TMP_PREFIX}*"):  # left by a killed run
            with contextlib.suppress(OSError):
                stale.unlink()
        self.tmp = self.folder / f"{_TMP_PREFIX}{os.getpid()}-{SUMMARY_CSV}"
        self.handle = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by finish()
        self.writer = csv.writer(self.handle)
        self.writer.writerow(_SUMMARY_FIELDS)

    def add(self, result: CohortResult) -> None:
        self.writer.writerow(["" if v is None else v for v in (getattr(result, f) for f in _SUMMARY_FIELDS)])

    def finish(self, summary: CohortSummary) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        csv_path, json_path = self.folder / SUMMARY_CSV, self.folder / SUMMARY_JSON
        os.replace(self.tmp, csv_path)
        summary.summary_csv, summary.summary_json = csv_path, json_path
        tmp_json = self.folder / f"{_TMP_PREFIX}{os.getpid()}-{SUMMARY_JSON}"
        with (
            open(tmp_json, "w", encoding="utf-8") as out,
            open(csv_path, encoding="utf-8", newline="") as src,
        ):
            head = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
            out.write(head[:-2] + ',\n  "rows": [')
            for i, rec in enumerate(csv.DictReader(src)):
                row: dict[str, Any] = {k: (v if v != "" else None) for k, v in rec.items()}
                row["line"] = int(rec["line"])
                out.write(("," if i else "") + "\n    " + json.dumps(row, ensure_ascii=False))
            out.write("\n  ]\n}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_json, json_path)


# --------------------------------------------------------------------------------------- the runner


@dataclass
class _Pending:
    row: CohortRow
    future: cf.Future[_Signed]
    reservation: Reservation | None


class _SigintLatch:
    """While active (main thread only): the first SIGINT sets a flag; a second one interrupts at once."""

    def __init__(self) -> None:
        self.hit = False
        self.previous: Any = None
        self.active = False

    def __enter__(self) -> _SigintLatch:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self.active = True
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.hit:
            raise KeyboardInterrupt
        self.hit = True

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)


class _Run:
    """The parent side of one cohort run: idempotency, ledger, files, journal, summary.

    Rows needing work are handled in chunks, through the steps of :mod:`microcred.issuing`: reserved
    together (:func:`~microcred.issuing.reserve`, one ledger transaction), built and signed one job per
    row, then recorded together (:func:`~microcred.issuing.record`, one transaction) and written, in
    row order.
    """

    def __init__(
        self,
        definition: Any,
        key: Any,
        out: Path,
        *,
        ledger: Ledger | None,
        format: str,
        on_error: OnError,
        bake: bytes | None,
        progress: Callable[[CohortEvent], None] | None,
        status_base_url: str | None,
        suspension: bool,
        now: datetime,
        new_id: Callable[[], str],
        salt: str | None,
    ) -> None:
        self.definition = definition
        self.achievement_id: str = definition.achievement.id
        self.issuer_id: str = key.controller
        self.out = out
        self.ledger = ledger
        self.format = format
        self.on_error = on_error
        self.bake = bake
        self.progress = progress
        self.status_base_url = status_base_url
        self.suspension = suspension
        self.now = now
        self.new_id = new_id
        self.salt = salt
        self.summary = CohortSummary(out_dir=out, achievement_id=self.achievement_id)
        self.journal = _Journal(out, self.achievement_id, load=ledger is None)
        self.writer = _SummaryWriter(out)
        self.io = cf.ThreadPoolExecutor(max_workers=_CHUNK, thread_name_prefix="microcred-io")
        self.stop = False
        self.since_sync = 0
        self.deferred: (
            tuple[list[cf.Future[None]], list[tuple[str, str, str, str]], list[CohortResult]] | None
        ) = None

    # -- results

    def report(self, result: CohortResult) -> None:
        s = self.summary
        if result.status == "issued":
            s.issued += 1
        elif result.status == "skipped-existing":
            s.skipped_existing += 1
        else:
            s.failed += 1
            if s.first_error is None:
                s.first_error = f"line {result.line}: {result.error}"
            if self.on_error == "stop":
                if s.stopped_at_line is None or result.line < s.stopped_at_line:
                    s.stopped_at_line = result.line
                self.stop = True
        self.writer.add(result)
        if self.progress is not None:
            self.progress(CohortEvent(result, s.issued, s.skipped_existing, s.failed))

    def bad_row(self, exc: CohortRowError) -> CohortResult:
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return CohortResult(exc.line, "", "", "failed", error_code=exc.code, error=message)

    # -- files

    def write_all(self, files: list[tuple[str, bytes]]) -> None:
        """Write files atomically (temp + fsync + rename), several at once: fsync waits overlap."""
        if len(files) == 1:
            _atomic_write(self.out / files[0][0], files[0][1])
        elif files:
            list(self.io.map(lambda item: _atomic_write(self.out / item[0], item[1]), files))
        self.since_sync += len(files)
        if self.since_sync >= _DIR_SYNC_EVERY:
            _sync_dir(self.out)
            self.since_sync = 0

    def image_name(self, stem: str) -> str | None:
        return f"{stem}{_image_suffix(self.bake)}" if self.bake is not None else None

    # -- idempotency

    def existing(self, row: CohortRow) -> CohortResult | None:
        """The result for a row issued by an earlier run (restoring a lost file from the ledger), or None."""
        stem = credential_file_name(row.row_key)
        if self.ledger is not None:
            return self._existing_in_ledger(row, stem)
        entry = self.journal.get(row.row_key)
        if entry is None:
            return None
        credential_id, name, sha = entry
        try:
            if _sha256((self.out / name).read_bytes()) != sha:
                return None
        except OSError:
            return None
        image = self.image_name(stem)
        if image is not None and not (self.out / image).exists():
            return None
        return CohortResult(
            row.line, row.recipient, row.row_key, "skipped-existing", credential_id, name, image
        )

    def _existing_in_ledger(self, row: CohortRow, stem: str) -> CohortResult | None:
        assert self.ledger is not None
        record = self.ledger.find_by_row_key(self.achievement_id, row.row_key)
        if record is None or record.state != "issued":
            return None  # never issued, or reserved by a run that never signed it: issue it (again)
        name = f"{stem}{'.jwt' if record.format == 'jwt' else '.json'}"
        try:
            data: bytes | None = (self.out / name).read_bytes()
        except OSError:
            data = None
        if data is None or _sha256(data) != record.document_sha256:
            data = self.ledger.document(record.credential_id)
            if data is None:
                return CohortResult(
                    row.line,
                    row.recipient,
                    row.row_key,
                    "failed",
                    record.credential_id,
                    error_code="cohort.file_missing",
                    error=f"the ledger records credential {record.credential_id} for this row "
                    f"without its document, and {name} is missing or changed",
                )
            self.write_all([(name, data)])  # restore the exact signed bytes the ledger recorded
        image = self.image_name(stem)
        if image is not None and not (self.out / image).exists():
            self.write_all([(image, _bake(self.bake, data, record.format))])  # type: ignore[arg-type]
        return CohortResult(
            row.line, row.recipient, row.row_key, "skipped-existing", record.credential_id, name, image
        )

    # -- the two halves of a chunk

    def failure(self, row: CohortRow, exc: BaseException, credential_id: str | None = None) -> CohortResult:
        if isinstance(exc, MicrocredError):
            code, message = exc.code, str(exc)
        else:
            code, message = "internal.error", f"{type(exc).__name__}: {exc}"
        return CohortResult(
            row.line, row.recipient, row.row_key, "failed", credential_id, error_code=code, error=message
        )

    def prepare(self, rows: list[CohortRow]) -> list[tuple[CohortRow, str, Any] | CohortResult]:
        """Give each row a credential id and, with a ledger, reserve its status entries (commit 1).

        Returns, in row order, (row, credential id, reservation) to build and sign, or a failed result.
        """
        ids = [self.new_id() for _ in rows]
        if self.ledger is None:
            return [(row, credential_id, None) for row, credential_id in zip(rows, ids, strict=True)]
        assert self.status_base_url is not None
        requests = [
            ReserveRequest(
                credential_id,
                self.achievement_id,
                row.recipient,
                self.format,  # type: ignore[arg-type]
                row.valid_from or self.now,
                self.status_base_url,
                suspension=self.suspension,
                row_key=row.row_key,
                issuer=self.issuer_id,
            )
            for row, credential_id in zip(rows, ids, strict=True)
        ]
        out: list[tuple[CohortRow, str, Any] | CohortResult] = []
        for row, credential_id, reserved in zip(rows, ids, reserve(self.ledger, requests), strict=True):
            if isinstance(reserved, MicrocredError):
                out.append(self.failure(row, reserved))
            else:
                out.append((row, credential_id, reserved))
        return out

    def finish(self, chunk: list[_Pending | CohortResult]) -> None:
        """Record the chunk's signed credentials (commit 2), write their files and journal lines, then
        report every entry of the chunk in row order."""
        signed: dict[int, _Signed] = {}
        results: dict[int, CohortResult] = {}
        for i, item in enumerate(chunk):
            if isinstance(item, CohortResult):
                results[i] = item
                continue
            try:
                signed[i] = item.future.result()
            except cf.CancelledError:
                continue
            except Exception as exc:  # a row that could not be signed: reported; the run goes on or stops
                results[i] = self.failure(item.row, exc)
        if self.ledger is not None and signed:
            self._record(chunk, signed, results)
        files: list[tuple[str, bytes]] = []
        entries: list[tuple[str, str, str, str]] = []
        for i, done in signed.items():
            row = chunk[i].row  # type: ignore[union-attr]
            stem = credential_file_name(row.row_key)
            name = f"{stem}{done.suffix}"
            image = None
            if done.image is not None:
                image = f"{stem}{_image_suffix(done.image)}"
                files.append((image, done.image))
            files.append((name, done.data))
            entries.append((row.row_key, done.credential_id, name, _sha256(done.data)))
            results[i] = CohortResult(
                row.line, row.recipient, row.row_key, "issued", done.credential_id, name, image
            )
        # the files are written in the background while the next chunk is recorded; the journal lines
        # and the results follow once they are in place (flush), so the order of events is kept
        self.flush()
        # with a ledger the signed bytes are already durable there (a lost file is restored from it on
        # the next run), so files are not fsynced one by one: that would starve the ledger's commits
        if self.ledger is None:  # fsync waits overlap when the files are written side by side
            writes = [self.io.submit(_atomic_write, self.out / name, data) for name, data in files]
        else:
            writes = [self.io.submit(_write_all, self.out, files)] if files else []
        self.deferred = (writes, entries, [results[i] for i in sorted(results)])

    def flush(self) -> None:
        """Wait for the last chunk's files, then append its journal lines and report its results."""
        if self.deferred is None:
            return
        writes, entries, results = self.deferred
        self.deferred = None
        for write in writes:
            write.result()
        self.since_sync += len(entries)
        if self.since_sync >= _DIR_SYNC_EVERY:
            _sync_dir(self.out)
            self.since_sync = 0
        for entry in entries:
            self.journal.append(*entry)
        for result in results:
            self.report(result)

    def _record(
        self,
        chunk: list[_Pending | CohortResult],
        signed: dict[int, _Signed],
        results: dict[int, CohortResult],
    ) -> None:
        assert self.ledger is not None
        reservations: dict[int, tuple[CohortRow, Reservation]] = {}
        for i in signed:
            item = chunk[i]
            assert isinstance(item, _Pending) and item.reservation is not None
            reservations[i] = (item.row, item.reservation)
        order = list(signed)
        recorded = record(self.ledger, [(reservations[i][1], signed[i].data) for i in order])
        for i, outcome in zip(order, recorded, strict=True):
            if isinstance(outcome, MicrocredError):
                results[i] = self.failure(reservations[i][0], outcome, signed[i].credential_id)
                del signed[i]

    def close(self, interrupted: bool, started: float) -> None:
        try:
            self.flush()
        finally:
            self.io.shutdown(wait=True)
        if self.ledger is not None and hasattr(os, "sync"):
            os.sync()  # the files written without fsync reach the disk before the run reports done
        self.journal.close()
        with contextlib.suppress(OSError):
            _sync_dir(self.out)
        self.summary.interrupted = interrupted
        self.summary.elapsed_seconds = time.perf_counter() - started
        self.writer.finish(self.summary)


def _resolve_bake(bake: bytes | Literal["default"] | None, definition: Any) -> bytes | None:
    if bake != "default":
        return bake
    from .badge_image import default_badge_svg

    return default_badge_svg(definition.achievement.title, issuer_name=definition.issuer.name).encode("utf-8")


def issue_many(
    definition: Any,
    rows: Iterable[CohortRow | CohortRowError],
    key: Any,
    *,
    out_dir: str | os.PathLike[str],
    ledger: Ledger | None = None,
    format: Literal["di", "jwt"] | None = None,
    cryptosuite: str | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    max_in_flight: int | None = None,
    on_error: OnError = "stop",
    bake: bytes | Literal["default"] | None = None,
    progress: Callable[[CohortEvent], None] | None = None,
    status_base_url: str | None = None,
    suspension: bool = False,
    now: datetime | None = None,
    new_id: Callable[[], str] | None = None,
    salt: str | None = None,
) -> CohortSummary:
    """Issue ``definition`` to every row: one signed credential file per learner in ``out_dir``.

    ``rows`` is usually :func:`scan_cohort` (so bad rows are reported with their line). Signing runs on
    ``executor`` (any :class:`concurrent.futures.Executor`; never shut down here), else on a new
    :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes (default ``os.cpu_count()``),
    or in this thread when ``workers`` is 1. At most ``max_in_flight`` rows (default
    ``max(4 × workers, 64)``) are between "read" and "written". The ledger, files, journal and summary
    are written by this process only. ``on_error="stop"`` stops at the first bad row (rows before it
    stay issued); ``"skip"`` reports it and goes on. A rerun issues only what is missing. ``ledger`` (a
    :class:`~microcred.ledger.Ledger`) adds status entries under ``status_base_url`` (default
    ``<issuer url>/credentials/status``). The issuer's id is the key's controller, as in
    :func:`microcred.issue.issue`, and ``format`` and ``cryptosuite`` default by key type as there.
    ``bake`` (PNG or SVG bytes, or ``"default"`` for a generated SVG badge) also writes a baked image
    per learner. ``progress`` is called after each row.
    On SIGINT (main thread) the rows in flight are finished, the summary is written and
    :class:`CohortInterrupted` (a KeyboardInterrupt) is raised carrying it; a second SIGINT abandons
    the rows in flight (they are issued again on the next run).
    """
    if on_error not in ("skip", "stop"):
        raise MicrocredError(f"on_error must be 'skip' or 'stop', not {on_error!r}", code="usage.on_error")
    format = format or default_format(key.algorithm)
    if format not in ("di", "jwt"):
        raise MicrocredError(f"unknown format {format!r}: use 'di' or 'jwt'", code="usage.format")
    suite = cryptosuite or (default_cryptosuite(key.algorithm) if format == "di" else "")
    if ledger is not None and not status_base_url:
        status_base_url = default_status_base_url(definition.issuer.url)
    image = _resolve_bake(bake, definition)
    shared = _shared(key, definition, image)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lock = _lock_out_dir(out)
    try:
        return _issue_locked(
            definition,
            rows,
            key,
            out,
            started=started,
            shared=shared,
            image=image,
            suite=suite,
            ledger=ledger,
            format=format,
            executor=executor,
            workers=workers,
            max_in_flight=max_in_flight,
            on_error=on_error,
            progress=progress,
            status_base_url=status_base_url,
            suspension=suspension,
            now=now,
            new_id=new_id,
            salt=salt,
        )
    finally:
        lock.close()


def _lock_out_dir(out: Path) -> Any:
    """Hold an exclusive lock on ``out_dir`` for the run: two runs into one folder would trip each other."""
    handle = open(out / LOCK_NAME, "a+b")  # noqa: SIM115 - closed by the caller
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks here
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise MicrocredError(
            f"another cohort run is writing to {out}; wait for it to finish (or stop it) and rerun",
            code="cohort.busy",
            source=str(out),
        ) from None
    return handle


def _issue_locked(
    definition: Any,
    rows: Iterable[CohortRow | CohortRowError],
    key: Any,
    out: Path,
    *,
    started: float,
    shared: _Shared,
    image: bytes | None,
    suite: str,
    ledger: Ledger | None,
    format: str,
    executor: cf.Executor | None,
    workers: int | None,
    max_in_flight: int | None,
    on_error: OnError,
    progress: Callable[[CohortEvent], None] | None,
    status_base_url: str | None,
    suspension: bool,
    now: datetime | None,
    new_id: Callable[[], str] | None,
    salt: str | None,
) -> CohortSummary:
    for stale in out.glob(f"{_TMP_PREFIX}*"):  # left by a killed run
        with contextlib.suppress(OSError):
            stale.unlink()
    run = _Run(
        definition,
        key,
        out,
        ledger=ledger,
        format=format,
        on_error=on_error,
        bake=image,
        progress=progress,
        status_base_url=status_base_url,
        suspension=suspension,
        now=(now or _time.now()).replace(microsecond=0),
        new_id=new_id or (lambda: f"urn:uuid:{uuid.uuid4()}"),
        salt=salt,
    )
    own_executor = executor is None
    if executor is None:
        workers = workers or os.cpu_count() or 1
        if workers <= 1:
            executor = _InlineExecutor()
        else:
            executor = cf.ProcessPoolExecutor(workers, initializer=_worker_init, initargs=(shared,))
    else:
        workers = workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    if isinstance(executor, cf.ThreadPoolExecutor | _InlineExecutor):
        job_shared = shared  # same process: the loaded key object is shared as is
    elif own_executor:
        job_shared = shared.light()  # the pool's initializer gave each worker the rest
    else:
        job_shared = replace(shared, obj=None)  # any other executor: everything travels with each job
    limit = max(1, max_in_flight or max(4 * workers, 2 * _CHUNK))
    chunk_size = max(1, min(_CHUNK, limit // 2))
    in_flight: deque[list[_Pending | CohortResult]] = deque()
    waiting: list[CohortRow] = []
    interrupted = False

    def launch() -> None:
        if waiting:
            in_flight.append(
                [
                    item
                    if isinstance(item, CohortResult)
                    else _Pending(
                        item[0],
                        executor.submit(
                            _sign_job,
                            _SignJob(
                                item[0],
                                item[1],
                                item[2],
                                job_shared,
                                format,
                                suite,
                                run.now,
                                salt,
                            ),
                        ),
                        item[2],
                    )
                    for item in run.prepare(waiting)
                ]
            )
            waiting.clear()

    def ready(result: CohortResult) -> None:
        """Queue a result behind the rows before it, so the summary stays in row order."""
        if in_flight or waiting:
            launch()
            in_flight.append([result])
        else:
            run.flush()
            run.report(result)

    def drain_to(bound: int) -> None:
        while in_flight and sum(map(len, in_flight)) > bound and not latch.hit:
            run.finish(in_flight.popleft())

    try:
        with _SigintLatch() as latch:
            try:
                for item in rows:
                    if latch.hit or run.stop:
                        break
                    if isinstance(item, CohortRowError):
                        ready(run.bad_row(item))
                    else:
                        done = run.existing(item)
                        if done is None:
                            waiting.append(item)
                            if len(waiting) >= chunk_size:
                                launch()
                        else:
                            ready(done)
                        if done is None or done.status != "failed":
                            drain_to(limit - chunk_size)
                            continue
                    if on_error == "stop":  # rows before the bad one are still issued
                        run.summary.stopped_at_line = item.line
                        run.stop = True
                        break
                    drain_to(limit - chunk_size)
                if not latch.hit and not run.stop:
                    launch()
                while in_flight:  # finish what is in flight, after a stop or a first SIGINT too
                    run.finish(in_flight.popleft())
            except KeyboardInterrupt:  # a second SIGINT (or one outside the main thread): abandon in flight
                latch.hit = True
                for chunk in in_flight:
                    for p in chunk:
                        if isinstance(p, _Pending):
                            p.future.cancel()
                in_flight.clear()
            interrupted = latch.hit
    finally:
        if own_executor:
            executor.shutdown(wait=True, cancel_futures=True)
        run.close(interrupted, started)
    if interrupted:
        raise CohortInterrupted(run.summary)
    return run.summary


# ------------------------------------------------------------------------------------- command glue


def _progress_callback(
    total: int | None, stream: TextIO
) -> tuple[Callable[[CohortEvent], None] | None, Callable[[], None]]:
    """A rich progress bar on a terminal (count, rate, ETA); nothing in a pipe."""
    from rich.console import Console

    console = Console(file=stream, stderr=stream is sys.stderr)
    if not console.is_terminal:
        return None, lambda: None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.1f}/s" if speed else "–/s", style="progress.data.speed")

    bar = Progress(
        TextColumn("[bold]issuing"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = bar.add_task("issuing", total=total)
    bar.start()

    def update(event: CohortEvent) -> None:
        bar.advance(task)

    return update, bar.stop


def run_cohort_command(
    definition_path: str | os.PathLike[str],
    cohort_path: str | os.PathLike[str],
    key: Any,
    out_dir: str | os.PathLike[str],
    *,
    ledger_path: str | os.PathLike[str] | None = None,
    status_base_url: str | None = None,
    format: Literal["di", "jwt"] = "di",
    cryptosuite: str | None = None,
    bake_path: str | os.PathLike[str] | None = None,
    bake_default: bool = False,
    on_error: OnError = "stop",
    workers: int | None = None,
    json_output: bool = False,
    suspension: bool = False,
    now: datetime | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The cohort half of ``microcred issue --cohort``: issue, print the summary, return the exit code.

    ``key`` is an IssuerKey or a key file path; ``cryptosuite`` defaults by key type. ``bake_default``
    bakes into a generated SVG badge when no ``bake_path`` is given. The summary goes to ``stdout``
    (JSON with ``json_output``); a progress bar (count, rate, ETA) to ``stderr`` when it is a
    terminal. Exit codes: 0 every row issued (now or before); 1 some rows failed and were skipped
    (``on_error="skip"``); 2 stopped at a bad row (``on_error="stop"``); 130 interrupted (rerun the
    same command to issue the rest). ``suspension`` also allocates a suspension status entry.
    A bad file, header, key, definition or ledger raises a
    :class:`~microcred.errors.MicrocredError` (exit 2).
    """
    from .definition import load_definition

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if isinstance(key, str | os.PathLike):
        from .keys.files import load_key

        key = load_key(key)
    definition = load_definition(Path(definition_path))
    bake: bytes | Literal["default"] | None = None
    if bake_path is not None:
        bake = Path(bake_path).read_bytes()
    elif bake_default:
        bake = "default"
    rows = scan_cohort(cohort_path)
    first = next(rows, None)  # the header is checked before any work starts: a bad file fails fast
    total = count_cohort_rows(cohort_path)
    ledger = None
    if ledger_path is not None:
        from .ledger.protocol import Ledger

        ledger = Ledger.open(ledger_path)
    update, stop_bar = _progress_callback(total, stderr)
    interrupted = False
    try:
        summary = issue_many(
            definition,
            _chain(first, rows),
            key,
            out_dir=out_dir,
            ledger=ledger,
            format=format,
            cryptosuite=cryptosuite,
            workers=workers,
            on_error=on_error,
            bake=bake,
            progress=update,
            status_base_url=status_base_url,
            suspension=suspension,
            now=now,
        )
    except CohortInterrupted as exc:
        summary, interrupted = exc.summary, True
    finally:
        stop_bar()
        if ledger is not None:
            ledger.close()
    if json_output:
        stdout.write(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        stdout.write(summary.to_text() + "\n")
    stdout.flush()
    if interrupted:
        stderr.write(
            f"interrupted: {summary.issued} credentials issued in this run are saved in {out_dir}; "
            "rerun the same command to issue the rest (rows already issued are skipped)\n"
        )
        return 130
    if summary.stopped_at_line is not None:
        stderr.write(
            f"error: stopped at {summary.first_error}\nfix the row (or use --on-error skip) and rerun "
            "the same command; rows already issued are skipped\n"
        )
        return 2
    if summary.failed:
        stderr.write(
            f"error: {summary.failed} row(s) failed, first at {summary.first_error}; see "
            f"{summary.summary_csv}, fix them and rerun the same command\n"
        )
        return 1
    return 0


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest
