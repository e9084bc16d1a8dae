"""Issue 10, class 9: the OB 3.0.0 and 3.0.1 contexts carry no ``@protected``.

A context processed after them (listed later in ``@context``, or embedded in a node) could give one of
their terms another meaning: the proof would still check, over the redefined RDF, while every reader of
the JSON reads the Open Badges meaning. These tests show each way of doing it really changes what is
signed, and that microcred refuses it (verify fails the ``context`` check, sign() raises); with the
protected OB 3.0.3 context JSON-LD itself refuses the same redefinitions.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from microcred.errors import JsonLdError
from microcred.fetch import offline_fetch
from microcred.issuing import sign
from microcred.jsonld.canonical import canonicalize
from microcred.keys.material import IssuerKey, generate_key
from microcred.suites.data_integrity import sign_proof
from microcred.verifying.verify import verify

V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
OB_300 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
OB_301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
CREATED = "2026-01-01T00:00:00Z"
EVIL = "https://evil.example/vocab#"


@pytest.fixture(scope="module")
def key() -> IssuerKey:
    return generate_key("Ed25519")


def _credential(key: IssuerKey, ob_context: str) -> dict[str, Any]:
    """A small OB credential; OB 3.0.0/3.0.1 go with VCDM 1.1 (the @protected VCDM 2.0 context and they
    define ``description`` differently, so JSON-LD refuses them together), OB 3.0.3 with VCDM 2.0."""
    unprotected = ob_context in (OB_300, OB_301)
    return {
        "@context": [V1 if unprotected else V2, ob_context],
        "id": "urn:uuid:2f1b7c2e-0d5e-4a5e-9a61-4c1f3f0c0001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Example Polytechnic"},
        ("issuanceDate" if unprotected else "validFrom"): "2026-01-01T00:00:00Z",
        "name": "Welding, level 1",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:example:welding-1",
                "type": ["Achievement"],
                "name": "Welding, level 1",
                "description": "Safe MIG welding of mild steel.",
                "criteria": {"narrative": "Passed the practical assessment."},
            },
        },
    }


def _redefine(credential: dict[str, Any], how: str) -> dict[str, Any]:
    """The credential with an OB term redefined one way or another (before signing)."""
    out = copy.deepcopy(credential)
    achievement = out["credentialSubject"]["achievement"]
    if how == "later-inline":
        out["@context"].append({"name": {"@id": EVIL + "name"}})
    elif how == "later-inline-description":
        out["@context"].append({"description": {"@id": EVIL + "description"}})
    elif how == "later-inline-narrative":
        out["@context"].append({"narrative": {"@id": EVIL + "narrative"}})
    elif how == "later-inline-type-scoped":
        out["@context"].append({"Evil": {"@id": EVIL + "Evil", "@context": {"name": {"@id": EVIL + "name"}}}})
        achievement["type"] = ["Achievement", "Evil"]
    elif how == "embedded-name":
        achievement["@context"] = {"name": {"@id": EVIL + "name"}}
    elif how == "embedded-narrative":
        achievement["criteria"]["@context"] = {"narrative": {"@id": EVIL + "narrative"}}
    elif how == "masked-property":  # JSON-LD scoping masks this one; refused all the same (simple rule)
        out["@context"].append({"achievement": {"@id": EVIL + "notAnAchievement", "@type": "@id"}})
    elif how == "masked-embedded":
        out["credentialSubject"]["@context"] = {"achievement": {"@id": EVIL + "other", "@type": "@id"}}
    elif how == "later-imported":
        out["@context"].append({"@import": OB_303})
    else:
        raise AssertionError(how)
    return out


def _check(document: dict[str, Any]) -> None:
    from microcred.jsonld.protection import check_unprotected_terms

    check_unprotected_terms(document)


#: Ways that change the signed RDF while the JSON reads the same.
WAYS = [
    "later-inline",
    "later-inline-description",
    "later-inline-narrative",
    "later-inline-type-scoped",
    "embedded-name",
    "embedded-narrative",
]


@pytest.mark.parametrize("ob_context", [OB_300, OB_301])
@pytest.mark.parametrize("how", WAYS)
def test_redefining_an_unprotected_ob_term_is_refused(key: IssuerKey, ob_context: str, how: str) -> None:
    plain = _credential(key, ob_context)
    hostile = _redefine(plain, how)
    # the attack is real: the redefinition changes what the signature covers
    assert canonicalize(hostile) != canonicalize(plain)
    signed = sign_proof(hostile, key, created=CREATED)  # another implementation would sign it
    report = verify(signed, fetch=offline_fetch(), now=NOW)
    assert report.check("proof").status == "passed"  # type: ignore[union-attr]
    context = report.check("context")
    assert context is not None and context.status == "failed", report.to_text()
    assert context.details["code"] == "jsonld.redefined_term"
    assert not report.verified
    with pytest.raises(JsonLdError) as raised:
        sign(hostile, key)
    assert raised.value.code == "jsonld.redefined_term"


@pytest.mark.parametrize("ob_context", [OB_300, OB_301])
def test_the_plain_credential_and_harmless_contexts_still_verify(key: IssuerKey, ob_context: str) -> None:
    plain = _credential(key, ob_context)
    first = verify(sign(plain, key, created=CREATED).credential, fetch=offline_fetch(), now=NOW)
    assert first.verified, first.to_text()
    # an inline context that adds a new term, or restates an OB term exactly as OB defines it, is fine
    harmless = copy.deepcopy(plain)
    harmless["@context"].append(
        {
            "name": {"@id": "https://schema.org/name", "@type": "xsd:string"},
            "motto": {"@id": "https://example.edu/vocab#motto"},
        }
    )
    harmless["motto"] = "Per ardua"
    _check(plain)
    report = verify(sign(harmless, key, created=CREATED).credential, fetch=offline_fetch(), now=NOW)
    assert report.check("context").status == "passed", report.to_text()  # type: ignore[union-attr]


def test_a_later_protected_ob_context_after_an_unprotected_one_is_refused(key: IssuerKey) -> None:
    hostile = _redefine(_credential(key, OB_301), "later-imported")
    with pytest.raises(JsonLdError, match="redefines the Open Badges term"):
        _check(hostile)
    stacked = _credential(key, OB_301)
    stacked["@context"].append(OB_303)  # 3.0.3 makes allowedValue an ordered @list, among others
    report = verify(sign_proof(stacked, key, created=CREATED), fetch=offline_fetch(), now=NOW)
    assert report.check("context").status == "failed"  # type: ignore[union-attr]
    for how in ("masked-property", "masked-embedded"):  # no exceptions for redefinitions scoping masks
        with pytest.raises(JsonLdError, match="redefines the Open Badges term 'achievement'"):
            _check(_redefine(_credential(key, OB_301), how))


@pytest.mark.parametrize("how", WAYS)
def test_the_protected_ob_303_context_refuses_the_same_by_itself(key: IssuerKey, how: str) -> None:
    hostile = _redefine(_credential(key, OB_303), how)
    report = verify(hostile, fetch=offline_fetch(), now=NOW)
    context = report.check("context")
    assert context is not None and context.status == "failed"
    with pytest.raises(JsonLdError):
        sign(hostile, key)


def test_the_unprotected_contexts_are_the_packaged_ones_without_protected() -> None:
    from microcred.jsonld.loader import default_loader
    from microcred.jsonld.protection import UNPROTECTED_OB_CONTEXTS

    assert {OB_300, OB_301} <= UNPROTECTED_OB_CONTEXTS
    for url in UNPROTECTED_OB_CONTEXTS:
        assert "@protected" not in str(default_loader.document(url))
    assert "@protected" in str(default_loader.document(OB_303))
