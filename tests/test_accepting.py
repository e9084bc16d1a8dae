"""Issue 12, item 2: what the specs accept and microcred used to refuse — and what stays refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from microcred import verify
from microcred.fetch import offline_fetch
from microcred.keys.dids import controller_document, key_document, key_url_under
from microcred.keys.material import generate_key, public_jwk
from microcred.keys.multibase import b64url_encode
from microcred.suites.signatures import sign_bytes

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _credential(issuer: str) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:2d0ac6c4-4f3b-4e1a-9d6d-8f4b6f2e1a01",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }


def _jwt_with_jwk(key, issuer: str, kid: str | None = None, jwk_key=None) -> str:
    header = {
        "alg": key.jws_algorithm,
        "typ": "JWT",
        "jwk": public_jwk((jwk_key or key).public_key, (jwk_key or key).algorithm),
    }
    if kid:
        header["kid"] = kid
    payload = {**_credential(issuer), "iss": issuer}
    h = b64url_encode(json.dumps(header).encode())
    p = b64url_encode(json.dumps(payload).encode())
    sig = sign_bytes(key.private_key, key.algorithm, f"{h}.{p}".encode())
    return f"{h}.{p}.{b64url_encode(sig)}"


def _checks(report) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def test_jwt_jwk_header_bound_by_did_key_issuer_verifies():
    key = generate_key("Ed25519")
    report = verify(_jwt_with_jwk(key, key.controller), fetch=offline_fetch({}), now=NOW)
    assert _checks(report)["proof"] == "passed" and _checks(report)["issuer_key"] == "passed", (
        report.to_text()
    )
    assert report.verified


def test_jwt_jwk_header_listed_in_the_issuers_profile_verifies():
    issuer = "https://uni.example/issuers/ce"
    key = generate_key("P-256", issuer_url=issuer)
    profile = controller_document([key], controller=issuer)
    report = verify(
        _jwt_with_jwk(key, issuer), fetch=offline_fetch({issuer: json.dumps(profile).encode()}), now=NOW
    )
    assert _checks(report)["issuer_key"] == "passed", report.to_text()
    assert report.check("issuer_key").details["binding"] == "published"


def test_jwt_jwk_header_trusted_by_the_caller_verifies():
    issuer = "https://uni.example/issuers/ce"
    key = generate_key("Ed25519", issuer_url=issuer)
    token = _jwt_with_jwk(key, issuer)
    unbound = verify(token, fetch=offline_fetch({}), now=NOW)
    assert _checks(unbound)["proof"] == "passed" and _checks(unbound)["issuer_key"] == "failed"
    trusted = verify(token, fetch=offline_fetch({}), now=NOW, trusted_keys=[key.public()])
    assert trusted.check("issuer_key").details["binding"] == "trusted" and trusted.verified


def test_jwt_jwk_header_of_another_key_or_not_the_did_key_issuer_fails():
    key, other = generate_key("Ed25519"), generate_key("Ed25519")
    # the jwk is another key than the one that signed: the signature does not match
    forged = verify(_jwt_with_jwk(key, key.controller, jwk_key=other), fetch=offline_fetch({}), now=NOW)
    assert _checks(forged)["proof"] == "failed" and not forged.verified
    # signed with its own jwk, but claiming another did:key issuer: not bound
    claimed = verify(_jwt_with_jwk(key, other.controller), fetch=offline_fetch({}), now=NOW)
    assert _checks(claimed)["issuer_key"] == "failed" and not claimed.verified
    # a jwk with a private part is refused outright
    header = {"alg": "EdDSA", "jwk": {**public_jwk(key.public_key, key.algorithm), "d": "AAAA"}}
    h = b64url_encode(json.dumps(header).encode())
    p = b64url_encode(json.dumps(_credential(key.controller)).encode())
    bad = verify(f"{h}.{p}.{b64url_encode(b'x' * 64)}", fetch=offline_fetch({}), now=NOW)
    assert "private part" in bad.check("proof").message


def test_jwt_kid_and_jwk_naming_different_keys_fail():
    key, other = generate_key("Ed25519"), generate_key("Ed25519")
    token = _jwt_with_jwk(key, "https://uni.example/i", kid=other.key_id)
    report = verify(token, fetch=offline_fetch({}), now=NOW)
    assert not report.verified and "not the key" in report.check("proof").message


def test_key_url_under_the_issuers_path():
    assert key_url_under("https://uni.example/issuers/ce/keys/1", "https://uni.example/issuers/ce")
    assert key_url_under("https://uni.example/issuers/ce/keys/1#k", "https://uni.example/issuers/ce/")
    # same host, another issuer's path: a shared host serves many issuers
    assert not key_url_under("https://uni.example/issuers/cel/keys/1", "https://uni.example/issuers/ce")
    assert not key_url_under("https://uni.example/issuers/law/keys/1", "https://uni.example/issuers/ce")
    assert not key_url_under("https://uni.example/issuers/ce/../law/k", "https://uni.example/issuers/ce")
    assert not key_url_under("https://uni.example/k", "https://uni.example")  # a bare origin is not a path
    assert not key_url_under("http://uni.example/issuers/ce/k", "https://uni.example/issuers/ce")


def test_https_key_document_under_the_issuers_path_is_the_issuers():
    issuer = "https://uni.example/issuers/ce"
    key_url = issuer + "/keys/1"
    key = generate_key("Ed25519", issuer_url=issuer)
    doc = key_document(key)
    doc["id"] = key_url
    doc.pop("controller", None)
    token = _jwt_with_jwk(key, issuer, kid=key_url)
    # the header's jwk is the same key as the one the kid names, and the kid lies under the issuer's path
    report = verify(token, fetch=offline_fetch({key_url: json.dumps(doc).encode()}), now=NOW)
    assert report.check("issuer_key").status == "passed", report.to_text()
    assert report.check("issuer_key").details["binding"] == "under-issuer-path"
    # the same document under another issuer's path on the same host is not bound
    elsewhere = "https://uni.example/issuers/law/keys/1"
    doc["id"] = elsewhere
    token = _jwt_with_jwk(key, issuer, kid=elsewhere)
    report = verify(token, fetch=offline_fetch({elsewhere: json.dumps(doc).encode()}), now=NOW)
    assert report.check("issuer_key").status == "failed"
