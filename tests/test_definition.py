"""Achievement definition files load into the model; errors name the file, the field and the reason."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from microcred.errors import DefinitionError
from microcred.model.definition import Definition, definition_from_mapping, load_definition
from microcred.model.elements import Achievement, Issuer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.toml"), *EXAMPLES.glob("*.json")])


def _raw(path: Path) -> dict:
    return json.loads(path.read_text()) if path.suffix == ".json" else tomllib.loads(path.read_text())


def _minimal() -> dict:
    return {
        "issuer": {"id": "https://u.example/issuer", "name": "U", "country": "NL"},
        "achievement": {"id": "https://u.example/a/1", "title": "T", "description": "D"},
    }


def test_there_are_at_least_four_examples_in_both_formats():
    assert len(EXAMPLE_FILES) >= 4
    assert {p.suffix for p in EXAMPLE_FILES} == {".toml", ".json"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_loads(path):
    definition = load_definition(path)
    raw = _raw(path)
    assert isinstance(definition, Definition)
    assert isinstance(definition.issuer, Issuer) and isinstance(definition.achievement, Achievement)
    assert definition.source == str(path)
    assert definition.achievement.title == raw["achievement"]["title"]
    assert definition.issuer.country == raw["issuer"]["country"]


def test_minimal_mapping_and_defaults():
    d = definition_from_mapping(_minimal())
    assert d.achievement.achievement_type == "MicroCredential"
    assert d.achievement.elements() == {"title": "T"}
    assert d.source is None


def _error(data: dict, source: str = "def.toml") -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(data, source=source)
    assert info.value.source == source
    assert source in str(info.value)
    return info.value


def test_missing_title_names_the_field():
    data = _minimal()
    del data["achievement"]["title"]
    err = _error(data)
    assert err.path == "achievement.title" and "required" in err.message


def test_missing_tables():
    err = _error({"issuer": _minimal()["issuer"]})
    assert err.path == "achievement"


def test_unknown_keys_are_errors_with_a_suggestion():
    data = _minimal()
    data["achievement"]["worklaod"] = {"hours": 3}
    err = _error(data)
    assert err.path == "achievement.worklaod" and "did you mean 'workload'" in err.message
    data = _minimal()
    data["achievement"]["workload"] = {"hours": 3, "ects": 1}
    assert _error(data).path == "achievement.workload.ects"
    data = _minimal()
    data["colour"] = "blue"
    assert _error(data).path == "definition.colour"


@pytest.mark.parametrize(
    "element,value,path",
    [
        ("workload", {"hours": -10}, "achievement.workload.hours"),
        ("workload", {"credits": 0, "credit_system": "ECTS"}, "achievement.workload.credits"),
        ("level", {"framework": "EQF", "level": 12}, "achievement.level.level"),
        ("level", {"framework": "NQF", "level": 5}, "achievement.level.country"),
        ("assessment", {"type": "vibes"}, "achievement.assessment.type"),
        ("participation", {"type": "telepathy"}, "achievement.participation.type"),
        ("credit", {"credit_bearing": True}, "achievement.credit.counts_toward"),
        (
            "credit",
            {"credit_bearing": True, "counts_toward": [{"credits": 5}]},
            "achievement.credit.counts_toward[0].name",
        ),
        (
            "supervision",
            {"type": "supervised online", "identity_checked": "yes"},
            "achievement.supervision.identity_checked",
        ),
        ("grade", {"name": "G", "type": "Mark"}, "achievement.grade.type"),
        ("stackability", {"built_from": [{"name": "no id"}]}, "achievement.stackability.built_from[0].id"),
        (
            "learning_outcomes",
            ["ok", {"url": "https://x.example"}],
            "achievement.learning_outcomes[1].statement",
        ),
        ("learning_outcomes", "one string", "achievement.learning_outcomes"),
        ("prerequisites", ["ok", 3], "achievement.prerequisites[1]"),
        ("expires", "2030-01-01T00:00:00", "achievement.expires"),
        ("expires", "2030-01-01", "achievement.expires"),
        ("expires", "next year", "achievement.expires"),
    ],
)
def test_bad_element_values_name_the_field(element, value, path):
    data = _minimal()
    data["achievement"][element] = value
    assert _error(data).path == path


def test_naive_toml_datetime_is_refused(tmp_path):
    text = (EXAMPLES / "university-data-science.toml").read_text()
    bad = tmp_path / "naive.toml"
    bad.write_text(text.replace('language = "en"\n', 'language = "en"\nexpires = 2032-09-01T00:00:00\n'))
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    assert info.value.path == "achievement.expires" and "time zone" in info.value.message
    assert str(bad) in str(info.value)


def test_issuer_errors_use_the_issuer_path():
    data = _minimal()
    data["issuer"]["country"] = "EU"
    err = _error(data)
    assert err.path == "issuer.country" and "ISO 3166" in err.message
    data = _minimal()
    data["issuer"]["other_identifiers"] = [{"identifier": "x", "type": "brin"}]
    assert _error(data).path == "issuer.other_identifiers[0].type"


def test_grade_values_may_be_numbers_and_become_strings():
    data = _minimal()
    data["achievement"]["grade"] = {"name": "G", "type": "ScaledScore", "min": 1, "max": 10, "pass": 5.5}
    grade = definition_from_mapping(data).achievement.grade
    assert (grade.min, grade.max, grade.pass_value) == ("1", "10", "5.5")


def test_extra_keys_may_not_be_keywords():
    data = _minimal()
    data["achievement"]["extra"] = {"@context": "https://evil.example"}
    assert _error(data).path == "achievement.extra.@context"


def test_unreadable_files(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[achievement\n")
    with pytest.raises(DefinitionError, match="not valid TOML") as info:
        load_definition(bad)
    assert info.value.source == str(bad)
    bad_json = tmp_path / "broken.json"
    bad_json.write_text("{")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        load_definition(bad_json)
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(tmp_path / "missing.toml")
    listing = tmp_path / "list.json"
    listing.write_text("[]")
    with pytest.raises(DefinitionError, match="issuer"):
        load_definition(listing)


def test_extra_values_must_be_json():
    data = _minimal()
    data["achievement"]["extra"] = {"started": {"on": tomllib.loads("d = 2020-01-01")["d"]}}
    err = _error(data)
    assert err.path == "achievement.extra.started.on" and "date" in err.message
