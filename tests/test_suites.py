"""Data Integrity round trips and tampering, for every suite microcred signs with."""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred.errors import DidError, JsonLdError, ProofError
from microcred.fetch import offline_fetch
from microcred.keys.dids import resolve_verification_method
from microcred.keys.material import IssuerKey, generate_key
from microcred.suites import SIGNING_CRYPTOSUITES, sign_proof, verify_proof, verify_proofs

resolve = functools.partial(resolve_verification_method, fetch=offline_fetch())
CREATED = "2024-05-01T12:00:00Z"


def credential(issuer: str, *, v1: bool = False) -> dict:
    doc = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1" if v1 else "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f1c5b1e-7d0a-4f4e-9a63-0b8f7c7d1a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example University"},
        "name": "Data Stewardship",
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/ds",
                "type": ["Achievement"],
                "name": "Data Stewardship",
                "description": "Manages research data.",
                "criteria": {"narrative": "Pass the assessment."},
                "creditsAvailable": 7.5,
            },
        },
    }
    doc["issuanceDate" if v1 else "validFrom"] = "2024-05-01T00:00:00Z"
    return doc


def _key_for(suite: str) -> IssuerKey:
    return generate_key("P-256" if suite.startswith("ecdsa") else "Ed25519")


@pytest.mark.parametrize("suite", SIGNING_CRYPTOSUITES)
def test_each_suite_signs_and_verifies(suite: str) -> None:
    key = _key_for(suite)
    unsigned = credential(key.controller)
    signed = sign_proof(unsigned, key, cryptosuite=suite, created=CREATED)
    assert "proof" not in unsigned  # the input is not changed
    proof = signed["proof"]
    assert (proof["type"], proof["cryptosuite"], proof["created"]) == ("DataIntegrityProof", suite, CREATED)
    assert proof["verificationMethod"] == key.key_id and proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")
    result = verify_proof(signed, resolve=resolve)
    assert (result.verified, result.reason, result.cryptosuite) == (True, "ok", suite)
    assert result.key is not None and result.key.controller == key.controller
    # deterministic: signing again gives the same proof (Ed25519, RFC 6979 ECDSA)
    assert sign_proof(unsigned, key, cryptosuite=suite, created=CREATED) == signed


def test_p384_signs_and_verifies_with_ecdsa_rdfc_2019() -> None:
    key = generate_key("P-384")
    signed = sign_proof(credential(key.controller), key, cryptosuite="ecdsa-rdfc-2019", created=CREATED)
    assert verify_proof(signed, resolve=resolve).verified


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022"])
def test_vcdm_1_1_credential_signs_and_verifies(suite: str) -> None:
    key = _key_for(suite)
    unsigned = credential(key.controller, v1=True)
    signed = sign_proof(unsigned, key, cryptosuite=suite, created=CREATED)
    # as @digitalbazaar/data-integrity 2.x does: DataIntegrityProof needs the data-integrity context
    assert signed["@context"] == [*unsigned["@context"], "https://w3id.org/security/data-integrity/v2"]
    assert verify_proof(signed, resolve=resolve).verified


def test_created_defaults_to_now_in_whole_utc_seconds() -> None:
    key = generate_key()
    when = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
    signed = sign_proof(credential(key.controller), key, now=lambda: when)
    assert signed["proof"]["created"] == "2025-03-04T03:06:07Z"
    signed = sign_proof(credential(key.controller), key, created=datetime(2025, 1, 1, tzinfo=UTC))
    assert signed["proof"]["created"] == "2025-01-01T00:00:00Z"
    with pytest.raises(ProofError, match="dateTime"):
        sign_proof(credential(key.controller), key, created="yesterday")
    with pytest.raises(ProofError, match="timezone"):
        sign_proof(credential(key.controller), key, created=datetime(2025, 1, 1))


def test_signing_refuses_wrong_inputs() -> None:
    ed = generate_key()
    with pytest.raises(ProofError, match="needs a P-256 or P-384 key"):
        sign_proof(credential(ed.controller), ed, cryptosuite="ecdsa-rdfc-2019")
    with pytest.raises(ProofError, match="cannot sign with cryptosuite"):
        sign_proof(credential(ed.controller), ed, cryptosuite="Ed25519Signature2020")
    with pytest.raises(ProofError, match="no private part"):
        sign_proof(credential(ed.controller), ed.public())
    bad = credential(ed.controller)
    bad["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(JsonLdError, match="favouriteColour"):
        sign_proof(bad, ed)


# ---------------------------------------------------------------------------------------- tampering


def _signed(suite: str = "eddsa-rdfc-2022") -> tuple[IssuerKey, dict]:
    key = _key_for(suite)
    return key, sign_proof(credential(key.controller), key, cryptosuite=suite, created=CREATED)


@pytest.mark.parametrize("suite", SIGNING_CRYPTOSUITES)
def test_changed_field_after_signing_fails(suite: str) -> None:
    _, signed = _signed(suite)
    signed["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    result = verify_proof(signed, resolve=resolve)
    assert not result.verified and "signature does not match" in result.reason


def test_changed_number_after_signing_fails_but_equal_numbers_do_not() -> None:
    _, signed = _signed()
    same = copy.deepcopy(signed)
    same["credentialSubject"]["achievement"]["creditsAvailable"] = 7.50
    assert verify_proof(same, resolve=resolve).verified
    signed["credentialSubject"]["achievement"]["creditsAvailable"] = 75
    assert not verify_proof(signed, resolve=resolve).verified


def test_proof_from_another_key_fails() -> None:
    _, signed = _signed()
    other = generate_key()
    signed["proof"]["verificationMethod"] = other.key_id  # claim another key
    result = verify_proof(signed, resolve=resolve)
    assert not result.verified and result.key is not None and result.key.controller == other.controller


def test_wrong_cryptosuite_name() -> None:
    _, signed = _signed()
    renamed = copy.deepcopy(signed)
    renamed["proof"]["cryptosuite"] = "eddsa-jcs-2022"  # a real suite, but not the one that signed
    assert not verify_proof(renamed, resolve=resolve).verified
    unknown = copy.deepcopy(signed)
    unknown["proof"]["cryptosuite"] = "eddsa-rdf-2022"  # the OB spec's misspelling
    result = verify_proof(unknown, resolve=resolve)
    assert (result.verified, result.supported) == (False, False)
    assert "'eddsa-rdf-2022'" in result.reason
    p256 = copy.deepcopy(signed)
    p256["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    result = verify_proof(p256, resolve=resolve)
    assert not result.verified and "needs a P-256 or P-384 key" in result.reason


def test_undefined_term_added_after_signing_is_reported_not_raised() -> None:
    _, signed = _signed()
    signed["credentialSubject"]["hiddenGrade"] = "A+"  # no context defines it: pyld would drop it silently
    result = verify_proof(signed, resolve=resolve)
    assert not result.verified
    assert "hiddenGrade" in result.reason and "cannot be trusted" in result.reason


def test_unknown_context_cannot_be_checked_and_raises() -> None:
    _, signed = _signed()
    signed["@context"].append("https://evil.example/context.jsonld")
    with pytest.raises(JsonLdError, match="unknown JSON-LD context"):
        verify_proof(signed, resolve=resolve)


def test_wrong_proof_purpose() -> None:
    key = generate_key()
    signed = sign_proof(credential(key.controller), key, proof_purpose="authentication", created=CREATED)
    result = verify_proof(signed, resolve=resolve)
    assert not result.verified and "proofPurpose" in result.reason
    assert verify_proof(signed, resolve=resolve, expected_purpose="authentication").verified


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("proof"), "no proof"),
        (lambda d: d.__setitem__("proof", "z123"), "JSON object"),
        (lambda d: d["proof"].pop("proofValue"), "proofValue"),
        (lambda d: d["proof"].pop("verificationMethod"), "verificationMethod"),
        (lambda d: d["proof"].__setitem__("proofValue", "uAAAA"), "base58btc"),
        (lambda d: d["proof"].__setitem__("proofValue", "z0OIl"), "multibase"),
        (lambda d: d["proof"].__setitem__("created", "last tuesday"), "dateTime"),
    ],
)
def test_structural_garbage_raises_proof_error(change, match: str) -> None:
    _, signed = _signed()
    change(signed)
    with pytest.raises(ProofError, match=match):
        verify_proof(signed, resolve=resolve)


def test_truncated_signature_is_a_failed_check() -> None:
    _, signed = _signed()
    signed["proof"]["proofValue"] = signed["proof"]["proofValue"][:-10]
    assert not verify_proof(signed, resolve=resolve).verified


def test_unresolvable_key_raises() -> None:
    _, signed = _signed()
    signed["proof"]["verificationMethod"] = "did:example:123#key-1"
    with pytest.raises(DidError):
        verify_proof(signed, resolve=resolve)


# ---------------------------------------------------------------------------------------- proof sets


def test_proof_set_reports_each_and_prefers_the_issuers_key() -> None:
    issuer = generate_key()
    endorser = generate_key("P-256")
    doc = sign_proof(credential(issuer.controller), endorser, cryptosuite="ecdsa-rdfc-2019", created=CREATED)
    doc = sign_proof(doc, issuer, created=CREATED)
    assert len(doc["proof"]) == 2
    results = verify_proofs(doc, resolve=resolve)
    assert [r.verified for r in results] == [True, True]
    assert verify_proof(doc, resolve=resolve).key.controller == issuer.controller
    doc["proof"][0]["proofValue"] = doc["proof"][1]["proofValue"]  # one bad proof spoils the set
    summary = verify_proof(doc, resolve=resolve)
    assert not summary.verified and summary.verification_method == endorser.key_id


def test_unknown_proof_types_in_a_set_are_skipped() -> None:
    _, signed = _signed()
    signed["proof"] = [{"type": "SomeProofType", "proofPurpose": "assertionMethod"}, signed["proof"]]
    results = verify_proofs(signed, resolve=resolve)
    assert [(r.verified, r.supported) for r in results] == [(False, False), (True, True)]
    assert verify_proof(signed, resolve=resolve).verified


def test_proof_chain_signs_and_verifies() -> None:
    first, second = generate_key(), generate_key()
    doc = sign_proof(credential(first.controller), first, created=CREATED, proof_id="urn:uuid:p1")
    doc = sign_proof(doc, second, created=CREATED, previous_proof="urn:uuid:p1")
    assert doc["proof"][1]["previousProof"] == "urn:uuid:p1"
    assert [r.verified for r in verify_proofs(doc, resolve=resolve)] == [True, True]
    doc["proof"] = [doc["proof"][1]]  # the chained proof without the proof it builds on
    result = verify_proof(doc, resolve=resolve)
    assert not result.verified and "previousProof" in result.reason
    with pytest.raises(ProofError, match="not on the document"):
        sign_proof(credential(first.controller), second, previous_proof="urn:uuid:missing")
