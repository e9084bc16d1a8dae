"""Cross-check with openbadgeslib (an independent Python Open Badges 3.0 implementation), both ways.

* theirs → ours: VC-JWTs as openbadgeslib always issues them (the key in a ``jwk`` header; EdDSA, ES256,
  RS256) and its eddsa-rdfc-2022 Data Integrity credentials verify in microcred;
* ours → theirs: microcred's Data Integrity credentials verify in openbadgeslib given only what the web
  would serve for the extension context — the w3id.org redirect followed to the published site file
  (:func:`web_contexts`, a URL map; nothing is fetched) — and nothing at all when no extension term is
  used; microcred's VC-JWTs verify in ``OB3Verifier``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from openbadgeslib.ob3 import (
    Achievement,
    Issuer,
    OB3LdpSigner,
    OB3Signer,
    OB3Verifier,
    OpenBadgeCredential,
    verify_data_integrity_proof,
)
from openbadgeslib.ob3.did import did_key_from_pem

from microcred import issue, load_definition, verify
from microcred.fetch import offline_fetch
from microcred.jsonld.extension import PUBLISHED_BASE, W3ID_BASE, extension_contexts, site_files
from microcred.keys.dids import controller_document
from microcred.keys.material import IssuerKey, generate_key

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)


def _pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pub(public) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _theirs(issuer_id: str) -> OpenBadgeCredential:
    return OpenBadgeCredential(
        issuer=Issuer(id=issuer_id, name="An openbadgeslib issuer"),
        recipient_id="did:example:learner",
        achievement=Achievement(
            id="https://issuer.example/achievements/1",
            name="Data Stewardship",
            description="Looks after data.",
            criteria_narrative="Passed the assessment.",
        ),
        issuance_date=ISSUED,
    )


def _header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def web_contexts() -> dict[str, dict]:
    """What a web verifier loads for each extension context URL: the w3id.org redirect (PUBLISHED_BASE
    + the same path, as w3id/microcred/.htaccess says) answered from the published site's files."""
    site = {PUBLISHED_BASE + path: file for path, file in site_files().items()}
    return {
        url: json.loads(site[PUBLISHED_BASE + url[len(W3ID_BASE) :]].read_text(encoding="utf-8"))
        for url in extension_contexts()
    }


@pytest.mark.parametrize(
    ("alg", "make"),
    [
        ("EdDSA", ed25519.Ed25519PrivateKey.generate),
        ("ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
    ],
)
def test_their_jwk_header_jwts_from_a_did_key_issuer_verify(alg, make):
    key = make()
    token = OB3Signer(_pem(key), algorithm=alg).sign(_theirs(did_key_from_pem(_pub(key.public_key()))))
    assert "jwk" in _header(token) and "kid" not in _header(token)
    report = verify(token, fetch=offline_fetch({}), now=NOW)
    assert report.verified, report.to_text()
    assert report.check("issuer_key").details["binding"] == "did:key"


def test_their_rs256_jwt_verifies_when_the_issuer_lists_the_key_or_the_caller_trusts_it():
    key = rsa.generate_private_key(65537, 2048)
    issuer = "https://issuer.example/issuers/obl"
    token = OB3Signer(_pem(key), algorithm="RS256").sign(_theirs(issuer))
    unbound = verify(token, fetch=offline_fetch({}), now=NOW)
    assert not unbound.verified and unbound.check("issuer_key").status == "failed"
    assert unbound.check("proof").status == "passed"
    ours = IssuerKey(
        key_id=issuer + "#key-1", controller=issuer, public_key=key.public_key(), algorithm="RSA"
    )
    profile = json.dumps(controller_document([ours], controller=issuer)).encode()
    listed = verify(token, fetch=offline_fetch({issuer: profile}), now=NOW)
    assert listed.verified, listed.to_text()
    trusted = verify(token, fetch=offline_fetch({}), now=NOW, trusted_keys=[ours])
    assert trusted.verified and trusted.check("issuer_key").details["binding"] == "trusted"


def test_their_data_integrity_credential_verifies():
    key = ed25519.Ed25519PrivateKey.generate()
    signed = OB3LdpSigner(_pem(key)).sign(_theirs(did_key_from_pem(_pub(key.public_key()))))
    report = verify(signed, fetch=offline_fetch({}), now=NOW)
    assert report.verified, report.to_text()
    assert report.check("proof").details["cryptosuite"] == "eddsa-rdfc-2022"


@pytest.fixture(scope="module")
def definition():
    return load_definition(ROOT / "examples" / "university-data-science.toml")


def test_our_data_integrity_credential_verifies_in_openbadgeslib_with_what_the_web_serves(definition):
    key = generate_key("Ed25519")
    credential = issue(definition, "did:example:learner", key, now=ISSUED).credential
    assert any(c.startswith(W3ID_BASE) for c in credential["@context"])
    verify_data_integrity_proof(credential, _pub(key.public_key), extra_contexts=web_contexts())
    with pytest.raises(Exception, match="not in the bundled allowlist"):  # without it: refused, not fetched
        verify_data_integrity_proof(credential, _pub(key.public_key))
    credential["credentialSubject"]["achievement"]["name"] = "Forged"
    with pytest.raises(Exception):  # noqa: B017 - any failure of theirs is a refusal
        verify_data_integrity_proof(credential, _pub(key.public_key), extra_contexts=web_contexts())


def test_our_jwt_verifies_in_openbadgeslib(definition):
    key = generate_key("Ed25519")
    token = issue(definition, "did:example:learner", key, now=ISSUED, format="jwt").jwt
    got = OB3Verifier(_pub(key.public_key)).verify(token)
    assert got.issuer.id == key.controller
