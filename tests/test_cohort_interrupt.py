"""Acceptance: a 1,000-learner cohort issued into a ledger is interrupted halfway (SIGINT, then SIGKILL),
rerun, and ends with exactly 1,000 credentials (files and ledger rows with hashes), each verifying."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cohort_support import check_credential, make_issuer, write_cohort
from microcred.cohort.journal import JOURNAL_NAME
from microcred.ledger.protocol import Ledger

DRIVER = Path(__file__).parent / "helpers" / "cohort_driver.py"
LEARNERS = 1000
HALF = LEARNERS // 2

pytestmark = pytest.mark.slow


def start(log: Path, *args: Path) -> subprocess.Popen:
    """Start the driver in its own process group; output goes to LOG.out / LOG.err (files, not pipes:
    after a SIGKILL nothing must be left holding a pipe open)."""
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        return subprocess.Popen(
            [sys.executable, str(DRIVER), *map(str, args), "2"],
            stdout=out,
            stderr=err,
            start_new_session=True,
        )


def finish(proc: subprocess.Popen, log: Path, timeout: float) -> bytes:
    """Wait for the run and return its stderr; whatever is left of its process group is killed."""
    try:
        proc.wait(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return log.with_suffix(".err").read_bytes()


def journal_lines(out: Path) -> int:
    try:
        with open(out / JOURNAL_NAME, "rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


def wait_for_half(proc: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 180
    while journal_lines(out) < HALF:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before it was interrupted")
        if time.monotonic() > deadline:
            raise AssertionError("the run did not reach half the cohort in 180 s")
        time.sleep(0.01)


def credential_files(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("*.json") if not p.name.startswith("summary"))


def check_all(paths: list[Path]) -> list[tuple[str, str]]:
    with cf.ProcessPoolExecutor(2) as pool:
        results = list(pool.map(check_credential, paths, chunksize=25))
    return [(p.name, reason) for p, (ok, reason) in zip(paths, results, strict=True) if not ok]


@pytest.fixture
def cohort(tmp_path: Path, ledger_target: str):
    """The cohort, once per ledger backend (an SQLite file, or PostgreSQL)."""
    definition, key = make_issuer(tmp_path / "issuer")
    csv_path = write_cohort(tmp_path / "cohort.csv", LEARNERS)
    return definition, key, csv_path, tmp_path / "out", ledger_target


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_interrupted_cohort_resumes_to_exactly_all_learners(cohort, sig: signal.Signals) -> None:
    definition, key, csv_path, out, ledger_path = cohort
    first = out.parent / "first"
    proc = start(first, definition, key, csv_path, out, ledger_path)
    try:
        wait_for_half(proc, out)
        proc.send_signal(sig)  # to the issuing process only, as kill(1) would
    finally:
        stderr = finish(proc, first, 120)
    with Ledger.open(ledger_path) as ledger:
        issued_before = [r for r in ledger.credentials() if r.state == "issued"]
    assert HALF <= len(issued_before) < LEARNERS, "interrupted too late: raise LEARNERS"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr.decode()
        assert b"rerun the same command" in stderr and b"Traceback" not in stderr
        summary = json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))
        assert summary["interrupted"] is True
        assert summary["counts"]["issued"] == len(issued_before) == len(credential_files(out))
        assert [r["status"] for r in summary["rows"]] == ["issued"] * len(issued_before)
    else:
        assert proc.returncode == -signal.SIGKILL

    second = out.parent / "rerun"
    rerun = start(second, definition, key, csv_path, out, ledger_path)
    stderr = finish(rerun, second, 300)
    assert rerun.returncode == 0, stderr.decode()
    summary = json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))
    counts = summary["counts"]
    assert counts["failed"] == 0 and counts["issued"] + counts["skipped-existing"] == LEARNERS
    assert counts["skipped-existing"] >= len(issued_before)
    assert summary["interrupted"] is False

    files = credential_files(out)
    assert len(files) == LEARNERS
    with Ledger.open(ledger_path) as ledger:
        records = [r for r in ledger.credentials() if r.state == "issued"]
    assert len(records) == LEARNERS
    assert len({r.row_key for r in records}) == LEARNERS
    assert len({(r.revocation_list, r.revocation_index) for r in records}) == LEARNERS
    hashes = {r.credential_id: r.document_sha256 for r in records}
    for path in files:
        data = path.read_bytes()
        credential_id = json.loads(data)["id"]
        assert hashes.pop(credential_id) == hashlib.sha256(data).hexdigest(), path.name
    assert not hashes
    assert not list(out.glob(".mc-tmp-*"))
    assert check_all(files) == []
