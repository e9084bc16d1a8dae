"""The parent side of one cohort run (:class:`RunBook`): what is already issued, reserving and
recording through :mod:`microcred.issuing`, writing files, the journal and the summary, in row order.
Workers only build and sign; everything a run writes is written here, by one process."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import _files
from ..errors import MicrocredError
from ..issuing import Format, record, reserve
from ..ledger.protocol import Ledger, Reservation, ReserveRequest
from .journal import Journal
from .output import (
    DIR_SYNC_EVERY,
    credential_file_name,
    image_suffix,
    sha256_hex,
    sync_dir,
    write_all,
    write_file,
)
from .privacy import Pseudonyms
from .summary import CohortEvent, CohortResult, CohortSummary, RowStatus, SummaryWriter
from .workers import Signed, bake_into

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from ..keys.material import IssuerKey
    from ..model.definition import Definition
    from .rows import CohortRow, CohortRowError, SkippedRow

#: Rows reserved, signed and recorded together.
CHUNK = 32
log = logging.getLogger(__name__)

OnError = Literal["skip", "stop"]


@dataclass
class Pending:
    """A row being signed: its row, the worker's future, and the status entries reserved for it."""

    row: CohortRow
    future: cf.Future[Signed]
    reservation: Reservation | None


class RunBook:
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
        plain_names: bool = False,
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
        self.plain_names = plain_names
        self.pseudonyms = Pseudonyms(key)
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
        elif result.status == "not-passing":
            s.not_passing += 1
        elif result.status == "not-a-learner":
            s.not_a_learner += 1
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

    def skipped(self, row: SkippedRow) -> CohortResult:
        status: RowStatus = "not-passing" if row.status == "not-passing" else "not-a-learner"
        recipient, row_key = row.recipient, row.row_key
        if recipient and not self.plain_names:  # shown like every other row: pseudonyms by default
            recipient, row_key = self.pseudonyms.of(recipient), self.pseudonyms.of(row_key)
        return CohortResult(row.line, recipient, row_key, status, error=row.reason)

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

    # -- privacy: what is stored and shown instead of a learner's email

    def key_of(self, row: CohortRow) -> str:
        """The row key as the ledger and the journal store it: its keyed pseudonym."""
        return self.pseudonyms.of(row.row_key)

    def stem(self, row: CohortRow) -> str:
        """The file stem: opaque by default, the recipient's (readable) with ``plain_names``."""
        if self.plain_names:
            return credential_file_name(row.row_key)
        return self.pseudonyms.file_stem(row.row_key)

    def shown(self, row: CohortRow) -> tuple[str, str]:
        """(recipient, row key) as the results and the summary show them."""
        if self.plain_names:
            return row.recipient, row.row_key
        return self.pseudonyms.of(row.recipient), self.key_of(row)

    # -- idempotency

    def existing(self, row: CohortRow) -> CohortResult | None:
        """The result for a row issued by an earlier run (restoring a lost file from the ledger), or None.

        Rows are found by pseudonym, else (an out-dir or ledger of a release before pseudonyms) by
        the plain row key, whose file keeps its old name."""
        if self.ledger is not None:
            return self._existing_in_ledger(row)
        stem = self.stem(row)
        entry = self.journal.get(self.key_of(row))
        if entry is None:
            entry = self.journal.get(row.row_key)
            stem = credential_file_name(row.row_key)
        if entry is None:
            return None
        credential_id, name, sha = entry
        found = _files.read_regular(self.out / name)  # never through a link, never blocking on a FIFO
        if found is None or sha256_hex(found) != sha:
            return None
        image = self.image_name(stem)
        if image is not None and not (self.out / image).exists():
            return None
        return CohortResult(row.line, *self.shown(row), "skipped-existing", credential_id, name, image)

    def _existing_in_ledger(self, row: CohortRow) -> CohortResult | None:
        assert self.ledger is not None
        stem = self.stem(row)
        record = self.ledger.find_by_row_key(self.achievement_id, self.key_of(row))
        if record is None:
            record = self.ledger.find_by_row_key(self.achievement_id, row.row_key)
            stem = credential_file_name(row.row_key)
        if record is None or record.state != "issued":
            return None  # never issued, or reserved by a run that never signed it: issue it (again)
        name = f"{stem}{'.jwt' if record.format == 'jwt' else '.json'}"
        data = _files.read_regular(self.out / name)
        if data is None or sha256_hex(data) != record.document_sha256:
            data = self.ledger.document(record.credential_id)
            if data is None:
                return CohortResult(
                    row.line,
                    *self.shown(row),
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
        return CohortResult(row.line, *self.shown(row), "skipped-existing", record.credential_id, name, image)

    # -- the two halves of a chunk

    def failure(self, row: CohortRow, exc: BaseException, credential_id: str | None = None) -> CohortResult:
        if isinstance(exc, MicrocredError):
            code, message = exc.code, str(exc)
        else:
            code, message = "internal.error", f"{type(exc).__name__}: {exc}"
        return CohortResult(
            row.line, *self.shown(row), "failed", credential_id, error_code=code, error=message
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
                self.pseudonyms.of(row.recipient),
                self.format,
                row.valid_from or self.now,
                self.status_base_url,
                suspension=self.suspension,
                row_key=self.key_of(row),
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

    def finish(self, chunk: list[Pending | CohortResult]) -> None:
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
            stem = self.stem(row)
            name = f"{stem}{done.suffix}"
            image = None
            if done.image is not None:
                image = f"{stem}{image_suffix(done.image)}"
                files.append((image, done.image))
            files.append((name, done.data))
            entries.append((self.key_of(row), done.credential_id, name, sha256_hex(done.data)))
            results[i] = CohortResult(row.line, *self.shown(row), "issued", done.credential_id, name, image)
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
        chunk: list[Pending | CohortResult],
        signed: dict[int, Signed],
        results: dict[int, CohortResult],
    ) -> None:
        assert self.ledger is not None
        reservations: dict[int, tuple[CohortRow, Reservation]] = {}
        for i in signed:
            item = chunk[i]
            assert isinstance(item, Pending) and item.reservation is not None
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
