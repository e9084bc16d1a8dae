"""``microcred issue --cohort``: the terminal side of a cohort run (progress bar, summary, exit codes)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import click

from ..cohort.lms import PRESETS
from ..model.definition import load_definition

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from ..cohort.bookkeeping import OnError
    from ..cohort.lms import ColumnMap
    from ..cohort.summary import CohortEvent
    from ..keys.material import IssuerKey

# ------------------------------------------------------------------------------------- command glue


def lms_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--from``, ``--map`` and ``--map-file``: how ``issue --cohort`` reads an LMS export."""
    options = (
        click.option(
            "--from",
            "lms",
            type=click.Choice(sorted(PRESETS)),
            help="Cohort: read this LMS's gradebook export as it comes (see docs/cohorts.md).",
        ),
        click.option(
            "--map",
            "mapping",
            multiple=True,
            metavar="COLUMN=FIELD",
            help="Cohort: this column holds this learner field (email, student_id, name, grade, date, ...).",
        ),
        click.option(
            "--map-file",
            type=click.Path(dir_okay=False),
            help='Cohort: a TOML file of column mappings ([columns] "Column" = "field").',
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _progress_callback(
    total: int | None, stream: TextIO
) -> tuple[Callable[[CohortEvent], None] | None, Callable[[], None]]:
    """A rich progress bar on a terminal (count, rate, ETA); nothing in a pipe."""
    # rich is imported here, not above: only a cohort run on a terminal needs it, and it costs more
    # start-up time than the rest of the command line
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
    key: IssuerKey | str | os.PathLike[str],
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
    plain_names: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    columns: ColumnMap | None = None,
) -> int:
    """The cohort half of ``microcred issue --cohort``: issue, print the summary, return the exit code.

    ``key`` is an IssuerKey or a key file path; ``cryptosuite`` defaults by key type. ``bake_default``
    bakes into a generated SVG badge when no ``bake_path`` is given. The summary goes to ``stdout``
    (JSON with ``json_output``); a progress bar (count, rate, ETA) to ``stderr`` when it is a
    terminal. Exit codes: 0 every row issued (now or before); 1 some rows failed and were skipped
    (``on_error="skip"``); 2 stopped at a bad row (``on_error="stop"``); 130 interrupted (rerun the
    same command to issue the rest). ``suspension`` also allocates a suspension status entry.
    ``plain_names`` names the files after the recipients and shows them in the summary (default:
    opaque ids and pseudonyms; see :func:`~microcred.cohort.run.issue_many`).
    ``columns`` reads an LMS export (:func:`microcred.cohort.lms.column_map`). The whole file is read
    once before anything is signed: with ``on_error="stop"`` any bad row (a grade off the scale among
    them) stops the run there, every bad row listed, nothing issued.
    A bad file, header, key, definition or ledger raises a
    :class:`~microcred.errors.MicrocredError` (exit 2).
    """
    from ..cohort.rows import CohortRowError, scan_cohort
    from ..cohort.run import issue_many  # signing and the ledger: only when a cohort is issued
    from ..cohort.summary import CohortInterrupted
    from ..keys.files import load_key
    from ..ledger.protocol import Ledger

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if isinstance(key, str | os.PathLike):
        key = load_key(key)
    definition = load_definition(Path(definition_path))
    bake: bytes | Literal["default"] | None = None
    if bake_path is not None:
        bake = Path(bake_path).read_bytes()
    elif bake_default:
        bake = "default"
    total, bad = 0, 0
    errors: list[CohortRowError] = []
    for item in scan_cohort(cohort_path, columns=columns, definition=definition):  # before any signing
        total += 1
        if isinstance(item, CohortRowError):
            bad += 1
            if len(errors) < _SHOWN:
                errors.append(item)
    if bad and on_error == "stop":
        for exc in errors:
            stderr.write(f"error: {exc}\n")
        more = f" ({bad - len(errors)} more not shown)" if bad > len(errors) else ""
        stderr.write(
            f"error: {bad} bad row(s){more}; nothing was issued. Fix them (or use --on-error skip) "
            "and rerun the same command\n"
        )
        return 2
    rows = scan_cohort(cohort_path, columns=columns, definition=definition)
    first = next(rows, None)
    ledger = None
    if ledger_path is not None:
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
            plain_names=plain_names,
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
        _list_not_passing(summary.summary_csv, stdout)
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


_SHOWN = 20


def _list_not_passing(summary_csv: Path | None, stdout: TextIO) -> None:
    """Name the rows that get no credential because they do not pass (the first few; all are in the CSV)."""
    if summary_csv is None or not summary_csv.is_file():
        return
    from ..cohort.privacy import is_pseudonym
    from ..cohort.summary import iter_summary

    shown = 0
    for result in iter_summary(summary_csv.parent.parent):
        if result.status != "not-passing":
            continue
        if shown == _SHOWN:
            stdout.write(f"  … more in {summary_csv}\n")
            break
        who = "" if is_pseudonym(result.recipient) else f" {result.recipient}"  # shown only with plain names
        stdout.write(f"  not passing: line {result.line}{who}: {result.error}\n")
        shown += 1


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest
