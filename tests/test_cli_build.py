"""`microcred build` and `microcred inspect`: round trips; bad input exits 2 naming the field."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred.cli import main
from microcred.credential.inspection import ELEMENT_NAMES
from microcred.credential.schema import schema_errors
from microcred.jsonld.canonical import canonicalize
from order_support import unordered

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted([*(ROOT / "examples").glob("*.toml"), *(ROOT / "examples").glob("*.json")])
VECTORS = Path(__file__).resolve().parent / "vectors"
DEFINITION_ONLY = {"id", "description", "criteria", "image", "achievement_type", "language", "extra"}
DEFINITION_ONLY |= {"criteria_url", "field_of_study", "human_code", "creator"}  # native OB 3.0 fields


def _run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def _raw(path: Path) -> dict:
    return json.loads(path.read_text()) if path.suffix == ".json" else tomllib.loads(path.read_text())


def _stated(raw: dict) -> dict:
    """What a definition states, in element form (datetimes as the strings a credential carries)."""
    stated = {k: v for k, v in raw["achievement"].items() if k not in DEFINITION_ONLY}
    if isinstance(stated.get("expires"), datetime):
        stated["expires"] = stated["expires"].isoformat().replace("+00:00", "Z")
    issuer = dict(raw["issuer"])
    stated["country"] = issuer.pop("country")
    stated["awarding_body"] = issuer
    return stated


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_round_trip(path, tmp_path):
    out = tmp_path / "unsigned.json"
    built = _run(
        "build",
        "--achievement",
        str(path),
        "--recipient",
        "did:example:learner",
        "--name",
        "Sam Lee",
        "--valid-from",
        "2025-09-01T08:00:00+02:00",
        "-o",
        str(out),
    )
    assert built.exit_code == 0, built.output
    credential = json.loads(out.read_text())
    assert schema_errors(credential) == []  # the 1EdTech schema and ours
    assert "<did:example:learner>" in canonicalize(credential)  # safe mode, packaged contexts only
    inspected = _run("inspect", "--json", str(out))
    assert inspected.exit_code == 0, inspected.output
    elements = json.loads(inspected.stdout)
    assert tuple(elements) == ELEMENT_NAMES
    stated = _stated(_raw(path))
    # the report shows lists in a canonical order (the order in a credential is not signed)
    assert unordered({k: elements[k] for k in stated}) == unordered(stated)
    assert elements["learner"] == {"id": "did:example:learner", "name": "Sam Lee"}
    assert elements["issued"] == "2025-09-01T08:00:00+02:00"
    for name in set(ELEMENT_NAMES) - set(stated) - {"learner", "issued"}:
        assert elements[name] is None, name  # never invented


def test_build_to_stdout_with_email_grade_and_evidence():
    result = _run(
        "build",
        "--achievement",
        str(ROOT / "examples" / "university-data-science.toml"),
        "--recipient",
        "ada@example.org",
        "--salt",
        "s",
        "--grade",
        "8",
        "--evidence",
        "https://portfolio.example/ada=Lab report",
        "--id",
        "urn:uuid:1",
    )
    assert result.exit_code == 0, result.output
    credential = json.loads(result.stdout)
    assert credential["id"] == "urn:uuid:1"
    assert "ada@example.org" not in result.stdout
    assert credential["credentialSubject"]["result"][0]["value"] == "8"
    assert credential["evidence"][0]["name"] == "Lab report"


def test_help_shows_an_example():
    result = _run("build", "--help")
    assert (
        result.exit_code == 0
        and "Example:" in result.output
        and "microcred build --achievement" in result.output
    )
    assert "microcred inspect" in _run("inspect", "--help").output


def _bad(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


UNIVERSITY = (ROOT / "examples" / "university-data-science.toml").read_text()
WORKPLACE = (ROOT / "examples" / "workplace-safety-rpl.toml").read_text()

BAD_DEFINITIONS = {
    "missing-title": (
        UNIVERSITY.replace('title = "Applied Machine Learning for Public Health Data"\n', ""),
        "achievement.title",
    ),
    "negative-workload": (UNIVERSITY.replace("hours = 140", "hours = -140"), "achievement.workload.hours"),
    "unknown-assessment-type": (
        UNIVERSITY.replace('type = "written exam"', 'type = "essay"'),
        "achievement.assessment.type",
    ),
    "unknown-country": (UNIVERSITY.replace('country = "NL"', 'country = "XN"'), "issuer.country"),
    "naive-datetime": (
        UNIVERSITY.replace('language = "en"\n', 'language = "en"\nexpires = 2032-09-01T00:00:00\n'),
        "achievement.expires",
    ),
    "credit-bearing-without-target": (
        WORKPLACE.replace("credit_bearing = false", "credit_bearing = true"),
        "achievement.credit.counts_toward",
    ),
    "misspelt-key": (
        UNIVERSITY.replace("[achievement.workload]", "[achievement.worklaod]"),
        "achievement.worklaod",
    ),
    "term-outside-every-context": (
        WORKPLACE + "\n[achievement.extra]\neducationProgramIdentifier = 20121350\n",
        "credentialSubject.achievement.educationProgramIdentifier",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DEFINITIONS))
def test_bad_definitions_exit_2_naming_the_field(case, tmp_path):
    text, field = BAD_DEFINITIONS[case]
    assert text not in (UNIVERSITY, WORKPLACE)
    path = _bad(tmp_path, f"{case}.toml", text)
    result = _run("build", "--achievement", path, "--recipient", "did:example:learner")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert field in result.stderr
    assert result.stdout == ""


def test_undefined_term_message_names_the_term(tmp_path):
    text, _ = BAD_DEFINITIONS["term-outside-every-context"]
    result = _run("build", "--achievement", _bad(tmp_path, "x.toml", text), "--recipient", "did:example:l")
    assert "'educationProgramIdentifier' is not defined by any context" in result.stderr
    assert "x.toml [credentialSubject.achievement.educationProgramIdentifier]" in result.stderr


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--recipient", "not a learner"], "learner"),
        (["--recipient", "did:example:x", "--valid-from", "2025-01-01T00:00:00"], "valid_from"),
        (["--recipient", "did:example:x", "--grade", "A+"], "grade.value"),
    ],
)
def test_bad_options_exit_2(args, needle):
    achievement = (
        ROOT
        / "examples"
        / ("stackable-certificate.toml" if "--grade" in args else "online-course-badge.toml")
    )
    result = _run("build", "--achievement", str(achievement), *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_build_names_a_missing_file(tmp_path):
    result = _run("build", "--achievement", str(tmp_path / "nope.toml"), "--recipient", "did:example:x")
    assert result.exit_code == 2 and "nope.toml" in result.stderr


ONE_EDTECH = sorted(
    [*(VECTORS / "1edtech-ob30").glob("*.json"), *(VECTORS / "1edtech-ob30-spec").glob("*.json")]
)


@pytest.mark.parametrize("path", ONE_EDTECH, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inspect_1edtech_examples(path):
    text = _run("inspect", str(path))
    assert text.exit_code == 0, text.output
    assert "Title: " in text.stdout and "Awarding body: " in text.stdout
    as_json = _run("inspect", "--json", str(path))
    assert as_json.exit_code == 0 and tuple(json.loads(as_json.stdout)) == ELEMENT_NAMES


def test_inspect_bad_input_exit_2(tmp_path):
    broken = _bad(tmp_path, "broken.json", "{not json")
    result = _run("inspect", broken)
    assert result.exit_code == 2 and "broken.json" in result.stderr and "not valid JSON" in result.stderr
    result = _run("inspect", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "missing.json" in result.stderr
