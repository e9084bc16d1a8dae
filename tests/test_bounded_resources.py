"""Issue 10, class 7: bounded resources. stdin and files are read with their cap, a folder streams
with flat memory, a huge CSV cell is a row error read no further, and every cap lives in limits."""

from __future__ import annotations

import io
import json
import os
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import microcred.cli._build as build_cli
import microcred.cli._issuing as issuing_cli
from microcred import limits
from microcred.cli import main
from microcred.cohort.rows import CohortRowError, count_cohort_rows, scan_cohort
from microcred.credential.reader import read_credential
from microcred.errors import InputError

CAP = limits.MAX_INPUT_BYTES


class _Stdin:
    """A stdin of ``size`` bytes that remembers the largest amount any single read returned."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.largest = 0
        self.buffer = self

    def read(self, n: int = -1) -> bytes:
        take = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= take
        self.largest = max(self.largest, take)
        return b" " * take


@pytest.mark.parametrize("reader", ["verify", "inspect"])
def test_stdin_is_read_with_its_cap_not_whole(monkeypatch: pytest.MonkeyPatch, reader: str) -> None:
    stdin = _Stdin(CAP * 2)
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(InputError, match=f"larger than {CAP} bytes"):
        if reader == "verify":
            read_credential(issuing_cli._source("-"))
        else:
            build_cli.read_credential("-")
    assert stdin.largest <= CAP + 1


def test_stdin_over_the_cap_is_a_clear_cli_error() -> None:
    result = CliRunner().invoke(main, ["verify", "-"], input=io.BytesIO(b" " * (CAP + 10)))
    assert result.exit_code == 2 and f"larger than {CAP} bytes" in result.output
    assert "Traceback" not in result.output


def test_a_device_reporting_no_size_is_read_with_the_cap() -> None:
    # /dev/zero says its size is 0 and never ends: read whole, it would fill the memory
    with pytest.raises(InputError, match=f"larger than {CAP} bytes"):
        read_credential(Path("/dev/zero"))


# ---- a folder streams ----------------------------------------------------------------------------


def _folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:06d}.json").write_bytes(b"x")
    (folder / "notes.md").write_text("not a credential")
    return folder


def test_a_large_folder_is_walked_with_flat_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, 4000)
    monkeypatch.setattr(issuing_cli, "SORTED_FOLDER_ENTRIES", 100)  # "large" is over 100 here
    tracemalloc.start()
    try:
        count = sum(1 for _ in issuing_cli._iter_inputs((str(folder),)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    # all 4000 names (or their DirEntry objects) held at once take far more than this
    assert peak < 150_000, peak


def test_results_come_before_the_walk_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, 300)
    monkeypatch.setattr(issuing_cli, "SORTED_FOLDER_ENTRIES", 20)
    pulled: list[int] = []  # entries handed out by each os.scandir the verify command opens
    real_scandir = os.scandir

    class _Counting:
        def __init__(self, path: object) -> None:
            self._it = real_scandir(path)  # type: ignore[call-overload]
            self._slot = len(pulled)
            pulled.append(0)

        def __enter__(self) -> _Counting:
            return self

        def __exit__(self, *exc: object) -> None:
            self._it.close()

        def __iter__(self) -> _Counting:
            return self

        def __next__(self) -> os.DirEntry[str]:
            entry = next(self._it)
            pulled[self._slot] += 1
            return entry

    seen_at_first: list[list[int]] = []
    real_verify = issuing_cli.verify

    def verify(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not seen_at_first:
            seen_at_first.append(list(pulled))
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(issuing_cli.os, "scandir", _Counting)
    monkeypatch.setattr(issuing_cli, "verify", verify)
    result = CliRunner().invoke(main, ["verify", "--offline", str(folder)])
    assert result.exit_code == 2  # every file is unreadable ("x"), each reported
    assert result.output.count("UNREADABLE") == 300
    assert sum(pulled) >= 301  # the walk did go through the whole folder in the end
    assert max(seen_at_first[0]) <= 21  # but the first file was verified after ~20 entries


def test_a_small_folder_is_still_verified_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("b.json", "a.json", "c.jwt"):
        (folder / name).write_bytes(b"x")
    result = CliRunner().invoke(main, ["verify", "--offline", "--json", str(folder)])
    data = json.loads(result.output)
    assert [Path(r["input"]).name for r in data["results"]] == ["a.json", "b.json", "c.jwt"]
    assert data["summary"] == {"inputs": 3, "verified": 0}


def test_verify_help_says_a_batch_can_stay_offline() -> None:
    text = CliRunner().invoke(main, ["verify", "--help"]).output
    assert "--offline" in text and "batch" in text and "--allow-private-network" in text


# ---- a huge CSV cell ----------------------------------------------------------------------------


def test_a_10_mb_csv_cell_is_a_row_error_without_a_memory_spike(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("email,name\n")
        handle.write("big@example.org," + "A" * 10_000_000 + "\n")
        handle.write("ada@example.org,Ada Lovelace\n")
    tracemalloc.start()
    try:
        items = list(scan_cohort(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, peak  # the cell is 10 MB: it was never held
    assert isinstance(items[0], CohortRowError) and items[0].line == 2
    assert items[0].code == "cohort.line_too_long"
    assert not isinstance(items[1], CohortRowError) and items[1].recipient == "ada@example.org"
    assert count_cohort_rows(path) == 2


# ---- one place ----------------------------------------------------------------------------------


def test_every_enforced_cap_is_the_one_named_in_limits() -> None:
    from microcred import _json
    from microcred.baking import payload
    from microcred.credential import reader
    from microcred.fetch import Fetcher, NetworkPolicy
    from microcred.jsonld.limits import DEFAULT_LIMITS
    from microcred.keys import dids, files
    from microcred.status import bitstring
    from microcred.suites import jwt

    assert reader.MAX_INPUT_BYTES is limits.MAX_INPUT_BYTES
    assert jwt.MAX_TOKEN_CHARS is limits.MAX_TOKEN_CHARS
    assert bitstring.MAX_LIST_BYTES is limits.MAX_STATUS_LIST_BYTES
    assert payload.MAX_IMAGE_BYTES is limits.MAX_IMAGE_BYTES
    assert payload.MAX_CREDENTIAL_BYTES is limits.MAX_BAKED_CREDENTIAL_BYTES
    assert dids._MAX_DOC is limits.MAX_DID_DOCUMENT_BYTES
    assert files._MAX_KEY_FILE is limits.MAX_KEY_FILE_BYTES
    assert DEFAULT_LIMITS.max_json_depth == limits.MAX_JSON_DEPTH
    assert _json.MAX_JSON_DEPTH is limits.MAX_JSON_TEXT_DEPTH  # issue 10 class 1: nesting before parsing
    assert DEFAULT_LIMITS.max_json_chars == limits.MAX_JSON_CHARS
    assert Fetcher().max_bytes == limits.MAX_FETCH_BYTES
    policy = NetworkPolicy()
    assert (policy.deadline, policy.min_rate, policy.max_redirects) == (
        limits.FETCH_DEADLINE_SECONDS,
        limits.FETCH_MIN_BYTES_PER_SECOND,
        limits.MAX_REDIRECTS,
    )
