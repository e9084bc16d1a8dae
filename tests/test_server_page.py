"""The employer page without a browser (in-process ASGI client): verdicts, the unverified heading,
each check explained, the link form, limits, and the command line's report saying "unverified" too."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from microcred.baking.bake import bake
from microcred.cli import main
from microcred.fetch import offline_fetch
from microcred.keys.material import generate_key
from microcred.server import create_app
from microcred.server.view import VERDICTS, page_view
from microcred.verifying.report import Check, VerificationReport
from server_support import API_KEY, PUBLIC_URL, ROOT, definition_data, server_config

AUTH = {"Authorization": f"Bearer {API_KEY}"}
LINKED = "https://uni.example/badges/ada.json"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519")


@pytest.fixture
def issued(key, tmp_path):
    """A client, and a credential it issued (with status entries on the same server)."""
    with TestClient(create_app(server_config(key, tmp_path / "ledger.db"))) as client:
        body = {"definition": definition_data(), "recipient": "ada@example.org", "name": "Ada Lovelace"}
        credential = client.post("/credentials/issue", json=body, headers=AUTH).json()["verifiableCredential"]
        yield client, credential


def _verdict(html: str) -> str:
    found = re.search(r'data-verdict="(\w+)"', html)
    assert found, html[:500]
    return found.group(1)


def test_the_form_works_without_script_and_names_every_input(issued):
    client, _ = issued
    html = client.get("/").text
    assert '<form id="verify-form" method="post" action="/verify" enctype="multipart/form-data"' in html
    for field in ("file", "text", "url"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    assert client.get("/static/page.js").headers["content-type"].startswith("text/javascript")


def test_baked_png_verifies_with_its_outcomes(issued):
    client, credential = issued
    png = bake((ROOT / "examples" / "badge.png").read_bytes(), credential)
    response = client.post("/verify", files={"file": ("ada.png", png, "image/png")})
    assert response.status_code == 200
    html = response.text
    assert _verdict(html) == "verified"
    assert "What it says" in html and "Unverified claims" not in html
    outcomes = credential["credentialSubject"]["achievement"]["alignment"]
    statements = [a["targetName"] for a in outcomes if a.get("targetType") == "ext:LearningOutcome"]
    assert statements and all(s in html for s in statements)
    assert "The digital signature matches the content" in html  # each check explained


def test_tampered_credential_shows_claims_only_as_unverified(issued):
    client, credential = issued
    credential["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    response = client.post("/verify", data={"text": json.dumps(credential)})
    html = response.text
    assert _verdict(html) == "not_verified"
    says = html.index("Unverified claims")
    assert html.index("Doctor of Everything") > says  # the forged title appears only under the heading
    assert re.search(r'<ul class="failing"><li><strong>Signature</strong>', html)


def test_revoked_and_suspended(issued):
    client, credential = issued
    client.post(
        "/credentials/status", json={"credentialId": credential["id"], "status": "suspend"}, headers=AUTH
    )
    assert _verdict(client.post("/verify", data={"text": json.dumps(credential)}).text) == "suspended"
    client.post(
        "/credentials/status", json={"credentialId": credential["id"], "status": "revoke"}, headers=AUTH
    )
    html = client.post("/verify", data={"text": json.dumps(credential)}).text
    assert _verdict(html) == "revoked" and "withdrawn" in html


def test_link_form_fetches_through_the_configured_fetch(key, tmp_path):
    with TestClient(create_app(server_config(key, tmp_path / "l.db"))) as issuer:
        body = {"definition": definition_data(), "recipient": "ada@example.org"}
        credential = issuer.post("/credentials/issue", json=body, headers=AUTH).json()["verifiableCredential"]
        status = {
            e["statusListCredential"]: issuer.get(e["statusListCredential"].removeprefix(PUBLIC_URL)).content
            for e in credential["credentialStatus"]
        }
    fetch = offline_fetch({LINKED: json.dumps(credential).encode(), **status})
    with TestClient(create_app(server_config(key, None, key=None, fetch=fetch))) as client:
        html = client.get("/verify", params={"url": LINKED}).text
        assert _verdict(html) == "verified" and LINKED in html
        missing = client.get("/verify", params={"url": "https://uni.example/nothing.json"})
        assert missing.status_code == 400 and "Could not read that" in missing.text
        plain = client.get("/verify", params={"url": "http://uni.example/a.json"})
        assert plain.status_code == 400 and "https://" in plain.text


def test_empty_oversized_and_unreadable_submissions(key, tmp_path):
    with TestClient(create_app(server_config(key, tmp_path / "l.db", max_upload=4096))) as client:
        assert client.post("/verify", data={"text": ""}).status_code == 400
        big = client.post("/verify", files={"file": ("big.png", b"\x89PNG" + b"0" * 10_000, "image/png")})
        assert big.status_code == 413 and "too large" in big.text
        junk = client.post("/verify", data={"text": "hello, I am not a credential"})
        assert junk.status_code == 400 and "Could not read that" in junk.text
        nofile = client.post("/verify", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n", "image/png")})
        assert nofile.status_code == 400


def _report(*checks):
    return VerificationReport(tuple(Check(*c) for c in checks), elements={"title": "T"})


@pytest.mark.parametrize(
    ("checks", "verdict"),
    [
        ([("proof", "passed", ""), ("status", "passed", "")], "not_verified"),  # required checks missing
        ([("proof", "failed", "bad"), ("status", "failed", "", {"outcome": "revoked"})], "not_verified"),
        ([("proof", "passed", ""), ("status", "failed", "", {"outcome": "revoked"})], "revoked"),
        ([("proof", "passed", ""), ("status", "failed", "", {"outcome": "suspended"})], "suspended"),
        ([("proof", "passed", ""), ("validity", "failed", "", {"reason": "expired"})], "expired"),
        ([("proof", "passed", ""), ("validity", "failed", "", {"reason": "not_yet_valid"})], "not_verified"),
        ([("proof", "passed", ""), ("status", "failed", "", {"outcome": "unknown"})], "status_unknown"),
    ],
)
def test_verdicts(checks, verdict):
    view = page_view(_report(*checks))
    assert view.verdict == verdict and view.headline == VERDICTS[verdict][0]


def test_cli_report_puts_claims_of_a_failed_credential_under_unverified(tmp_path, key):
    with TestClient(create_app(server_config(key, tmp_path / "l.db"))) as client:
        body = {"definition": definition_data(), "recipient": "ada@example.org"}
        credential = client.post("/credentials/issue", json=body, headers=AUTH).json()["verifiableCredential"]
    credential["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(credential))
    result = CliRunner().invoke(main, ["verify", "--offline", str(path)])
    assert result.exit_code == 1
    heading = result.output.index("UNVERIFIED CLAIMS")
    line = next(x for x in result.output.splitlines() if "Doctor of Everything" in x)
    assert result.output.index(line) > heading and line.startswith("  | ")


def test_an_expired_credential_says_expired(issued, key, monkeypatch):
    import datetime as dt

    from microcred import _time

    client, _ = issued
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2030-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    signed = client.post("/credentials/issue", json={"credential": credential}, headers=AUTH)
    assert signed.status_code == 201, signed.text
    later = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(_time, "now", lambda: later)
    html = client.post("/verify", data={"text": json.dumps(signed.json()["verifiableCredential"])}).text
    assert _verdict(html) == "expired"
    assert re.search(r'<tr data-check="validity">.*?expired', html, re.S)
    assert "Unverified claims" in html and "its validity has ended" in html


def test_a_status_list_that_cannot_be_fetched_says_could_not_check(issued, key):
    _, credential = issued
    elsewhere = server_config(key, None, key=None)  # not the issuer's server: its lists are unreachable
    with TestClient(create_app(elsewhere)) as client:
        html = client.post("/verify", data={"text": json.dumps(credential)}).text
    assert _verdict(html) == "status_unknown"
    assert "Could not check status" in html and "could not be checked" in html


def test_every_fetch_follows_the_network_policy(key, tmp_path):
    """The link form is a way to make the server fetch: loopback and private addresses are refused."""
    config = server_config(key, tmp_path / "l.db", fetch=None)  # the library's own fetcher and policy
    with TestClient(create_app(config)) as client:
        for url in ("https://127.0.0.1:9/admin", "https://10.0.0.7/internal.json", "https://[::1]/x"):
            response = client.get("/verify", params={"url": url})
            assert response.status_code == 400, url
            assert "Could not read that" in response.text
            assert re.search(r"loopback|private|refus", response.text), response.text[-600:]
