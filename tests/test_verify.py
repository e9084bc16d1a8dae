"""verify(): the report's named checks, the tampering table, inputs of every kind, the 1EdTech examples."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from microcred.baking.badge import default_badge_svg
from microcred.baking.bake import bake
from microcred.credential.builder import build_credential
from microcred.errors import FetchError, InputError, MicrocredError, SchemaValidationError
from microcred.fetch import offline_fetch
from microcred.issuing import issue, sign
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.suites import sign_proof
from microcred.verifying.report import REQUIRED_CHECKS
from microcred.verifying.verify import verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "university-data-science.toml"
OB30 = ROOT / "tests" / "vectors" / "1edtech-ob30"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519")


@pytest.fixture(scope="module")
def definition():
    return load_definition(EXAMPLE)


@pytest.fixture(scope="module")
def signed(definition, key):
    return issue(definition, "learner@example.org", key, now=ISSUED).credential


@pytest.fixture(scope="module")
def token(definition, key):
    return issue(definition, "learner@example.org", key, format="jwt", now=ISSUED).jwt


def run(source, **kw):
    kw.setdefault("fetch", offline_fetch())
    kw.setdefault("now", NOW)
    return verify(source, **kw)


def status_of(report, check_id):
    check = report.check(check_id)
    assert check is not None, f"check {check_id} did not run"
    return check.status


# ------------------------------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("fmt", ["di", "jwt"])
def test_issued_credential_verifies_with_every_required_check_passed(definition, key, fmt):
    issued = issue(definition, "did:example:learner-1", key, format=fmt, now=ISSUED)
    report = run(issued.jwt if fmt == "jwt" else issued.credential)
    assert report.verified, report.to_text()
    for check_id in REQUIRED_CHECKS:
        assert status_of(report, check_id) == "passed", check_id
    assert report.format == ("vc-jwt" if fmt == "jwt" else "data-integrity")
    assert report.elements["title"] == definition.achievement.title


@pytest.mark.parametrize("suite,alg", [("eddsa-jcs-2022", "Ed25519"), ("ecdsa-rdfc-2019", "P-256")])
def test_other_cryptosuites_verify(definition, suite, alg):
    other = generate_key(alg)
    issued = issue(definition, "did:example:learner-1", other, cryptosuite=suite, now=ISSUED)
    report = run(issued.credential)
    assert report.verified, report.to_text()
    assert report.check("proof").details["cryptosuite"] == suite


@pytest.mark.parametrize("alg", ["P-256", "RSA"])
def test_jwt_with_other_algorithms_verifies_when_the_key_is_published(definition, alg):
    from microcred.keys.dids import did_web_document

    other = generate_key(alg, did_web="issuer.example")
    issued = issue(definition, "did:example:learner-1", other, format="jwt", now=ISSUED)
    doc = json.dumps(did_web_document([other])).encode()
    report = run(issued.jwt, fetch=offline_fetch({"https://issuer.example/.well-known/did.json": doc}))
    assert report.verified, report.to_text()
    assert report.check("issuer_key").details["binding"] == "did:web"


def test_allow_lists_of_cryptosuites_and_jwt_algorithms(definition, signed, token):
    assert run(signed, cryptosuites=["eddsa-rdfc-2022"]).verified
    refused = run(signed, cryptosuites=["ecdsa-rdfc-2019", "eddsa-jcs-2022"])
    assert not refused.verified and status_of(refused, "proof") == "failed"
    assert "not among the accepted cryptosuites" in refused.check("proof").message
    assert run(token, jwt_algorithms=["EdDSA"]).verified
    refused = run(token, jwt_algorithms=["ES256", "RS256"])
    assert (
        status_of(refused, "proof") == "failed" and "not among the accepted" in refused.check("proof").message
    )
    assert run(token, cryptosuites=[]).verified  # a JWT does not use a Data Integrity cryptosuite
    for bad in ({"cryptosuites": ["eddsa-rdfc-2023"]}, {"jwt_algorithms": ["HS256"]}, {"cryptosuites": "x"}):
        with pytest.raises(MicrocredError):
            run(signed, **bad)


def test_recipient_check_matches_the_hashed_email_and_rejects_another(signed):
    assert status_of(run(signed, recipient="learner@example.org"), "recipient") == "passed"
    report = run(signed, recipient="someone.else@example.org")
    assert status_of(report, "recipient") == "failed"
    assert not report.verified


def test_report_to_dict_is_json_and_names_every_check(signed):
    data = json.loads(json.dumps(run(signed).to_dict()))
    assert data["verified"] is True
    assert [c["id"] for c in data["checks"]][:7] == [
        "parse",
        "context",
        "schema",
        "proof",
        "issuer_key",
        "validity",
        "status",
    ]
    assert data["elements"]["level"] is not None


# ------------------------------------------------------------------------------------------ tampering


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _changed_field(signed, key):
    doc = copy.deepcopy(signed)
    doc["credentialSubject"]["achievement"]["name"] = "Something more impressive"
    return doc


def _proof_from_another_key(signed, key):
    other = generate_key("Ed25519")
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    return sign_proof(unsigned, other)


def _foreign_signature_same_vm(signed, key):
    other = generate_key("Ed25519")
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    doc = copy.deepcopy(signed)
    doc["proof"]["proofValue"] = sign_proof(unsigned, other)["proof"]["proofValue"]
    return doc


def _controller_not_issuer(signed, key):
    doc = {k: v for k, v in copy.deepcopy(signed).items() if k != "proof"}
    doc["issuer"]["id"] = "did:web:someone-else.example"
    return sign_proof(doc, key)


def _wrong_cryptosuite(signed, key):
    doc = copy.deepcopy(signed)
    doc["proof"]["cryptosuite"] = "eddsa-jcs-2022"
    return doc


def _undefined_term(signed, key):
    doc = copy.deepcopy(signed)
    doc["credentialSubject"]["notARealTerm"] = "added after signing"
    return doc


@pytest.mark.parametrize(
    "tamper,failed_check",
    [
        (_changed_field, "proof"),
        (_proof_from_another_key, "issuer_key"),
        (_foreign_signature_same_vm, "proof"),
        (_controller_not_issuer, "issuer_key"),
        (_wrong_cryptosuite, "proof"),
        (_undefined_term, "context"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else v,
)
def test_tampered_data_integrity_credential_is_rejected(signed, key, tamper, failed_check):
    report = run(tamper(signed, key))
    assert not report.verified
    assert status_of(report, failed_check) == "failed", report.to_text()


def test_undefined_term_after_signing_also_fails_the_proof(signed, key):
    report = run(_undefined_term(signed, key))
    assert status_of(report, "proof") == "failed"


def test_jwt_alg_none_is_rejected(token):
    header, payload, _sig = token.split(".")
    forged = _b64(
        {"alg": "none", "typ": "JWT", "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}
    )
    report = run(f"{forged}.{payload}.")
    assert not report.verified
    assert status_of(report, "proof") == "failed"


def test_jwt_hs256_keyed_with_the_issuers_public_key_is_rejected(definition):
    from cryptography.hazmat.primitives import serialization

    from microcred.keys.dids import did_web_document

    rsa_key = generate_key("RSA", did_web="issuer.example")
    issued = issue(definition, "did:example:learner-1", rsa_key, format="jwt", now=ISSUED)
    _header, payload, _ = issued.jwt.split(".")
    pem = rsa_key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged_header = _b64({"alg": "HS256", "typ": "JWT", "kid": rsa_key.key_id})
    signing_input = f"{forged_header}.{payload}".encode()
    mac = (
        base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest()).rstrip(b"=").decode()
    )
    doc = json.dumps(did_web_document([rsa_key])).encode()
    report = run(
        f"{forged_header}.{payload}.{mac}",
        fetch=offline_fetch({"https://issuer.example/.well-known/did.json": doc}),
    )
    assert not report.verified
    assert status_of(report, "proof") == "failed"
    assert "HS256" in report.check("proof").message


def test_expired_credential_is_reported_as_expired(definition, key):
    issued = issue(
        definition,
        "did:example:l",
        key,
        now=ISSUED,
        build_options={"valid_until": ISSUED + timedelta(days=10)},
    )
    report = run(issued.credential)
    check = report.check("validity")
    assert check.status == "failed" and check.details["reason"] == "expired"
    assert status_of(report, "proof") == "passed"


def test_not_yet_valid_credential_is_reported_as_such(definition, key):
    issued = issue(definition, "did:example:l", key, now=NOW + timedelta(days=30))
    report = run(issued.credential)
    check = report.check("validity")
    assert check.status == "failed" and check.details["reason"] == "not_yet_valid"


def test_a_date_without_a_timezone_fails_validity_and_a_naive_clock_is_utc(definition, key):
    """microcred._time's rule: a date-time in a credential must carry its timezone; the clock may not."""
    unsigned = build_credential(definition, "did:example:l", issuer_id=key.controller, now=ISSUED)
    unsigned["validFrom"] = "2026-01-15T00:00:00"
    with pytest.raises(SchemaValidationError, match="validFrom"):  # sign() refuses to make one
        sign(unsigned, key, created=ISSUED)
    check = run(sign_proof(unsigned, key, created=ISSUED)).check("validity")
    assert check.status == "failed" and "not a valid date-time" in check.message
    report = run(issue(definition, "did:example:l", key, now=ISSUED).credential, now=NOW.replace(tzinfo=None))
    assert status_of(report, "validity") == "passed" and report.verified


def test_unsigned_credential_fails_the_proof_check(definition, key):
    unsigned = build_credential(definition, "did:example:l", issuer_id=key.controller, now=ISSUED)
    report = run(unsigned)
    assert status_of(report, "proof") == "failed"
    assert not report.verified


def test_sign_refuses_a_key_that_is_not_the_issuers(definition, key):
    from microcred.credential.builder import build_credential
    from microcred.errors import ProofError

    unsigned = build_credential(definition, "did:example:l", now=ISSUED)  # issuer id from the definition
    with pytest.raises(ProofError, match="issuer"):
        sign(unsigned, key)


# ------------------------------------------------------------------------------------ inputs of every kind


def test_verify_reads_files_json_text_jwt_text_and_baked_images(tmp_path, signed, token):
    json_file = tmp_path / "c.json"
    json_file.write_text(json.dumps(signed))
    jwt_file = tmp_path / "c.jwt"
    jwt_file.write_text(token + "\n")
    svg = default_badge_svg("Applied ML").encode()
    sources = [json_file, jwt_file, json.dumps(signed), token, bake(svg, signed), bake(svg, token)]
    for source in sources:
        assert run(source).verified


def test_verify_reads_a_baked_png(signed, token):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )
    assert run(bake(png, signed)).verified
    assert run(bake(png, token)).verified


def test_verify_answers_a_url_through_the_injected_fetch(signed):
    url = "https://issuer.example/credentials/1"
    report = run(url, fetch=offline_fetch({url: json.dumps(signed).encode()}))
    assert report.verified


@pytest.mark.parametrize("garbage", [b"", b"hello", b"[1, 2]", b"{not json", b"\x89PNG\r\n\x1a\ntruncated"])
def test_unreadable_input_raises_input_error(garbage):
    with pytest.raises(InputError):
        run(garbage)


# ------------------------------------------------------------------------------------ 1EdTech examples

SELF_NAMED_VALID = [
    "simple.json",
    "simple_v1.json",
    "simple-eddsa-2022.json",
    "simple-multiple-proofs.json",
    "simple-did-web-method.json",
    "endorsement-valid.json",
]


@pytest.mark.parametrize("name", SELF_NAMED_VALID)
def test_1edtech_valid_examples_signature_checks_but_self_named_key_is_not_bound(name):
    report = run(json.loads((OB30 / name).read_text()))
    assert status_of(report, "proof") == "passed", report.to_text()
    check = report.check("issuer_key")
    assert check.status == "failed" and check.details["binding"] == "self-named"
    assert "only names itself" in check.message


def test_1edtech_example_verifies_once_the_issuer_profile_lists_the_key():
    doc = json.loads((OB30 / "simple.json").read_text())
    proof = doc["proof"][0] if isinstance(doc["proof"], list) else doc["proof"]
    vm = proof["verificationMethod"]
    issuer = doc["issuer"]["id"]
    profile = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "assertionMethod": [
            {"id": vm, "type": "Multikey", "controller": issuer, "publicKeyMultibase": vm.split("#", 1)[1]}
        ],
    }
    report = run(doc, fetch=offline_fetch({issuer: json.dumps(profile).encode()}))
    assert report.check("issuer_key").status == "passed", report.to_text()
    assert report.check("issuer_key").details["binding"] == "published"
    assert report.verified


def test_1edtech_example_did_key_not_matching_issuer_is_rejected():
    report = run(json.loads((OB30 / "simple-did-key-method.json").read_text()))
    assert status_of(report, "proof") == "passed"
    assert status_of(report, "issuer_key") == "failed"
    assert "not to the issuer" in report.check("issuer_key").message


def test_1edtech_expired_example_is_reported_expired():
    report = run(json.loads((OB30 / "simple-err-expired.json").read_text()))
    assert status_of(report, "proof") == "passed"
    assert report.check("validity").details["reason"] == "expired"


def test_1edtech_not_yet_valid_example_is_reported_as_such():
    report = run(json.loads((OB30 / "simple-err-issued.json").read_text()))
    assert report.check("validity").details["reason"] == "not_yet_valid"


def _complete_with_its_issuer_profile():
    """complete.json, and a fetcher that answers its issuer's profile listing the signing key (only)."""
    credential = json.loads((OB30 / "complete.json").read_text())
    vm = credential["proof"][0]["verificationMethod"]
    issuer, _, fragment = vm.partition("#")
    profile = {
        "id": issuer,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": issuer, "publicKeyMultibase": fragment}
        ],
    }
    return credential, offline_fetch({issuer: json.dumps(profile).encode()})


def test_1edtech_credentials_with_status_fail_closed_when_the_list_cannot_be_fetched():
    credential, fetch = _complete_with_its_issuer_profile()
    report = run(credential, fetch=fetch)
    assert report.check("issuer_key").status == "passed"
    check = report.check("status")
    assert check.status == "failed" and check.details["outcome"] == "could_not_check"
    relaxed = run(credential, fetch=fetch, allow_unchecked_status=True)
    assert relaxed.check("status").status == "warning"


def test_no_status_list_is_fetched_once_the_issuer_key_failed():
    # issue 10: a credential whose key is not confirmed makes no status request (its key is self-named)
    credential = json.loads((OB30 / "complete.json").read_text())
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        raise FetchError(f"{url}: offline in this test", code="fetch.offline")

    report = run(credential, fetch=fetch, check_endorsements=False)
    assert report.check("issuer_key").status == "failed" and not report.verified
    assert report.check("status").status == "skipped"
    assert credential["credentialStatus"]["id"] not in asked
    assert asked  # the key document was asked for: the fetch did run


def test_hostile_deeply_nested_document_is_refused_with_a_clear_failure(signed):
    doc = copy.deepcopy(signed)
    nested: dict = {"name": "leaf"}
    for _ in range(5000):
        nested = {"name": "x", "achievement": nested}
    doc["credentialSubject"]["achievement"]["alignment"] = [nested]
    report = run(doc)
    assert not report.verified
    check = report.check("parse")
    assert check.status == "failed" and check.details["code"] == "canon.limit_exceeded"
    assert "deep" in check.message or "depth" in check.message
