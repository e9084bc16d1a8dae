"""Issue 15, "verify once": a fetcher's :class:`~microcred.fetch.VerifiedCache` keeps a verified status
list parsed and decoded (same URL, same bytes, same verifier settings), within a byte budget, so a batch
or a server decodes each list once; every check of the entry still runs on each call."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.fetch import Fetcher, VerifiedCache
from microcred.issuing import issue, sign
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
REVOCATION = "https://issuer.example/status/revocation-1"
SUSPENSION = "https://issuer.example/status/suspension-1"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519")  # a did:key issuer: resolving it fetches nothing


@pytest.fixture(scope="module")
def unsigned(key) -> dict:
    issued = issue(load_definition(EXAMPLE), "learner@example.org", key, now=ISSUED).credential
    return {k: v for k, v in issued.items() if k != "proof"}


def on_lists(key, unsigned: dict, index: int, suspension: bool = False) -> dict:
    entries = [status_entry(REVOCATION, index, "revocation")]
    if suspension:
        entries.append(status_entry(SUSPENSION, index, "suspension"))
    body = {**unsigned, "id": f"urn:uuid:00000000-0000-4000-8000-{index:012d}", "credentialStatus": entries}
    return sign(body, key, now=ISSUED).credential


def served(key, url: str, purpose: str, set_bits: list[int]) -> bytes:
    signed = sign_status_list_credential(
        url,
        purpose,  # type: ignore[arg-type]
        bits_from_indexes(set_bits, MIN_LIST_BITS),
        issuer=key.controller,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        sign=lambda d: sign_proof(d, key, created="2026-01-01T00:00:00Z"),
    )
    return json.dumps(signed).encode()


@pytest.fixture
def decodes(monkeypatch):
    """The status lists decoded (their URLs), in order."""
    seen: list[str] = []
    real = checking.decode_list

    def counting(encoded, **kwargs):
        seen.append(encoded)
        return real(encoded, **kwargs)

    monkeypatch.setattr(checking, "decode_list", counting)
    return seen


def outcome(report) -> tuple[bool, list[dict]]:
    return report.verified, report.check("status").details["entries"]


def test_a_batch_decodes_each_list_once(key, unsigned, decodes):
    credentials = [on_lists(key, unsigned, i) for i in (3, 4, 5)]
    fetcher = Fetcher(resources={REVOCATION: served(key, REVOCATION, "revocation", [4])}, allow_network=False)
    results = verify_many(credentials * 3, fetch=fetcher, now=NOW)
    assert [report.verified for _, report in results] == [True, False, True] * 3  # type: ignore[union-attr]
    assert len(decodes) == 1  # nine verifications, one decode
    assert fetcher.verified.size > 0


def test_other_bytes_at_the_same_url_are_decoded_again(key, unsigned, decodes):
    credential = on_lists(key, unsigned, 7)
    first = Fetcher(resources={REVOCATION: served(key, REVOCATION, "revocation", [])}, allow_network=False)
    assert verify(credential, fetch=first, now=NOW).verified
    second = Fetcher(resources={REVOCATION: served(key, REVOCATION, "revocation", [7])}, allow_network=False)
    second.verified = first.verified  # a server's shared conclusions, a fresh copy of the list
    report = verify(credential, fetch=second, now=NOW)
    assert not report.verified and report.check("status").details["outcome"] == "revoked"
    assert len(decodes) == 2
    assert verify(credential, fetch=first, now=NOW).verified  # the first bytes are still known
    assert len(decodes) == 2


def test_the_byte_budget_evicts_the_least_recently_used(key, unsigned, decodes):
    credential = on_lists(key, unsigned, 2, suspension=True)
    resources = {
        REVOCATION: served(key, REVOCATION, "revocation", []),
        SUSPENSION: served(key, SUSPENSION, "suspension", []),
    }
    one_list = len(resources[REVOCATION]) + MIN_LIST_BITS // 8
    roomy = Fetcher(resources=resources, allow_network=False)
    roomy.verified = VerifiedCache(max_bytes=2 * one_list + 200)  # room for both lists
    for _ in range(3):
        assert verify(credential, fetch=roomy, now=NOW).verified
    assert len(decodes) == 2
    decodes.clear()
    fetcher = Fetcher(resources=resources, allow_network=False)
    fetcher.verified = VerifiedCache(max_bytes=one_list + 100)  # room for one list, not two
    for _ in range(3):
        assert verify(credential, fetch=fetcher, now=NOW).verified
    assert len(decodes) == 6  # each call evicts the other list
    assert fetcher.verified.size <= one_list + 100
    tiny = Fetcher(resources=resources, allow_network=False)
    tiny.verified = VerifiedCache(max_bytes=100)  # smaller than any list: nothing is kept
    for _ in range(2):
        assert verify(credential, fetch=tiny, now=NOW).verified
    assert len(decodes) == 10 and tiny.verified.size == 0


def test_the_cache_is_least_recently_used_by_bytes():
    cache = VerifiedCache(max_bytes=100)
    cache.put("a", 1, size=40)
    cache.put("b", 2, size=40)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, size=40)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.size) == (1, None, 3, 80)
    cache.put("a", 4, size=10)  # a replaced entry gives its bytes back
    assert cache.size == 50
    cache.put("d", 5, size=101)  # over the whole budget: not kept, nothing evicted
    assert (cache.get("d"), cache.size) == (None, 50)


def test_a_list_that_fails_its_checks_is_not_kept(key, unsigned, decodes):
    credential = on_lists(key, unsigned, 1)
    document = json.loads(served(key, REVOCATION, "revocation", []))
    short = base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("=")
    document["credentialSubject"]["encodedList"] = "u" + short  # 8,192 entries: fewer than the minimum
    resigned = sign_proof(
        {k: v for k, v in document.items() if k != "proof"}, key, created="2026-01-01T00:00:00Z"
    )
    fetcher = Fetcher(resources={REVOCATION: json.dumps(resigned).encode()}, allow_network=False)
    for _ in range(3):
        report = verify(credential, fetch=fetcher, now=NOW)
        assert report.check("status").details["outcome"] == "could_not_check"
        assert "fewer than 131072" in report.check("status").details["entries"][0]["reason"]
    assert len(decodes) == 3  # decoded, and refused, every time


def test_cached_results_equal_uncached_ones(key, unsigned, decodes):
    resources = {
        REVOCATION: served(key, REVOCATION, "revocation", [4, 6]),
        SUSPENSION: served(key, SUSPENSION, "suspension", [5, 6]),
    }
    credentials = [on_lists(key, unsigned, i, suspension=True) for i in (3, 4, 5, 6, MIN_LIST_BITS)]
    uncached = []
    for credential in credentials:
        fresh = Fetcher(resources=resources, allow_network=False)  # its own, empty VerifiedCache
        uncached.append(outcome(verify(credential, fetch=fresh, now=NOW)))
    shared = Fetcher(resources=resources, allow_network=False)
    for _ in range(2):
        assert [outcome(verify(c, fetch=shared, now=NOW)) for c in credentials] == uncached
    statuses = [[e["status"] for e in entries] for _, entries in uncached]
    assert statuses == [
        ["valid", "valid"],
        ["revoked", "valid"],
        ["valid", "suspended"],
        ["revoked", "suspended"],
        ["could_not_check", "could_not_check"],  # outside the list: checked on every call
    ]
    assert len(decodes) == 2 * len(credentials) + 2  # each uncached call decodes both; the shared one twice
