"""Issue 15, "verify once": one conversion to quads per document per verify(); a status list's proof
verified once per fetcher (same URL, same bytes, same settings), within a TTL and the list's own
validity window; the compact-JWT check is one ASCII-only pattern."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from microcred.credential import reader
from microcred.errors import InputError
from microcred.fetch import Fetcher, VerifiedCache
from microcred.issuing import issue, sign
from microcred.jsonld import canonical
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.status import checking
from microcred.status.bitstring import MIN_LIST_BITS, bits_from_indexes, status_entry
from microcred.status.publishing import sign_status_list_credential
from microcred.suites import sign_proof
from microcred.verifying.verify import verify, verify_many

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "university-data-science.toml"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)
LIST = "https://issuer.example/status/revocation-1"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519")  # a did:key issuer: resolving it fetches nothing


def credential_on_list(key, index: int) -> dict:
    issued = issue(load_definition(EXAMPLE), f"learner{index}@example.org", key, now=ISSUED).credential
    unsigned = {k: v for k, v in issued.items() if k != "proof"}
    unsigned["credentialStatus"] = status_entry(LIST, index, "revocation")
    return sign(unsigned, key, now=ISSUED).credential


def served_list(key, revoked: list[int], valid_until: datetime | None = None) -> bytes:
    signed = sign_status_list_credential(
        LIST,
        "revocation",
        bits_from_indexes(revoked, MIN_LIST_BITS),
        issuer=key.controller,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=valid_until,
        sign=lambda d: sign_proof(d, key, created="2026-01-01T00:00:00Z"),
    )
    return json.dumps(signed).encode()


@pytest.fixture
def list_proofs(monkeypatch):
    """Counts how often a status list credential's proof is verified."""
    seen: list[str] = []
    real = checking.verify_proof

    def counting(document, **kwargs):
        if "BitstringStatusListCredential" in document.get("type", []):
            seen.append(document["id"])
        return real(document, **kwargs)

    monkeypatch.setattr(checking, "verify_proof", counting)
    return seen


# -------------------------------------------------------------------------------- one conversion


def test_one_verify_converts_the_credential_to_quads_once(key, monkeypatch):
    credential = credential_on_list(key, 5)
    credential.pop("credentialStatus")
    credential = sign({k: v for k, v in credential.items() if k != "proof"}, key, now=ISSUED).credential
    converted: list[str] = []
    real = canonical.fast_quads

    def counting(document, loader, limits):
        converted.append("credential" if "credentialSubject" in document else "other")
        return real(document, loader, limits)

    monkeypatch.setattr(canonical, "fast_quads", counting)
    report = verify(credential, fetch=Fetcher(allow_network=False), now=NOW)
    assert report.verified, report.to_text()
    assert converted.count("credential") == 1  # the safe-mode check and the proof share it
    # outside verify() nothing is shared: the same two steps convert twice
    converted.clear()
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    canonical.check_safe_mode(unsecured)
    canonical.canonicalize(unsecured)
    assert converted.count("credential") == 2


def test_the_memo_tells_equal_looking_values_apart():
    """1 and true are equal in Python (so are the dicts holding them) but not in RDF: the memo keys
    on the exact JSON, and every answer is what an unshared conversion gives."""
    base = {"@context": {"@vocab": "https://example.org/"}, "@id": "https://example.org/x"}
    values = (1, True, 1.5, "1")
    with canonical.converting_once():
        outputs = [canonical.canonicalize({**base, "n": value}) for value in values]
    assert outputs == [canonical.canonicalize({**base, "n": value}) for value in values]
    assert len(set(outputs)) == 4


# ------------------------------------------------------------------------- status lists, once


def test_a_batch_verifies_each_status_list_once(key, list_proofs):
    credentials = [credential_on_list(key, i) for i in (3, 4, 5)]
    fetcher = Fetcher(resources={LIST: served_list(key, [4])}, allow_network=False)
    results = verify_many(credentials * 2, fetch=fetcher, now=NOW)
    verdicts = [report.verified for _, report in results]  # type: ignore[union-attr]
    assert verdicts == [True, False, True] * 2  # index 4 is revoked
    assert list_proofs == [LIST]  # six verifications, one proof check of the list


def test_other_bytes_at_the_same_url_are_verified_again(key, list_proofs):
    credential = credential_on_list(key, 7)
    first = Fetcher(resources={LIST: served_list(key, [])}, allow_network=False)
    assert verify(credential, fetch=first, now=NOW).verified
    second = Fetcher(resources={LIST: served_list(key, [7])}, allow_network=False)
    second.verified = first.verified  # a server's shared conclusions, a fresh copy of the list
    report = verify(credential, fetch=second, now=NOW)
    assert not report.verified and report.check("status").details["outcome"] == "revoked"
    assert list_proofs == [LIST, LIST]


def test_conclusions_expire_after_the_ttl_and_at_the_lists_valid_until(key, list_proofs):
    clock = [1000.0]
    credential = credential_on_list(key, 9)
    fetcher = Fetcher(resources={LIST: served_list(key, [])}, allow_network=False)
    fetcher.verified = VerifiedCache(ttl=60.0, clock=lambda: clock[0])
    for _ in range(2):
        assert verify(credential, fetch=fetcher, now=NOW).verified
    assert len(list_proofs) == 1
    clock[0] += 61.0  # past the TTL
    assert verify(credential, fetch=fetcher, now=NOW).verified
    assert len(list_proofs) == 2
    # a list valid for 10 more seconds is trusted for 10 seconds, not the TTL
    short = Fetcher(
        resources={LIST: served_list(key, [], valid_until=NOW + timedelta(seconds=10))}, allow_network=False
    )
    short.verified = VerifiedCache(ttl=60.0, clock=lambda: clock[0])
    assert verify(credential, fetch=short, now=NOW).verified
    clock[0] += 5.0
    assert verify(credential, fetch=short, now=NOW).verified
    assert len(list_proofs) == 3
    clock[0] += 6.0
    assert verify(credential, fetch=short, now=NOW).verified
    assert len(list_proofs) == 4


def test_a_list_that_fails_is_checked_again_and_trusted_keys_share_nothing(key, list_proofs):
    credential = credential_on_list(key, 11)
    forged = json.loads(served_list(key, []))
    forged["validFrom"] = "2025-01-01T00:00:00Z"  # after signing: the proof no longer holds
    fetcher = Fetcher(resources={LIST: json.dumps(forged).encode()}, allow_network=False)
    for _ in range(2):
        report = verify(credential, fetch=fetcher, now=NOW)
        assert report.check("status").details["outcome"] == "could_not_check"
    assert len(list_proofs) == 2
    good = Fetcher(resources={LIST: served_list(key, [])}, allow_network=False)
    for _ in range(2):
        assert verify(credential, fetch=good, now=NOW, trusted_keys=[key]).verified
    assert len(list_proofs) == 4  # verified with trusted keys: not shared


# ------------------------------------------------------------------------------ the JWT pattern


@pytest.mark.parametrize(
    "text,looks",
    [
        ("eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln", True),
        ("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.", True),  # an empty signature part still reads as a JWT
        ("a.b.c", True),
        (".b.c", False),
        ("a..c", False),
        ("a.b.c.d", False),
        ("a.b", False),
        ("a.b+/.c", False),  # base64, not base64url
        ("a.b=.c", False),  # no padding in a JWS
        ("é.b.c", False),  # a non-ASCII letter ('é'.isalnum() is true)
        ("ａ.b.c", False),  # a full-width letter
        ("a.٣.c", False),  # a non-ASCII digit
        ("a.b.c\n", False),
    ],
)
def test_the_jwt_pattern_is_base64url_ascii(text, looks):
    assert reader._looks_like_jwt(text) is looks


def test_a_long_token_and_a_hostile_near_miss_are_one_pass():
    part = "A" * 500_000
    assert reader._looks_like_jwt(f"{part}.{part}.{part}")
    assert not reader._looks_like_jwt(f"{part}.{part}.{part}é")
    assert not reader._looks_like_jwt("a." * 200_000)


def test_non_ascii_lookalike_tokens_are_refused_as_input():
    with pytest.raises(InputError) as info:
        reader.read_credential("é".encode() + b"yJ.eyJ.abc")
    assert "neither" in info.value.message
