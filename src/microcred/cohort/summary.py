"""What a cohort run did: one result per row, the counts, and the summary files (CSV and JSON)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import _files
from ..errors import MicrocredError
from .output import TMP_PREFIX

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The per-row summary of the last run: ``out_dir/summary/summary.csv`` and ``.json`` (in a folder of
#: their own, so that ``microcred verify out_dir`` sees only credentials).
SUMMARY_DIR = "summary"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"

RowStatus = Literal["issued", "skipped-existing", "failed", "not-passing", "not-a-learner"]


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
    #: Rows that get no credential by the definition's pass rule, and rows that are no learner.
    not_passing: int = 0
    not_a_learner: int = 0
    interrupted: bool = False
    stopped_at_line: int | None = None
    first_error: str | None = None
    elapsed_seconds: float = 0.0
    summary_csv: Path | None = None
    summary_json: Path | None = None

    @property
    def total(self) -> int:
        """Rows seen: issued + skipped-existing + failed + not passing + not a learner."""
        return self.issued + self.skipped_existing + self.failed + self.not_passing + self.not_a_learner

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
                "not-passing": self.not_passing,
                "not-a-learner": self.not_a_learner,
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
        if self.not_passing or self.not_a_learner:
            text += f", {self.not_passing} not passing, {self.not_a_learner} not a learner (skipped)"
        if self.stopped_at_line is not None:
            text += f" (stopped at line {self.stopped_at_line})"
        elif self.interrupted:
            text += " (interrupted)"
        speed = f"{self.elapsed_seconds:.1f} s ({self.rate:.1f} credentials/s)"
        return f"{text} in {speed}; summary: {self.summary_csv}"


SUMMARY_FIELDS = [f for f in CohortResult.__dataclass_fields__]

#: A CSV cell starting with one of these is a formula to a spreadsheet (``=HYPERLINK(...)``, ``@SUM``, a
#: tab or CR before ``=``); such a cell is written with a leading ``'``, as is one already starting with
#: ``'``, so that :func:`cell_value` can undo it exactly.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: object) -> str:
    """``value`` as a summary CSV cell that no spreadsheet runs as a formula (see :data:`FORMULA_STARTS`)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(cell: str) -> str | None:
    """The value :func:`csv_cell` wrote (None for an empty cell)."""
    if cell == "":
        return None
    return cell[1:] if cell.startswith("'") else cell


def _summary_folder(out_dir: Path) -> Path:
    """``out_dir/summary``, created if absent; a link or anything but a folder of ours is refused."""
    folder = out_dir / SUMMARY_DIR
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o755)
    info = os.lstat(folder)
    mine = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or not mine:
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder of this user"
        raise MicrocredError(
            f"{folder} is {what}; refusing to write the summary through it (remove it and rerun)",
            code="output.unsafe_path",
            source=str(folder),
        )
    return folder


def _replaceable(path: Path) -> None:
    """Raise unless ``path`` is absent, a regular file or a link (which a rename replaces, never follows)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise MicrocredError(
            f"{path} exists and is not a regular file; refusing to replace it (remove it and rerun)",
            code="output.not_regular",
            source=str(path),
        )


def _create_new(path: Path) -> int:
    """A new private file (``O_EXCL``: never an existing file, never through a link)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _files.NOFOLLOW | _files.CLOEXEC, 0o600)


def iter_summary(out_dir: str | os.PathLike[str]) -> Iterator[CohortResult]:
    """Read back the per-row results of the last run from ``out_dir/summary/summary.csv``."""
    with open(Path(out_dir) / SUMMARY_DIR / SUMMARY_CSV, encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            fields: dict[str, Any] = {k: cell_value(v) for k, v in rec.items()}
            fields["line"] = int(rec["line"])
            yield CohortResult(**fields)


class CohortInterrupted(KeyboardInterrupt):
    """A cohort run stopped on SIGINT after finishing its in-flight rows; ``summary`` says what was done."""

    def __init__(self, summary: CohortSummary) -> None:
        super().__init__("cohort run interrupted")
        self.summary = summary


class SummaryWriter:
    """Streams per-row results to a temporary CSV; ``finish`` renames it and writes the JSON beside it."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = _summary_folder(out_dir)
        for name in (SUMMARY_CSV, SUMMARY_JSON):  # refused now, before any row is issued
            _replaceable(self.folder / name)
        for stale in self.folder.glob(f"{TMP_PREFIX}*"):  # left by a killed run
            with contextlib.suppress(OSError):
                stale.unlink()
        self.tmp = self.folder / f"{TMP_PREFIX}{os.getpid()}-{SUMMARY_CSV}"
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        self.handle = open(_create_new(self.tmp), "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.handle)
        self.writer.writerow(SUMMARY_FIELDS)

    def add(self, result: CohortResult) -> None:
        self.writer.writerow([csv_cell(getattr(result, f)) for f in SUMMARY_FIELDS])

    def finish(self, summary: CohortSummary) -> None:
        self.handle.flush()
        _files.sync_file(self.handle.fileno())
        self.handle.close()
        csv_path, json_path = self.folder / SUMMARY_CSV, self.folder / SUMMARY_JSON
        os.replace(self.tmp, csv_path)
        summary.summary_csv, summary.summary_json = csv_path, json_path
        tmp_json = self.folder / f"{TMP_PREFIX}{os.getpid()}-{SUMMARY_JSON}"
        with contextlib.suppress(FileNotFoundError):
            tmp_json.unlink()
        with (
            open(_create_new(tmp_json), "w", encoding="utf-8") as out,
            open(csv_path, encoding="utf-8", newline="") as src,
        ):
            head = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
            out.write(head[:-2] + ',\n  "rows": [')
            for i, rec in enumerate(csv.DictReader(src)):
                row: dict[str, Any] = {k: cell_value(v) for k, v in rec.items()}
                row["line"] = int(rec["line"])
                out.write(("," if i else "") + "\n    " + json.dumps(row, ensure_ascii=False))
            out.write("\n  ]\n}\n")
            out.flush()
            _files.sync_file(out.fileno())
        os.replace(tmp_json, json_path)
