"""``microcred keygen`` and ``microcred did-doc`` through click's CliRunner."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred.cli import main
from microcred.keys.files import load_key


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_keygen_default_is_an_ed25519_did_key(tmp_path: Path) -> None:
    out = tmp_path / "issuer.json"
    result = run("keygen", "-o", str(out))
    assert result.exit_code == 0, result.output
    key = load_key(out)
    assert key.algorithm == "Ed25519" and key.has_private
    assert f"issuer:              {key.controller}" in result.output
    assert f"verification method: {key.key_id}" in result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_keygen_did_web_rsa_and_did_doc(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    result = run("keygen", "--alg", "RSA", "--did-web", "example.edu:issuers:1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "https://example.edu/issuers/1/did.json" in result.output
    doc = run("did-doc", str(out))
    assert doc.exit_code == 0
    published = json.loads(doc.output)
    assert published["id"] == "did:web:example.edu:issuers:1"
    assert published["verificationMethod"][0]["type"] == "JsonWebKey"
    assert '"d"' not in doc.output and "PRIVATE" not in doc.output
    jwks = json.loads(run("did-doc", "--jwks", str(out)).output)
    assert (
        jwks["keys"][0]["kid"] == "did:web:example.edu:issuers:1#key-1" and jwks["keys"][0]["alg"] == "RS256"
    )


def test_keygen_issuer_url_and_its_controller_document(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    assert (
        run(
            "keygen", "--alg", "P-256", "--issuer-url", "https://example.edu/issuers/1", "-o", str(out)
        ).exit_code
        == 0
    )
    doc = json.loads(run("did-doc", str(out)).output)
    assert doc["id"] == "https://example.edu/issuers/1"
    assert doc["verificationMethod"][0]["publicKeyMultibase"].startswith("zDna")
    assert doc["assertionMethod"] == ["https://example.edu/issuers/1#key-1"]


def test_did_doc_of_a_did_key_is_its_document(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    run("keygen", "-o", str(out))
    doc = json.loads(run("did-doc", str(out)).output)
    assert doc["id"] == load_key(out).controller


def test_keygen_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    run("keygen", "-o", str(out))
    first = out.read_text()
    result = run("keygen", "-o", str(out))
    assert result.exit_code == 2 and "exists" in result.output and "--force" in result.output
    assert out.read_text() == first
    assert run("keygen", "--force", "-o", str(out)).exit_code == 0
    assert out.read_text() != first


def test_passphrase_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    env = {"ISSUER_PASS": "s3cret words"}
    result = run("keygen", "--passphrase-env", "ISSUER_PASS", "-o", str(out), env=env)
    assert result.exit_code == 0 and "encrypted" in result.output
    assert "ENCRYPTED PRIVATE KEY" in out.read_text()
    assert load_key(out, passphrase="s3cret words").has_private
    # the public document needs no passphrase
    assert json.loads(run("did-doc", str(out)).output)["id"].startswith("did:key:")
    missing = run("keygen", "--passphrase-env", "NOT_SET_ANYWHERE", "-o", str(tmp_path / "x.json"), env={})
    assert missing.exit_code == 2 and "NOT_SET_ANYWHERE" in missing.output
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keygen", "--alg", "RSA"], "--did-web or --issuer-url"),
        (["keygen", "--did-web", "a.example", "--issuer-url", "https://a.example/i"], "not both"),
        (["keygen", "--issuer-url", "http://a.example/i"], "https://"),
        (["keygen", "--alg", "DSA"], "Invalid value"),
    ],
)
def test_keygen_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(*args, "-o", str(tmp_path / "k.json"))
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "k.json").exists()


def test_did_doc_errors_exit_2(tmp_path: Path) -> None:
    missing = run("did-doc", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "no such key file" in missing.output
    garbage = tmp_path / "g.json"
    garbage.write_text('{"hello": 1}')
    result = run("did-doc", str(garbage))
    assert result.exit_code == 2 and result.output.startswith("error:") and "not a key file" in result.output


def test_help_shows_examples() -> None:
    assert "microcred keygen --did-web example.edu" in run("keygen", "--help").output
    assert "microcred did-doc --jwks" in run("did-doc", "--help").output
