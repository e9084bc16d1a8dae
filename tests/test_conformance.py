"""Issue 12, items 2–4: VCDM 2.0 conformance when signing, generic VCs, conformance vs authenticity,
endorsements reported, and the options a VC-API verifier needs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred import SchemaValidationError, issue, load_definition, sign, verify
from microcred.errors import InputError, MicrocredError
from microcred.fetch import offline_fetch
from microcred.keys.material import generate_key
from microcred.suites import sign_proof

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)
KEY = generate_key("Ed25519")


def plain(**changes) -> dict:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0b2f8e1c-3e0c-4d56-9a1a-6f2a1c7d9e11",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": KEY.controller,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abc", "alumniOf": "The School of Examples"},
    }
    for k, v in changes.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


def run(source, **kw):
    kw.setdefault("fetch", offline_fetch())
    kw.setdefault("now", NOW)
    return verify(source, **kw)


NOT_CONFORMING = {
    "no-subject": ({"credentialSubject": None}, "credentialSubject"),
    "empty-subject": ({"credentialSubject": {}}, "credentialSubject"),
    "no-vc-type": ({"type": ["ExampleAlumniCredential"]}, "type"),
    "status-without-type": ({"credentialStatus": {"id": "https://e.example/s#1"}}, "credentialStatus.type"),
    "terms-without-type": ({"termsOfUse": [{"id": "https://e.example/t"}]}, "termsOfUse[0].type"),
    "evidence-without-type": ({"evidence": {"id": "https://e.example/e"}}, "evidence.type"),
    "refresh-without-type": ({"refreshService": {"id": "https://e.example/r"}}, "refreshService.type"),
    "schema-without-type": (
        {"credentialSchema": {"id": "https://e.example/s.json"}},
        "credentialSchema.type",
    ),
    "bad-validFrom": ({"validFrom": "2026-01-01"}, "validFrom"),
    "bad-validUntil": ({"validUntil": "tomorrow"}, "validUntil"),
    "from-after-until": ({"validUntil": "2025-01-01T00:00:00Z"}, "validUntil"),
    "first-context": ({"@context": ["https://www.w3.org/ns/credentials/examples/v2"]}, "@context[0]"),
    "related-without-digest": ({"relatedResource": [{"id": "https://e.example/r"}]}, "relatedResource[0]"),
    "related-bad-id": (
        {"relatedResource": [{"id": "not a url", "digestSRI": "sha256-AAAA"}]},
        "relatedResource[0].id",
    ),
    "issuer-not-a-url": ({"issuer": "Example University"}, "issuer"),
}


@pytest.mark.parametrize("case", sorted(NOT_CONFORMING))
def test_sign_refuses_every_non_conforming_document_naming_the_field(case):
    changes, field = NOT_CONFORMING[case]
    with pytest.raises(SchemaValidationError) as info:
        sign(plain(**changes), KEY)
    assert info.value.path == field and info.value.code == "vcdm.invalid"


#: Those another implementation could sign (a non-URL id cannot even be canonicalized in safe mode).
SIGNABLE = sorted(set(NOT_CONFORMING) - {"issuer-not-a-url", "related-bad-id"})


@pytest.mark.parametrize("case", SIGNABLE)
def test_verify_fails_the_same_documents_signed_by_someone_else(case):
    changes, field = NOT_CONFORMING[case]
    signed = sign_proof(plain(**changes), KEY)
    report = run(signed)
    assert not report.verified
    assert report.check("schema").status == "failed" and field in report.check("schema").message


def test_a_plain_vcdm_credential_is_judged_by_vcdm_not_open_badges():
    signed = sign(plain(), KEY).credential
    report = run(signed)
    assert report.verified, report.to_text()
    assert "not an Open Badges" in report.check("schema").message


def test_a_credential_without_validFrom_is_valid_and_conforming_for_vcdm():
    report = run(sign(plain(validFrom=None), KEY).credential)
    assert report.verified and report.check("validity").status == "passed"


def test_related_resource_with_a_digest_is_signed():
    doc = plain(relatedResource=[{"id": "https://e.example/logo.png", "digestSRI": "sha384-" + "A" * 64}])
    assert run(sign(doc, KEY).credential).verified


@pytest.fixture(scope="module")
def badge():
    definition = load_definition(ROOT / "examples" / "university-data-science.toml")
    return issue(definition, "learner@example.org", KEY, now=ISSUED, format="di").credential


def _resigned(badge: dict, change) -> dict:
    doc = copy.deepcopy(badge)
    doc.pop("proof")
    change(doc)
    return sign_proof(doc, KEY, created=ISSUED)


def test_schema_departures_are_warnings_naming_each_and_strict_makes_them_errors(badge):
    def depart(doc):
        doc["credentialSubject"]["achievement"]["achievementType"] = "Program"
        doc.pop("validFrom")

    foreign = _resigned(badge, depart)
    report = run(foreign)
    schema = report.check("schema")
    assert report.verified and schema.status == "warning", report.to_text()
    assert "achievementType" in schema.message and "validFrom" in schema.message
    assert report.to_dict()["warnings"] and report.to_dict()["verified"] is True
    strict = run(foreign, strict=True)
    assert not strict.verified and strict.check("schema").status == "failed"


def test_undefined_terms_stay_errors_not_warnings(badge):
    doc = copy.deepcopy(badge)
    doc["credentialSubject"]["favouriteColour"] = "blue"
    report = run(doc)
    assert not report.verified and report.check("context").status == "failed"
    assert "favouriteColour" in report.check("context").message


def test_an_endorsement_that_fails_is_reported_not_failing_the_credential(badge):
    endorser = generate_key("Ed25519")
    endorsement = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5d8c5d0a-7b57-4c4e-9e5e-1d6b8f1c2a33",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement",
        "issuer": {"id": endorser.controller, "type": ["Profile"], "name": "Quality Agency"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2025-06-01T00:00:00Z",
        "credentialSubject": {"id": "urn:example:x", "type": ["EndorsementSubject"]},
    }
    signed_endorsement = sign(endorsement, endorser).credential

    def attach(doc):
        doc["credentialSubject"]["achievement"]["endorsement"] = [signed_endorsement]

    report = run(_resigned(badge, attach))
    check = report.check("endorsements")
    assert check.status == "warning" and report.verified, report.to_text()
    assert "endorsement by Quality Agency: not verified" in check.message and "expired" in check.message


def test_checks_option_skips_the_others_and_reports_them_skipped(badge):
    expired = _resigned(badge, lambda d: d.update(validUntil="2026-02-01T00:00:00Z"))
    assert not run(expired).verified
    report = run(expired, checks=["proof", "credentialStatus"])
    assert report.verified
    assert (
        report.check("validity").status == "skipped" and report.check("validity").message == "not requested"
    )
    assert report.check("proof").status == "passed"
    with pytest.raises(MicrocredError, match="unknown check"):
        run(expired, checks=["telepathy"])
    assert not run(expired, checks=[]).verified  # nothing asked: nothing verified


def test_domain_and_challenge_must_be_the_proofs(badge):
    doc = copy.deepcopy(badge)
    doc.pop("proof")
    bound = sign_proof(doc, KEY, domain="employer.example", challenge="n-0S6_WzA2Mj", created=ISSUED)
    assert run(bound, domain="employer.example", challenge="n-0S6_WzA2Mj").verified
    wrong = run(bound, domain="employer.example", challenge="other")
    assert not wrong.verified and "challenge" in wrong.check("proof").message
    assert not run(badge, domain="employer.example").verified
    # a proof "created" after the check's clock is only a warning: domain and challenge still hold
    late = sign_proof(doc, KEY, domain="employer.example", challenge="n-0S6_WzA2Mj")
    assert run(late, domain="employer.example", challenge="n-0S6_WzA2Mj").check("proof").status == "warning"
    assert not run(late, domain="employer.example", challenge="other").verified


def test_a_json_string_where_an_object_belongs_is_refused(badge):
    text = json.dumps(badge)
    assert run(text).check("proof").status == "passed"  # text handed in is a credential
    with pytest.raises(InputError) as info:
        run(text, json_value=True)  # a JSON string value in a request is not
    assert info.value.code == "input.json_string"


def test_an_enveloped_vc_jwt_is_read(badge):
    definition = load_definition(ROOT / "examples" / "university-data-science.toml")
    token = issue(definition, "learner@example.org", KEY, now=ISSUED, format="jwt").jwt
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{token}",
    }
    report = run(envelope, json_value=True)
    assert report.verified and report.format == "vc-jwt"


def test_a_vcdm_1_1_credential_is_signed_and_needs_its_issuance_date():
    v1 = plain(**{"@context": ["https://www.w3.org/2018/credentials/v1"], "validFrom": None})
    v1["issuanceDate"] = "2026-01-01T00:00:00Z"
    v1["credentialSubject"] = {"id": "did:example:abc"}
    v1["type"] = ["VerifiableCredential"]
    assert "proof" in sign(v1, KEY).credential
    v1.pop("issuanceDate")
    with pytest.raises(SchemaValidationError) as info:
        sign(v1, KEY)
    assert info.value.path == "issuanceDate"


def _related(data: bytes) -> list[dict]:
    import base64
    import hashlib

    from microcred.keys.multibase import multibase_encode

    sri = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    mh = multibase_encode(bytes([0x12, 0x20]) + hashlib.sha256(data).digest(), "base64url")
    return [
        {"id": "https://e.example/logo.png", "digestSRI": sri},
        {"id": "https://e.example/terms.pdf", "digestMultibase": mh, "mediaType": "application/pdf"},
    ]


def test_related_resource_digests_are_checked_when_the_resource_is_available():
    data = b"the resource as the issuer saw it"
    signed = sign(plain(relatedResource=_related(data)), KEY).credential
    both = {"https://e.example/logo.png": data, "https://e.example/terms.pdf": data}
    report = run(signed, fetch=offline_fetch(both))
    assert report.verified and report.check("related_resource").status == "passed"
    changed = run(signed, fetch=offline_fetch({**both, "https://e.example/terms.pdf": b"altered"}))
    assert not changed.verified and "terms.pdf does not match" in changed.check("related_resource").message
    missing = run(signed, fetch=offline_fetch({}))
    assert missing.verified and missing.check("related_resource").status == "warning"


def test_a_single_related_resource_object_is_one_or_more_objects():
    single = plain(relatedResource={"id": "https://e.example/r", "digestSRI": "sha256-" + "A" * 43 + "="})
    assert "proof" in sign(single, KEY).credential
    with pytest.raises(SchemaValidationError, match="relatedResource"):
        sign(plain(relatedResource=["https://e.example/r"]), KEY)


def test_a_related_resource_that_is_a_json_ld_context_is_never_fetched():
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return b"{}"

    doc = plain(
        relatedResource=[
            {"id": "https://www.w3.org/ns/credentials/v2", "digestSRI": "sha256-" + "A" * 43 + "="}
        ]
    )
    report = run(sign(doc, KEY).credential, fetch=fetch)
    assert asked == [] and report.check("related_resource").status == "warning"
    assert "never fetched" in report.check("related_resource").message


def test_a_relative_entry_id_is_refused_by_path_in_either_format():
    from microcred import JsonLdError

    doc = plain(evidence=[{"id": "relative/evidence", "type": ["Evidence"]}])
    with pytest.raises(JsonLdError) as di:  # JSON-LD safe mode, before any proof is made
        sign(doc, KEY, format="di")
    assert di.value.path == "evidence[0].id"
    with pytest.raises(SchemaValidationError) as jwt:  # a VC-JWT has no JSON-LD step: VCDM says it
        sign(doc, KEY, format="jwt")
    assert jwt.value.path == "evidence[0].id"
