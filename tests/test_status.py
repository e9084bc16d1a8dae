"""Bitstring Status List encoding, status list credentials, and the four status outcomes."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from microcred.errors import FetchError, ProofError, StatusListError
from microcred.fetch import offline_fetch
from microcred.issuing import reserve_sign_record
from microcred.keys.material import generate_key
from microcred.ledger.protocol import Ledger
from microcred.status.bitstring import (
    MIN_LIST_BITS,
    bits_from_indexes,
    decode_list,
    encode_list,
    get_bit,
    set_bit,
    set_indexes,
    status_entry,
)
from microcred.status.checking import check_status, list_verifier
from microcred.status.publishing import sign_status_list_credential, status_list_credential
from microcred.suites import sign_proof

VECTORS = Path(__file__).parent / "vectors" / "bitstring-status-list"
ONEEDTECH = Path(__file__).parent / "vectors" / "1edtech-revocation-list"
DERIVED = json.loads((VECTORS / "DERIVED-decoded-lists.json").read_text(encoding="utf-8"))["lists"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "did:example:12345"
LIST_URL = "https://example.com/credentials/status/3"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def served(documents: dict[str, Any]):
    """A fetch serving the given documents (dicts as JSON) and failing like the real one otherwise."""

    def fetch(url: str) -> bytes:
        if url not in documents:
            raise FetchError(f"{url}: not available offline", code="fetch.offline")
        doc = documents[url]
        return doc if isinstance(doc, bytes) else json.dumps(doc).encode()

    return fetch


def trust_issuer(document: Any) -> str:
    """A list verifier for documents whose proof is not the point of the test: the signer is the issuer."""
    issuer = document.get("issuer")
    return issuer["id"] if isinstance(issuer, dict) else issuer


def refuse(document: Any) -> str:
    raise ProofError("signature does not verify")


def list_credential(
    bits: bytes, *, purpose: str = "revocation", url: str = LIST_URL, issuer: str = ISSUER, **kwargs: Any
) -> dict[str, Any]:
    return status_list_credential(
        url, purpose, bits, issuer=issuer, valid_from=datetime(2021, 4, 5, tzinfo=UTC), **kwargs
    )


# ---- the spec's examples and the Digital Bazaar lists decode to the stated indexes ------------


@pytest.mark.parametrize("name", sorted(DERIVED), ids=lambda n: n.split(" ")[0] + ":" + n.split(" ")[1])
def test_derived_lists_decode_to_stated_indexes(name):
    case = DERIVED[name]
    bits = decode_list(case["encodedList"], legacy=not case["encodedList"].startswith("u"))
    assert len(bits) == case["uncompressedBytes"]
    assert len(bits) * 8 == case["bitLength"]
    assert set_indexes(bits) == case["setIndexes_MSBfirst_specOrder"]
    assert (len(bits) * 8 >= MIN_LIST_BITS) is case["meetsSpecMinimum131072bits"]


SPEC_FILES = sorted(p.name for p in VECTORS.glob("spec-*.json"))


@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_example(name):
    doc = load(VECTORS / name)
    if "BitstringStatusListCredential" in doc["type"]:
        # the notes: 131072 bits, no bit set
        bits = decode_list(doc["credentialSubject"]["encodedList"])
        assert len(bits) * 8 == 131_072
        assert set_indexes(bits) == []
        return
    entries = (
        doc["credentialStatus"] if isinstance(doc["credentialStatus"], list) else [doc["credentialStatus"]]
    )
    stated = {"revocation": 94567, "suspension": 23452}
    for entry in entries:
        index = stated[entry["statusPurpose"]]
        assert entry == status_entry(entry["statusListCredential"], index, entry["statusPurpose"])
    # against the spec's own (all-zero) list the credential is valid ...
    spec_list = load(VECTORS / "spec-appendix-status-list-credential.json")
    lists = {}
    for entry in entries:
        lst = copy.deepcopy(spec_list)
        lst["id"] = entry["statusListCredential"]
        lst["credentialSubject"]["statusPurpose"] = entry["statusPurpose"]
        lists[entry["statusListCredential"]] = lst
    outcome = check_status(doc, fetch=served(lists), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "valid"
    assert [e.index for e in outcome.entries] == [stated[e["statusPurpose"]] for e in entries]
    # ... and with its stated bit set it is revoked (or suspended)
    last = entries[-1]
    lists[last["statusListCredential"]]["credentialSubject"]["encodedList"] = encode_list(
        bits_from_indexes([stated[last["statusPurpose"]]], 131_072)
    )
    outcome = check_status(doc, fetch=served(lists), verify_list=trust_issuer, now=NOW)
    assert outcome.status == {"revocation": "revoked", "suspension": "suspended"}[last["statusPurpose"]]


# ---- encoding -----------------------------------------------------------------------------


def test_index_zero_is_the_most_significant_bit_of_byte_zero():
    assert bits_from_indexes([0], 16) == b"\x80\x00"
    assert bits_from_indexes([7, 8], 16) == b"\x01\x80"
    assert set_indexes(b"\x48") == [1, 4]
    bits = bytearray(2)
    set_bit(bits, 9)
    assert bits == b"\x00\x40" and get_bit(bits, 9) and not get_bit(bits, 8)
    set_bit(bits, 9, False)
    assert bits == b"\x00\x00"


def test_encode_decode_round_trip():
    rng = random.Random(7)
    for size in (8, 1024, MIN_LIST_BITS, 4 * MIN_LIST_BITS):
        indexes = sorted(rng.sample(range(size), min(size, 300)))
        encoded = encode_list(bits_from_indexes(indexes, size))
        assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
        assert gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
        decoded = decode_list(encoded)
        assert len(decoded) * 8 == size
        assert set_indexes(decoded) == indexes


@pytest.mark.parametrize(
    ("encoded", "code"),
    [
        (
            "H4sIAAAAAAAAA_MAAC8mBaoBAAAA",
            "status.encoding",
        ),  # no multibase prefix (only read with legacy=True)
        ("u!!!not base64", "status.encoding"),
        ("u" + base64.urlsafe_b64encode(b"plain bytes, not gzip").decode().rstrip("="), "status.encoding"),
        (
            "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 4096)[:-12]).decode().rstrip("="),
            "status.encoding",
        ),
        ("", "status.encoding"),
    ],
    ids=["no-prefix", "not-base64", "not-gzip", "truncated-gzip", "empty"],
)
def test_decode_rejects(encoded, code):
    with pytest.raises(StatusListError) as info:
        decode_list(encoded)
    assert info.value.code == code


def test_decode_refuses_a_gzip_bomb():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * (2 * 1024 * 1024))).decode().rstrip("=")
    with pytest.raises(StatusListError) as info:
        decode_list(bomb, max_bytes=1024 * 1024)
    assert info.value.code == "status.too_large"


def test_status_list_credential_shape():
    bits = bits_from_indexes([3, 94567], MIN_LIST_BITS)
    doc = status_list_credential(
        LIST_URL,
        "revocation",
        bits,
        issuer=ISSUER,
        now=lambda: datetime(2026, 3, 1, 12, 0, 0, 999, tzinfo=UTC),
        valid_until=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["id"] == LIST_URL and doc["issuer"] == ISSUER
    assert doc["validFrom"] == "2026-03-01T12:00:00Z" and doc["validUntil"] == "2026-04-01T00:00:00Z"
    subject = doc["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert subject["id"] == LIST_URL + "#list"
    assert set_indexes(decode_list(subject["encodedList"])) == [3, 94567]
    with pytest.raises(StatusListError):
        status_list_credential(
            LIST_URL, "revocation", bits_from_indexes([], 1024), issuer=ISSUER, now=lambda: NOW
        )
    with pytest.raises(StatusListError):
        status_list_credential(LIST_URL, "refresh", bits, issuer=ISSUER, now=lambda: NOW)  # type: ignore[arg-type]


def test_sign_status_list_credential_uses_the_sign_callable():
    signed = sign_status_list_credential(
        LIST_URL,
        "suspension",
        bits_from_indexes([], MIN_LIST_BITS),
        issuer=ISSUER,
        now=lambda: NOW,
        sign=lambda d: {**d, "proof": {"type": "DataIntegrityProof"}},
    )
    assert signed["proof"] == {"type": "DataIntegrityProof"}
    assert signed["credentialSubject"]["statusPurpose"] == "suspension"
    with pytest.raises(StatusListError):
        sign_status_list_credential(
            LIST_URL,
            "revocation",
            bits_from_indexes([], MIN_LIST_BITS),
            issuer=ISSUER,
            now=lambda: NOW,
            sign=lambda d: d,
        )


# ---- the outcomes ---------------------------------------------------------------------------


def credential(*entries: dict[str, Any], issuer: Any = ISSUER) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": issuer}
    if entries:
        doc["credentialStatus"] = entries[0] if len(entries) == 1 else list(entries)
    return doc


REV = status_entry(LIST_URL, 94567, "revocation")
SUS_URL = "https://example.com/credentials/status/4"
SUS = status_entry(SUS_URL, 23452, "suspension")


def lists(revoked: list[int] = (), suspended: list[int] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        LIST_URL: list_credential(bits_from_indexes(revoked, MIN_LIST_BITS)),
        SUS_URL: list_credential(
            bits_from_indexes(suspended, MIN_LIST_BITS), purpose="suspension", url=SUS_URL
        ),
    }


def test_no_status():
    outcome = check_status(credential(), fetch=served({}), verify_list=refuse, now=NOW)
    assert outcome.status == "no_status" and outcome.ok and outcome.entries == ()


def test_valid():
    outcome = check_status(
        credential(REV, SUS), fetch=served(lists([1], [2])), verify_list=trust_issuer, now=NOW
    )
    assert outcome.status == "valid" and outcome.ok
    assert [e.status for e in outcome.entries] == ["valid", "valid"]


def test_revoked():
    outcome = check_status(
        credential(REV, SUS), fetch=served(lists([94567], [23452])), verify_list=trust_issuer, now=NOW
    )
    assert outcome.status == "revoked" and not outcome.ok  # revoked outranks suspended
    assert "94567" in outcome.reason


def test_suspended():
    outcome = check_status(
        credential(REV, SUS), fetch=served(lists([], [23452])), verify_list=trust_issuer, now=lambda: NOW
    )
    assert outcome.status == "suspended" and not outcome.ok
    assert [e.status for e in outcome.entries] == ["valid", "suspended"]


def test_issuer_given_as_profile_object():
    doc = credential(REV, issuer={"id": ISSUER, "type": ["Profile"], "name": "Example"})
    outcome = check_status(doc, fetch=served(lists([94567])), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "revoked"


def _mutated(change) -> dict[str, Any]:
    docs = lists([94567])
    change(docs[LIST_URL])
    return docs


CANNOT = {
    "fetch-fails": (served({}), trust_issuer, "cannot fetch"),
    "not-json": (served({LIST_URL: b"eyJhbGciOi.not-json"}), trust_issuer, "not a JSON document"),
    "proof-fails": (served(lists([94567])), refuse, "does not verify"),
    "signed-by-another": (served(lists([94567])), lambda d: "did:example:mallory", "signed for"),
    "signed-not-for-the-list-issuer": (
        served(_mutated(lambda d: d.update(issuer="did:example:other"))),
        lambda d: ISSUER,
        "signed for",
    ),
    "expired": (
        served(_mutated(lambda d: d.update(validUntil="2025-01-01T00:00:00Z"))),
        trust_issuer,
        "expired",
    ),
    "not-yet-valid": (
        served(_mutated(lambda d: d.update(validFrom="2027-01-01T00:00:00Z"))),
        trust_issuer,
        "not valid until",
    ),
    "purpose-mismatch": (
        served(_mutated(lambda d: d["credentialSubject"].update(statusPurpose="suspension"))),
        trust_issuer,
        "has purpose",
    ),
    "too-short": (
        served(
            _mutated(
                lambda d: d["credentialSubject"].update(
                    encodedList=encode_list(bits_from_indexes([94567], 100_000))
                )
            )
        ),
        trust_issuer,
        "fewer than 131072",
    ),
    "wrong-type": (
        served(_mutated(lambda d: d.update(type=["VerifiableCredential"]))),
        trust_issuer,
        "is not a BitstringStatusListCredential",
    ),
    "bad-encoding": (
        served(_mutated(lambda d: d["credentialSubject"].update(encodedList="H4sIAAAA"))),
        trust_issuer,
        "cannot be decoded",
    ),
}


@pytest.mark.parametrize("case", sorted(CANNOT))
def test_could_not_check(case):
    fetch, verifier, words = CANNOT[case]
    outcome = check_status(credential(REV), fetch=fetch, verify_list=verifier, now=NOW)
    assert outcome.status == "could_not_check" and not outcome.ok
    assert words in outcome.reason


def test_list_id_other_than_its_url_is_still_read():
    """Bitstring Status List: the list's id MAY match its URL; the algorithm never compares them."""
    docs = _mutated(lambda d: d.update(id="https://example.com/credentials/status/9"))
    outcome = check_status(credential(REV), fetch=served(docs), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "revoked"


def test_list_issued_by_another_party_is_read_and_reported():
    """No rule ties the list's issuer to the credential's: a status service may publish it."""
    docs = _mutated(lambda d: d.update(issuer="did:example:status-service"))
    outcome = check_status(
        credential(REV), fetch=served(docs), verify_list=lambda d: "did:example:status-service", now=NOW
    )
    assert outcome.status == "revoked"
    (entry,) = outcome.details
    assert entry["list_issuer"] == "did:example:status-service"
    assert entry["credential_issuer"] == ISSUER
    assert "not by the credential's issuer" in outcome.reason


def test_short_list_message_says_it_is_a_must():
    docs = _mutated(
        lambda d: d["credentialSubject"].update(encodedList=encode_list(bits_from_indexes([1], 100_000)))
    )
    outcome = check_status(credential(REV), fetch=served(docs), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "could_not_check" and "MUST hold at least 131,072" in outcome.reason


def test_could_not_check_entry_problems():
    bad_index = {**REV, "statusListIndex": "-3"}
    outside = status_entry(LIST_URL, MIN_LIST_BITS, "revocation")
    unknown = {"id": "https://example.com/x", "type": "SomeFutureStatus"}
    for entry, words in (
        (bad_index, "not a non-negative integer"),
        (outside, "outside the list"),
        (unknown, "not supported"),
        ({**REV, "statusSize": 2}, "statusSize"),
    ):
        outcome = check_status(credential(entry), fetch=served(lists()), verify_list=trust_issuer, now=NOW)
        assert outcome.status == "could_not_check", entry
        assert words in outcome.reason


def test_revoked_outranks_could_not_check_and_each_list_is_fetched_once():
    calls: list[str] = []
    inner = served({LIST_URL: lists([94567])[LIST_URL]})

    def fetch(url: str) -> bytes:
        calls.append(url)
        return inner(url)

    twice = status_entry(LIST_URL, 5, "revocation")
    outcome = check_status(credential(REV, twice, SUS), fetch=fetch, verify_list=trust_issuer, now=NOW)
    assert outcome.status == "revoked"
    assert [e.status for e in outcome.entries] == ["revoked", "valid", "could_not_check"]
    assert calls == [LIST_URL, SUS_URL]


def test_status_list_2021():
    """StatusList2021 (older credentials): base64url without multibase prefix, VCDM 1.1 dates."""
    encoded = DERIVED["digitalbazaar encodedList100KWith50KthRevoked"]["encodedList"][1:]  # as 2021 wrote it
    url = "https://example.com/status/2021"
    lst = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
        "id": url,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": ISSUER,
        "issuanceDate": "2021-04-05T14:27:40Z",
        "credentialSubject": {
            "id": url + "#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }

    def entry(index: int) -> dict[str, Any]:
        return {
            "id": f"{url}#{index}",
            "type": "StatusList2021Entry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": url,
        }

    assert (
        check_status(
            credential(entry(50007)), fetch=served({url: lst}), verify_list=trust_issuer, now=NOW
        ).status
        == "revoked"
    )
    assert (
        check_status(
            credential(entry(50006)), fetch=served({url: lst}), verify_list=trust_issuer, now=NOW
        ).status
        == "valid"
    )


# ---- the 1EdTech examples -----------------------------------------------------------------

REVOKED_EXAMPLE = load(ONEEDTECH / "credential-status-revoked.json")
VCRL_URL = REVOKED_EXAMPLE["credentialStatus"]["id"]


def vcrl(*items: dict[str, Any], issuer: Any = None) -> dict[str, Any]:
    """A 1EdTech Revocation List (VCRL 1.0): ``revokedCredentials`` items ``{id, revoked?, reason?}``."""
    doc: dict[str, Any] = {"id": VCRL_URL, "revokedCredentials": list(items)}
    if issuer is not None:
        doc["issuer"] = issuer
    return doc


def test_1edtech_revoked_example_is_revoked():
    cred_id = REVOKED_EXAMPLE["id"]
    listing = vcrl(
        {"id": "urn:uuid:someone-else"},
        {"id": cred_id, "revoked": True, "revocationReason": "misconduct"},
        issuer=REVOKED_EXAMPLE["issuer"]["id"],
    )
    outcome = check_status(REVOKED_EXAMPLE, fetch=served({VCRL_URL: listing}), verify_list=refuse, now=NOW)
    assert outcome.status == "revoked"
    assert outcome.entries[0].type == "1EdTechRevocationList"
    assert "misconduct" in outcome.reason
    # "revoked" may be left out: listed means revoked
    outcome = check_status(
        REVOKED_EXAMPLE, fetch=served({VCRL_URL: vcrl({"id": cred_id})}), verify_list=refuse, now=NOW
    )
    assert outcome.status == "revoked"


def test_1edtech_revocation_list_other_outcomes():
    cred_id = REVOKED_EXAMPLE["id"]
    check = lambda fetch: check_status(REVOKED_EXAMPLE, fetch=fetch, verify_list=refuse, now=NOW)  # noqa: E731
    assert check(served({VCRL_URL: vcrl({"id": cred_id, "revoked": False})})).status == "valid"
    assert check(served({VCRL_URL: vcrl()})).status == "valid"
    assert check(served({VCRL_URL: {"revokedCredentials": [cred_id]}})).status == "revoked"  # bare ids
    # the list cannot be fetched (the validator's live URL, offline): could not check, never "valid"
    offline = check(served({}))
    assert offline.status == "could_not_check" and VCRL_URL in offline.reason
    assert check(served({VCRL_URL: {"something": "else"}})).status == "could_not_check"
    assert (
        check(served({VCRL_URL: vcrl({"id": cred_id}, issuer="did:example:other")})).status
        == "could_not_check"
    )


def test_1edtech_bitstring_example_points_at_a_list_with_another_id():
    """The validator's bit-string-list example: the served list has bit 23 set, and its ``id`` is
    example.com's, not the raw.githubusercontent.com URL the credential names: the spec never compares
    them, so the bit is read (REVOKED)."""
    cred = load(ONEEDTECH / "bit-string-list__credential-status-revoked.json")
    testlist = load(ONEEDTECH / "bit-string-list__testlist")
    url = cred["credentialStatus"]["statusListCredential"]
    assert set_indexes(decode_list(testlist["credentialSubject"]["encodedList"])) == [23]
    outcome = check_status(cred, fetch=served({url: testlist}), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "revoked" and outcome.entries[0].index == 23
    # served under its own id, bit 23 reads as revoked
    fixed = copy.deepcopy(cred)
    fixed["credentialStatus"]["statusListCredential"] = testlist["id"]
    outcome = check_status(fixed, fetch=served({testlist["id"]: testlist}), verify_list=trust_issuer, now=NOW)
    assert outcome.status == "revoked"
    assert outcome.entries[0].index == 23  # statusListIndex given as a JSON number is read too


def test_now_defaults_and_naive_times():
    outcome = check_status(credential(REV), fetch=served(lists()), verify_list=trust_issuer)
    assert outcome.status == "valid"
    naive = datetime(2026, 1, 1)
    assert (
        check_status(credential(REV), fetch=served(lists()), verify_list=trust_issuer, now=naive).status
        == "valid"
    )
    late = NOW + timedelta(days=1)
    docs = lists()
    docs[LIST_URL]["validUntil"] = "2026-01-01T12:00:00Z"
    assert check_status(credential(REV), fetch=served(docs), verify_list=trust_issuer, now=late).status == (
        "could_not_check"
    )


# ---- signed with the real suites ---------------------------------------------------------


def _signed_list(key, bits: bytes, *, url: str = LIST_URL, purpose: str = "revocation") -> dict[str, Any]:
    suite = "eddsa-rdfc-2022" if key.algorithm == "Ed25519" else "ecdsa-rdfc-2019"
    return sign_status_list_credential(
        url,
        purpose,
        bits,
        issuer=key.controller,
        now=lambda: datetime(2025, 12, 1, tzinfo=UTC),
        sign=lambda d: sign_proof(d, key, cryptosuite=suite, created="2025-12-01T00:00:00Z"),
    )


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_signed_status_list_verifies_and_reads(algorithm):
    key = generate_key(algorithm)
    signed = _signed_list(key, bits_from_indexes([94567], MIN_LIST_BITS))
    verifier = list_verifier(fetch=offline_fetch({}))
    assert verifier(signed) == key.controller
    cred = credential(REV, issuer=key.controller)
    outcome = check_status(cred, fetch=served({LIST_URL: signed}), verify_list=verifier, now=NOW)
    assert outcome.status == "revoked"
    # clearing the bit after signing breaks the proof: could not check, never "valid"
    forged = copy.deepcopy(signed)
    forged["credentialSubject"]["encodedList"] = encode_list(bits_from_indexes([], MIN_LIST_BITS))
    outcome = check_status(cred, fetch=served({LIST_URL: forged}), verify_list=verifier, now=NOW)
    assert outcome.status == "could_not_check" and "does not verify" in outcome.reason
    # a list issued and signed by another party is read, and the difference reported
    other_key = generate_key("Ed25519")
    other = _signed_list(other_key, bits_from_indexes([], MIN_LIST_BITS))
    outcome = check_status(cred, fetch=served({LIST_URL: other}), verify_list=verifier, now=NOW)
    assert outcome.status == "valid" and "not by the credential's issuer" in outcome.reason
    assert outcome.details[0]["list_issuer"] == other_key.controller
    # a list signed with a cryptosuite outside the verifier's allow-list is not trusted
    strict = list_verifier(fetch=offline_fetch({}), cryptosuites=["eddsa-jcs-2022"])
    outcome = check_status(cred, fetch=served({LIST_URL: signed}), verify_list=strict, now=NOW)
    assert outcome.status == "could_not_check" and "not among the accepted cryptosuites" in outcome.reason


def test_1edtech_signed_testlist_verifies_but_its_key_is_only_self_named():
    testlist = load(ONEEDTECH / "bit-string-list__testlist")
    with pytest.raises(ProofError) as info:
        list_verifier(fetch=offline_fetch({}))(testlist)
    assert "self-named" in str(info.value)
    assert list_verifier(fetch=offline_fetch({}), allow_self_named=True)(testlist) == testlist["issuer"]


def test_ledger_revoke_suspend_reinstate_end_to_end(tmp_path):
    """Issue into a ledger, change status, publish signed lists, check: revoked / suspended / valid."""
    key = generate_key("Ed25519")
    base = "https://example.edu/status"
    with Ledger.open(tmp_path / "issued.db") as ledger:
        creds = {}
        for n in range(3):
            unsigned = {"id": f"urn:uuid:{n}", "type": ["VerifiableCredential"], "issuer": key.controller}
            text, _ = reserve_sign_record(
                ledger,
                unsigned,
                sign=json.dumps,
                achievement_id="a",
                recipient=f"r{n}",
                format="di",
                status_list_base_url=base,
                suspension=True,
                issued_at="2026-01-01T00:00:00Z",
            )
            creds[n] = json.loads(text)

        def published() -> dict[str, Any]:
            return {
                x.url: _signed_list(key, ledger.list_bits(x.url), url=x.url, purpose=x.purpose)
                for x in ledger.lists()
            }

        def status_of(n: int) -> str:
            verifier = list_verifier(fetch=offline_fetch({}))
            return check_status(creds[n], fetch=served(published()), verify_list=verifier, now=NOW).status

        assert [status_of(n) for n in range(3)] == ["valid"] * 3
        ledger.revoke("urn:uuid:0", "misconduct")
        ledger.suspend("urn:uuid:1", "under review")
        assert [status_of(n) for n in range(3)] == ["revoked", "suspended", "valid"]
        ledger.reinstate("urn:uuid:1", "cleared")
        assert [status_of(n) for n in range(3)] == ["revoked", "valid", "valid"]


def test_signed_status_lists_sign_every_ledger_list_and_refuse_a_foreign_key(tmp_path):
    from microcred.errors import StatusListError
    from microcred.fetch import offline_fetch
    from microcred.keys.material import generate_key
    from microcred.ledger.protocol import Ledger
    from microcred.status.checking import list_verifier
    from microcred.status.publishing import signed_status_lists

    key = generate_key("Ed25519")
    unsigned = {
        "id": "urn:uuid:1",
        "issuer": key.controller,
        "credentialSubject": {"id": "did:example:l", "achievement": {"id": "https://a.example/1"}},
    }
    with Ledger.open(tmp_path / "l.db") as ledger:
        reserve_sign_record(
            ledger,
            unsigned,
            sign=lambda d: d,
            format="di",
            status_list_base_url="https://u.example/s",
            suspension=True,
        )
        ledger.revoke("urn:uuid:1", "test")
        published = signed_status_lists(ledger, key)
        assert sorted(p.purpose for p in published) == ["revocation", "suspension"]
        verify_list = list_verifier(fetch=offline_fetch())
        for item in published:
            assert verify_list(item.document) == key.controller
            assert item.set_count == (1 if item.purpose == "revocation" else 0)
        with pytest.raises(StatusListError, match="controller"):
            signed_status_lists(ledger, generate_key("Ed25519"))
