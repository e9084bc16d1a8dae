"""Cohort issuance: CSV reading (encodings, scripts, line numbers), skip/stop, idempotent reruns,
executors, bounded in-flight work, baking, and the command glue."""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort_support import DEFINITION, NAMES, check_credential, check_proof, make_issuer, write_cohort
from microcred.cli._cohort import run_cohort_command
from microcred.cohort.journal import JOURNAL_NAME
from microcred.cohort.output import credential_file_name
from microcred.cohort.rows import CohortRow, CohortRowError, count_cohort_rows, read_cohort, scan_cohort
from microcred.cohort.run import issue_many
from microcred.cohort.summary import CohortResult, iter_summary
from microcred.credential.inspection import credential_elements
from microcred.errors import MicrocredError, ProofError
from microcred.keys.files import load_key
from microcred.keys.material import generate_key
from microcred.ledger.protocol import Ledger, ReserveRequest
from microcred.model.definition import load_definition

STATUS = "https://example.edu/status"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("issuer")
    definition_path, key_path = make_issuer(folder)
    return definition_path, key_path, load_definition(definition_path), load_key(key_path)


def write(path: Path, text: str, *, bom: bool = False, newline: str = "\n") -> Path:
    data = text.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def credential_files(out: Path) -> list[Path]:
    return sorted(
        p for p in out.iterdir() if p.suffix in (".json", ".jwt") and not p.name.startswith("summary")
    )


# ------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_bom_and_line_endings(tmp_path: Path, bom: bool, newline: str) -> None:
    path = write(
        tmp_path / "c.csv",
        "recipient,name\nann@example.org,Ann\nbob@example.org,Bob\n",
        bom=bom,
        newline=newline,
    )
    rows = list(read_cohort(path))
    assert [(r.line, r.recipient, r.name) for r in rows] == [
        (2, "ann@example.org", "Ann"),
        (3, "bob@example.org", "Bob"),
    ]


def test_names_in_any_script_are_kept_exactly(tmp_path: Path) -> None:
    lines = ["email,name"] + [f"p{i}@example.org,{name}" for i, name in enumerate(NAMES)]
    rows = list(read_cohort(write(tmp_path / "c.csv", "\n".join(lines) + "\n", bom=True)))
    assert [r.name for r in rows] == NAMES


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(tmp_path: Path) -> None:
    text = "recipient,name\n\nann@example.org,Ann\n,\n   \nnot-an-email,Bob\n"
    items = list(scan_cohort(write(tmp_path / "c.csv", text)))
    assert isinstance(items[0], CohortRow) and items[0].line == 3
    assert isinstance(items[1], CohortRowError)
    assert items[1].line == 6 and items[1].field == "recipient"
    assert "line 6" in str(items[1]) and "not-an-email" in str(items[1])


def test_multiline_quoted_field_keeps_later_line_numbers(tmp_path: Path) -> None:
    text = (
        'recipient,evidence_narrative,name\nann@example.org,"First line\r\nSecond line",Ann\n'
        'bad@,,Bob\nzed@example.org,,"Zed\nNewline"\n'
    )
    items = list(scan_cohort(write(tmp_path / "c.csv", text)))
    assert isinstance(items[0], CohortRow) and items[0].evidence_narrative == "First line\nSecond line"
    assert isinstance(items[1], CohortRowError) and items[1].line == 4
    assert isinstance(items[2], CohortRowError) and (items[2].line, items[2].field) == (5, "name")


@pytest.mark.parametrize(
    ("header", "cell", "field", "words"),
    [
        ("recipient", "bob@", "recipient", "not an email address"),
        ("recipient", "bob@example", "recipient", "not an email address"),
        ("recipient", "two words@example.org", "recipient", "not an email address"),
        ("did", "did:example", "did", "not a valid DID"),
        ("recipient,evidence_url", "c@example.org,ftp://x.example/a", "evidence_url", "http(s) URL"),
        ("recipient,valid_from", "c@example.org,2026-02-30", "valid_from", "calendar date"),
        ("recipient,valid_from", "c@example.org,yesterday", "valid_from", "ISO 8601"),
        ("recipient,awarded_date", "c@example.org,2026-01-01T10:00:00", "awarded_date", "no timezone"),
        (
            "recipient,valid_from,valid_until",
            "c@example.org,2026-05-01,2026-04-01",
            "valid_until",
            "not after",
        ),
        ("recipient,name", "c@example.org,Ann\x07", "name", "control character"),
        ("recipient,name", ",Ann", "recipient", "empty"),
    ],
    ids=[
        "email-no-domain",
        "email-no-tld",
        "email-space",
        "did-no-id",
        "evidence-ftp",
        "date-invalid",
        "date-words",
        "datetime-naive",
        "until-before-from",
        "control-char",
        "empty",
    ],
)
def test_bad_value_reported_with_its_line(
    tmp_path: Path, header: str, cell: str, field: str, words: str
) -> None:
    good = ",".join(["ok@example.org"] + [""] * header.count(","))
    path = write(tmp_path / "c.csv", f"{header}\n{good}\n\n{cell}\n")
    items = list(scan_cohort(path))
    assert isinstance(items[0], CohortRow)
    error = items[1]
    assert isinstance(error, CohortRowError)
    assert (error.line, error.field, error.code) == (4, field, "cohort.row_invalid")
    assert words in error.message
    with pytest.raises(CohortRowError, match="line 4"):
        list(read_cohort(path))


def test_optional_columns_are_parsed(tmp_path: Path) -> None:
    text = (
        "Recipient,Name,Grade,Evidence URL,evidence_name,evidence-narrative,valid_from,valid_until,"
        "awarded_date,row_key\n"
        "MAILTO:Ann@Example.ORG,Ann,A+,https://example.edu/e/1,Portfolio,Built a thing,2026-01-01,"
        "2027-01-01T00:00:00+01:00,2025-12-20T09:30:00Z,student-17\n"
    )
    (row,) = read_cohort(write(tmp_path / "c.csv", text))
    assert row.recipient == "ann@example.org" and row.row_key == "student-17"
    assert (row.grade, row.evidence_url, row.evidence_name, row.evidence_narrative) == (
        "A+",
        "https://example.edu/e/1",
        "Portfolio",
        "Built a thing",
    )
    assert row.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert row.valid_until is not None and row.valid_until.utcoffset() is not None
    assert row.awarded_date == datetime(2025, 12, 20, 9, 30, tzinfo=UTC)


def test_row_key_defaults_to_the_normalised_recipient(tmp_path: Path) -> None:
    text = "recipient\nAnn@Example.org\ndid:web:learners.example:bob\n"
    rows = list(read_cohort(write(tmp_path / "c.csv", text)))
    assert [r.row_key for r in rows] == ["ann@example.org", "did:web:learners.example:bob"]


@pytest.mark.parametrize(
    ("second", "what"),
    [
        ("ann@example.org", "recipient"),
        ("ANN@example.org", "recipient"),
        ("mailto:ann@EXAMPLE.org", "recipient"),
    ],
    ids=["same", "case", "mailto"],
)
def test_duplicate_recipient_is_an_error_on_the_later_line(tmp_path: Path, second: str, what: str) -> None:
    path = write(tmp_path / "c.csv", f"recipient\nann@example.org\nbob@example.org\n{second}\n")
    items = list(scan_cohort(path))
    assert [type(i).__name__ for i in items] == ["CohortRow", "CohortRow", "CohortRowError"]
    error = items[2]
    assert isinstance(error, CohortRowError)
    assert error.line == 4 and error.code == "cohort.duplicate"
    assert f"duplicate {what}" in error.message and "already on line 2" in error.message


def test_duplicate_row_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "recipient,row_key\nann@example.org,k1\nbob@example.org,k1\n")
    items = list(scan_cohort(path))
    assert isinstance(items[1], CohortRowError) and "duplicate row key" in items[1].message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name,grade\nAnn,A\n", "no recipient column"),
        ("email,did\nann@example.org,\n", "both name the recipient"),
        ("recipient,evidance_url\nann@example.org,x\n", "unknown column 'evidance_url'"),
        ("recipient,name,Name\nann@example.org,a,b\n", "appears twice"),
        ("", "empty"),
    ],
    ids=["missing-recipient", "two-recipient-columns", "unknown-column", "repeated-column", "empty-file"],
)
def test_header_problems_raise_on_line_1(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path / "c.csv", text)
    with pytest.raises(CohortRowError) as caught:
        list(scan_cohort(path))
    assert caught.value.line == 1 and words in caught.value.message
    assert caught.value.code == "cohort.header_invalid"
    assert str(path) in str(caught.value)


def test_ignored_and_unnamed_empty_columns_are_accepted(tmp_path: Path) -> None:
    text = "recipient,notes,X_LMS_ID,Comment,\nann@example.org,late,991,ok,\n"
    (row,) = read_cohort(write(tmp_path / "c.csv", text))
    assert row.recipient == "ann@example.org"


def test_a_value_under_an_unnamed_column_is_an_error(tmp_path: Path) -> None:
    items = list(scan_cohort(write(tmp_path / "c.csv", "recipient,\nann@example.org,surprise\n")))
    assert isinstance(items[0], CohortRowError) and items[0].field == "column 2"


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("recipient,name\nann@example.org,Zoë\n".encode("latin-1"))
    with pytest.raises(CohortRowError, match="not UTF-8") as caught:
        list(scan_cohort(path))
    assert caught.value.code == "cohort.csv_invalid"


def test_missing_file_is_a_microcred_error(tmp_path: Path) -> None:
    with pytest.raises(MicrocredError, match="cannot open"):
        list(scan_cohort(tmp_path / "nope.csv"))


def test_reading_is_lazy(tmp_path: Path) -> None:
    """Rows stream: the first rows arrive before a bad row near the end is even read."""
    path = write_cohort(tmp_path / "c.csv", 2000)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("broken-at-the-end,x,,\n")
    rows = read_cohort(path)
    first = next(rows)
    assert first.line == 2 and first.recipient == "learner000000@example.org"
    with pytest.raises(CohortRowError, match="line 2002"):
        for _ in rows:
            pass
    assert count_cohort_rows(path) == 2001


@pytest.mark.parametrize(
    "key",
    [
        "ann@example.org",
        "did:web:example.edu:learners:李小龍",
        "محمد@example.org",
        "🎓🎓🎓",
        "../../etc/passwd",
        "CON",
        "a" * 400,
        "李" * 200,
        'x/y\\z:*?"<>|',
        "Ann@Example.org",
    ],
    ids=[
        "email",
        "did-cjk",
        "arabic",
        "emoji",
        "traversal",
        "windows-reserved",
        "long-ascii",
        "long-cjk",
        "punctuation",
        "case",
    ],
)
def test_file_names_are_safe_for_any_script(key: str) -> None:
    name = credential_file_name(key)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert not any(c in name for c in ':*?"<>|')
    assert len((name + ".json").encode("utf-8")) <= 120
    assert name != credential_file_name(key.swapcase() + "!")  # different keys, different names
    assert name == credential_file_name(key)


# ------------------------------------------------------------------------------------------ issuing


def test_issue_small_cohort(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write(
        tmp_path / "c.csv",
        "email,name,grade,evidence_url,evidence_name\n"
        "ann@example.org,李小龍,B,https://example.edu/work/1,Final project\n"
        "bob@example.org,محمد عبد الله,,,\n",
        bom=True,
    )
    out = tmp_path / "out"
    seen: list[CohortResult] = []
    summary = issue_many(
        definition,
        scan_cohort(path),
        key,
        out_dir=out,
        workers=1,
        now=NOW,
        progress=lambda e: seen.append(e.result),
        plain_names=True,  # the recipients shown as they are (the default shows pseudonyms)
    )
    assert (summary.issued, summary.skipped_existing, summary.failed) == (2, 0, 0)
    assert summary.complete and [r.status for r in seen] == ["issued", "issued"]
    files = credential_files(out)
    assert len(files) == 2
    docs = {
        credential_elements(json.loads(f.read_text(encoding="utf-8")))["learner"]["name"]: f for f in files
    }
    assert set(docs) == {"李小龍", "محمد عبد الله"}
    ann = json.loads(docs["李小龍"].read_text(encoding="utf-8"))
    assert ann["credentialSubject"]["result"][0]["value"] == "B"
    assert ann["evidence"][0]["id"] == "https://example.edu/work/1"
    assert ann["validFrom"] == "2026-03-01T12:00:00Z"
    for f in files:
        assert check_proof(f) == (True, "ok")
    with open(out / "summary" / "summary.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["recipient"], r["status"]) for r in rows] == [
        ("2", "ann@example.org", "issued"),
        ("3", "bob@example.org", "issued"),
    ]
    assert {r["file"] for r in rows} == {f.name for f in files}
    report = json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))
    assert report["counts"] == {
        "issued": 2,
        "skipped-existing": 0,
        "failed": 0,
        "not-passing": 0,
        "not-a-learner": 0,
        "total": 2,
    }
    assert [r["credential_id"] for r in report["rows"]] == [r["credential_id"] for r in rows]
    assert [r.status for r in iter_summary(out)] == ["issued", "issued"]
    assert not list(out.glob(".mc-tmp-*"))


def test_issued_credential_verifies(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 2)
    out = tmp_path / "out"
    issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    for f in credential_files(out):
        assert check_credential(f) == (True, "")


BAD_AT_4 = (
    "recipient,name\nl1@example.org,A\nl2@example.org,B\nnot-an-email,C\nl4@example.org,D\nl5@example.org,E\n"
)


def test_stop_at_the_first_bad_row_keeps_earlier_rows(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write(tmp_path / "c.csv", BAD_AT_4)
    out = tmp_path / "out"
    summary = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1, on_error="stop")
    assert (summary.issued, summary.failed, summary.stopped_at_line) == (2, 1, 4)
    assert summary.first_error is not None and summary.first_error.startswith("line 4: recipient:")
    assert len(credential_files(out)) == 2
    rows = list(iter_summary(out))
    assert [(r.line, r.status) for r in rows] == [(2, "issued"), (3, "issued"), (4, "failed")]
    assert rows[2].error_code == "cohort.row_invalid"
    # fix the row and rerun: the two issued rows are skipped, the rest issued
    write(path, BAD_AT_4.replace("not-an-email", "l3@example.org"))
    again = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1, on_error="stop")
    assert (again.issued, again.skipped_existing, again.failed) == (3, 2, 0)
    assert len(credential_files(out)) == 5


def test_skip_reports_the_bad_row_and_goes_on(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write(tmp_path / "c.csv", BAD_AT_4)
    out = tmp_path / "out"
    summary = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1, on_error="skip")
    assert (summary.issued, summary.failed, summary.stopped_at_line) == (4, 1, None)
    assert [(r.line, r.status) for r in iter_summary(out)] == [
        (2, "issued"),
        (3, "issued"),
        (4, "failed"),
        (5, "issued"),
        (6, "issued"),
    ]


def test_rerun_without_ledger_issues_only_what_is_missing(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 6)
    out = tmp_path / "out"
    issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    files = credential_files(out)
    before = {f.name: f.read_bytes() for f in files}
    files[0].unlink()  # lost
    files[1].write_text("tampered", encoding="utf-8")  # changed
    again = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    assert (again.issued, again.skipped_existing) == (2, 4)
    after = {f.name: f.read_bytes() for f in credential_files(out)}
    assert set(after) == set(before)
    for name in list(before)[2:]:
        assert after[name] == before[name]  # untouched
    for name in list(before)[:2]:
        assert check_proof(out / name) == (True, "ok")
    lines = (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8


def test_torn_journal_line_means_the_row_is_issued_again(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 3)
    out = tmp_path / "out"
    issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    journal = out / JOURNAL_NAME
    journal.write_text(journal.read_text(encoding="utf-8")[:-20], encoding="utf-8")  # a crash mid-line
    again = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    assert (again.issued, again.skipped_existing) == (1, 2)
    third = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    assert (third.issued, third.skipped_existing) == (0, 3)  # the line after the torn one reads back


def test_rerun_with_ledger(tmp_path: Path, ledger_target: str, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 5)
    out = tmp_path / "out"
    with Ledger.open(ledger_target) as ledger:
        # a row reserved by a run that died before signing is not issued: it is issued again
        ledger.reserve(
            ReserveRequest(
                "urn:uuid:stale",
                achievement_id=definition.achievement.id,
                recipient="learner000002@example.org",
                format="di",
                issued_at=NOW,
                status_list_base_url=STATUS,
                row_key="learner000002@example.org",
            )
        )
        first = issue_many(
            definition, scan_cohort(path), key, out_dir=out, ledger=ledger, workers=1, status_base_url=STATUS
        )
        assert (first.issued, first.skipped_existing) == (5, 0)
        records = ledger.credentials()
        assert len(records) == 5 and all(r.state == "issued" for r in records)
        files = credential_files(out)
        by_id = {json.loads(f.read_text(encoding="utf-8"))["id"]: f for f in files}
        for record in records:
            assert record.row_key is not None and record.recipient == record.row_key
            assert ledger.document(record.credential_id) == by_id[record.credential_id].read_bytes()
        doc = json.loads(files[0].read_text(encoding="utf-8"))
        assert doc["credentialStatus"]["statusListCredential"].startswith(STATUS)
        # a deleted file is restored byte for byte from the ledger, not issued twice
        lost = files[3].read_bytes()
        files[3].unlink()
        again = issue_many(
            definition, scan_cohort(path), key, out_dir=out, ledger=ledger, workers=1, status_base_url=STATUS
        )
        assert (again.issued, again.skipped_existing) == (0, 5)
        assert files[3].read_bytes() == lost
        assert len(ledger.credentials()) == 5


def test_status_base_url_defaults_from_the_issuer_url(tmp_path: Path, ledger_target: str, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 1)
    with Ledger.open(ledger_target) as ledger:
        issue_many(definition, scan_cohort(path), key, out_dir=tmp_path / "out", ledger=ledger, workers=1)
    (file,) = credential_files(tmp_path / "out")
    status = json.loads(file.read_text(encoding="utf-8"))["credentialStatus"]
    assert status["statusListCredential"].startswith("https://example.edu/credentials/status/")


def test_a_ledger_without_any_status_url_is_refused(tmp_path: Path, ledger_target: str, issuer) -> None:
    import dataclasses

    _, _, definition, key = issuer
    no_url = dataclasses.replace(definition, issuer=dataclasses.replace(definition.issuer, url=None))
    with Ledger.open(ledger_target) as ledger, pytest.raises(MicrocredError) as caught:
        issue_many(no_url, [], key, out_dir=tmp_path / "out", ledger=ledger)
    assert caught.value.code == "usage.status_url"
    assert not (tmp_path / "out").exists()


def test_the_issuer_id_is_the_keys_controller(tmp_path: Path, issuer) -> None:
    """As with issue(): a definition naming another issuer id is issued under the key's controller."""
    import dataclasses

    _, _, definition, _ = issuer
    other = dataclasses.replace(
        definition, issuer=dataclasses.replace(definition.issuer, id="https://x.example/i")
    )
    key = generate_key()
    out = tmp_path / "out"
    issue_many(other, scan_cohort(write_cohort(tmp_path / "c.csv", 2)), key, out_dir=out, workers=1)
    for f in credential_files(out):
        assert json.loads(f.read_text(encoding="utf-8"))["issuer"]["id"] == key.controller
        assert check_credential(f) == (True, "")


def test_an_out_dir_holds_one_achievement(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    out = tmp_path / "out"
    out.mkdir()
    (out / JOURNAL_NAME).write_text(
        json.dumps({"a": "https://other.example/a", "k": "x", "id": "urn:x", "f": "x.json", "h": "0"}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(MicrocredError, match="separate output folder"):
        issue_many(definition, [], key, out_dir=out)


def make_pool(kind: str) -> cf.Executor:
    if kind == "thread":
        return cf.ThreadPoolExecutor(3)
    if kind == "process":
        return cf.ProcessPoolExecutor(2)
    return cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))


@pytest.mark.parametrize("kind", ["thread", "process", "process-spawn"])
def test_any_executor_can_sign(tmp_path: Path, issuer, kind: str) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 12)
    out = tmp_path / "out"
    pool = make_pool(kind)
    with pool:
        summary = issue_many(definition, scan_cohort(path), key, out_dir=out, executor=pool)
        assert summary.issued == 12
        assert pool.submit(sum, [1, 2]).result() == 3  # the caller's executor is left running
    files = credential_files(out)
    assert len(files) == 12
    assert all(check_proof(f) == (True, "ok") for f in files[:3])


def test_default_process_pool(tmp_path: Path, ledger_target: str, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 10)
    with Ledger.open(ledger_target) as ledger:
        summary = issue_many(
            definition,
            scan_cohort(path),
            key,
            out_dir=tmp_path / "out",
            workers=2,
            ledger=ledger,
            status_base_url=STATUS,
        )
        assert summary.issued == 10 and len(ledger.credentials()) == 10


class CountingExecutor(cf.Executor):
    """A thread pool that records the most futures outstanding at once, and can fail the n-th job."""

    def __init__(self, fail_nth: set[int] | None = None) -> None:
        self.pool = cf.ThreadPoolExecutor(2)
        self.lock = threading.Lock()
        self.outstanding = 0
        self.peak = 0
        self.fail_nth = fail_nth or set()
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            self.outstanding += 1
            self.peak = max(self.peak, self.outstanding)
            self.submitted += 1
        if self.submitted in self.fail_nth:
            future: cf.Future = cf.Future()
            future.set_exception(ProofError("the signer refused", code="proof.test"))
        else:
            future = self.pool.submit(fn, *args, **kwargs)

        def done(_: cf.Future) -> None:
            with self.lock:
                self.outstanding -= 1

        future.add_done_callback(done)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_in_flight_work_is_bounded_and_rows_stream(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 60)
    consumed = 0

    def rows():
        nonlocal consumed
        for row in scan_cohort(path):
            consumed += 1
            yield row

    consumed_at_first_result: list[int] = []
    executor = CountingExecutor()
    with executor:
        summary = issue_many(
            definition,
            rows(),
            key,
            out_dir=tmp_path / "out",
            executor=executor,
            max_in_flight=6,
            progress=lambda e: consumed_at_first_result.append(consumed),
        )
    assert summary.issued == 60
    assert executor.peak <= 6
    # at most max_in_flight rows being signed, plus one chunk (max_in_flight // 2) being written
    assert consumed_at_first_result[0] <= 6 + 3 + 1  # long before the cohort was read


def test_a_row_that_cannot_be_signed_is_reported(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write(tmp_path / "c.csv", "recipient,name\na@example.org,A\nb@example.org,B\nc@example.org,C\n")
    executor = CountingExecutor(fail_nth={2})  # jobs are submitted in row order: line 3
    with executor:
        summary = issue_many(
            definition,
            scan_cohort(path),
            key,
            out_dir=tmp_path / "out",
            executor=executor,
            on_error="skip",
            plain_names=True,
        )
    assert (summary.issued, summary.failed) == (2, 1)
    failed = [r for r in iter_summary(tmp_path / "out") if r.status == "failed"]
    assert [(r.line, r.recipient, r.error_code) for r in failed] == [(3, "b@example.org", "proof.test")]
    assert failed[0].error is not None and "the signer refused" in failed[0].error


def test_jwt_format(tmp_path: Path, issuer) -> None:
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 3)
    out = tmp_path / "out"
    summary = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1, format="jwt")
    files = credential_files(out)
    assert summary.issued == 3 and all(f.suffix == ".jwt" for f in files)
    assert all(check_proof(f) == (True, "ok") for f in files)


@pytest.mark.parametrize("fmt", ["di", "jwt"])
def test_bake_default_badge(tmp_path: Path, issuer, fmt: str) -> None:
    from microcred.baking.bake import unbake

    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 2)
    out = tmp_path / "out"
    summary = issue_many(
        definition, scan_cohort(path), key, out_dir=out, workers=1, format=fmt, bake="default"
    )
    assert summary.issued == 2
    for result in iter_summary(out):
        assert result.image is not None and result.image.endswith(".svg")
        baked = unbake((out / result.image).read_bytes())
        text = (out / result.file).read_text(encoding="utf-8")  # type: ignore[operator]
        if fmt == "jwt":
            assert baked.jwt == text.strip()
        else:
            assert baked.credential == json.loads(text)


def test_bake_png(tmp_path: Path, issuer) -> None:
    import png  # pypng: a real decoder

    from microcred.baking.bake import unbake

    buffer = io.BytesIO()
    png.Writer(4, 4, greyscale=True).write(buffer, [[0, 64, 128, 255]] * 4)
    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 2)
    out = tmp_path / "out"
    issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1, bake=buffer.getvalue())
    for result in iter_summary(out):
        assert result.image is not None and result.image.endswith(".png")
        image = (out / result.image).read_bytes()
        assert png.Reader(bytes=image).read()[0] == 4
        assert unbake(image).credential == json.loads((out / result.file).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------- command glue


def run(issuer, tmp_path: Path, csv_text: str, **options) -> tuple[int, str, str]:
    definition_path, key_path, _, _ = issuer
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_cohort_command(
        definition_path,
        write(tmp_path / "c.csv", csv_text),
        key_path,
        tmp_path / "out",
        stdout=stdout,
        stderr=stderr,
        workers=1,
        **options,
    )
    return code, stdout.getvalue(), stderr.getvalue()


def test_command_success_plain_line_in_a_pipe(tmp_path: Path, issuer) -> None:
    code, out, err = run(issuer, tmp_path, "recipient\na@example.org\nb@example.org\n")
    assert code == 0
    assert out.startswith("2 issued, 0 already issued, 0 failed") and "summary/summary.csv" in out
    assert err == ""  # no progress bar when stderr is not a terminal


def test_command_json_and_ledger(tmp_path: Path, ledger_target: str, issuer) -> None:
    code, out, _ = run(
        issuer,
        tmp_path,
        "recipient\na@example.org\n",
        json_output=True,
        ledger_path=ledger_target,
        status_base_url=STATUS,
    )
    assert code == 0
    data = json.loads(out)
    assert data["counts"]["issued"] == 1 and data["interrupted"] is False
    code, out, _ = run(
        issuer,
        tmp_path,
        "recipient\na@example.org\n",
        json_output=True,
        ledger_path=ledger_target,
        status_base_url=STATUS,
    )
    assert code == 0 and json.loads(out)["counts"]["skipped-existing"] == 1


def test_command_stop_exit_2_skip_exit_1(tmp_path: Path, issuer) -> None:
    # the command reads the whole file before signing: a bad row stops it with nothing issued
    code, _, err = run(issuer, tmp_path, BAD_AT_4)
    assert code == 2 and "line 4, recipient: 'not-an-email'" in err and "rerun the same command" in err
    assert "nothing was issued" in err and not list((tmp_path / "out").glob("*.json"))
    code, out, err = run(issuer, tmp_path, BAD_AT_4, on_error="skip")
    assert code == 1 and "1 row(s) failed" in err and "Traceback" not in err + out
    assert out.startswith("4 issued, 0 already issued, 1 failed")


def test_command_bad_header_raises_before_work(tmp_path: Path, issuer) -> None:
    with pytest.raises(CohortRowError, match="no recipient column"):
        run(issuer, tmp_path, "name\nAnn\n")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ SIGINT


def test_sigint_finishes_in_flight_rows_writes_the_summary_and_resumes(tmp_path: Path, issuer) -> None:
    import os
    import signal

    from microcred.cohort.summary import CohortInterrupted

    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 80)
    out = tmp_path / "out"

    def interrupt_at_five(event) -> None:
        if event.issued == 5:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(CohortInterrupted) as caught:
        issue_many(
            definition,
            scan_cohort(path),
            key,
            out_dir=out,
            workers=1,
            max_in_flight=8,
            progress=interrupt_at_five,
        )
    summary = caught.value.summary
    assert summary.interrupted and 5 <= summary.issued < 80
    assert isinstance(caught.value, KeyboardInterrupt)
    assert len(credential_files(out)) == summary.issued
    assert json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))["interrupted"] is True
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    again = issue_many(definition, scan_cohort(path), key, out_dir=out, workers=1)
    assert (again.issued, again.skipped_existing) == (80 - summary.issued, summary.issued)
    assert len(credential_files(out)) == 80


def test_a_second_sigint_abandons_the_rows_in_flight(tmp_path: Path, ledger_target: str, issuer) -> None:
    import os
    import signal

    from microcred.cohort.summary import CohortInterrupted

    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 80)
    out = tmp_path / "out"

    def interrupt_twice(event) -> None:
        if event.issued == 3:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    with Ledger.open(ledger_target) as ledger:
        with pytest.raises(CohortInterrupted) as caught:
            issue_many(
                definition,
                scan_cohort(path),
                key,
                out_dir=out,
                ledger=ledger,
                status_base_url=STATUS,
                workers=1,
                max_in_flight=40,
                progress=interrupt_twice,
            )
        first = caught.value.summary
        assert first.interrupted and first.issued == 3  # stopped at once, in the middle of a chunk
        again = issue_many(
            definition, scan_cohort(path), key, out_dir=out, ledger=ledger, status_base_url=STATUS, workers=1
        )
        # rows recorded before the second SIGINT are skipped, the rest issued: never twice, never lost
        assert again.issued + again.skipped_existing == 80 and again.skipped_existing >= 3
        records = ledger.credentials()
        assert len(records) == 80 and all(r.state == "issued" for r in records)
    assert len(credential_files(out)) == 80


def test_p256_key_signs_with_ecdsa_by_default(tmp_path: Path) -> None:
    from microcred.keys.files import save_key

    key = generate_key("P-256")
    save_key(key, tmp_path / "key.json")
    (tmp_path / "a.toml").write_text(DEFINITION.format(issuer_id=key.controller), encoding="utf-8")
    path = write_cohort(tmp_path / "c.csv", 2)
    out = tmp_path / "out"
    issue_many(
        load_definition(tmp_path / "a.toml"),
        scan_cohort(path),
        load_key(tmp_path / "key.json"),
        out_dir=out,
        workers=1,
    )
    for f in credential_files(out):
        assert json.loads(f.read_text(encoding="utf-8"))["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
        assert check_proof(f) == (True, "ok")


# --------------------------------------------------------------------------------------------- CLI


def cli(*args: str):
    from click.testing import CliRunner

    from microcred.cli import main

    return CliRunner().invoke(main, list(args))


def test_cli_issue_cohort(tmp_path: Path, issuer) -> None:
    definition_path, key_path, _, _ = issuer
    path = write_cohort(tmp_path / "c.csv", 4)
    args = [
        "issue",
        "--key",
        str(key_path),
        "--achievement",
        str(definition_path),
        "--cohort",
        str(path),
        "--out-dir",
        str(tmp_path / "out"),
        "--workers",
        "1",
    ]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 issued, 0 already issued, 0 failed")
    result = cli(*args, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"] == {
        "issued": 0,
        "skipped-existing": 4,
        "failed": 0,
        "not-passing": 0,
        "not-a-learner": 0,
        "total": 4,
    }
    assert len(credential_files(tmp_path / "out")) == 4


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        (BAD_AT_4, 2, "line 4, recipient: 'not-an-email' is not an email address or a DID"),
        ("name\nAnn\n", 2, "line 1: the header has no recipient column"),
        ("recipient,evidance_url\na@example.org,x\n", 2, "unknown column 'evidance_url'"),
    ],
    ids=["bad-row", "no-recipient-column", "unknown-column"],
)
def test_cli_cohort_errors(tmp_path: Path, issuer, text: str, code: int, words: str) -> None:
    definition_path, key_path, _, _ = issuer
    path = write(tmp_path / "c.csv", text)
    result = cli(
        "issue",
        "--key",
        str(key_path),
        "--achievement",
        str(definition_path),
        "--cohort",
        str(path),
        "--out-dir",
        str(tmp_path / "out"),
        "--workers",
        "1",
    )
    assert result.exit_code == code
    assert words in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_cli_cohort_skip_exits_1(tmp_path: Path, issuer) -> None:
    definition_path, key_path, _, _ = issuer
    path = write(tmp_path / "c.csv", BAD_AT_4)
    result = cli(
        "issue",
        "--key",
        str(key_path),
        "--achievement",
        str(definition_path),
        "--cohort",
        str(path),
        "--out-dir",
        str(tmp_path / "out"),
        "--workers",
        "1",
        "--on-error",
        "skip",
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("4 issued, 0 already issued, 1 failed")
    assert "1 row(s) failed, first at line 4" in result.stderr


def test_two_runs_into_one_folder_are_refused(tmp_path: Path, issuer) -> None:
    import fcntl

    from microcred.cohort.output import LOCK_NAME

    _, _, definition, key = issuer
    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK_NAME, "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a running cohort holds it
        with pytest.raises(MicrocredError, match="another cohort run") as caught:
            issue_many(
                definition, scan_cohort(write_cohort(tmp_path / "c.csv", 2)), key, out_dir=out, workers=1
            )
        assert caught.value.code == "cohort.busy"
    assert issue_many(definition, scan_cohort(tmp_path / "c.csv"), key, out_dir=out, workers=1).issued == 2


def test_duplicates_are_found_in_a_large_file(tmp_path: Path) -> None:
    path = write_cohort(tmp_path / "c.csv", 5000)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("LEARNER001500@example.org,Again,,\nlearner004999@example.org,Again,,\n")
    errors = [item for item in scan_cohort(path) if isinstance(item, CohortRowError)]
    assert [(e.line, e.message) for e in errors] == [
        (5002, "duplicate recipient 'learner001500@example.org': already on line 1502"),
        (5003, "duplicate recipient 'learner004999@example.org': already on line 5001"),
    ]


# ---------------------------------------------------------------------------------------- properties

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300))
def test_any_row_key_gives_a_safe_file_name(key: str) -> None:
    name = credential_file_name(key)
    assert name == credential_file_name(key)
    assert len(name.encode("utf-8")) <= 91 and not name.startswith((".", "-"))
    assert not any(c in name for c in '/\\:*?"<>|\x00') and name.isprintable()


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_TEXT, min_size=1, max_size=8), bom=st.booleans(), crlf=st.booleans())
def test_names_in_any_script_round_trip(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], bom: bool, crlf: bool
) -> None:
    import unicodedata

    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    out.writerow(["recipient", "name"])
    for i, name in enumerate(names):
        out.writerow([f"p{i}@example.org", name])
    path = tmp_path_factory.mktemp("prop") / "c.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    rows = list(read_cohort(path))
    assert [r.name for r in rows] == [unicodedata.normalize("NFC", n.strip()) or None for n in names]
    assert [r.line for r in rows] == list(range(2, 2 + len(names)))


def test_cli_verify_accepts_a_cohort_folder_as_it_is(tmp_path: Path, issuer) -> None:
    """The output folder holds only credentials (and images) at its top: an employer or registrar can
    point ``microcred verify`` at it."""
    from microcred.baking.bake import unbake

    definition_path, key_path, _, _ = issuer
    path = write_cohort(tmp_path / "c.csv", 3)
    out = tmp_path / "out"
    result = cli(
        "issue",
        "--key",
        str(key_path),
        "--achievement",
        str(definition_path),
        "--cohort",
        str(path),
        "--out-dir",
        str(out),
        "--workers",
        "1",
        "--bake",
        str(_svg_badge(tmp_path)),
    )
    assert result.exit_code == 0, result.output
    result = cli("verify", "--offline", str(out))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.rstrip().endswith("6 of 6 verified")  # 3 credentials + 3 baked badges
    assert all(unbake(p.read_bytes()).credential for p in out.glob("*.svg"))


def _svg_badge(folder: Path) -> Path:
    from microcred.baking.badge import default_badge_svg

    badge = folder / "badge.svg"
    badge.write_text(default_badge_svg("Data Literacy"), encoding="utf-8")
    return badge


@pytest.mark.parametrize("fail_batches", [False, True], ids=["batches", "batch-fails-then-one-by-one"])
def test_ledger_batch_calls_are_used_when_offered(
    tmp_path: Path, ledger_target: str, issuer, fail_batches: bool
) -> None:
    from cohort_support import BatchingLedger

    _, _, definition, key = issuer
    path = write_cohort(tmp_path / "c.csv", 70)
    out = tmp_path / "out"
    with Ledger.open(ledger_target) as real:
        ledger = BatchingLedger(real, fail_batches=fail_batches)
        summary = issue_many(definition, scan_cohort(path), key, out_dir=out, ledger=ledger, workers=1)
        assert summary.issued == 70
        assert ledger.batch_calls == {"reserve_many": 3, "record_signed_many": 3}  # chunks of 32
        records = real.credentials()
        assert len(records) == 70 and all(r.state == "issued" for r in records)
        by_id = {json.loads(f.read_bytes())["id"]: f for f in credential_files(out)}
        for record in records:
            assert real.document(record.credential_id) == by_id[record.credential_id].read_bytes()
