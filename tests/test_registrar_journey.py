"""Issue 14's "done when": from an empty folder, with only the installed package, a registrar runs
``microcred init``, ``issue --cohort``, ``publish`` and ``share``; a local static HTTPS server on
127.0.0.1 serves the published ``site/`` by the generated nginx rules (tests/site_server.py); then a
credential verifies against that server with nothing handed in by hand — by microcred's ``verify()``
(given issue 10's network policy's explicit loopback opt-in) and by Digital Bazaar's reference
verifier, whose document loader reads only from that server — and a
revocation, once published again, is seen by both.

The verifier reaches 127.0.0.1 over HTTPS because the test trusts its throwaway CA through
``SSL_CERT_FILE`` / ``NODE_EXTRA_CA_CERTS``; nothing else is configured.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from microcred import NetworkPolicy, verify
from microcred.fetch import Fetcher
from site_server import htaccess_mapping, make_tls, nginx_mapping, reserve_port, serving

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "tests" / "interop"
GRADES = ROOT / "examples" / "cohort.csv"
NAME = "Universiteit van Harderwijk"


def _cli(cwd: Path, *args: str, env: dict[str, str] | None = None, expect: int = 0) -> str:
    """``microcred ARGS`` as the installed package runs it, in ``cwd`` (stdout; fails on another exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == expect, (args, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def _loopback_fetch(tls: ssl.SSLContext) -> Fetcher:
    """A fetcher that may reach the test server: issue 10's network policy refuses loopback addresses
    unless told otherwise, so the opt-in is given here, explicitly (a new one per run: it caches)."""
    return Fetcher(policy=NetworkPolicy(allow_loopback=True), tls=tls)


@pytest.fixture
def registrar(tmp_path):
    """An empty folder holding only an LMS export; a port reserved and a CA made for the site."""
    work = tmp_path / "registrar"
    work.mkdir()
    shutil.copy(GRADES, work / "grades.csv")
    sock = reserve_port()
    tls = make_tls(tmp_path / "tls")
    try:
        yield work, sock, tls
    finally:
        sock.close()


def _issue_and_publish(work: Path, port: int) -> dict:
    _cli(work, "init", "--name", NAME, "--url", f"https://127.0.0.1:{port}")
    _cli(work, "issue", "--cohort", "grades.csv")  # key, definition, ledger, status URL: microcred.toml
    return json.loads(_cli(work, "publish", "--json"))


def test_init_issue_publish_share_then_verify_against_the_published_site(registrar):
    work, sock, tls = registrar
    port = sock.getsockname()[1]
    site_url = f"https://127.0.0.1:{port}/"
    report = _issue_and_publish(work, port)
    assert report["site_url"] == site_url and report["issuer"] == f"did:web:127.0.0.1%3A{port}"
    credentials = sorted((work / "credentials").glob("*.json"))
    assert len(credentials) == 6
    status_url = f"https://127.0.0.1:{port}/credentials/status/revocation-1"
    assert [s["url"] for s in report["status_lists"]] == [status_url]
    [achievement] = report["achievements"]  # the definition init wrote, the one issued
    assert achievement["page"].startswith("achievements/") and (work / "site" / achievement["page"]).is_file()
    # the server rules say exactly what the site needs, in both dialects
    site = work / "site"
    rewrites = {"/credentials/status/revocation-1": "/credentials/status/revocation-1.json"}
    assert nginx_mapping((site / "nginx-microcred.conf").read_text())[0] == rewrites
    assert htaccess_mapping((site / ".htaccess").read_text())[0] == rewrites

    shared = json.loads(_cli(work, "share", str(credentials[0]), "-o", "share", "--json"))
    assert shared["verify_url"].startswith(f"{site_url}verify?url=")
    hosted = shared["credential_url"]
    # the learner (or the registrar) uploads the credential where the verify link points
    (site / hosted[len(site_url) :]).write_bytes((work / "share" / "credential.json").read_bytes())

    trust = ssl.create_default_context(cafile=str(tls.ca_file))  # the test CA, and nothing else
    fetch = _loopback_fetch(trust)
    with serving(site, sock, tls) as server:
        # without the opt-in the verifier refuses to connect to 127.0.0.1 at all
        refused = verify(credentials[0], fetch=Fetcher(tls=trust))
        assert not refused.verified and refused.check("issuer_key").status == "failed"
        assert server.requests == []

        report = verify(credentials[0], fetch=fetch)
        assert report.verified, report.to_text()
        assert report.check("status").details["outcome"] == "valid"
        assert report.check("issuer_key").details.get("binding") == "did:web"
        # by the URL the share kit's link names, too
        by_url = verify(hosted, fetch=fetch)
        assert by_url.verified, by_url.to_text()
        asked = {path: (code, kind) for path, code, kind in server.requests}
        assert asked["/credentials/status/revocation-1"] == (200, "application/json")
        assert asked["/.well-known/did.json"] == (200, "application/json")

        _cli(work, "revoke", "--reason", "grade replaced after appeal", str(credentials[0]))
        _cli(work, "publish")
        fetch = _loopback_fetch(trust)  # a new verification run, after the site changed
        revoked = verify(credentials[0], fetch=fetch)
        assert not revoked.verified and revoked.check("status").details["outcome"] == "revoked"
        assert verify(credentials[1], fetch=fetch).verified  # the others still verify


# ------------------------------------------------------------------ the reference verifier (Node)


def _node_ready() -> str:
    from test_interop import _install, _missing_packages  # the interop suite's installer

    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("the reference verifier needs node and npm on PATH", pytrace=False)
    if _missing_packages():
        _install(npm)
    assert not _missing_packages()
    return node


def _reference_verify(node: str, credential: Path, site_url: str, ca_file: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MICROCRED_INTEROP_DOCUMENTS", "NODE_OPTIONS")}
    env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    done = subprocess.run(
        [node, str(INTEROP / "verify-site.mjs"), str(credential), "--site", site_url],
        cwd=INTEROP,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)


@pytest.mark.interop
def test_the_reference_verifier_reads_only_from_the_published_site(registrar):
    node = _node_ready()
    work, sock, tls = registrar
    port = sock.getsockname()[1]
    site_url = f"https://127.0.0.1:{port}/"
    _issue_and_publish(work, port)
    credential = sorted((work / "credentials").glob("*.json"))[0]
    with serving(work / "site", sock, tls):
        result = _reference_verify(node, credential, site_url, tls.ca_file)
        assert result["verified"] is True, result
        assert [s["status"] for s in result["status"]] == [False]
        assert f"{site_url}credentials/status/revocation-1" in result["fetched"]
        assert f"{site_url}.well-known/did.json" in result["fetched"]
        assert f"{site_url}contexts/microcred/v1/context.jsonld" in result["fetched"]
        assert all(url.startswith(site_url) for url in result["fetched"])

        _cli(work, "revoke", str(credential))
        _cli(work, "publish")
        after = _reference_verify(node, credential, site_url, tls.ca_file)
        assert [s["status"] for s in after["status"]] == [True]  # the bit is set: revoked


@pytest.mark.interop
def test_the_reference_verifier_refuses_what_the_site_does_not_serve(registrar):
    node = _node_ready()
    work, sock, tls = registrar
    port = sock.getsockname()[1]
    _issue_and_publish(work, port)
    credential = sorted((work / "credentials").glob("*.json"))[0]
    # a server without the rewrites (types kept): the extension-less list URL is a 404
    rules = work / "site" / "nginx-microcred.conf"
    kept = [line for line in rules.read_text().splitlines() if not line.startswith("location = ")]
    rules.write_text("\n".join(kept) + "\n")
    with serving(work / "site", sock, tls):
        result = _reference_verify(node, credential, f"https://127.0.0.1:{port}/", tls.ca_file)
    assert result["verified"] is False
    assert "revocation-1: HTTP 404" in result["error"]
