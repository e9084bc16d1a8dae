"""LMS gradebook exports as they come: presets for Moodle, Canvas, Open edX and Blackboard, and a general
column mapping (``"Email address=email"``) from a file's own columns to learner fields.

A :class:`ColumnMap` is handed to :func:`~microcred.cohort.rows.scan_cohort`. With one, columns that are
not mapped are ignored (an export has a column per assignment), and rows that are no learner (Canvas's
"Points Possible" and "Manual Posting" lines, test students, Blackboard preview users, totals and
averages) are skipped and counted. Learners are identified by email address, by DID, or by an
institution's identifier with its Open Badges 3.0 identity type (a student number is ``sisSourcedId``),
which the credential holds only hashed and salted, like an email address.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MicrocredError
from .rows import CohortRowError, _Header

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

#: Learner fields a column can be mapped to (``date`` is the award date; ``ignore`` drops a column).
FIELDS = (
    "email",
    "did",
    "recipient",
    "student_id",
    "institution_id",
    "username",
    "name",
    "first_name",
    "last_name",
    "grade",
    "date",
    "valid_from",
    "valid_until",
    "evidence_url",
    "evidence_name",
    "evidence_narrative",
    "row_key",
    "ignore",
)
#: Identity fields, each with the OB 3.0 identity type it is hashed as (None: an email address or DID).
IDENTITY_TYPES: dict[str, str | None] = {
    "email": None,
    "did": None,
    "recipient": None,
    "student_id": "sisSourcedId",
    "institution_id": "identifier",
    "username": "userName",
}
_ROW_FIELD = {"date": "awarded_date"}
#: Cells that mark a row as no learner when the row has no learner identifier.
NON_LEARNER_MARKERS = frozenset(
    {
        "points possible",
        "manual posting",
        "total",
        "totals",
        "grand total",
        "average",
        "class average",
        "course average",
        "overall average",
        "mean",
        "median",
        "maximum",
        "minimum",
    }
)
#: Learner names that LMSs give their test accounts (Canvas's test student, Moodle/Blackboard previews).
TEST_STUDENT_NAMES = frozenset({"student, test", "test student", "test, student", "previewuser"})
_PREVIEW_SUFFIX = "_previewuser"  # Blackboard Learn's "student preview" accounts

#: Presets: for each field, the header names tried in order (``*`` at the end: a prefix).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    # Moodle, Grades > Export > Plain text file / Excel: identity fields, one column per grade item,
    # "Course total (Real)" (or "(Percentage)", "(Letter)") and "Last downloaded from this course".
    "moodle": {
        "email": ("email address",),
        "student_id": ("id number",),  # when the export leaves out the email address
        "first_name": ("first name",),
        "last_name": ("last name", "surname"),
        "grade": ("course total (real)", "course total (percentage)", "course total*"),
    },
    # Canvas, Grades > Export: Student ("Last, First"), ID, SIS User ID, SIS Login ID, Section, one
    # column per assignment, then Current/Final Score and their Unposted twins (percentages).
    "canvas": {
        "student_id": ("sis user id",),
        "name": ("student",),
        "grade": ("final score", "unposted final score", "current score"),
    },
    # Open edX, Instructor > Data Download > Grade report: Student ID, Email, Username, Grade (0 to 1),
    # one column per assignment, Enrollment Track, Verification Status, Certificate Eligible, ...
    "openedx": {
        "email": ("email",),
        "username": ("username",),
        "grade": ("grade",),
    },
    # Blackboard Learn, Grade Center > Work Offline > Download: Last Name, First Name, Username,
    # Student ID, Last Access, Availability, then "Name [Total Pts: ...] |column id" per column.
    "blackboard": {
        "student_id": ("student id",),
        "username": ("username",),  # when the download has no Student ID column
        "first_name": ("first name",),
        "last_name": ("last name",),
        "grade": ("total [*", "weighted total [*"),
    },
}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", name).strip().strip('"').strip()).lower()


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which of a file's columns hold which learner field: a preset, overridden by explicit mappings.

    ``fields`` lists (field, header names tried in order, explicit); an explicit column must be in the
    file. ``flip_names`` turns "Last, First" into "First Last" (Canvas).
    """

    fields: tuple[tuple[str, tuple[str, ...], bool], ...]
    preset: str | None = None
    flip_names: bool = False

    def header(self, cells: list[str], source: str | None) -> _Header:
        """The header of a file read through this map (a :class:`CohortRowError` when it does not fit)."""
        return _MappedHeader(cells, source, self)


def _match(pattern: str, names: list[str]) -> int | None:
    for i, name in enumerate(names):
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return i
    return None


class _MappedHeader(_Header):
    def __init__(self, cells: list[str], source: str | None, cmap: ColumnMap) -> None:
        self.source = source
        self.index = {}
        self.names = {}
        self.silent = []
        self.width = len(cells)
        self.flip = cmap.flip_names
        names = [_norm(c) for c in cells]
        identity: str | None = None
        for fld, patterns, explicit in cmap.fields:
            if fld == "ignore":
                continue
            found = next((i for p in patterns if (i := _match(p, names)) is not None), None)
            if found is None:
                if explicit:
                    raise CohortRowError(
                        1,
                        patterns[0],
                        f"the mapping names column {patterns[0]!r}, which is not in the file; its columns "
                        f"are: {', '.join(repr(c.strip()) for c in cells if c.strip())}",
                        source=source,
                        code="cohort.header_invalid",
                    )
                continue
            if fld in IDENTITY_TYPES:
                if identity is not None:
                    continue  # the first identity found (explicit ones come first) identifies learners
                identity = fld
            key = _ROW_FIELD.get(fld, fld)
            self.index[key] = found
            self.names[key] = cells[found].strip()
        if identity is None:
            wanted = [p for f, ps, _ in cmap.fields if f in IDENTITY_TYPES for p in ps]
            raise CohortRowError(
                1,
                None,
                "no column identifies the learners"
                + (f" (looked for {', '.join(repr(w) for w in wanted)})" if wanted else "")
                + "; map one with --map 'COLUMN=email' (or student_id, institution_id, username, did)",
                source=source,
                code="cohort.header_invalid",
            )
        self.recipient_column = identity
        self.identity = IDENTITY_TYPES[identity]

    def get(self, cells: list[str], name: str) -> str:
        if name == "name" and "name" not in self.index:
            first, last = super().get(cells, "first_name").strip(), super().get(cells, "last_name").strip()
            return f"{first} {last}".strip()
        value = super().get(cells, name)
        if name == "name" and self.flip and value.count(",") == 1:
            last, first = (p.strip() for p in value.split(","))
            return f"{first} {last}".strip()
        return value

    def skip_reason(self, cells: list[str]) -> str | None:
        ident = self.get(cells, self.recipient_column).strip()
        if not ident:
            for cell in cells:
                if _norm(cell).strip("() ") in NON_LEARNER_MARKERS or _norm(cell) == "(read only)":
                    return f"not a learner: a {cell.strip()!r} row"
        name = _norm(super().get(cells, "name")) or _norm(
            f"{super().get(cells, 'last_name')}, {super().get(cells, 'first_name')}"
        )
        if name in TEST_STUDENT_NAMES:
            return f"not a learner: the LMS's test student {name!r}"
        if any(_norm(c).endswith(_PREVIEW_SUFFIX) for c in cells):
            return "not a learner: a Blackboard student-preview account"
        return None


def parse_mapping(pairs: Iterable[str]) -> list[tuple[str, str]]:
    """``"COLUMN=field"`` pairs (as given to ``--map``) as (column, field); the last ``=`` separates."""
    out = []
    for pair in pairs:
        column, sep, fld = pair.rpartition("=")
        fld = fld.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not column.strip():
            raise MicrocredError(f"--map wants COLUMN=FIELD, got {pair!r}", code="usage.map")
        if fld not in FIELDS:
            raise MicrocredError(
                f"--map {pair!r}: {fld!r} is not a learner field; use one of {', '.join(FIELDS)}",
                code="usage.map",
            )
        out.append((column.strip(), fld))
    return out


def read_mapping_file(path: str | os.PathLike[str]) -> tuple[str | None, list[tuple[str, str]]]:
    """A mapping file (TOML): ``from = "canvas"`` (optional) and a ``[columns]`` table of
    ``"Column name" = "field"``. Returns (preset, pairs)."""
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MicrocredError(f"{source}: cannot read the mapping file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MicrocredError(f"{source}: not a valid TOML mapping file: {exc}", code="usage.map") from None
    unknown = set(data) - {"from", "columns"}
    if unknown:
        raise MicrocredError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; a mapping file has 'from' and [columns]",
            code="usage.map",
        )
    preset = data.get("from")
    if preset is not None and not isinstance(preset, str):
        raise MicrocredError(f"{source}: 'from' must be a preset name", code="usage.map")
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise MicrocredError(f"{source}: [columns] maps column names to field names", code="usage.map")
    return preset, parse_mapping(f"{k}={v}" for k, v in columns.items())


def column_map(
    preset: str | None = None,
    mapping: Iterable[str] = (),
    mapping_file: str | os.PathLike[str] | None = None,
) -> ColumnMap | None:
    """The column map for an LMS ``preset`` (moodle, canvas, openedx, blackboard), ``mapping`` pairs
    and/or a mapping file (its pairs first, then ``mapping``'s; explicit pairs win over the preset).
    None when none is given: the file is then in microcred's own cohort format."""
    pairs: list[tuple[str, str]] = []
    if mapping_file is not None:
        file_preset, file_pairs = read_mapping_file(mapping_file)
        preset = preset or file_preset
        pairs.extend(file_pairs)
    pairs.extend(parse_mapping(mapping))
    if preset is None and not pairs:
        return None
    if preset is not None and preset not in PRESETS:
        raise MicrocredError(f"unknown LMS {preset!r}; presets: {', '.join(PRESETS)}", code="usage.preset")
    explicit: dict[str, str] = {}
    ignored: set[str] = set()
    for column, fld in pairs:
        if fld == "ignore":
            ignored.add(_norm(column))
        else:
            explicit[fld] = _norm(column)
    fields: list[tuple[str, tuple[str, ...], bool]] = [(f, (c,), True) for f, c in explicit.items()]
    for fld, patterns in PRESETS.get(preset or "", {}).items():
        if fld in explicit or (fld in IDENTITY_TYPES and any(f in IDENTITY_TYPES for f in explicit)):
            continue
        if fld == "name" and ("first_name" in explicit or "last_name" in explicit):
            continue
        kept = tuple(p for p in patterns if p not in ignored)
        if kept:
            fields.append((fld, kept, False))
    return ColumnMap(tuple(fields), preset, flip_names=preset == "canvas" and "name" not in explicit)
