"""Grades read on the achievement's scale and the definition's pass rule (model/grading.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from microcred.errors import DefinitionError
from microcred.model.definition import definition_from_mapping
from microcred.model.elements import GradeScale
from microcred.model.grading import GradeError, PassRule, read_grade

DUTCH = GradeScale("Dutch grade", min="1", max="10", pass_value="5.5")
PERCENT = GradeScale("Score", type="Percent", min="0", max="100", pass_value="55")
LETTERS = GradeScale("Letter", type="LetterGrade", allowed=("A", "B", "C", "D", "F"))


@pytest.mark.parametrize(
    ("scale", "text", "value"),
    [
        (DUTCH, "8.50", "8.5"),
        (DUTCH, " 10 ", "10"),
        (DUTCH, "5,5", "5.5"),
        (PERCENT, "42.00", "42"),
        (PERCENT, "85,00 %", "85"),
        (PERCENT, "0.00", "0"),
        (PERCENT, "-", None),
        (PERCENT, "", None),
        (PERCENT, "N/A", None),
        (LETTERS, "b", "B"),
        (None, "whatever", "whatever"),
        (GradeScale("Free text"), "Excellent", "Excellent"),
    ],
)
def test_read_grade(scale, text, value) -> None:
    assert read_grade(scale, text) == value


@pytest.mark.parametrize(
    ("scale", "text", "words"),
    [
        (DUTCH, "42", "'42' is outside the scale 1–10"),
        (DUTCH, "0.99", "outside the scale 1–10"),
        (DUTCH, "F", "'F' is not a number on the scale 1–10"),
        (DUTCH, "8.5.1", "not a number"),
        (PERCENT, "100.01", "outside the scale 0–100"),
        (PERCENT, "1e2", "not a number"),
        (LETTERS, "E", "'E' is not one of the allowed values A, B, C, D, F"),
        (GradeScale("Max only", max="20"), "21", "outside the scale …–20"),
    ],
)
def test_grades_off_the_scale(scale, text, words) -> None:
    with pytest.raises(GradeError, match=words):
        read_grade(scale, text)


def test_pass_rules() -> None:
    mark = PassRule.for_scale(DUTCH)
    assert mark.kind == "pass-mark" and mark.passes("5.5") and mark.passes("10")
    assert not mark.passes("5.49") and not mark.passes(None)
    assert mark.describe() == "a pass is 5.5 or higher"
    lower = PassRule.for_scale(GradeScale("German", min="1", max="5", pass_value="4"), lower_is_better=True)
    assert lower.passes("1.3") and lower.passes("4") and not lower.passes("4.3")
    values = PassRule.for_scale(LETTERS, passing=("A", "B", "C"))
    assert values.kind == "passing-values" and values.passes("C") and not values.passes("D")
    ordered = PassRule.for_scale(
        GradeScale("Class", allowed=("Distinction", "Merit", "Pass", "Fail"), pass_value="Pass")
    )
    assert ordered.passing == ("Distinction", "Merit", "Pass") and not ordered.passes("Fail")
    everyone = PassRule.for_scale(None)
    assert everyone.kind == "all" and everyone.passes(None) and everyone.passes("anything")
    explicit_all = PassRule.for_scale(DUTCH, "all")
    assert explicit_all.passes("1")


def _definition(grade: dict[str, object]) -> dict[str, object]:
    return {
        "issuer": {"id": "https://uni.example", "name": "Uni"},
        "achievement": {"id": "https://uni.example/a", "title": "A", "description": "D", "grade": grade},
    }


def test_the_definition_states_the_pass_rule() -> None:
    d = definition_from_mapping(_definition({"name": "L", "allowed": ["A", "B", "F"], "passing": ["A", "B"]}))
    assert d.pass_rule.kind == "passing-values" and d.pass_rule.passing == ("A", "B")
    d = definition_from_mapping(_definition({"name": "N", "min": 0, "max": 20, "pass": 10}))
    assert d.pass_rule.kind == "pass-mark" and d.pass_rule.mark == "10"
    d = definition_from_mapping(
        _definition({"name": "N", "min": 0, "max": 20, "pass": 10, "pass_rule": "all"})
    )
    assert d.pass_rule.kind == "all"
    d = definition_from_mapping(
        _definition({"name": "N", "min": "1", "max": "5", "pass": "4", "lower_is_better": True})
    )
    assert d.pass_rule.lower_is_better
    # the OB ResultDescription is unchanged by the rule's keys
    assert "passing" not in d.achievement.grade.to_element()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("grade", "where", "words"),
    [
        ({"name": "N", "pass_rule": "best-effort"}, "achievement.grade.pass_rule", "is not a pass rule"),
        ({"name": "N", "pass_rule": "pass-mark"}, "achievement.grade.pass_rule", "needs the scale's 'pass'"),
        (
            {"name": "L", "allowed": ["A", "F"], "passing": ["B"]},
            "achievement.grade.passing",
            "'B' is not one",
        ),
        ({"name": "L", "pass_rule": "passing-values"}, "achievement.grade.passing", "non-empty 'passing'"),
        ({"name": "N", "lower_is_better": "yes"}, "achievement.grade.lower_is_better", "true or false"),
        (
            {"name": "N", "pass": "high", "pass_rule": "pass-mark"},
            "achievement.grade.pass",
            "must be a number",
        ),
    ],
)
def test_bad_pass_rules_name_the_field(grade, where: str, words: str) -> None:
    with pytest.raises(DefinitionError, match=words) as caught:
        definition_from_mapping(_definition(grade), source="a.toml")
    assert caught.value.path == where


def test_examples_keep_their_meaning() -> None:
    from microcred.model.definition import load_definition

    examples = Path(__file__).parent.parent / "examples"
    assert (
        load_definition(examples / "university-data-science.toml").pass_rule.describe()
        == "a pass is 5.5 or higher"
    )
    assert load_definition(examples / "online-course-badge.toml").pass_rule.mark == "80"
    assert load_definition(examples / "stackable-certificate.toml").pass_rule.passing == (
        "Distinction",
        "Merit",
        "Pass",
    )
    assert load_definition(examples / "workplace-safety-rpl.toml").pass_rule.kind == "all"
