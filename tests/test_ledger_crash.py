"""Crash safety: issuing processes are SIGKILLed at random points, again and again; nothing that left
a process is missing from the ledger, no index is held twice, and the ledger opens cleanly. Two
processes issuing into one ledger at once never share an index."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.ledger.protocol import Ledger

HELPER = Path(__file__).parent / "helpers" / "ledger_issue_loop.py"
SRC = Path(__file__).resolve().parents[1] / "src"
ACHIEVEMENT = "https://example.edu/achievements/crash"
PUBLIC = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()

pytestmark = pytest.mark.slow


def start(
    ledger: Path, rows: int, list_size: int, achievement: str = ACHIEVEMENT, *extra: str
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HELPER), str(ledger), str(rows), str(list_size), achievement, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def left(stdout: bytes) -> tuple[list[bytes], bytes]:
    """The complete lines a process wrote (each a credential that left it), and any torn tail."""
    *lines, tail = stdout.split(b"\n")
    return lines, tail


def verify_line(line: bytes) -> dict:
    doc = json.loads(line)
    signature = bytes.fromhex(doc.pop("testSignature"))
    PUBLIC.verify(signature, json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    return doc


def check_ledger(path: Path, emitted: dict[str, bytes]) -> None:
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        for column in ("revocation", "suspension"):  # every row ever, abandoned reservations included
            dupes = raw.execute(
                f"SELECT {column}_list, {column}_index, COUNT(*) FROM credentials "
                f"WHERE {column}_list IS NOT NULL "
                f"GROUP BY {column}_list, {column}_index HAVING COUNT(*) > 1"
            ).fetchall()
            assert dupes == []
        lists = raw.execute(
            "SELECT l.url, l.used, l.size, (SELECT COUNT(*) FROM credentials c "
            "WHERE c.revocation_list = l.list_id OR c.suspension_list = l.list_id) FROM status_lists l"
        ).fetchall()
        for url, used, size, holders in lists:
            assert used == holders <= size, url
        live = raw.execute(
            "SELECT achievement_id, row_key, COUNT(*) FROM credentials WHERE state <> 'abandoned' "
            "GROUP BY achievement_id, row_key HAVING COUNT(*) > 1"
        ).fetchall()
        assert live == []
    finally:
        raw.close()
    with Ledger.open(path, create=False) as ledger:
        ledger.check()
        for credential_id, line in emitted.items():
            record = ledger.get(credential_id)
            assert record is not None, f"{credential_id} left the process but is not in the ledger"
            assert record.state == "issued"
            assert record.document_sha256 == hashlib.sha256(line).hexdigest()
            assert ledger.document(credential_id) == line


def test_sigkill_at_random_points(tmp_path):
    ledger = tmp_path / "crash.db"
    rows, list_size = 2500, 96  # more rows than the interrupted rounds can issue
    rng = random.Random(20261123)
    emitted: dict[str, bytes] = {}
    torn = 0
    phases = ["reserved", "signed", "recorded", "half-written"]
    for round_no in range(12):
        if round_no % 2:  # from inside, at a chosen window of a chosen issuance
            extra = ("--die-at", f"{phases[(round_no // 2) % 4]}:{rng.randrange(5, 40)}")
            proc = start(ledger, rows, list_size, ACHIEVEMENT, *extra)
            out, err = proc.communicate(timeout=120)
        else:  # from outside, at a random moment (the first round may die while creating the ledger)
            proc = start(ledger, rows, list_size)
            time.sleep(rng.uniform(0.3, 1.0) if round_no else rng.uniform(0.0, 0.5))
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=120)
        assert proc.returncode in (-signal.SIGKILL, 0), err.decode()
        lines, tail = left(out)
        torn += bool(tail)
        for line in lines:
            doc = verify_line(line)
            emitted[doc["id"]] = line
        if ledger.exists():
            check_ledger(ledger, emitted)
    assert torn >= 1  # the half-written rounds tore a line
    # a last run without interruption finishes the cohort: exactly one issued credential per row
    proc = start(ledger, rows, list_size)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    for line in left(out)[0]:
        emitted[verify_line(line)["id"]] = line
    check_ledger(ledger, emitted)
    with Ledger.open(ledger, create=False) as opened:
        issued = opened.credentials()
        assert len(issued) == rows
        assert sorted(r.row_key for r in issued) == sorted(f"row-{n}" for n in range(rows))
        assert set(emitted) <= {r.credential_id for r in issued}
        assert len(opened.lists()) > 2  # lists rolled over while being killed


def test_two_processes_at_once(tmp_path):
    ledger = tmp_path / "shared.db"  # not there yet: the processes race to create it too
    # two cohorts, and the same cohort twice: all four processes run together
    procs = [
        start(ledger, 150, 64, a) for a in (ACHIEVEMENT + "/a", ACHIEVEMENT + "/b", ACHIEVEMENT, ACHIEVEMENT)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    emitted: dict[str, bytes] = {}
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        for line in left(out)[0]:
            doc = verify_line(line)
            assert doc["id"] not in emitted
            emitted[doc["id"]] = line
    check_ledger(ledger, emitted)
    with Ledger.open(ledger, create=False) as opened:
        issued = opened.credentials()
    assert len(issued) == 3 * 150 == len(emitted)
    slots = [(r.revocation_list, r.revocation_index) for r in issued]
    assert len(set(slots)) == len(slots)
