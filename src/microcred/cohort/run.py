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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import _files, _time
from ..baking.badge import default_badge_svg
from ..errors import MicrocredError
from ..issuing import Format, default_status_base_url, new_credential_id, record, reserve
from ..keys.algorithms import default_cryptosuite, default_format
from ..ledger.protocol import Ledger, Reservation, ReserveRequest
from .journal import Journal
from .output import (
    DIR_SYNC_EVERY,
    TMP_PREFIX,
    credential_file_name,
    image_suffix,
    lock_out_dir,
    sha256_hex,
    sync_dir,
    write_all,
    write_file,
)
from .rows import CohortRow, CohortRowError
from .summary import CohortEvent, CohortInterrupted, CohortResult, CohortSummary, SummaryWriter
from .workers import InlineExecutor, Shared, Signed, SignJob, bake_into, shared_for, sign_job, worker_init

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from ..keys.material import IssuerKey
    from ..model.definition import Definition

CHUNK = 32
log = logging.getLogger(__name__)

OnError = Literal["skip", "stop"]


# --------------------------------------------------------------------------------------- the runner


@dataclass
class _Pending:
    row: CohortRow
    future: cf.Future[Signed]
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
        definition: Definition,
        key: IssuerKey,
        out: Path,
        *,
        ledger: Ledger | None,
        format: Format,
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
        self.journal = Journal(out, self.achievement_id, load=ledger is None)
        self.writer = SummaryWriter(out)
        self.io = cf.ThreadPoolExecutor(max_workers=CHUNK, thread_name_prefix="microcred-io")
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
            write_file(self.out / files[0][0], files[0][1])
        elif files:
            list(self.io.map(lambda item: write_file(self.out / item[0], item[1]), files))
        self.since_sync += len(files)
        if self.since_sync >= DIR_SYNC_EVERY:
            sync_dir(self.out)
            self.since_sync = 0

    def image_name(self, stem: str) -> str | None:
        return f"{stem}{image_suffix(self.bake)}" if self.bake is not None else None

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
            if sha256_hex((self.out / name).read_bytes()) != sha:
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
        if data is None or sha256_hex(data) != record.document_sha256:
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
            log.info("restoring %s from the ledger's copy (it was missing or changed)", self.out / name)
            self.write_all([(name, data)])  # restore the exact signed bytes the ledger recorded
        image = self.image_name(stem)
        if image is not None and not (self.out / image).exists():
            self.write_all([(image, bake_into(self.bake, data, record.format))])  # type: ignore[arg-type]
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

    def prepare(
        self, rows: list[CohortRow]
    ) -> list[tuple[CohortRow, str, Reservation | None] | CohortResult]:
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
                self.format,
                row.valid_from or self.now,
                self.status_base_url,
                suspension=self.suspension,
                row_key=row.row_key,
                issuer=self.issuer_id,
            )
            for row, credential_id in zip(rows, ids, strict=True)
        ]
        out: list[tuple[CohortRow, str, Reservation | None] | CohortResult] = []
        for row, credential_id, reserved in zip(rows, ids, reserve(self.ledger, requests), strict=True):
            if isinstance(reserved, MicrocredError):
                out.append(self.failure(row, reserved))
            else:
                out.append((row, credential_id, reserved))
        return out

    def finish(self, chunk: list[_Pending | CohortResult]) -> None:
        """Record the chunk's signed credentials (commit 2), write their files and journal lines, then
        report every entry of the chunk in row order."""
        signed: dict[int, Signed] = {}
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
                image = f"{stem}{image_suffix(done.image)}"
                files.append((image, done.image))
            files.append((name, done.data))
            entries.append((row.row_key, done.credential_id, name, sha256_hex(done.data)))
            results[i] = CohortResult(
                row.line, row.recipient, row.row_key, "issued", done.credential_id, name, image
            )
        # the files are written in the background while the next chunk is recorded; the journal lines
        # and the results follow once they are in place (flush), so the order of events is kept
        self.flush()
        # with a ledger the signed bytes are already durable there (a lost file is restored from it on
        # the next run), so files are not fsynced one by one: that would starve the ledger's commits
        if self.ledger is None:  # fsync waits overlap when the files are written side by side
            writes = [self.io.submit(write_file, self.out / name, data) for name, data in files]
        else:
            writes = [self.io.submit(write_all, self.out, files)] if files else []
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
        if self.since_sync >= DIR_SYNC_EVERY:
            sync_dir(self.out)
            self.since_sync = 0
        for entry in entries:
            self.journal.append(*entry)
        for result in results:
            self.report(result)

    def _record(
        self,
        chunk: list[_Pending | CohortResult],
        signed: dict[int, Signed],
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
        if self.ledger is not None and hasattr(os, "sync") and _files.DURABLE:
            os.sync()  # the files written without fsync reach the disk before the run reports done
        self.journal.close()
        with contextlib.suppress(OSError):
            sync_dir(self.out)
        self.summary.interrupted = interrupted
        self.summary.elapsed_seconds = time.perf_counter() - started
        self.writer.finish(self.summary)
        s = self.summary
        log.info(
            "cohort run for %s into %s: %d issued, %d already issued, %d failed in %.1f s%s",
            self.achievement_id,
            self.out,
            s.issued,
            s.skipped_existing,
            s.failed,
            s.elapsed_seconds,
            " (interrupted)"
            if interrupted
            else f" (stopped at line {s.stopped_at_line})"
            if s.stopped_at_line
            else "",
            extra={
                "issued": s.issued,
                "skipped": s.skipped_existing,
                "failed": s.failed,
                "duration_s": s.elapsed_seconds,
            },
        )


def _resolve_bake(bake: bytes | Literal["default"] | None, definition: Definition) -> bytes | None:
    if bake != "default":
        return bake

    return default_badge_svg(definition.achievement.title, issuer_name=definition.issuer.name).encode("utf-8")


def issue_many(
    definition: Definition,
    rows: Iterable[CohortRow | CohortRowError],
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
    :func:`microcred.issuing.issue`, and ``format`` and ``cryptosuite`` default by key type as there.
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
        )
    finally:
        lock.close()


def _issue_locked(
    definition: Definition,
    rows: Iterable[CohortRow | CohortRowError],
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
) -> CohortSummary:
    for stale in out.glob(f"{TMP_PREFIX}*"):  # left by a killed run
        log.debug("removing %s, left by a run that was killed", stale)
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
        new_id=new_id or new_credential_id,
        salt=salt,
    )
    own_executor = executor is None
    if executor is None:
        workers = workers or os.cpu_count() or 1
        if workers <= 1:
            executor = InlineExecutor()
        else:
            executor = cf.ProcessPoolExecutor(workers, initializer=worker_init, initargs=(shared,))
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
                            sign_job,
                            SignJob(
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
