"""Smoke test of benchmarks/ledger_backends.py: a tiny run on both backends prints every figure and
exits 0 (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_prints_every_figure():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ledger_backends.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for processes in (1, 2, 4):
        assert re.search(rf"^\| {processes} \| \d+ \| \d+ \|$", done.stdout, re.M), done.stdout
    for backend in ("SQLite", "PostgreSQL"):
        assert re.search(rf"^\| {backend} \| [\d.]+ \| [\d.]+ \| [\d.]+ \| \d+ \|$", done.stdout, re.M)
    assert re.search(r"^SQLite \d+ MB \(uncompressed\), PostgreSQL \d+ MB \(TOAST\)$", done.stdout, re.M)
