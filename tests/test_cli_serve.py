"""`microcred serve` as an operator runs it: a real process on 127.0.0.1 (TLS, two workers, API keys
from the environment), stopped by the test; and its usage errors, each a message and exit 2."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from microcred.cli import main
from microcred.keys.files import save_key
from microcred.keys.material import generate_key
from server_support import API_KEY, definition_data


def _self_signed(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_over_tls_with_two_workers_issues_verifies_and_revokes(tmp_path):
    cert, tls_key = _self_signed(tmp_path)
    save_key(generate_key("Ed25519"), tmp_path / "issuer.json")
    port = _free_port()
    base = f"https://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "microcred", "serve", "--port", str(port), "--tls-cert", str(cert),
        "--tls-key", str(tls_key), "--key", str(tmp_path / "issuer.json"), "--ledger", str(tmp_path / "l.db"),
        "--api-keys-env", "TEST_MC_KEYS", "--workers", "2", "--offline", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "TEST_MC_KEYS": f"other-key-that-is-long-enough,{API_KEY}"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with httpx.Client(base_url=base, verify=False, timeout=30) as client:
            for _ in range(300):  # bounded: up to 30 s for two workers to start
                try:
                    client.get("/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            auth = {"Authorization": f"Bearer {API_KEY}"}
            body = {"definition": definition_data(), "recipient": "ada@example.org"}
            response = client.post("/credentials/issue", json=body, headers=auth)
            assert response.status_code == 201, response.text
            credential = response.json()["verifiableCredential"]
            assert all(
                e["statusListCredential"].startswith(base + "/status/")
                for e in [credential["credentialStatus"]]  # one entry (no --suspendable): an object
            )
            for _ in range(4):  # whichever worker answers, it serves the list from the shared ledger
                assert (
                    client.post("/credentials/verify", json={"verifiableCredential": credential}).status_code
                    == 200
                )
            change = {"credentialId": credential["id"], "status": "revoke"}
            assert client.post("/credentials/status", json=change, headers=auth).status_code == 200
            assert client.post("/credentials/status", json=change).status_code == 401
            assert client.get("/").headers["content-security-policy"].startswith("default-src 'none'")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "cert.pem"], "both --tls-cert and --tls-key"),
        (["--api-keys-env", "TEST_MC_SHORT"], "at least 16 characters"),
        (["--api-keys-env", "TEST_MC_UNSET"], "TEST_MC_UNSET"),
        (["--public-url", "ftp://x"], "http(s) URL"),
        (["--key", "missing.json"], "missing.json"),
    ],
)
def test_usage_errors(tmp_path, monkeypatch, args, message):
    (tmp_path / "cert.pem").write_text("x")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEST_MC_SHORT", "short")
    monkeypatch.delenv("TEST_MC_UNSET", raising=False)
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
