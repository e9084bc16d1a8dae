"""Check profiles (EU Annex I, Australian NMF): one case per rule, strict and warning modes, the CLI,
the examples, and the rule sources in docs/definition-format.md."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.cli import main
from microcred.credential.builder import build_credential
from microcred.errors import DefinitionError
from microcred.model.definition import definition_from_mapping, load_definition
from microcred.model.profiles import HOURS_PER_CREDIT, RULES, CheckSettings, Finding, ProfileError, check

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted([*(ROOT / "examples").glob("*.toml"), *(ROOT / "examples").glob("*.json")])
DOCS = (ROOT / "docs" / "definition-format.md").read_text(encoding="utf-8")


def _complete() -> dict:
    """A definition that passes the EU profile: every Annex I element stated and coherent."""
    return {
        "issuer": {"id": "https://u.example/issuer", "name": "Example University", "country": "DE"},
        "achievement": {
            "id": "https://u.example/a/1",
            "title": "Data Ethics",
            "description": "A short course.",
            "learning_outcomes": ["Explain the GDPR's lawful bases for processing."],
            "workload": {"hours": 125, "credits": 5, "credit_system": "ECTS"},
            "level": {"framework": "EQF", "level": 6},
            "assessment": {"type": "written exam"},
            "participation": {"type": "online"},
            "quality_assurance": {"body": "Akkreditierungsrat", "url": "https://www.akkreditierungsrat.de"},
            "credit": {
                "credit_bearing": True,
                "counts_toward": [{"name": "MSc Law", "credits": 5, "credit_system": "ECTS"}],
            },
        },
    }


def _findings(data: dict, **kwargs) -> list[Finding]:
    return check(definition_from_mapping(data), **kwargs)


def _rules(data: dict, **kwargs) -> list[str]:
    return [f.rule for f in _findings(data, **kwargs)]


def test_a_complete_definition_has_no_finding():
    assert _findings(_complete()) == []
    assert _findings(_complete(), profiles=("eu",)) == []


def _with(**changes) -> dict:
    data = copy.deepcopy(_complete())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


#: One (or more) failing definition per rule: rule id -> [(definition, path of the finding)].
CASES: dict[str, list[tuple[dict, str]]] = {
    "eu.mandatory": [
        (_with(achievement__learning_outcomes=None), "learning_outcomes"),
        (_with(achievement__workload=None, achievement__credit=None), "workload"),
        (
            _with(
                achievement__quality_assurance=None,
                achievement__level=None,
                check={"not_applicable": ["level"]},
            ),
            "quality_assurance",
        ),
        (_with(issuer__country=None), "country"),
        (_with(achievement__assessment=None), "assessment"),
        (_with(achievement__participation=None), "participation"),
    ],
    "eu.not-applicable": [(_with(check={"not_applicable": ["level"]}), "level")],
    "eu.identity": [
        (
            _with(
                achievement__supervision={
                    "type": "onsite with identity verification",
                    "identity_checked": False,
                }
            ),
            "supervision.identity_checked",
        )
    ],
    "eu.hours-per-credit": [
        (_with(achievement__workload={"hours": 10, "credits": 5, "credit_system": "ECTS"}), "workload"),
        (_with(achievement__workload={"hours": 200, "credits": 5, "credit_system": "ects"}), "workload"),
        (_with(issuer__country="NL"), "workload"),  # 125 h / 5 ECTS is 25; the Dutch convention is 28
        (_with(achievement__workload={"hours": 100, "credits": 5, "credit_system": "CATS"}), "workload"),
    ],
    "eu.counts-toward": [
        (
            _with(
                achievement__credit__counts_toward=[{"name": "MSc", "credits": 30, "credit_system": "ECTS"}]
            ),
            "credit.counts_toward[0].credits",
        ),
        (
            _with(achievement__credit__counts_toward=[{"name": "MSc", "credits": 30}]),
            "credit.counts_toward[0].credits",
        ),
        (
            _with(achievement__workload={"hours": 125}),
            "credit.counts_toward[0].credits",
        ),
    ],
    "eu.level-needs-qa": [
        (
            _with(
                achievement__level={"framework": "EQF", "level": 8},
                achievement__workload={"hours": 2},
                achievement__credit={"credit_bearing": False},
                achievement__quality_assurance=None,
            ),
            "level",
        )
    ],
    "eu.nqf-eqf": [
        (
            _with(
                issuer__country="IE",
                achievement__workload={"hours": 125, "credits": 5, "credit_system": "ECTS"},
                achievement__level=[
                    {"framework": "EQF", "level": 6},
                    {"framework": "NQF", "country": "IE", "level": 9},
                ],
            ),
            "level",
        )
    ],
    "eu.minimum-volume": [
        (
            _with(achievement__workload={"hours": 0.5}, achievement__credit={"credit_bearing": False}),
            "workload.hours",
        )
    ],
    "au.mandatory": [
        (_with(issuer__country="AU", achievement__credit=None, achievement__level=None), "credit"),
        (
            _with(
                issuer__country="AU",
                achievement__level=None,
                achievement__workload={"credits": 5, "credit_system": "ECTS"},
            ),
            "workload.hours",
        ),
    ],
    "au.minimum-volume": [
        (
            _with(
                issuer__country="AU",
                achievement__level=None,
                achievement__workload={"hours": 0.5},
                achievement__credit={"credit_bearing": False},
            ),
            "workload.hours",
        )
    ],
    "au.aqf-level": [
        (_with(issuer__country="AU", achievement__level={"framework": "AQF", "level": 4}), "level"),
    ],
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize(
    "rule,index", [(rule, i) for rule, cases in sorted(CASES.items()) for i in range(len(cases))]
)
def test_each_rule_finds_its_case(rule, index):
    data, path = CASES[rule][index]
    found = [f for f in _findings(data) if f.rule == rule]
    assert [f.path for f in found] == [path], _findings(data)
    finding = found[0]
    assert finding.kind == RULES[rule].kind and finding.source == RULES[rule].source
    assert finding.message and str(finding).startswith(f"[{rule}] {path}: ")


@pytest.mark.parametrize(
    "rule,index", [(rule, i) for rule, cases in sorted(CASES.items()) for i in range(len(cases))]
)
def test_strict_refuses_each_case(rule, index):
    data, path = CASES[rule][index]
    definition = definition_from_mapping(data, source="x.toml")
    with pytest.raises(ProfileError) as info:
        check(definition, strict=True)
    assert rule in str(info.value) and path in str(info.value) and "x.toml" in str(info.value)
    assert any(f.rule == rule for f in info.value.findings)


def test_only_a_title_and_description_is_flagged_for_every_mandatory_element():
    data = {
        "issuer": {"id": "https://u.example/i", "name": "U"},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D"},
    }
    paths = [f.path for f in _findings(data) if f.rule == "eu.mandatory"]
    assert paths == [
        "country",
        "learning_outcomes",
        "workload",
        "level",
        "assessment",
        "participation",
        "quality_assurance",
    ]


def test_eqf_and_nqf_that_agree_have_no_finding():
    data = _with(
        achievement__level=[
            {"framework": "EQF", "level": 7},
            {"framework": "NQF", "country": "IE", "level": 9},
        ]
    )
    assert _rules(data) == []
    data["achievement"]["level"][1] = {"framework": "NQF", "country": "PT", "level": 9}  # no table: no guess
    assert _rules(data) == []


def test_not_applicable_silences_a_missing_element():
    data = _with(achievement__level=None)
    assert _rules(data) == ["eu.mandatory"]
    data["check"] = {"not_applicable": ["level"]}
    assert _rules(data) == []


def test_hours_per_credit_within_the_range_and_the_country_convention():
    assert _rules(_with(achievement__workload={"hours": 150, "credits": 5, "credit_system": "ECTS"})) == []
    nl = _with(
        issuer__country="NL", achievement__workload={"hours": 140, "credits": 5, "credit_system": "ECTS"}
    )
    assert _rules(nl) == []
    message = _findings(_with(issuer__country="NL"))[0].message
    assert message == "125 hours for 5 ECTS is 25 hours per credit; ECTS expects 28 in NL"
    unknown = _with(achievement__workload={"hours": 1, "credits": 9, "credit_system": "Quarter credits"})
    unknown["achievement"]["credit"] = {"credit_bearing": False}
    assert _rules(unknown) == []  # no published convention known: not guessed


def test_counts_toward_in_another_credit_system_is_not_compared():
    data = _with(achievement__credit__counts_toward=[{"name": "BSc", "credits": 20, "credit_system": "CATS"}])
    assert _rules(data) == []


def test_profiles_default_by_country_and_can_be_chosen():
    au = _with(issuer__country="AU", achievement__level={"framework": "AQF", "level": 4})
    assert "au.aqf-level" in _rules(au)
    assert _rules(au, profiles=("eu",)) == []
    au["check"] = {"profiles": ["eu"]}
    assert _rules(au) == []
    assert "eu.mandatory" in _rules(_with(achievement__assessment=None), profiles=("eu", "au"))


@pytest.mark.parametrize(
    "check_table,path",
    [
        ({"profiles": ["us"]}, "check.profiles"),
        ({"strict": "yes"}, "check.strict"),
        ({"not_applicable": ["grade"]}, "check.not_applicable"),
        ({"stritc": True}, "check.stritc"),
    ],
)
def test_bad_check_settings_are_definition_errors(check_table, path):
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping({**_complete(), "check": check_table}, source="d.toml")
    assert info.value.path == path


def test_strict_setting_in_the_definition_refuses_the_build():
    data = _with(achievement__assessment=None)
    build_credential(definition_from_mapping(data), "did:example:l", now=datetime(2026, 1, 1, tzinfo=UTC))
    data["check"] = {"strict": True}
    with pytest.raises(ProfileError) as info:
        build_credential(definition_from_mapping(data), "did:example:l")
    assert [f.path for f in info.value.findings] == ["assessment"]
    assert CheckSettings(strict=True) == definition_from_mapping(data).check


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_passes_its_profiles_and_the_eu_profile(path):
    definition = load_definition(path)
    assert check(definition, strict=True) == []
    assert check(definition, profiles=("eu",), strict=True) == []


def test_every_rule_is_documented_with_its_source():
    section = DOCS.split("## Check profiles", 1)[1]
    for rule in RULES.values():
        row = re.search(rf"^\| `{re.escape(rule.id)}` \|.*$", section, re.MULTILINE)
        assert row, f"{rule.id} is not in docs/definition-format.md"
        assert rule.source.split(",")[0].split(";")[0] in row.group(0)


# --- the CLI ---------------------------------------------------------------------------------------


def _run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def _write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "def.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_cli_check_prints_findings_and_exit_codes(tmp_path):
    path = _write(tmp_path, _with(achievement__workload={"hours": 10, "credits": 5, "credit_system": "ECTS"}))
    r = _run("check", path)
    assert r.exit_code == 0
    assert "[eu.hours-per-credit] workload: 10 hours for 5 ECTS is 2 hours per credit" in r.output
    assert r.output.endswith(f"1 finding(s) in {path}\n")
    assert _run("check", "--strict", path).exit_code == 1
    r = _run("check", "--json", path)
    assert json.loads(r.output)[0]["rule"] == "eu.hours-per-credit"
    assert json.loads(r.output)[0]["source"] == RULES["eu.hours-per-credit"].source
    good = _write(tmp_path, _complete())
    assert _run("check", "--strict", good).output == f"{good}: no findings\n"


def test_cli_check_of_a_bad_file_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[issuer]\n")
    r = _run("check", str(path))
    assert r.exit_code == 2 and "bad.toml" in r.stderr


def test_build_warns_by_default_and_refuses_with_strict(tmp_path):
    path = _write(
        tmp_path,
        _with(
            achievement__supervision={"type": "onsite with identity verification", "identity_checked": False}
        ),
    )
    r = _run("build", "--achievement", path, "--recipient", "did:example:l")
    assert r.exit_code == 0, r.output
    assert "warning: [eu.identity] supervision.identity_checked" in r.stderr
    assert json.loads(r.stdout)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    r = _run("build", "--strict", "--achievement", path, "--recipient", "did:example:l")
    assert r.exit_code == 2 and r.stdout == ""
    assert "[eu.identity]" in r.stderr and "strict" in r.stderr
    r = _run("build", "--profile", "au", "--strict", "--achievement", path, "--recipient", "did:example:l")
    assert r.exit_code == 0, r.stderr  # the AU profile has no identity rule


def test_issue_refuses_with_strict(tmp_path):
    key = tmp_path / "key.json"
    assert _run("keygen", "-o", str(key)).exit_code == 0
    path = _write(tmp_path, _with(achievement__quality_assurance=None))
    r = _run("issue", "--key", str(key), "--achievement", path, "--recipient", "did:example:l", "--strict")
    assert r.exit_code == 2 and "[eu.mandatory] quality_assurance" in r.stderr and r.stdout == ""
    r = _run("issue", "--key", str(key), "--achievement", path, "--recipient", "did:example:l")
    assert r.exit_code == 0 and "warning: [eu.mandatory] quality_assurance" in r.stderr
    assert "proof" in json.loads(r.stdout)


# --- generated definitions: the range rules hold exactly, and checking never fails --------------------


_SYSTEMS = st.sampled_from(["ECTS", "ects", " Ects ", "CATS", "SCQF", "US credit hours", "Quarter credits"])
_COUNTRIES = st.sampled_from(["DE", "NL", "FI", "IT", "IE", "AU", None])
_AMOUNT = st.one_of(st.integers(1, 400), st.floats(0.25, 400, allow_nan=False, allow_infinity=False))


@settings(max_examples=150, deadline=None)
@given(
    hours=_AMOUNT,
    credits=_AMOUNT,
    system=_SYSTEMS,
    country=_COUNTRIES,
    granted=st.one_of(st.none(), _AMOUNT),
)
def test_generated_workloads_follow_the_rules(hours, credits, system, country, granted):
    data = _with(
        achievement__workload={"hours": hours, "credits": credits, "credit_system": system},
        achievement__credit={
            "credit_bearing": True,
            "counts_toward": [{"name": "Q", **({"credits": granted} if granted is not None else {})}],
        },
    )
    if country is None:
        del data["issuer"]["country"]
    else:
        data["issuer"]["country"] = country
    rules = _rules(data, profiles=("eu",))
    table = HOURS_PER_CREDIT.get(system.strip().casefold())
    if table is None:
        assert "eu.hours-per-credit" not in rules
    else:
        low, high = table.get(country, table[None])
        assert ("eu.hours-per-credit" in rules) == (not low <= hours / credits <= high)
    assert ("eu.counts-toward" in rules) == (granted is not None and granted > credits)
    assert ("eu.minimum-volume" in rules) == (hours < 1)
