"""Issue 10, class 2, through verify(): what one verification may fetch, how often, and from where.

Every test here uses only verify()'s public arguments, so each also ran against the code before the
network policy (where it failed: hostile addresses were connected to, did.json was fetched twice,
a forged credential's status lists and hundreds of status lists were fetched).
"""

from __future__ import annotations

import copy
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.errors import FetchError
from microcred.issuing import issue, sign
from microcred.keys.dids import did_web_document
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.status.bitstring import MIN_LIST_BITS, bits_from_indexes, status_entry
from microcred.status.publishing import sign_status_list_credential
from microcred.suites import sign_proof
from microcred.verifying.verify import verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "university-data-science.toml"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)
DID_JSON = "https://issuer.example/.well-known/did.json"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519", did_web="issuer.example")


def _list_url(i: int) -> str:
    return f"https://issuer.example/status/{i}"


def _credential_with_lists(key, lists: int, *, entries_per_list: int = 1) -> dict:
    issued = issue(load_definition(EXAMPLE), "learner@example.org", key, now=ISSUED).credential
    unsigned = {k: v for k, v in issued.items() if k != "proof"}
    unsigned["credentialStatus"] = [
        status_entry(_list_url(i), 1000 + j, "revocation")
        for i in range(lists)
        for j in range(entries_per_list)
    ]
    for n, entry in enumerate(unsigned["credentialStatus"]):
        entry["id"] = f"{entry['statusListCredential']}#{n}"
    return sign(unsigned, key, now=ISSUED).credential


def _served(key, lists: int) -> tuple[dict[str, bytes], Counter]:
    documents = {DID_JSON: json.dumps(did_web_document([key])).encode()}
    for i in range(lists):
        signed = sign_status_list_credential(
            _list_url(i),
            "revocation",
            bits_from_indexes([], MIN_LIST_BITS),
            issuer=key.controller,
            now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
            sign=lambda d: sign_proof(d, key, created="2026-01-01T00:00:00Z"),
        )
        documents[_list_url(i)] = json.dumps(signed).encode()
    return documents, Counter()


def _counting(documents: dict[str, bytes], asked: Counter):
    def fetch(url: str) -> bytes:
        asked[url.split("#", 1)[0]] += 1
        if url.split("#", 1)[0] not in documents:
            raise FetchError(f"{url}: not served in this test", code="fetch.offline")
        return documents[url.split("#", 1)[0]]

    return fetch


def test_one_verification_fetches_the_did_document_once(key) -> None:
    credential = _credential_with_lists(key, 1)
    documents, asked = _served(key, 1)
    report = verify(credential, fetch=_counting(documents, asked), now=NOW)
    assert report.verified, report.to_text()
    assert asked == {DID_JSON: 1, _list_url(0): 1}


def test_many_status_lists_are_cut_at_the_budget(key) -> None:
    credential = _credential_with_lists(key, 40)
    documents, asked = _served(key, 40)
    report = verify(credential, fetch=_counting(documents, asked), now=NOW)
    status_urls = [u for u in asked if "/status/" in u]
    assert len(status_urls) == 8 and all(n == 1 for n in asked.values())
    check = report.check("status")
    assert check.status == "failed" and "more than 8 status lists" in check.message
    assert not report.verified


def test_many_entries_on_one_list_fetch_it_once(key) -> None:
    credential = _credential_with_lists(key, 1, entries_per_list=200)
    documents, asked = _served(key, 1)
    report = verify(credential, fetch=_counting(documents, asked), now=NOW)
    assert report.verified and asked == {DID_JSON: 1, _list_url(0): 1}


@pytest.mark.parametrize("forgery", ["tampered", "other key"])
def test_a_forged_credential_fetches_no_status_list(key, forgery: str) -> None:
    credential = _credential_with_lists(key, 20)
    if forgery == "tampered":
        credential = copy.deepcopy(credential)
        credential["name"] = "Something else"
    else:  # signed by a key the issuer's DID document does not list
        stranger = generate_key("Ed25519", did_web="issuer.example")
        credential = sign({k: v for k, v in credential.items() if k != "proof"}, stranger).credential
    documents, asked = _served(key, 20)
    report = verify(credential, fetch=_counting(documents, asked), now=NOW)
    assert not report.verified
    assert not [u for u in asked if "/status/" in u]
    assert report.check("status").status == "skipped"


# ---- the default fetcher refuses this machine, whatever points at it ---------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[int]]]:
    """A TCP listener on 127.0.0.1 counting connections (closing each at once); stops with the test."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.05)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


@pytest.mark.parametrize(
    "method",
    [
        "https://127.0.0.1:{port}/keys/1",
        "https://127.0.0.1:{port}/issuer#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:web:127.0.0.1%3A{port}#key-1",
        "https://[::ffff:127.0.0.1]:{port}/keys/1",
    ],
)
def test_a_verification_method_on_this_machine_is_never_connected_to(
    key, listener: tuple[int, list[int]], method: str
) -> None:
    port, accepted = listener
    credential = copy.deepcopy(issue(load_definition(EXAMPLE), "a@example.org", key, now=ISSUED).credential)
    credential["proof"]["verificationMethod"] = method.format(port=port)
    report = verify(credential, now=NOW)  # the default fetcher
    assert not report.verified
    assert accepted == []
    assert report.check("proof").status == "failed"


@pytest.mark.parametrize("issuer", ["https://127.0.0.1:{port}/issuer", "did:web:127.0.0.1%3A{port}"])
def test_a_jwt_kid_on_this_machine_is_never_connected_to(
    listener: tuple[int, list[int]], issuer: str
) -> None:
    port, accepted = listener
    where = issuer.format(port=port)
    other = (
        generate_key("Ed25519", did_web=where.removeprefix("did:web:"))
        if where.startswith("did:web:")
        else generate_key("Ed25519", issuer_url=where)
    )
    token = issue(load_definition(EXAMPLE), "a@example.org", other, format="jwt", now=ISSUED).jwt
    report = verify(token, now=NOW)
    assert not report.verified and accepted == []


def test_verify_many_shares_one_fetcher_so_a_batch_fetches_each_url_once(
    key, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microcred import fetch as fetch_module
    from microcred.verifying.verify import verify_many

    credential = _credential_with_lists(key, 1)
    documents, asked = _served(key, 1)
    answer = _counting(documents, asked)
    monkeypatch.setattr(fetch_module.Fetcher, "_fetch", lambda self, url: answer(url))
    results = verify_many([credential] * 5, now=NOW)
    assert all(report.verified for _, report in results)  # type: ignore[union-attr]
    assert asked == {DID_JSON: 1, _list_url(0): 1}


def test_the_cli_intranet_flag_admits_private_addresses_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import microcred.cli._issuing as issuing_cli
    from microcred.cli import main

    policies = []
    real = issuing_cli.Fetcher

    def capture(**kwargs):  # type: ignore[no-untyped-def]
        policies.append(kwargs["policy"])
        return real(**kwargs)

    monkeypatch.setattr(issuing_cli, "Fetcher", capture)
    runner = CliRunner()
    runner.invoke(main, ["verify", "--allow-private-network", "missing.json"])
    runner.invoke(main, ["verify", "missing.json"])
    intranet, default = policies
    assert intranet.refuses("10.1.2.3") is None and intranet.refuses("127.0.0.1") == "loopback"
    assert intranet.refuses("169.254.169.254") == "link-local"
    assert default.refuses("10.1.2.3") == "private"
