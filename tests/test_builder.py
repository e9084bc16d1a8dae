"""The builder: model -> unsigned OB 3.0 credential that validates and canonicalizes in safe mode."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.credential.builder import (
    CREDENTIALS_V2_URL,
    EXTENSIONS_CONTEXT_URL,
    OB_CONTEXT_URL,
    OB_SCHEMA_URL,
    achievement_node,
    build_credential,
)
from microcred.credential.inspection import credential_elements
from microcred.credential.schema import schema_errors
from microcred.errors import DefinitionError, JsonLdError
from microcred.jsonld.canonical import canonicalize
from microcred.jsonld.expand import expand
from microcred.jsonld.loader import EXTENSION_CONTEXT_URL, EXTENSION_NS, EXTENSION_SCHEMA_URL, default_loader
from microcred.model.definition import load_definition
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
from microcred.model.learner import Evidence, Recipient
from microcred.model.vocabularies import ASSESSMENT_TYPES, PARTICIPATION_TYPES, SUPERVISION_TYPES
from order_support import unordered

ROOT = Path(__file__).resolve().parents[1]
CONTEXT_FILE = ROOT / "schemas" / "microcred-context-v1.jsonld"
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
ISSUER = Issuer(
    "https://uni.example/issuer",
    "Example University",
    url="https://uni.example",
    country="NL",
    other_identifiers=(OtherIdentifier("21PX", "ext:BRIN"),),
    image="https://uni.example/logo.png",
)
FULL = Achievement(
    id="https://uni.example/mc/1",
    title="Applied Statistics",
    description="A graduate micro-credential.",
    criteria="Pass the exam.",
    image="https://uni.example/mc/1.png",
    language="en",
    learning_outcomes=(
        LearningOutcome("Fit a linear model."),
        LearningOutcome("Explain p-values", framework="X"),
    ),
    workload=Workload(hours=140, credits=5, credit_system="ECTS"),
    level=Level("EQF", 7),
    assessment=Assessment("written exam", "Three hours."),
    participation=Participation("blended"),
    quality_assurance=QualityAssurance("NVAO", "https://www.nvao.net"),
    credit=Credit(True, (Qualification("MSc Statistics", credits=7.5, credit_system="ECTS"),)),
    prerequisites=("Calculus",),
    supervision=Supervision("onsite with identity verification", True),
    grade=GradeScale("Dutch scale", "ext:DutchGrade", "1", "10", "5.5"),
    stackability=Stackability(stacks_into=(StackItem("https://uni.example/msc", "MSc Statistics"),)),
    expires=datetime(2030, 3, 1, tzinfo=UTC),
)


def _build(**kwargs):
    options = {"issuer": ISSUER, "now": NOW, "credential_id": "urn:uuid:00000000-0000-4000-8000-000000000001"}
    return build_credential(FULL, "did:example:learner", **(options | kwargs))


def test_shape_contexts_types_and_schemas():
    c = _build()
    assert c["@context"] == [
        CREDENTIALS_V2_URL,
        OB_CONTEXT_URL,
        EXTENSIONS_CONTEXT_URL,
        EXTENSION_CONTEXT_URL,
    ]
    assert c["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert c["credentialSchema"] == [
        {"id": OB_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"},
        {"id": EXTENSION_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"},
    ]
    assert c["validFrom"] == "2025-03-01T09:30:00Z" and c["awardedDate"] == c["validFrom"]
    assert c["validUntil"] == "2030-03-01T00:00:00Z"
    assert c["name"] == FULL.title
    subject = c["credentialSubject"]
    assert subject["id"] == "did:example:learner" and subject["type"] == ["AchievementSubject"]
    a = subject["achievement"]
    assert a["type"] == ["Achievement"] and a["achievementType"] == "MicroCredential"
    assert a["image"] == {"id": "https://uni.example/mc/1.png", "type": "Image"}
    assert c["issuer"]["image"] == {"id": "https://uni.example/logo.png", "type": "Image"}
    assert c["issuer"]["address"] == {"type": ["Address"], "addressCountryCode": "NL"}
    assert "Fit a linear model." in a["criteria"]["narrative"]


def test_every_element_lands_in_its_field():
    a = achievement_node(FULL)
    targets = {al["targetType"]: al for al in a["alignment"]}
    assert targets["ext:EQF"]["targetCode"] == "7"
    assert targets["ext:QualityAssurance"]["targetName"] == "NVAO"
    outcomes = [al["targetName"] for al in a["alignment"] if al["targetType"] == "ext:LearningOutcome"]
    assert outcomes == ["Fit a linear model.", "Explain p-values"]
    assert all(al["targetUrl"] for al in a["alignment"])
    assert (a["creditsAvailable"], a["ECTS"], a["creditSystem"], a["workloadHours"]) == (5, 5, "ECTS", 140)
    assert (a["assessmentType"], a["assessmentDescription"]) == ("written exam", "Three hours.")
    assert a["participationType"] == "blended"
    assert (a["supervisionType"], a["identityChecked"]) == ("onsite with identity verification", True)
    assert a["creditBearing"] is True
    assert a["countsToward"] == [{"name": "MSc Statistics", "creditValue": 7.5, "creditSystem": "ECTS"}]
    assert a["prerequisites"] == ["Calculus"]
    assert a["stacksInto"] == [{"id": "https://uni.example/msc", "name": "MSc Statistics"}]
    assert a["resultDescription"][0]["requiredValue"] == "5.5"


def test_builder_is_deterministic_given_now_and_id():
    assert json.dumps(_build()) == json.dumps(_build())
    clock = _build(now=lambda: NOW)
    assert clock == _build()


def test_default_ids_are_fresh_uuid4_urns():
    a = build_credential(FULL, "did:example:x", issuer=ISSUER, now=NOW)
    b = build_credential(FULL, "did:example:x", issuer=ISSUER, now=NOW)
    pattern = r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    assert re.match(pattern, a["id"]) and a["id"] != b["id"]
    counter = iter(range(10))
    c = build_credential(
        FULL, "did:example:x", issuer=ISSUER, now=NOW, new_id=lambda: f"urn:x:{next(counter)}"
    )
    assert c["id"] == "urn:x:0"


def test_email_recipient_grade_and_evidence():
    c = build_credential(
        FULL,
        Recipient.parse("ada@example.org", "Ada", salt="s1"),
        issuer=ISSUER,
        now=NOW,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000002",
        result="8",
        evidence=[Evidence(id="https://portfolio.example/ada", name="Portfolio", genre="Portfolio")],
    )
    subject = c["credentialSubject"]
    assert "id" not in subject and "name" not in subject  # OB 3.0: the name is an IdentityObject
    assert subject["identifier"][1] == {
        "type": "IdentityObject",
        "identityHash": "Ada",
        "identityType": "name",
        "hashed": False,
    }
    ident = subject["identifier"][0]
    assert ident["type"] == "IdentityObject" and ident["hashed"] is True and ident["salt"] == "s1"
    assert ident["identityHash"].startswith("sha256$") and "ada@example.org" not in json.dumps(c)
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": "https://uni.example/mc/1#grade-scale", "value": "8"}
    ]
    assert c["evidence"] == [
        {
            "id": "https://portfolio.example/ada",
            "type": ["Evidence"],
            "name": "Portfolio",
            "genre": "Portfolio",
        }
    ]
    assert schema_errors(c) == []
    canonicalize(c)


def test_issuer_from_definition_and_issuer_id_override():
    definition = load_definition(ROOT / "examples" / "online-course-badge.toml")
    c = build_credential(
        definition,
        "did:example:x",
        now=NOW,
        issuer_id="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    )
    assert c["issuer"]["id"].startswith("did:key:") and c["issuer"]["name"] == definition.issuer.name
    assert c["credentialSubject"]["achievement"]["achievementType"] == "Badge"
    with pytest.raises(DefinitionError) as info:
        build_credential(FULL, "did:example:x", now=NOW)
    assert info.value.path == "awarding_body"


def test_dates_are_checked():
    with pytest.raises(DefinitionError) as info:
        _build(valid_from=datetime(2025, 1, 1))
    assert info.value.path == "issued"
    with pytest.raises(DefinitionError) as info:
        _build(valid_until=NOW - timedelta(days=1))
    assert info.value.path == "expires"
    letters = Achievement("https://u.example/a", "T", "D", grade=GradeScale("L", allowed=("A", "B")))
    with pytest.raises(DefinitionError) as info:
        build_credential(letters, "did:example:x", issuer=ISSUER, now=NOW, result="C")
    assert info.value.path == "grade.value"


def test_numbers_keep_their_json_type_through_canonicalization():
    c = _build()
    nquads = canonicalize(c)
    ns = EXTENSION_NS + "#"
    assert f'<{ns}ECTS> "5"^^<http://www.w3.org/2001/XMLSchema#integer>' in nquads
    assert f'<{ns}creditValue> "7.5E0"^^<http://www.w3.org/2001/XMLSchema#double>' in nquads
    assert f'<{ns}workloadHours> "140"^^<http://www.w3.org/2001/XMLSchema#integer>' in nquads
    assert f"<{ns}assessmentType> <{ns}assessment-written-exam>" in nquads
    assert json.loads(json.dumps(c))["credentialSubject"]["achievement"]["creditsAvailable"] == 5


def test_extra_terms_outside_every_context_fail_safe_mode():
    odd = Achievement("https://u.example/a", "T", "D", extra=(("educationProgramIdentifier", 20121350),))
    c = build_credential(odd, "did:example:x", issuer=ISSUER, now=NOW)
    with pytest.raises(JsonLdError) as info:
        expand(c)
    assert info.value.path == "credentialSubject.achievement.educationProgramIdentifier"
    with pytest.raises(DefinitionError):
        achievement_node(Achievement("https://u.example/a", "T", "D", extra=(("name", "x"),)))


# -- the extension context -------------------------------------------------------------------------------


def _all_terms(node, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            if isinstance(value, dict) and "@context" in value:
                _all_terms(value["@context"], found)
    elif isinstance(node, list):
        for item in node:
            _all_terms(item, found)


def test_extension_context_is_protected_complete_and_under_our_namespace():
    ctx = json.loads(CONTEXT_FILE.read_text())["@context"]
    assert ctx["@protected"] is True and "@vocab" not in ctx
    for term, definition in ctx.items():
        if term.startswith("@"):
            continue
        iri = definition if isinstance(definition, str) else definition["@id"]
        assert iri == f"{EXTENSION_NS}#{term}"
        for value, value_iri in (
            definition.get("@context", {}) if isinstance(definition, dict) else {}
        ).items():
            if not value.startswith("@"):
                assert value_iri.startswith(f"{EXTENSION_NS}#"), value
    assert set(ctx["assessmentType"]["@context"]) - {"@protected"} == set(ASSESSMENT_TYPES)
    assert set(ctx["participationType"]["@context"]) - {"@protected"} == set(PARTICIPATION_TYPES)
    assert set(ctx["supervisionType"]["@context"]) - {"@protected"} == set(SUPERVISION_TYPES)


def test_extension_terms_clash_with_no_packaged_context():
    ours: set[str] = set()
    _all_terms(json.loads(CONTEXT_FILE.read_text())["@context"], ours)
    ours -= set(ASSESSMENT_TYPES) | set(PARTICIPATION_TYPES) | set(SUPERVISION_TYPES)  # value-scoped only
    theirs: set[str] = set()
    from microcred.jsonld.loader import EXTENSION_CONTEXTS, known_context_urls

    for url in known_context_urls() - set(EXTENSION_CONTEXTS):  # v2 repeats v1's terms, as it must
        _all_terms(default_loader.document(url).get("@context", {}), theirs)
    assert ours and not (ours & theirs)


# -- random valid models -------------------------------------------------------------------------------------

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip())
_pos = st.one_of(st.integers(1, 10_000), st.floats(0.25, 500, allow_nan=False, allow_infinity=False))
_url = st.builds(lambda n: f"https://ex.example/{n}", st.integers(0, 10**6))
_levels = st.one_of(
    st.builds(Level, st.just("EQF"), st.integers(1, 8)),
    st.builds(Level, st.just("AQF"), st.integers(1, 10)),
    st.builds(lambda lv: Level("NQF", lv, country="IE"), st.integers(1, 10)),
    st.builds(lambda lv: Level("NQF", lv, country="PT"), _text),
)
_workload = st.one_of(
    st.builds(Workload, hours=_pos),
    st.builds(
        Workload, hours=st.none() | _pos, credits=_pos, credit_system=st.sampled_from(["ECTS", "CATS"])
    ),
)
_credit = st.one_of(
    st.just(Credit(False)),
    st.builds(
        lambda qs: Credit(True, tuple(qs)),
        st.lists(
            st.builds(Qualification, _text, url=st.none() | _url, credits=st.none() | _pos),
            min_size=1,
            max_size=2,
        ),
    ),
)
_supervision = st.sampled_from(SUPERVISION_TYPES).flatmap(
    lambda t: st.builds(
        Supervision, st.just(t), st.just(False) if "no identity" in t else st.booleans(), st.none() | _text
    )
)
_achievements = st.builds(
    Achievement,
    id=st.uuids(version=4).map(lambda u: f"urn:uuid:{u}"),
    title=_text,
    description=_text,
    criteria=st.none() | _text,
    image=st.none() | _url,
    learning_outcomes=st.lists(st.builds(LearningOutcome, _text, url=st.none() | _url), max_size=3).map(
        tuple
    ),
    workload=st.none() | _workload,
    level=st.none() | _levels,
    assessment=st.none() | st.builds(Assessment, st.sampled_from(ASSESSMENT_TYPES), _text),
    participation=st.none() | st.builds(Participation, st.sampled_from(PARTICIPATION_TYPES), _text),
    quality_assurance=st.none() | st.builds(QualityAssurance, _text, _url),
    credit=st.none() | _credit,
    prerequisites=st.lists(_text, max_size=2).map(tuple),
    supervision=st.none() | _supervision,
    grade=st.none() | st.builds(GradeScale, _text, st.sampled_from(["Result", "Percent", "ext:Grade"])),
    stackability=st.none()
    | st.builds(
        lambda items: Stackability(built_from=tuple(items)),
        st.lists(st.builds(StackItem, _url), min_size=1, max_size=2),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(achievement=_achievements, email=st.booleans(), seconds=st.integers(0, 10**9))
def test_random_valid_models_build_validate_and_canonicalize(achievement, email, seconds):
    recipient = (
        Recipient.parse("learner@example.org", salt="fixed") if email else Recipient.parse("did:example:l")
    )
    now = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    expires = achievement.expires
    credential = build_credential(
        achievement,
        recipient,
        issuer=ISSUER,
        now=now,
        credential_id="urn:uuid:9f1c7a30-1111-4a4a-8a8a-000000000000",
        valid_until=None if expires else now + timedelta(days=365),
    )
    assert schema_errors(credential) == []
    nquads = canonicalize(credential)
    assert f"<{achievement.id}> <https://schema.org/name>" in nquads
    stated = credential_elements(credential)
    assert unordered({k: stated[k] for k in achievement.elements()}) == unordered(achievement.elements())
