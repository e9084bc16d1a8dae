"""LMS gradebook exports as they come (tests/data/lms/, see its README): each sample issues exactly the
passing learners with no hand editing; non-learner rows are skipped and counted; grades off the scale are
refused before anything is signed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred import verify
from microcred.cli import main
from microcred.cohort.lms import column_map
from microcred.cohort.privacy import Pseudonyms
from microcred.cohort.rows import CohortRow, CohortRowError, SkippedRow, scan_cohort
from microcred.cohort.run import issue_many
from microcred.cohort.summary import iter_summary
from microcred.keys.files import load_key, save_key
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.model.learner import Recipient

DATA = Path(__file__).parent / "data" / "lms"

#: (sample, definition, how to read it, learners who pass, learners who do not, non-learner rows)
CASES = [
    (
        "moodle.csv",
        "moodle.toml",
        ["--from", "moodle"],
        {"ada.lovelace@example.org", "katherine.johnson@example.org", "yuki.tanaka@example.org"},
        {"alan.turing@example.org", "grace.hopper@example.org", "amira.haddad@example.org"},
        0,
    ),
    (
        "moodle-semicolon.csv",
        "moodle.toml",
        ["--from", "moodle"],
        {"jan.devries@example.nl", "lotte.visser@example.nl"},
        {"sanne.bakker@example.nl", "daan.jansen@example.nl"},
        0,
    ),
    ("canvas.csv", "canvas.toml", ["--from", "canvas"], {"S1001", "S1003", "S1004"}, {"S1002", "S1005"}, 3),
    (
        "openedx.csv",
        "openedx.toml",
        ["--from", "openedx"],
        {"ada.lovelace@example.org", "grace.hopper@example.org", "yuki.tanaka@example.org"},
        {"alan.turing@example.org", "katherine.johnson@example.org"},
        0,
    ),
    (
        "blackboard.xls",
        "blackboard.toml",
        ["--from", "blackboard"],
        {"900100001", "900100003", "900100006"},
        {"900100002", "900100004"},
        1,
    ),
    (
        "registrar.csv",
        "letters.toml",
        ["--map-file", str(DATA / "registrar-map.toml")],
        {"ada.lovelace@example.org", "grace.hopper@example.org"},
        {"alan.turing@example.org", "katherine.johnson@example.org"},
        1,
    ),
]


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key") / "issuer-key.json"
    save_key(generate_key("Ed25519"), path)
    return path


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("sample", "definition", "how", "passing", "failing", "non_learners"), CASES)
def test_each_lms_export_issues_exactly_the_passing_learners(
    tmp_path: Path, key_file: Path, sample, definition, how, passing, failing, non_learners
) -> None:
    out = tmp_path / "out"
    args = ["issue", "--key", str(key_file), "--achievement", str(DATA / definition)]
    args += ["--cohort", str(DATA / sample), "--out-dir", str(out), "--workers", "1", *how]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    rows = list(iter_summary(out))
    # the summary shows learners by their keyed pseudonyms (issue 10), never by email or student id
    pseudonym = Pseudonyms(load_key(key_file)).of
    issued = {r.recipient for r in rows if r.status == "issued"}
    assert issued == {pseudonym(p) for p in passing}
    assert {r.recipient for r in rows if r.status == "not-passing"} == {pseudonym(f) for f in failing}
    assert sum(r.status == "not-a-learner" for r in rows) == non_learners
    assert len(list(out.glob("*.json"))) == len(passing)
    summary_text = (out / "summary" / "summary.csv").read_text(encoding="utf-8")
    assert not any(p in summary_text for p in passing | failing)
    for r in rows:
        if r.status == "not-passing":
            assert f"not passing: line {r.line}: " in result.stdout
            assert "a pass is" in (r.error or "")
    counts = json.loads((out / "summary" / "summary.json").read_text(encoding="utf-8"))["counts"]
    assert counts["issued"] == len(passing)
    assert counts["not-passing"] == len(failing)
    assert counts["not-a-learner"] == non_learners
    # the credentials verify, carry the grade on the scale, and hold the learner only hashed
    for file in out.glob("*.json"):
        text = file.read_text(encoding="utf-8")
        report = verify(text, allow_unchecked_status=True)
        assert report.verified, report.to_text()
        subject = json.loads(text)["credentialSubject"]
        identities = [i for i in subject["identifier"] if i["identityType"] != "name"]
        assert len(identities) == 1 and identities[0]["hashed"] is True
        assert all(p not in text for p in passing)
        assert "result" in subject


def test_canvas_names_and_student_ids(key_file: Path) -> None:
    definition = load_definition(DATA / "canvas.toml")
    items = list(scan_cohort(DATA / "canvas.csv", columns=column_map("canvas"), definition=definition))
    learners = [i for i in items if isinstance(i, CohortRow)]
    assert [(r.name, r.recipient, r.id_type, r.grade) for r in learners] == [
        ("Ada Lovelace", "S1001", "sisSourcedId", "94.29"),
        ("Grace Hopper", "S1003", "sisSourcedId", "72.38"),
        ("Katherine Johnson", "S1004", "sisSourcedId", "70"),
    ]
    assert learners[0].learner_key == "sisSourcedId:S1001" == learners[0].row_key
    skipped = [i for i in items if isinstance(i, SkippedRow)]
    assert [(s.line, s.status) for s in skipped] == [
        (2, "not-a-learner"),
        (3, "not-a-learner"),
        (5, "not-passing"),
        (8, "not-passing"),
        (9, "not-a-learner"),
    ]
    assert "Points Possible" in skipped[1].reason
    assert "test student" in skipped[4].reason


def test_student_id_is_hashed_with_its_identity_type(tmp_path: Path, key_file: Path) -> None:
    definition = load_definition(DATA / "blackboard.toml")
    rows = scan_cohort(DATA / "blackboard.xls", columns=column_map("blackboard"), definition=definition)
    summary = issue_many(definition, rows, load_key(key_file), out_dir=tmp_path, workers=1, salt="s4lt")
    assert (summary.issued, summary.not_passing, summary.not_a_learner) == (3, 2, 1)
    hashes = set()
    for file in tmp_path.glob("*.json"):
        text = file.read_text(encoding="utf-8")
        identifiers = json.loads(text)["credentialSubject"]["identifier"]
        (identity,) = [i for i in identifiers if i["identityType"] != "name"]  # the name may be one too
        assert identity["identityType"] == "sisSourcedId" and identity["hashed"] is True
        assert "9001000" not in text  # the student number itself is nowhere in the credential
        hashes.add(identity["identityHash"])
    ids = ("900100001", "900100003", "900100006")
    assert hashes == {Recipient.hash_identity(i, "s4lt") for i in ids}


@pytest.mark.parametrize(
    ("cell", "words"),
    [("142.00", "'142.00' is outside the scale 0–100"), ("F", "'F' is not a number on the scale 0–100")],
)
def test_a_grade_off_the_scale_is_refused_before_anything_is_signed(
    tmp_path: Path, key_file: Path, cell: str, words: str
) -> None:
    sample = tmp_path / "moodle.csv"
    text = (DATA / "moodle.csv").read_bytes().decode("utf-8-sig")
    sample.write_text(text.replace('"91.25"', f'"{cell}"'), encoding="utf-8-sig")
    out = tmp_path / "out"
    ledger = tmp_path / "issuer.db"
    args = ["issue", "--key", str(key_file), "--achievement", str(DATA / "moodle.toml"), "--cohort"]
    result = _cli(*args, str(sample), "--out-dir", str(out), "--from", "moodle", "--ledger", str(ledger))
    assert result.exit_code == 2, result.output
    assert f"line 6, Course total (Real): {words}" in result.stderr
    assert "nothing was issued" in result.stderr
    assert not out.exists() or not list(out.glob("*.json"))  # the rows before it were not signed either
    # with --on-error skip the others are issued and the bad row is a failure naming column and value
    result = _cli(
        *args, str(sample), "--out-dir", str(out), "--from", "moodle", "--on-error", "skip", "--workers", "1"
    )
    assert result.exit_code == 1, result.output
    failed = [r for r in iter_summary(out) if r.status == "failed"]
    assert [(r.line, r.error_code) for r in failed] == [(6, "cohort.grade_invalid")]
    assert words in (failed[0].error or "")
    assert len(list(out.glob("*.json"))) == 2


def test_library_checks_grades_even_without_a_definition_in_the_scan(tmp_path: Path, key_file: Path) -> None:
    """issue_many judges rows itself: a scan without the definition still cannot sign a failing grade."""
    definition = load_definition(DATA / "moodle.toml")
    rows = scan_cohort(DATA / "moodle.csv", columns=column_map("moodle"))
    summary = issue_many(definition, rows, load_key(key_file), out_dir=tmp_path, workers=1)
    assert (summary.issued, summary.not_passing, summary.failed) == (3, 3, 0)


def test_mapping_on_the_command_line(tmp_path: Path, key_file: Path) -> None:
    args = ["issue", "--key", str(key_file), "--achievement", str(DATA / "letters.toml")]
    args += ["--cohort", str(DATA / "registrar.csv"), "--out-dir", str(tmp_path / "out"), "--workers", "1"]
    maps = ["Learner e-mail=email", "Full name=name", "Letter=grade", "Completed on=date"]
    result = _cli(*args, *(x for m in maps for x in ("--map", m)), "--json", "--plain-names")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert (counts["issued"], counts["not-passing"], counts["not-a-learner"]) == (2, 2, 1)
    grace = next(r for r in iter_summary(tmp_path / "out") if r.recipient == "grace.hopper@example.org")
    doc = json.loads((tmp_path / "out" / (grace.file or "")).read_text(encoding="utf-8"))
    assert doc["credentialSubject"]["result"][0]["value"] == "C"  # "c" in the file, spelt as the scale does
    assert doc["awardedDate"].startswith("2026-11-21")


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--map", "E-mail=email"], "the mapping names column 'e-mail', which is not in the file"),
        (["--map", "Letter=mark"], "'mark' is not a learner field"),
        (["--map", "Letter"], "--map wants COLUMN=FIELD"),
        (["--map", "Letter=grade"], "no column identifies the learners"),
    ],
)
def test_mapping_errors_are_clear(tmp_path: Path, key_file: Path, extra: list[str], words: str) -> None:
    args = ["issue", "--key", str(key_file), "--achievement", str(DATA / "letters.toml")]
    args += ["--cohort", str(DATA / "registrar.csv"), "--out-dir", str(tmp_path / "out")]
    result = _cli(*args, *extra)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_a_plain_cohort_file_still_refuses_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    shutil.copy(DATA / "registrar.csv", path)
    with pytest.raises(CohortRowError, match="unknown column 'Learner e-mail'"):
        next(scan_cohort(path))


def test_a_pass_by_grade_needs_a_grade_column(tmp_path: Path) -> None:
    """Without a grade column every learner would silently fail a pass mark: the header is refused."""
    definition = load_definition(DATA / "canvas.toml")
    with pytest.raises(CohortRowError, match="no grade column; map one") as caught:
        next(
            scan_cohort(
                DATA / "canvas.csv",
                columns=column_map(
                    "canvas", ["Final Score=ignore", "Unposted Final Score=ignore", "Current Score=ignore"]
                ),
                definition=definition,
            )
        )
    assert caught.value.line == 1
    # with "all rows pass" the same file issues everyone who is a learner
    text = (
        (DATA / "canvas.toml")
        .read_text(encoding="utf-8")
        .replace('pass = "70"', 'pass = "70"\npass_rule = "all"')
    )
    (tmp_path / "all.toml").write_text(text, encoding="utf-8")
    items = list(
        scan_cohort(
            DATA / "canvas.csv",
            columns=column_map("canvas"),
            definition=load_definition(tmp_path / "all.toml"),
        )
    )
    assert sum(isinstance(i, CohortRow) for i in items) == 5


def test_a_preset_falls_back_to_the_next_identity_column(tmp_path: Path) -> None:
    """A Blackboard download without the Student ID column identifies learners by Username (userName)."""
    text = (DATA / "blackboard.xls").read_bytes().decode("utf-16")
    lines = ["\t".join(c for i, c in enumerate(line.split("\t")) if i != 3) for line in text.splitlines()]
    path = tmp_path / "no-student-id.xls"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    definition = load_definition(DATA / "blackboard.toml")
    items = list(scan_cohort(path, columns=column_map("blackboard"), definition=definition))
    rows = [i for i in items if isinstance(i, CohortRow)]
    assert [(r.recipient, r.id_type) for r in rows] == [
        ("alovelace", "userName"),
        ("ghopper", "userName"),
        ("ahaddad", "userName"),
    ]
    assert sum(isinstance(i, SkippedRow) and i.status == "not-a-learner" for i in items) == 1
