"""Reading a cohort CSV as a stream of validated learner rows (:func:`scan_cohort`).

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

import csv
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from .. import _time
from ..errors import MicrocredError
from ..limits import MAX_CSV_LINE_CHARS
from ..model.grading import GradeError, read_grade
from .digests import DigestTable, digest

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator
    from datetime import datetime

    from ..model.definition import Definition
    from .lms import ColumnMap

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
_RECIPIENT_COLUMNS = ("recipient", "email", "did")
_MAX_TEXT = 1000


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


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One validated learner row. ``recipient`` is normalised (lower-cased email or DID), or, when
    ``id_type`` is set, an institution's identifier of that OB 3.0 identity type (``sisSourcedId`` for
    a student number), hashed and salted like an email in the credential."""

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
    id_type: str | None = None
    #: The column the grade came from, as the file names it (for messages).
    grade_column: str = "grade"

    @property
    def learner_key(self) -> str:
        """The one string that identifies the learner: the email or DID, or ``<id type>:<identifier>``."""
        return learner_key(self.recipient, self.id_type)


def learner_key(recipient: str, id_type: str | None = None) -> str:
    """The learner identifier of a row: a normalised email or DID as is, else ``<id type>:<identifier>``."""
    return recipient if id_type is None else f"{id_type}:{recipient}"


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row that gets no credential and is not an error: ``not-a-learner`` (Canvas's "Points Possible",
    a test student, a totals line) or ``not-passing`` (the definition's pass rule says no)."""

    line: int
    status: str
    reason: str
    recipient: str = ""
    row_key: str = ""


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


class _Header:
    #: With a column map: the identity type of the recipient column (None: email address or DID).
    identity: str | None = None
    #: The file's own name for each field, for messages.
    names: dict[str, str]

    def __init__(self, cells: list[str], source: str | None) -> None:
        self.source = source
        self.names = {}
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

    def skip_reason(self, cells: list[str]) -> str | None:
        """Why a row is not a learner (column maps recognise LMS totals and test students), or None."""
        return None


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
    rname = header.names.get(rcol, rcol)
    if header.identity is None:
        recipient = _recipient(header.get(cells, rcol), line, rname, source)
    else:
        recipient = _text(header.get(cells, rcol), line, rname, source) or ""
        if not recipient:
            raise CohortRowError(
                line, rname, "is empty; every row needs the learner's identifier", source=source
            )
    row_key = _text(header.get(cells, "row_key"), line, "row_key", source) or learner_key(
        recipient, header.identity
    )
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
        id_type=header.identity,
        grade_column=header.names.get("grade", "grade"),
    )


def _open(path: str | os.PathLike[str], **kwargs: Any) -> TextIO:
    """The file as text: UTF-16 when it starts with a UTF-16 byte-order mark (Blackboard's tab-separated
    download), else UTF-8 with or without a BOM."""
    with open(path, "rb") as raw:
        head = raw.read(2)
    encoding = "utf-16" if head in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    handle: TextIO = open(path, encoding=encoding, newline="", **kwargs)  # noqa: SIM115 - caller closes
    return handle


def _delimiter(handle: TextIO) -> str:
    """The separator of the header line: the most frequent of comma, semicolon and tab outside quotes."""
    start = handle.tell()
    line = ""
    try:
        for _ in range(100):  # the header is the first non-blank line
            line = handle.readline(MAX_CSV_LINE_CHARS)
            if line.strip() or not line:
                break
    except UnicodeDecodeError:  # reported with its line when the records are read
        line = ""
    handle.seek(start)
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


#: What stands in for a physical line longer than MAX_CSV_LINE_CHARS (never read further).
_OVERSIZED = "\x00microcred: line too long\x00"


def _capped_lines(handle: TextIO) -> Iterator[str]:
    """The physical lines of ``handle``; one longer than MAX_CSV_LINE_CHARS is skipped to its end
    in bounded pieces and given as :data:`_OVERSIZED` (so a 10 MB cell never sits in memory)."""
    while True:
        line = handle.readline(MAX_CSV_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_CSV_LINE_CHARS:
            while not line.endswith("\n"):
                line = handle.readline(MAX_CSV_LINE_CHARS)
                if not line:
                    break
            yield _OVERSIZED + "\n"
            continue
        yield line


def _records(handle: TextIO, source: str | None) -> Iterator[tuple[int, list[str] | None]]:
    """(first physical line, fields) for each CSV record, blank lines skipped; fields are None for
    a record with a line longer than MAX_CSV_LINE_CHARS."""
    reader = csv.reader(_capped_lines(handle), strict=True, delimiter=_delimiter(handle))
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
        if any(_OVERSIZED in c for c in cells):
            yield first, None
        elif any(c.strip() for c in cells):
            yield first, cells


def scan_cohort(
    path: str | os.PathLike[str],
    *,
    columns: ColumnMap | None = None,
    definition: Definition | None = None,
) -> Iterator[CohortRow | CohortRowError | SkippedRow]:
    """Stream a cohort CSV: a :class:`CohortRow` per valid row, a :class:`CohortRowError` per bad one.

    The separator (comma, semicolon or tab) is read from the header line. ``columns`` (an LMS preset or
    a mapping, :mod:`microcred.cohort.lms`) maps the file's own columns to learner fields, ignores the
    rest and yields a :class:`SkippedRow` for rows that are no learner. With ``definition``, each grade
    is checked against its scale (a bad one is a row error naming the column) and a row that does not
    pass is a :class:`SkippedRow` (``not-passing``). Problems with the file as a whole (no such file,
    not UTF-8, malformed CSV, a bad header) are raised. A learner or row key that repeats an earlier
    row gives an error on the later line.
    """
    source = str(path)
    seen = DigestTable()
    try:
        handle = _open(path)
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
        if first[1] is None:
            raise CohortRowError(
                1,
                None,
                f"the header line is longer than {MAX_CSV_LINE_CHARS} characters",
                source=source,
                code="cohort.header_invalid",
            )
        header = _Header(first[1], source) if columns is None else columns.header(first[1], source)
        if definition is not None and definition.pass_rule.kind != "all" and "grade" not in header.index:
            raise CohortRowError(
                1,
                None,
                f"the achievement decides a pass by grade ({definition.pass_rule.describe()}) but the "
                "file has no grade column; map one (--map 'COLUMN=grade') or state pass_rule = \"all\" "
                "in the definition's [achievement.grade]",
                source=source,
                code="cohort.header_invalid",
            )
        for line, cells in records:
            reason = header.skip_reason(cells) if cells is not None else None
            if reason is not None:
                yield SkippedRow(line, "not-a-learner", reason)
                continue
            try:
                if cells is None:
                    raise CohortRowError(
                        line,
                        None,
                        f"the line is longer than {MAX_CSV_LINE_CHARS} characters (a cell that "
                        "large is no cohort data); it was skipped unread",
                        source=source,
                        code="cohort.line_too_long",
                    )
                row = _parse_row(header, cells, line)
                rname = header.names.get(header.recipient_column, header.recipient_column)
                keys = [("r", row.learner_key, rname)]
                if row.row_key != row.learner_key:
                    keys.append(("k", row.row_key, "row_key"))
                for kind, value, fld in keys:
                    earlier = seen.get(digest(kind, value))
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
                    seen.add(digest(kind, value), line)
            except CohortRowError as exc:
                yield exc
                continue
            yield row if definition is None else judge(definition, row, source=source)
    finally:
        handle.close()


def judge(
    definition: Definition, row: CohortRow, *, source: str | None = None
) -> CohortRow | CohortRowError | SkippedRow:
    """Check the row's grade against the definition's scale and apply its pass rule.

    The row with its grade in the scale's spelling when it passes; a :class:`SkippedRow`
    (``not-passing``) when it does not; a :class:`CohortRowError` naming the line, the grade's column and
    the value when the grade is not on the scale. Applying it twice gives the same answer.
    """
    try:
        grade = read_grade(definition.achievement.grade, row.grade)
    except GradeError as exc:
        return CohortRowError(
            row.line, row.grade_column, str(exc), source=source, code="cohort.grade_invalid"
        )
    rule = definition.pass_rule
    if not rule.passes(grade):
        why = "no grade" if grade is None else f"grade {grade}"
        return SkippedRow(row.line, "not-passing", f"{why}; {rule.describe()}", row.recipient, row.row_key)
    return row if grade == row.grade else replace(row, grade=grade)


def read_cohort(path: str | os.PathLike[str]) -> Iterator[CohortRow]:
    """Stream the learner rows of a cohort CSV; raise :class:`CohortRowError` (with its line) at the first
    bad row."""
    for item in scan_cohort(path):
        if isinstance(item, CohortRowError):
            raise item
        if isinstance(item, CohortRow):
            yield item


def count_cohort_rows(path: str | os.PathLike[str]) -> int:
    """The number of non-blank data rows (a quick streaming pass, no validation), for progress bars."""
    with _open(path, errors="replace") as handle:
        n = 0
        try:
            for cells in csv.reader(_capped_lines(handle), delimiter=_delimiter(handle)):
                n += 1 if any(c.strip() for c in cells) else 0
        except csv.Error:  # reported with its line when the rows are read
            pass
    return max(n - 1, 0)
