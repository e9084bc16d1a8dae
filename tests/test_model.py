"""The model checks its values when built and says which element is wrong."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred._time import format_datetime
from microcred.errors import DefinitionError
from microcred.model.elements import (
    Achievement,
    Assessment,
    Credit,
    GradeScale,
    Issuer,
    LearningOutcome,
    Level,
    OtherIdentifier,
    Participation,
    Qualification,
    QualityAssurance,
    Stackability,
    StackItem,
    Supervision,
    Workload,
)
from microcred.model.learner import Evidence, Recipient, Result
from microcred.model.vocabularies import ASSESSMENT_TYPES, COUNTRY_CODES


def _raises(path: str, fn, *args, **kwargs) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        fn(*args, **kwargs)
    assert info.value.path == path, info.value
    return info.value


def test_country_codes_are_the_full_iso_list():
    assert len(COUNTRY_CODES) == 249
    assert {"NL", "IE", "AU", "US", "GB", "SS", "XK"} & COUNTRY_CODES == {"NL", "IE", "AU", "US", "GB", "SS"}
    assert all(len(c) == 2 and c.isupper() for c in COUNTRY_CODES)


def test_issuer_checks_country_url_email_and_identifiers():
    ok = Issuer("https://u.example/i", "U", url="https://u.example", email="a@u.example", country="IE")
    assert ok.to_element() == {
        "id": "https://u.example/i",
        "name": "U",
        "url": "https://u.example",
        "email": "a@u.example",
    }
    _raises("country", Issuer, "https://u.example/i", "U", country="XX")
    _raises("country", Issuer, "https://u.example/i", "U", country="nl")
    _raises("awarding_body.url", Issuer, "https://u.example/i", "U", url="ftp://u.example")
    _raises("awarding_body.email", Issuer, "https://u.example/i", "U", email="not-an-email")
    _raises("awarding_body.id", Issuer, "not a uri", "U")
    _raises("awarding_body.name", Issuer, "https://u.example/i", "  ")
    _raises("awarding_body.other_identifiers.type", OtherIdentifier, "21PX", "BRIN")
    assert OtherIdentifier("21PX", "ext:BRIN").to_element() == {"identifier": "21PX", "type": "ext:BRIN"}


@pytest.mark.parametrize("hours", [0, -1, -0.5, float("nan"), float("inf"), True, "10"])
def test_workload_hours_must_be_a_positive_number(hours):
    _raises("workload.hours", Workload, hours=hours)


def test_workload_needs_a_credit_system_with_credits_and_keeps_number_types():
    _raises("workload.credit_system", Workload, credits=5)
    _raises("workload.credits", Workload, hours=10, credit_system="ECTS")
    _raises("workload", Workload)
    w = Workload(hours=140, credits=5, credit_system="ECTS")
    assert w.to_element() == {"hours": 140, "credits": 5, "credit_system": "ECTS"}
    assert type(w.to_element()["credits"]) is int
    assert type(Workload(credits=7.5, credit_system="ECTS").credits) is float


@pytest.mark.parametrize(
    "framework,level", [("EQF", 0), ("EQF", 9), ("AQF", 11), ("EQF", "6"), ("EQF", True)]
)
def test_level_outside_the_framework_is_refused(framework, level):
    _raises("level.level", Level, framework, level)


def test_level_frameworks_and_national_levels():
    assert Level("EQF", 8).to_element() == {"framework": "EQF", "level": 8}
    assert Level("AQF", 10).code == "10"
    _raises("level.framework", Level, "QCF", 3)
    _raises("level.country", Level, "NQF", 5)
    _raises("level.country", Level, "NQF", 5, country="ZZ")
    _raises("level.level", Level, "NQF", 11, country="IE")
    _raises("level.country", Level, "EQF", 5, country="IE")
    assert Level("NQF", "5", country="IE").level == 5  # numeric levels are integers
    assert Level("NQF", "entry 3", country="GB").level == "entry 3"
    assert Level("NQF", "4a", country="BE").level == "4a"  # a country microcred has no table for
    assert Level("NQF", "²", country="PT").level == "²"  # a digit int() cannot read stays a string
    custom = Level("EQF", 6, url="https://example.org/levels")
    assert custom.to_element()["url"] == "https://example.org/levels"
    assert "url" not in Level("EQF", 6, url=Level("EQF", 6).default_url).to_element()


def test_assessment_and_participation_use_controlled_values_with_free_text():
    assert Assessment("portfolio", "Reviewed by an assessor").to_element() == {
        "type": "portfolio",
        "description": "Reviewed by an assessor",
    }
    err = _raises("assessment.type", Assessment, "essay")
    assert "essay" in err.message and ASSESSMENT_TYPES[0] in err.message
    _raises("assessment.description", Assessment, "other")
    assert Assessment("other", "Viva voce").type == "other"
    _raises("participation.type", Participation, "remote")
    _raises("participation.description", Participation, "other")
    assert Participation("work-based").to_element() == {"type": "work-based"}


def test_credit_bearing_needs_what_it_counts_toward():
    _raises("credit.counts_toward", Credit, True)
    _raises("credit.counts_toward", Credit, False, (Qualification("MSc"),))
    _raises("credit.credit_bearing", Credit, "yes")
    _raises("credit.counts_toward.credits", Qualification, "MSc", credits=-5)
    c = Credit(True, (Qualification("MSc", url="https://u.example/msc", credits=5, credit_system="ECTS"),))
    assert c.to_element() == {
        "credit_bearing": True,
        "counts_toward": [
            {"name": "MSc", "url": "https://u.example/msc", "credits": 5, "credit_system": "ECTS"}
        ],
    }
    assert Credit(False).to_element() == {"credit_bearing": False}


def test_supervision_and_identity_verification_must_agree():
    _raises("supervision", Supervision)
    _raises("supervision.type", Supervision, "proctored")
    _raises("supervision.identity_checked", Supervision, "supervised with no identity verification", True)
    _raises("supervision.identity_checked", Supervision, None, "yes")
    s = Supervision("onsite with identity verification", True)
    assert s.to_element() == {"type": "onsite with identity verification", "identity_checked": True}


def test_quality_assurance_outcomes_stack_and_evidence():
    _raises("quality_assurance.url", QualityAssurance, "QQI", "qqi.ie")
    assert LearningOutcome("Do X").to_element() == "Do X"
    assert LearningOutcome("Do X", framework="ESCO").to_element() == {
        "statement": "Do X",
        "framework": "ESCO",
    }
    _raises("learning_outcomes.statement", LearningOutcome, "")
    _raises("stackability", Stackability)
    _raises("stackability.id", StackItem, "not a uri")
    _raises("evidence", Evidence)
    assert Evidence.parse("https://e.example/p=My portfolio") == Evidence(
        id="https://e.example/p", name="My portfolio"
    )


def test_grade_scale_and_result():
    scale = GradeScale(
        "Classification", "LetterGrade", allowed=("Distinction", "Merit", "Pass"), pass_value="Pass"
    )
    assert scale.to_element()["allowed"] == ["Distinction", "Merit", "Pass"]
    _raises("grade.type", GradeScale, "x", "Grade")
    _raises("grade.pass", GradeScale, "x", allowed=("A", "B"), pass_value="C")
    _raises("grade.value", Result, "Fail", scale)
    assert Result("Merit", scale).value == "Merit"
    assert GradeScale("x", "ext:DutchGrade").type == "ext:DutchGrade"


def _achievement(**kwargs) -> Achievement:
    base = {"id": "https://u.example/a/1", "title": "T", "description": "D"}
    return Achievement(**(base | kwargs))


def test_achievement_requires_title_and_checks_its_parts():
    _raises("title", _achievement, title=None)
    _raises("title", _achievement, title=" ")
    _raises("description", _achievement, description=None)
    _raises("achievement_type", _achievement, achievement_type="Nanodegree")
    _raises("language", _achievement, language="English")
    _raises("workload", _achievement, workload={"hours": 3})
    _raises("prerequisites[0]", _achievement, prerequisites=("",))
    assert _achievement(achievement_type="ext:Nanodegree").achievement_type == "ext:Nanodegree"


def test_datetimes_must_be_timezone_aware():
    err = _raises("expires", _achievement, expires=datetime(2030, 1, 1))
    assert "time zone" in err.message
    aware = _achievement(expires=datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert aware.elements()["expires"] == "2030-01-01T00:00:00+01:00"
    assert format_datetime(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00Z"


def test_model_is_frozen():
    a = _achievement()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.title = "other"  # type: ignore[misc]


def test_recipient_email_is_stored_only_as_a_salted_hash():
    r = Recipient.parse("Ada@Example.org", "Ada", salt="pepper")
    expected = "sha256$" + hashlib.sha256(b"ada@example.orgpepper").hexdigest()
    assert r.identity_hash == expected
    assert r.id is None and r.salt == "pepper" and r.name == "Ada"
    assert "ada@example.org" not in repr(r).lower()
    assert r.matches_email(" ada@example.org ") and not r.matches_email("eve@example.org")
    assert Recipient.parse("mailto:ada@example.org", salt="pepper").identity_hash == expected
    unsalted = Recipient.parse("ada@example.org")
    assert unsalted.salt and unsalted.identity_hash != expected and unsalted.matches_email("ada@example.org")


def test_recipient_uri_or_did():
    assert Recipient.parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").id.startswith(
        "did:key:"
    )
    assert Recipient.parse("https://learners.example/7").to_element() == {"id": "https://learners.example/7"}
    _raises("learner", Recipient.parse, "just a name")
    _raises("learner", Recipient)
    _raises("learner.identity_hash", Recipient, identity_hash="md5$zz")
