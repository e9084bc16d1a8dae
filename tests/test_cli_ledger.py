"""``microcred revoke | suspend | reinstate | status-list`` through click's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred.cli import main
from microcred.fetch import offline_fetch
from microcred.keys.files import save_key
from microcred.keys.material import generate_key
from microcred.ledger.protocol import Ledger, ReserveRequest
from microcred.status.bitstring import decode_list, set_indexes
from microcred.status.checking import check_status, list_verifier

BASE = "https://example.edu/status"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def issuer(tmp_path: Path):
    key = generate_key("Ed25519")
    path = tmp_path / "issuer-key.json"
    save_key(key, path)
    return key, path


@pytest.fixture
def ledger_path(ledger_target: str, issuer) -> str:
    """A ledger with credentials in it, once per backend (SQLite file, PostgreSQL URL)."""
    key, _ = issuer
    path = ledger_target
    with Ledger.open(path) as ledger:
        for n, suspension in ((1, True), (2, False)):
            r = ledger.reserve(
                ReserveRequest(
                    f"urn:uuid:{n}",
                    achievement_id="a",
                    recipient=f"r{n}",
                    format="di",
                    issued_at="2026-01-01T00:00:00Z",
                    status_list_base_url=BASE,
                    suspension=suspension,
                    issuer=key.controller,
                )
            )
            ledger.record_signed(
                r,
                json.dumps(
                    {"id": f"urn:uuid:{n}", "issuer": key.controller, "credentialStatus": r.credential_status}
                ),
            )
        ledger.reserve(
            ReserveRequest(
                "urn:uuid:3",
                achievement_id="a",
                recipient="r3",
                format="di",
                issued_at="2026-01-01T00:00:00Z",
                status_list_base_url=BASE,
                issuer=key.controller,
            )
        )
    return path


def clean(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_revoke_suspend_reinstate(runner, ledger_path):
    result = runner.invoke(
        main, ["revoke", "--ledger", str(ledger_path), "--reason", "grade replaced", "urn:uuid:2"]
    )
    clean(result)
    assert result.exit_code == 0, result.output
    assert "urn:uuid:2: revoked (grade replaced)" in result.stdout
    assert "microcred status-list" in result.stdout
    result = runner.invoke(
        main, ["suspend", "--ledger", str(ledger_path), "--reason", "review", "urn:uuid:1"]
    )
    assert result.exit_code == 0 and "urn:uuid:1: suspended" in result.stdout
    result = runner.invoke(main, ["reinstate", "--ledger", str(ledger_path), "urn:uuid:1"])
    assert result.exit_code == 0 and "urn:uuid:1: active" in result.stdout
    with Ledger.open(ledger_path, create=False) as ledger:
        assert [(e.status, e.reason) for e in ledger.status("urn:uuid:1").events] == [
            ("suspended", "review"),
            ("reinstated", None),
        ]
        assert ledger.status("urn:uuid:2").events[0].reason == "grade replaced"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["revoke", "urn:uuid:nope"], "no credential 'urn:uuid:nope'"),
        (["suspend", "urn:uuid:2"], "without a suspension status entry"),
        (["reinstate", "urn:uuid:1"], "is not suspended"),
        (["revoke", "urn:uuid:3"], "never issued"),
    ],
    ids=["unknown-id", "no-suspension-entry", "not-suspended", "reserved-only"],
)
def test_status_change_errors(runner, ledger_path, args, words):
    result = runner.invoke(main, [args[0], "--ledger", str(ledger_path), *args[1:]])
    clean(result)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and words in result.stderr


def test_damaged_foreign_and_missing_ledgers(runner, tmp_path, issuer):
    _, key_path = issuer
    text = tmp_path / "notes.txt"
    text.write_text("not a ledger\n")
    truncated = tmp_path / "half.db"
    with Ledger.open(truncated) as ledger:
        for n in range(200):
            r = ledger.reserve(
                ReserveRequest(
                    f"urn:uuid:{n}",
                    achievement_id="a",
                    recipient="r",
                    format="di",
                    issued_at="2026-01-01T00:00:00Z",
                    status_list_base_url=BASE,
                )
            )
            ledger.record_signed(r, "x" * 500)
        ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    truncated.write_bytes(truncated.read_bytes()[:10_000])
    cases = [
        (text, "not an SQLite database"),
        (truncated, "truncated"),
        (tmp_path / "absent.db", "no ledger here"),
    ]
    for path, words in cases:
        for args in (
            ["revoke", "--ledger", str(path), "urn:uuid:1"],
            ["status-list", "--ledger", str(path), "--key", str(key_path), "-o", str(tmp_path / "out")],
        ):
            result = runner.invoke(main, args)
            clean(result)
            assert result.exit_code == 2, (args, result.output)
            assert words in result.stderr and str(path) in result.stderr
    assert text.read_text() == "not a ledger\n"
    assert not (tmp_path / "absent.db").exists()


def test_status_list_writes_signed_lists(runner, ledger_path, issuer, tmp_path):
    key, key_path = issuer
    runner.invoke(main, ["revoke", "--ledger", str(ledger_path), "urn:uuid:2"])
    runner.invoke(main, ["suspend", "--ledger", str(ledger_path), "urn:uuid:1"])
    out = tmp_path / "public" / "status"
    result = runner.invoke(
        main,
        [
            "status-list",
            "--ledger",
            str(ledger_path),
            "--key",
            str(key_path),
            "-o",
            str(out),
            "--valid-days",
            "7",
        ],
    )
    clean(result)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["revocation-1", "suspension-1"]
    assert f"publish at {BASE}/revocation-1" in result.stdout
    documents = {f"{BASE}/{p.name}": json.loads(p.read_text()) for p in out.iterdir()}
    verifier = list_verifier(fetch=offline_fetch({}))
    with Ledger.open(ledger_path, create=False) as ledger:
        for url, doc in documents.items():
            assert doc["id"] == url and verifier(doc) == key.controller
            assert "validUntil" in doc
            assert decode_list(doc["credentialSubject"]["encodedList"]) == ledger.list_bits(url)
        revoked = ledger.get("urn:uuid:2")
        assert set_indexes(ledger.list_bits(revoked.revocation_list)) == [revoked.revocation_index]
        fetch = offline_fetch({url: json.dumps(doc).encode() for url, doc in documents.items()})
        for n, expected in ((1, "suspended"), (2, "revoked")):
            credential = json.loads(ledger.document(f"urn:uuid:{n}"))
            outcome = check_status(credential, fetch=fetch, verify_list=verifier, now=datetime.now(UTC))
            assert outcome.status == expected


def test_status_list_refuses_another_issuers_key(runner, ledger_path, tmp_path):
    other = tmp_path / "other-key.json"
    save_key(generate_key("Ed25519"), other)
    result = runner.invoke(
        main, ["status-list", "--ledger", str(ledger_path), "--key", str(other), "-o", str(tmp_path / "out")]
    )
    clean(result)
    assert result.exit_code == 2 and "belongs to issuer" in result.stderr
    assert not (tmp_path / "out").exists()


def test_status_list_needs_a_private_key(runner, ledger_path, issuer, tmp_path):
    key, _ = issuer
    public = tmp_path / "public-key.json"
    save_key(key, public, include_private=False)
    result = runner.invoke(
        main, ["status-list", "--ledger", str(ledger_path), "--key", str(public), "-o", str(tmp_path / "out")]
    )
    clean(result)
    assert result.exit_code == 2 and "private" in result.stderr


def test_status_list_on_an_empty_ledger(runner, tmp_path, issuer):
    _, key_path = issuer
    empty = tmp_path / "empty.db"
    Ledger.open(empty).close()
    result = runner.invoke(
        main, ["status-list", "--ledger", str(empty), "--key", str(key_path), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0 and "no status lists yet" in result.stdout


@pytest.mark.parametrize("command", ["revoke", "suspend", "reinstate", "status-list"])
def test_help_shows_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and f"microcred {command} --ledger" in result.stdout


def test_missing_arguments_are_usage_errors(runner):
    result = runner.invoke(main, ["revoke", "urn:uuid:1"])
    assert result.exit_code == 2 and "--ledger" in result.stderr
    clean(result)


def test_status_list_per_base_url(runner, tmp_path, issuer):
    key, key_path = issuer
    path = tmp_path / "two.db"
    with Ledger.open(path) as ledger:
        for n, base in enumerate(("https://a.example/status", "https://b.example/status")):
            r = ledger.reserve(
                ReserveRequest(
                    f"urn:uuid:{n}",
                    achievement_id="a",
                    recipient="r",
                    format="di",
                    issued_at="2026-01-01T00:00:00Z",
                    status_list_base_url=base,
                    issuer=key.controller,
                )
            )
            ledger.record_signed(r, "{}")
    args = ["status-list", "--ledger", str(path), "--key", str(key_path)]
    result = runner.invoke(main, [*args, "-o", str(tmp_path / "all")])
    clean(result)
    assert result.exit_code == 2 and "would both be written as revocation-1" in result.stderr
    result = runner.invoke(
        main, [*args, "-o", str(tmp_path / "b"), "--base-url", "https://b.example/status/"]
    )
    assert result.exit_code == 0, result.output
    assert (
        json.loads((tmp_path / "b" / "revocation-1").read_text())["id"]
        == "https://b.example/status/revocation-1"
    )
    result = runner.invoke(main, [*args, "-o", str(tmp_path / "c"), "--base-url", "https://c.example/status"])
    assert result.exit_code == 2 and "no status lists under" in result.stderr


def test_status_list_with_an_encrypted_key(runner, ledger_path, issuer, tmp_path, monkeypatch):
    key, _ = issuer
    locked = tmp_path / "locked-key.json"
    save_key(key, locked, passphrase="correct horse")
    args = ["status-list", "--ledger", str(ledger_path), "--key", str(locked), "-o", str(tmp_path / "out")]
    result = runner.invoke(main, args)
    clean(result)
    assert result.exit_code == 2 and "passphrase" in result.stderr
    monkeypatch.setenv("MC_KEY_PASS", "correct horse")
    result = runner.invoke(main, [*args, "--passphrase-env", "MC_KEY_PASS"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "revocation-1").is_file()
