"""VC-JWT: RS256 / ES256 / EdDSA round trips, and the attacks an algorithm allow-list must stop."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from microcred.errors import InputError, JwtError
from microcred.fetch import offline_fetch
from microcred.keys.dids import resolve_verification_method
from microcred.keys.files import load_key
from microcred.keys.material import IssuerKey, ResolvedKey, generate_key
from microcred.keys.multibase import b64url_decode, b64url_encode
from microcred.suites.jwt import read_jwt, sign_jwt, verify_jwt
from microcred.suites.signatures import sign_bytes

VECTORS = Path(__file__).parent / "vectors" / "vc-jose-cose"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _key(alg: str) -> IssuerKey:
    return (
        generate_key(alg, issuer_url="https://example.edu/issuers/1") if alg == "RSA" else generate_key(alg)
    )


def _resolver(*keys: IssuerKey):
    return functools.partial(
        resolve_verification_method, fetch=offline_fetch(), trusted_keys={k.key_id: k.public() for k in keys}
    )


def credential(issuer: str) -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example University"},
        "name": "Data Stewardship",
        "validFrom": "2024-05-01T00:00:00Z",
        "validUntil": "2029-05-01T00:00:00.500Z",
        "credentialSubject": {"id": "did:example:learner-1", "type": ["AchievementSubject"]},
    }


def _forge(header: dict, payload: dict, key: IssuerKey | None = None) -> str:
    h = b64url_encode(json.dumps(header).encode())
    p = b64url_encode(json.dumps(payload).encode())
    sig = sign_bytes(key.private_key, key.algorithm, f"{h}.{p}".encode()) if key else b""
    return f"{h}.{p}.{b64url_encode(sig)}"


@pytest.mark.parametrize(("alg", "jws_alg"), [("RSA", "RS256"), ("P-256", "ES256"), ("Ed25519", "EdDSA")])
def test_round_trip(alg: str, jws_alg: str) -> None:
    key = _key(alg)
    cred = credential(key.controller)
    token = sign_jwt(cred, key, now=NOW)
    parts = read_jwt(token)
    assert parts.header == {"alg": jws_alg, "kid": key.key_id, "typ": "JWT"}
    assert parts.payload["iss"] == key.controller
    assert parts.payload["jti"] == cred["id"]
    assert parts.payload["sub"] == "did:example:learner-1"
    assert parts.payload["nbf"] == int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
    assert parts.payload["exp"] == int(datetime(2029, 5, 1, tzinfo=UTC).timestamp())
    assert parts.payload["iat"] == int(NOW.timestamp())
    assert parts.credential == cred  # the payload is the credential itself, plus the claims
    result = verify_jwt(token, resolve=_resolver(key))
    assert (result.verified, result.reason) == (True, "ok")
    assert result.credential == cred and result.key is not None and result.key.algorithm == alg


@pytest.mark.parametrize(("alg", "size"), [("RSA", 256), ("P-256", 64), ("P-384", 96), ("Ed25519", 64)])
def test_one_signature_path_for_every_algorithm(alg: str, size: int) -> None:
    """The JWS signature is suites.signatures' over the signing input: r‖s for ECDSA, deterministic."""
    key = _key(alg)
    token = sign_jwt(credential(key.controller), key, now=NOW)
    parts = read_jwt(token)
    assert len(parts.signature) == size
    assert sign_bytes(key.private_key, alg, parts.signing_input) == parts.signature
    assert sign_jwt(credential(key.controller), key, now=NOW) == token  # RFC 6979 ECDSA, PKCS#1 v1.5
    assert verify_jwt(token, resolve=_resolver(key)).verified


def test_did_key_tokens_resolve_without_help() -> None:
    key = generate_key()
    token = sign_jwt(credential(key.controller), key, now=NOW)
    result = verify_jwt(token, resolve=functools.partial(resolve_verification_method, fetch=offline_fetch()))
    assert result.verified and result.key is not None and result.key.binding == "did:key"


def test_alg_none_is_rejected() -> None:
    key = _key("Ed25519")
    payload = {**credential(key.controller), "iss": key.controller}
    for alg in ("none", "None", "NONE"):
        result = verify_jwt(_forge({"alg": alg, "kid": key.key_id}, payload), resolve=_resolver(key))
        assert not result.verified and "unsigned" in result.reason


def test_hs256_keyed_with_the_issuers_rsa_public_key_is_rejected() -> None:
    key = _key("RSA")
    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url_encode(json.dumps({"alg": "HS256", "kid": key.key_id, "typ": "JWT"}).encode())
    body = b64url_encode(json.dumps({**credential(key.controller), "iss": key.controller}).encode())
    mac = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    result = verify_jwt(f"{header}.{body}.{b64url_encode(mac)}", resolve=_resolver(key))
    assert not result.verified and "HMAC" in result.reason


@pytest.mark.parametrize(
    ("alg", "claimed"),
    [("RSA", "ES256"), ("P-256", "RS256"), ("Ed25519", "ES256"), ("RSA", "PS256"), ("P-256", "ES384")],
)
def test_header_alg_that_does_not_match_the_key_is_rejected(alg: str, claimed: str) -> None:
    key = _key(alg)
    token = sign_jwt(credential(key.controller), key, now=NOW)
    h, p, s = token.split(".")
    header = json.loads(b64url_decode(h))
    header["alg"] = claimed
    forged = f"{b64url_encode(json.dumps(header).encode())}.{p}.{s}"
    result = verify_jwt(forged, resolve=_resolver(key))
    assert not result.verified and f"alg {claimed} does not match" in result.reason


@pytest.mark.parametrize("alg", ["RSA", "P-256", "Ed25519"])
def test_tampered_payload_is_rejected(alg: str) -> None:
    key = _key(alg)
    h, p, s = sign_jwt(credential(key.controller), key, now=NOW).split(".")
    payload = json.loads(b64url_decode(p))
    payload["name"] = "Brain Surgery"
    forged = f"{h}.{b64url_encode(json.dumps(payload).encode())}.{s}"
    result = verify_jwt(forged, resolve=_resolver(key))
    assert not result.verified and "signature does not match" in result.reason


def test_token_signed_by_another_key_is_rejected() -> None:
    key, other = _key("Ed25519"), _key("Ed25519")
    h, p, _ = sign_jwt(credential(key.controller), key, now=NOW).split(".")
    _, _, s = sign_jwt(credential(key.controller), other, now=NOW).split(".")
    assert not verify_jwt(f"{h}.{p}.{s}", resolve=_resolver(key)).verified


@pytest.mark.parametrize(
    ("claim", "value", "match"),
    [
        ("iss", "https://evil.example/issuer", "iss"),
        ("jti", "urn:uuid:other", "jti"),
        ("sub", "did:example:someone-else", "sub"),
        ("nbf", 1, "nbf"),
        ("exp", 2, "exp"),
    ],
)
def test_claims_must_agree_with_the_credential(claim: str, value: object, match: str) -> None:
    key = _key("Ed25519")
    payload = read_jwt(sign_jwt(credential(key.controller), key, now=NOW)).payload
    payload[claim] = value
    result = verify_jwt(_forge({"alg": "EdDSA", "kid": key.key_id}, payload, key), resolve=_resolver(key))
    assert not result.verified and match in result.reason and "disagree" in result.reason


def test_missing_kid_falls_back_to_a_did_key_iss_and_otherwise_fails() -> None:
    key = generate_key()
    payload = read_jwt(sign_jwt(credential(key.controller), key, now=NOW)).payload
    resolve = functools.partial(resolve_verification_method, fetch=offline_fetch())
    assert verify_jwt(_forge({"alg": "EdDSA"}, payload, key), resolve=resolve).verified
    url_key = _key("RSA")
    url_payload = read_jwt(sign_jwt(credential(url_key.controller), url_key, now=NOW)).payload
    result = verify_jwt(_forge({"alg": "RS256"}, url_payload, url_key), resolve=_resolver(url_key))
    assert not result.verified and "no kid" in result.reason


def test_unresolvable_key_is_a_failed_check_not_an_exception() -> None:
    key = _key("RSA")
    token = sign_jwt(credential(key.controller), key, now=NOW)
    result = verify_jwt(token, resolve=functools.partial(resolve_verification_method, fetch=offline_fetch()))
    assert not result.verified and "cannot be resolved" in result.reason


def test_critical_header_extensions_are_refused() -> None:
    key = _key("Ed25519")
    payload = read_jwt(sign_jwt(credential(key.controller), key, now=NOW)).payload
    token = _forge({"alg": "EdDSA", "kid": key.key_id, "crit": ["b64"], "b64": False}, payload, key)
    assert "critical" in verify_jwt(token, resolve=_resolver(key)).reason


def test_vcdm_1_1_vc_claim_is_read_and_verified() -> None:
    token = (VECTORS / "vcdm2-suite-inner-vc-jwt-es256-didkey.jwt.txt").read_text()
    parts = read_jwt(token)
    assert "vc" in parts.payload and "vc" not in parts.credential
    assert (
        parts.credential["issuer"] == parts.payload["iss"]
        or parts.credential["issuer"]["id"] == parts.payload["iss"]
    )
    result = verify_jwt(token, resolve=functools.partial(resolve_verification_method, fetch=offline_fetch()))
    assert (result.verified, result.reason) == (True, "ok")
    assert result.key is not None and result.key.algorithm == "P-256"


def test_vcdm_1_1_claims_fill_in_the_credential() -> None:
    key = generate_key()
    vc = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"degree": "BSc"},
    }
    payload = {
        "vc": vc,
        "iss": key.controller,
        "sub": "did:example:s",
        "jti": "urn:uuid:1",
        "nbf": 1700000000,
        "exp": 1800000000,
    }
    token = _forge({"alg": "EdDSA", "kid": key.key_id, "typ": "JWT"}, payload, key)
    cred = read_jwt(token).credential
    assert cred["issuer"] == key.controller and cred["id"] == "urn:uuid:1"
    assert cred["issuanceDate"] == "2023-11-14T22:13:20Z" and cred["expirationDate"] == "2027-01-15T08:00:00Z"
    assert cred["credentialSubject"] == {"degree": "BSc", "id": "did:example:s"}
    assert verify_jwt(token, resolve=_resolver(key)).verified


def test_es384_vc_jose_cose_example_verifies_with_its_published_key() -> None:
    token = (VECTORS / "enveloped-vc-jwt-es384.jwt.txt").read_text()
    jwk = json.loads((VECTORS / "respec-vc-p384-key.jwk.json").read_text())
    key = load_key({**jwk, "kid": "https://example.edu/issuers/14#" + read_jwt(token).header["kid"]})

    def resolve(kid: str) -> ResolvedKey:
        return ResolvedKey(kid, "https://example.edu/issuers/14", key.public_key, "P-384", "trusted")

    result = verify_jwt(token, resolve=resolve)
    assert result.key is not None and result.key.algorithm == "P-384"
    assert (result.verified, result.reason) == (True, "ok")
    h, p, s = token.strip().split(".")
    payload = json.loads(b64url_decode(p))
    payload["name"] = "changed"
    forged = f"{h}.{b64url_encode(json.dumps(payload).encode())}.{s}"
    assert not verify_jwt(forged, resolve=resolve).verified


@pytest.mark.parametrize(
    ("token", "match"),
    [
        ("abc.def", "three base64url parts"),
        ("a.b.c.d", "three base64url parts"),
        (".e30.", "three"),
        ("e30.!!!.", "payload is not base64url"),
        (b64url_encode(b"[1]") + ".e30.", "header is not a JSON object"),
        ("e30." + b64url_encode(b"not json") + ".", "payload is not base64url-encoded JSON"),
        ("e30.e30.***", "signature is not base64url"),
        ("e30.e30." + "A" * 2_000_001, "longer than"),
    ],
)
def test_read_jwt_rejects_what_is_not_a_compact_jws(token: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_jwt(token)


def test_signing_needs_issuer_valid_from_and_a_private_key() -> None:
    key = generate_key()
    cred = credential(key.controller)
    with pytest.raises(JwtError, match="no private part"):
        sign_jwt(cred, key.public())
    with pytest.raises(JwtError, match="issuer"):
        sign_jwt({k: v for k, v in cred.items() if k != "issuer"}, key)
    with pytest.raises(JwtError, match="validFrom"):
        sign_jwt({k: v for k, v in cred.items() if k != "validFrom"}, key)
