"""Issue 10, class 8: honest failure messages (a full disk or a read-only ledger is not "damaged, restore
from a backup", and nothing recorded is lost) and restarts that work (a killed cohort run's workers die
with it and free the out-dir lock; a rerun waits briefly for a lock whose holder is gone)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cohort_support import make_issuer, write_cohort
from microcred import _files
from microcred.cli import main
from microcred.cohort.journal import JOURNAL_NAME
from microcred.cohort.output import LOCK_NAME, lock_out_dir
from microcred.errors import LedgerError, MicrocredError
from microcred.ledger import sqlite as ledger_sqlite
from microcred.ledger.protocol import Ledger, ReserveRequest

STATUS = "https://example.edu/status"
DRIVER = Path(__file__).parent / "helpers" / "cohort_driver.py"


def sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorname = name  # type: ignore[attr-defined]  # as SQLite itself sets it
    return exc


def request(i: int) -> ReserveRequest:
    return ReserveRequest(
        f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
        "https://example.edu/achievements/a",
        f"hmac-sha256:{i:064x}",
        "di",
        "2026-03-01T12:00:00Z",
        STATUS,
        row_key=f"k{i}",
    )


# ------------------------------------------------------------------------------ honest messages


@pytest.mark.parametrize(
    ("message", "name", "code", "said"),
    [
        ("database or disk is full", "SQLITE_FULL", "ledger.disk_full", "the disk is full"),
        ("attempt to write a readonly database", "SQLITE_READONLY", "ledger.read_only", "read-only"),
        ("disk I/O error", "SQLITE_IOERR_WRITE", "ledger.io_error", "I/O error"),
    ],
    ids=["full", "read-only", "io-error"],
)
def test_opening_a_ledger_on_a_full_or_read_only_disk_is_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, name: str, code: str, said: str
) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()

    def failing(conn: sqlite3.Connection, target: Path) -> None:
        raise sqlite_error(message, name)

    monkeypatch.setattr(ledger_sqlite, "configure", failing)
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    text = str(caught.value)
    assert caught.value.code == code
    assert said in text and "nothing already recorded in it was lost" in text
    assert "damaged" not in text and "backup" not in text
    monkeypatch.undo()
    with Ledger.open(path) as ledger:  # the file was never touched
        assert ledger.credentials() == []


def test_creating_a_ledger_on_a_full_disk_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(path: Path, now: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(ledger_sqlite, "create_file", failing)
    with pytest.raises(LedgerError, match="the disk is full") as caught:
        Ledger.open(tmp_path / "ledger.db")
    assert caught.value.code == "ledger.disk_full"


def test_a_real_sqlite_full_while_issuing_keeps_what_was_recorded(tmp_path: Path) -> None:
    """SQLite's own SQLITE_FULL (``max_page_count`` caps the file, as a full disk would)."""
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        first = ledger.reserve_many([request(0)])
        pages = ledger._conn.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[attr-defined]
        ledger._conn.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]
        with pytest.raises(LedgerError) as caught:
            for i in range(1, 400):  # until the capped file is full
                ledger.reserve_many([request(i)])
    assert caught.value.code == "ledger.disk_full", caught.value
    assert "damaged" not in str(caught.value) and "nothing already recorded" in str(caught.value)
    with Ledger.open(path) as ledger:
        reserved = {r.credential_id for r in ledger.credentials(include_reserved=True)}
    assert first[0].credential_id in reserved


def test_a_full_disk_in_a_cohort_run_says_so_and_a_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition, key = make_issuer(tmp_path / "issuer")
    cohort = write_cohort(tmp_path / "cohort.csv", 40)
    out, ledger_path = tmp_path / "out", tmp_path / "ledger.db"
    args = ["issue", "--key", str(key), "--achievement", str(definition), "--cohort", str(cohort)]
    args += ["--out-dir", str(out), "--ledger", str(ledger_path), "--status-url", STATUS, "--workers", "1"]
    real = _files.write_atomic
    calls = 0

    def filling(path: Path, data: bytes, **options: object) -> None:
        nonlocal calls
        calls += 1
        if calls > 10:  # the disk fills up after ten files
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(_files, "write_atomic", filling)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "nothing already written was lost" in result.stderr
    assert "damaged" not in result.stderr and "Traceback" not in result.output
    monkeypatch.setattr(_files, "write_atomic", real)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    with Ledger.open(ledger_path) as ledger:
        issued = [r for r in ledger.credentials() if r.state == "issued"]
    assert len(issued) == 40 and len({r.row_key for r in issued}) == 40
    assert len([p for p in out.iterdir() if p.suffix == ".json"]) == 40


# ---------------------------------------------------------------------------------- the lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_rerun_waits_for_a_lock_whose_run_is_gone(tmp_path: Path) -> None:
    """The lock names a run that no longer exists, and a straggler (an exiting worker) still holds it
    for a moment: the rerun waits for it instead of refusing."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(f"{_dead_pid()}\n", encoding="ascii")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'r+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(1.5)",
            str(out / LOCK_NAME),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        lock = lock_out_dir(out)
        try:
            assert (out / LOCK_NAME).read_text(encoding="ascii") == f"{os.getpid()}\n"
        finally:
            lock.close()
    finally:
        holder.kill()
        holder.wait()


def test_the_wait_for_a_gone_run_is_bounded(tmp_path: Path) -> None:
    """A straggler that keeps the lock longer than the wait: the rerun gives up (cohort.busy) instead
    of waiting for ever."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(f"{_dead_pid()}\n", encoding="ascii")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'r+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(60)",
            str(out / LOCK_NAME),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(MicrocredError, match="another cohort run is writing") as caught:
            lock_out_dir(out, wait_orphan=1.5)
        assert caught.value.code == "cohort.busy"
        assert holder.poll() is None  # it gave up while the straggler still held the lock
    finally:
        holder.kill()
        holder.wait()


def test_a_live_run_still_keeps_others_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    first = lock_out_dir(out)
    try:
        with pytest.raises(MicrocredError, match=f"another cohort run \\(process {os.getpid()}\\)") as caught:
            lock_out_dir(out)
        assert caught.value.code == "cohort.busy"
    finally:
        first.close()
    lock_out_dir(out).close()  # free again


# ------------------------------------------------------------------------- SIGKILL, then rerun


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(p) for p in handle.read().split())
    return found


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie has exited
    except OSError:
        return True


def _lock_is_free(out: Path) -> bool:
    with open(out / LOCK_NAME, "r+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def _run(tmp: Path, name: str, *args: Path) -> subprocess.Popen[bytes]:
    with open(tmp / f"{name}.out", "wb") as out, open(tmp / f"{name}.err", "wb") as err:
        return subprocess.Popen(
            [sys.executable, str(DRIVER), *map(str, args), "2"],
            stdout=out,
            stderr=err,
            start_new_session=True,
        )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")
@pytest.mark.slow
def test_a_killed_run_takes_its_workers_and_the_lock_with_it_and_a_rerun_completes(tmp_path: Path) -> None:
    learners = 400
    definition, key = make_issuer(tmp_path / "issuer")
    cohort = write_cohort(tmp_path / "cohort.csv", learners)
    out, ledger_path = tmp_path / "out", tmp_path / "ledger.db"
    proc = _run(tmp_path, "first", definition, key, cohort, out, ledger_path)
    try:
        deadline = time.monotonic() + 180
        while not (out / JOURNAL_NAME).exists() or (out / JOURNAL_NAME).read_bytes().count(b"\n") < 40:
            assert proc.poll() is None, (tmp_path / "first.err").read_text()
            assert time.monotonic() < deadline, "the run did not get going in 180 s"
            time.sleep(0.01)
        workers = _children(proc.pid)
        assert workers, "no worker processes found"
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer or a supervisor would
        proc.wait()
        assert _lock_is_free(out), "a worker still holds the out-dir lock after its parent died"
        deadline = time.monotonic() + 30
        while not all(_gone(pid) for pid in workers):
            assert time.monotonic() < deadline, "worker processes outlived their parent"
            time.sleep(0.02)
        rerun = _run(tmp_path, "rerun", definition, key, cohort, out, ledger_path)  # at once
        assert rerun.wait(timeout=300) == 0, (tmp_path / "rerun.err").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with Ledger.open(ledger_path) as ledger:
        issued = [r for r in ledger.credentials() if r.state == "issued"]
    assert len(issued) == learners and len({r.row_key for r in issued}) == learners  # each exactly once
    assert len([p for p in out.iterdir() if p.suffix == ".json"]) == learners
