"""Cohort issuance: read a learner CSV as a stream, sign across processes, write one file per learner.

The flow, in chunks of rows::

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

The pieces: :mod:`~microcred.cohort.rows` (the CSV), :mod:`~microcred.cohort.workers` (building and
signing), :mod:`~microcred.cohort.output` and :mod:`~microcred.cohort.journal` (files and idempotency),
:mod:`~microcred.cohort.summary` (results); this module runs them (:func:`issue_many`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import _time
from ..baking.badge import default_badge_svg
from ..errors import MicrocredError
from ..issuing import Format, default_status_base_url, new_credential_id
from ..keys.algorithms import default_cryptosuite, default_format
from .bookkeeping import CHUNK, OnError, Pending, RunBook
from .output import (
    TMP_PREFIX,
    lock_out_dir,
)
from .rows import CohortRow, CohortRowError, SkippedRow, judge
from .summary import CohortEvent, CohortInterrupted, CohortResult, CohortSummary
from .workers import (
    InlineExecutor,
    Shared,
    SignJob,
    shared_for,
    sign_job,
    sign_jobs,
    split_future,
    worker_init,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from ..keys.material import IssuerKey
    from ..ledger.protocol import Ledger
    from ..model.definition import Definition

log = logging.getLogger(__name__)


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


def _resolve_bake(bake: bytes | Literal["default"] | None, definition: Definition) -> bytes | None:
    if bake != "default":
        return bake

    return default_badge_svg(definition.achievement.title, issuer_name=definition.issuer.name).encode("utf-8")


def issue_many(
    definition: Definition,
    rows: Iterable[CohortRow | CohortRowError | SkippedRow],
    key: IssuerKey,
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
    plain_names: bool = False,
) -> CohortSummary:
    """Issue ``definition`` to every row: one signed credential file per learner in ``out_dir``.

    ``rows`` is usually :func:`scan_cohort` (so bad rows are reported with their line). Each row's
    grade is checked against the definition's scale before anything is signed (a grade off the scale
    is a bad row) and its pass rule applied: a row that does not pass, and a :class:`SkippedRow`, gets
    no credential and is listed in the summary as ``not-passing`` / ``not-a-learner``. Signing runs on
    ``executor`` (any :class:`concurrent.futures.Executor`; never shut down here), else on a new
    :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes (default ``os.cpu_count()``),
    or in this thread when ``workers`` is 1. At most ``max_in_flight`` rows (default
    ``max(4 × workers, 64)``) are between "read" and "written". The ledger, files, journal and summary
    are written by this process only. ``on_error="stop"`` stops at the first bad row (rows before it
    stay issued); ``"skip"`` reports it and goes on. A rerun issues only what is missing. ``ledger`` (a
    :class:`~microcred.ledger.Ledger`) adds status entries under ``status_base_url`` (default
    ``<issuer url>/credentials/status``). The issuer's id is the key's controller, as in
    :func:`microcred.issuing.issue`, and ``format`` and ``cryptosuite`` default by key type as there.
    ``bake`` (PNG or SVG bytes, or ``"default"`` for a generated SVG badge) also writes a baked image
    per learner. ``progress`` is called after each row.
    **Privacy.** The ledger, the journal and the summary hold a keyed pseudonym of each learner
    (:mod:`~microcred.cohort.privacy`), never the email, and files are named ``learner-<opaque id>``;
    ``plain_names=True`` names files after the recipient and shows it in the results and summary (the
    ledger and journal still hold only pseudonyms).
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
    shared = shared_for(key, definition, image)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lock = lock_out_dir(out)
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
            lock_identity=lock.identity,
            plain_names=plain_names,
        )
    finally:
        lock.close()


def _issue_locked(
    definition: Definition,
    rows: Iterable[CohortRow | CohortRowError | SkippedRow],
    key: IssuerKey,
    out: Path,
    *,
    started: float,
    shared: Shared,
    image: bytes | None,
    suite: str,
    ledger: Ledger | None,
    format: Format,
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
    lock_identity: tuple[int, int, int] | None = None,
    plain_names: bool = False,
) -> CohortSummary:
    for stale in out.glob(f"{TMP_PREFIX}*"):  # left by a killed run
        log.debug("removing %s, left by a run that was killed", stale)
        with contextlib.suppress(OSError):
            stale.unlink()
    run = RunBook(
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
        new_id=new_id or new_credential_id,
        salt=salt,
        plain_names=plain_names,
    )
    own_executor = executor is None
    if executor is None:
        workers = workers or os.cpu_count() or 1
        if workers <= 1:
            executor = InlineExecutor()
        else:
            executor = cf.ProcessPoolExecutor(
                workers, initializer=worker_init, initargs=(shared, os.getpid(), lock_identity)
            )
    else:
        workers = workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    if isinstance(executor, cf.ThreadPoolExecutor | InlineExecutor):
        job_shared = shared  # same process: the loaded key object is shared as is
    elif own_executor:
        job_shared = shared.light()  # the pool's initializer gave each worker the rest
    else:
        job_shared = replace(shared, obj=None)  # any other executor: everything travels with each job
    log.info(
        "cohort run for %s into %s: %d worker(s), %s%s",
        run.achievement_id,
        out,
        workers,
        format,
        ", recorded in the ledger" if ledger is not None else "",
    )
    limit = max(1, max_in_flight or max(4 * workers, 2 * CHUNK))
    chunk_size = max(1, min(CHUNK, limit // 2))
    in_flight: deque[list[Pending | CohortResult]] = deque()
    waiting: list[CohortRow] = []
    interrupted = False

    # our own worker processes get a chunk per job: one round trip per chunk instead of per row keeps
    # the parent (the single writer, on the same cores) off the critical path; a caller's executor
    # gets one job per row, as documented
    batched = own_executor and isinstance(executor, cf.ProcessPoolExecutor)

    def launch() -> None:
        if waiting:
            prepared = run.prepare(waiting)
            jobs = {
                i: SignJob(item[0], item[1], item[2], job_shared, format, suite, run.now, salt)
                for i, item in enumerate(prepared)
                if not isinstance(item, CohortResult)
            }
            if batched:
                futures = split_future(executor.submit(sign_jobs, list(jobs.values())), list(jobs))
            else:
                futures = {i: executor.submit(sign_job, job) for i, job in jobs.items()}
            in_flight.append(
                [
                    item if isinstance(item, CohortResult) else Pending(item[0], futures[i], item[2])
                    for i, item in enumerate(prepared)
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
                for row in rows:
                    if latch.hit or run.stop:
                        break
                    item = judge(definition, row) if isinstance(row, CohortRow) else row
                    if isinstance(item, SkippedRow):
                        ready(run.skipped(item))
                        drain_to(limit - chunk_size)
                        continue
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
                        if isinstance(p, Pending):
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
