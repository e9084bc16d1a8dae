"""CLI: sign, issue, verify, demo — exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred.cli import main
from microcred.keys.files import save_key
from microcred.keys.material import generate_key

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "university-data-science.toml")
CREATED = "2026-01-15T09:00:00Z"


def invoke(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(main, list(args), input=input)
    assert "Traceback" not in (result.output + (result.stderr or "")), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        result.exception
    )
    return result


@pytest.fixture()
def key_file(tmp_path):
    path = tmp_path / "issuer-key.json"
    save_key(generate_key("Ed25519"), path)
    return str(path)


@pytest.fixture()
def issued(tmp_path, key_file):
    out = tmp_path / "c.json"
    r = invoke(
        "issue",
        "--key",
        key_file,
        "--achievement",
        EXAMPLE,
        "--recipient",
        "learner@example.org",
        "--created",
        CREATED,
        "-o",
        str(out),
    )
    assert r.exit_code == 0, r.output
    return out


def test_issue_then_verify_exits_0_with_the_employer_view(issued):
    r = invoke("verify", str(issued))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("✔ VERIFIED")
    assert "Learning outcomes:" in r.output and "EQF level 7" in r.output


def test_verify_json_report_has_named_checks(issued):
    r = invoke("verify", "--json", "--recipient", "learner@example.org", str(issued))
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["verified"] is True
    assert {c["id"]: c["status"] for c in data["checks"]}["recipient"] == "passed"


def test_verify_tampered_credential_exits_1_and_names_the_failed_check(tmp_path, issued):
    doc = json.loads(issued.read_text())
    doc["credentialSubject"]["achievement"]["name"] = "Forged"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = invoke("verify", str(bad))
    assert r.exit_code == 1
    assert r.output.startswith("✘ NOT VERIFIED")
    assert "✘ proof" in r.output


def test_verify_unreadable_input_exits_2(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not a credential")
    r = invoke("verify", str(junk))
    assert r.exit_code == 2
    assert "neither a JSON credential" in r.output


def test_verify_missing_file_exits_2(tmp_path):
    r = invoke("verify", str(tmp_path / "nope.json"))
    assert r.exit_code == 2
    assert "no such file" in r.output


def test_verify_a_folder_prints_one_line_per_input_and_a_summary(tmp_path, key_file, issued):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.json").write_text(issued.read_text())
    doc = json.loads(issued.read_text())
    doc["validFrom"] = "2020-01-01T00:00:00Z"
    (batch / "b.json").write_text(json.dumps(doc))
    r = invoke("verify", str(batch))
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("VERIFIED") and "a.json" in lines[0]
    assert lines[1].startswith("NOT VERIFIED") and "b.json" in lines[1]
    assert lines[-1] == "1 of 2 verified"


def test_verify_reads_stdin(issued):
    r = invoke("verify", "-", input=issued.read_bytes())
    assert r.exit_code == 0, r.output


def test_verify_resource_option_needs_url_equals_file(issued):
    r = invoke("verify", "--resource", "https://x.example/only-url", str(issued))
    assert r.exit_code == 2
    assert "URL=FILE" in r.output


def test_verify_now_without_timezone_is_refused(issued):
    r = invoke("verify", "--now", "2026-01-01T00:00:00", str(issued))
    assert r.exit_code == 2
    assert "timezone" in r.output


def test_issue_jwt_format_writes_a_compact_jwt(tmp_path, key_file):
    out = tmp_path / "c.jwt"
    r = invoke(
        "issue",
        "--key",
        key_file,
        "--achievement",
        EXAMPLE,
        "--recipient",
        "did:example:123",
        "--format",
        "jwt",
        "-o",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert out.read_text().count(".") == 2
    assert invoke("verify", str(out)).exit_code == 0


def _issue_into_ledger(tmp_path, key_file, *extra: str) -> tuple[str, Path]:
    """Issue the example into a new ledger with a status entry; the ledger path and the credential file."""
    ledger, out = str(tmp_path / "issuer.db"), tmp_path / "c.json"
    r = invoke(
        "issue",
        "--key",
        key_file,
        "--achievement",
        EXAMPLE,
        "--recipient",
        "learner@example.org",
        "--ledger",
        ledger,
        "--status-url",
        "https://uni.example/status",
        *extra,
        "-o",
        str(out),
    )
    assert r.exit_code == 0, r.output
    return ledger, out


def _publish(ledger: str, key_file: str, lists: Path, entries: list[dict]) -> list[str]:
    """Run status-list into ``lists``; the --resource options that serve each entry's list from there."""
    assert invoke("status-list", "--ledger", ledger, "--key", key_file, "-o", str(lists)).exit_code == 0
    resources: list[str] = []
    for entry in entries:
        url = entry["statusListCredential"]
        resources += ["--resource", f"{url}={lists / url.rsplit('/', 1)[-1]}"]
    return resources


def test_issue_with_ledger_adds_a_status_entry_and_revoke_makes_verify_fail(tmp_path, key_file):
    ledger, out = _issue_into_ledger(tmp_path, key_file)
    doc = json.loads(out.read_text())
    entry = doc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    resources = _publish(ledger, key_file, tmp_path / "lists", [entry])
    assert invoke("verify", *resources, str(out)).exit_code == 0
    assert invoke("revoke", "--ledger", ledger, "--reason", "grade replaced", doc["id"]).exit_code == 0
    _publish(ledger, key_file, tmp_path / "lists", [entry])
    r = invoke("verify", *resources, str(out))
    assert r.exit_code == 1
    assert "REVOKED" in r.output


def test_issue_with_unsigned_status_fails_closed_without_the_list(tmp_path, key_file):
    _ledger, out = _issue_into_ledger(tmp_path, key_file)
    r = invoke("verify", "--offline", str(out))
    assert r.exit_code == 1
    assert "could not be checked" in r.output
    assert invoke("verify", "--offline", "--allow-unchecked-status", str(out)).exit_code == 0


def test_issue_needs_a_recipient_or_a_cohort(key_file):
    r = invoke("issue", "--key", key_file, "--achievement", EXAMPLE)
    assert r.exit_code == 2
    assert "--recipient" in r.output


def test_issue_with_a_bad_definition_names_the_field(tmp_path, key_file):
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(EXAMPLE).read_text().replace('country = "NL"', 'country = "XX"'))
    r = invoke("issue", "--key", key_file, "--achievement", str(bad), "--recipient", "a@example.org")
    assert r.exit_code == 2
    assert "country" in r.output


def test_issue_with_a_public_only_key_is_refused(tmp_path):
    path = tmp_path / "pub.json"
    save_key(generate_key("Ed25519"), path, include_private=False)
    r = invoke("issue", "--key", str(path), "--achievement", EXAMPLE, "--recipient", "a@example.org")
    assert r.exit_code == 2
    assert "private" in r.output


def test_issue_bake_writes_a_verifiable_image(tmp_path, key_file):
    from microcred.baking.badge import default_badge_svg

    image = tmp_path / "badge.svg"
    image.write_text(default_badge_svg("Applied ML"))
    out = tmp_path / "baked.svg"
    r = invoke(
        "issue",
        "--key",
        key_file,
        "--achievement",
        EXAMPLE,
        "--recipient",
        "a@example.org",
        "--bake",
        str(image),
        "-o",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert invoke("verify", str(out)).exit_code == 0


def test_sign_is_reproducible_with_created(tmp_path, key_file):
    unsigned = tmp_path / "u.json"
    from microcred.credential.builder import build_credential
    from microcred.keys.files import load_key
    from microcred.model.definition import load_definition

    key = load_key(Path(key_file))
    doc = build_credential(
        load_definition(EXAMPLE),
        "did:example:1",
        issuer_id=key.controller,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
    )
    unsigned.write_text(json.dumps(doc))
    a = invoke("sign", "--key", key_file, "--created", CREATED, str(unsigned))
    b = invoke("sign", "--key", key_file, "--created", CREATED, str(unsigned))
    assert a.exit_code == 0 and a.output == b.output
    assert json.loads(a.output)["proof"]["created"] == CREATED


def test_sign_refuses_an_already_signed_credential(issued, key_file):
    r = invoke("sign", "--key", key_file, str(issued))
    assert r.exit_code == 2
    assert "already" in r.output


def test_sign_refuses_a_key_that_is_not_the_issuers(tmp_path, key_file):
    from microcred.credential.builder import build_credential
    from microcred.model.definition import load_definition

    unsigned = tmp_path / "u.json"
    unsigned.write_text(json.dumps(build_credential(load_definition(EXAMPLE), "did:example:1")))
    r = invoke("sign", "--key", key_file, str(unsigned))
    assert r.exit_code == 2
    assert "issuer" in r.output


def test_demo_runs_and_exits_0(tmp_path):
    r = invoke("demo", "--keep", str(tmp_path / "demo"))
    assert r.exit_code == 0, r.output
    assert "✔ VERIFIED" in r.output
    assert "REVOKED" in r.output
    assert (tmp_path / "demo" / "badge.svg").is_file()


def test_version_and_help():
    assert invoke("--version").output.startswith("microcred, version")
    for command in ("issue", "sign", "verify", "demo"):
        r = invoke(command, "--help")
        assert r.exit_code == 0 and "Example" in r.output


def test_suspend_then_reinstate_makes_verify_fail_then_pass_again(tmp_path, key_file):
    ledger, out = _issue_into_ledger(tmp_path, key_file, "--suspendable")
    entries = json.loads(out.read_text())["credentialStatus"]
    assert sorted(e["statusPurpose"] for e in entries) == ["revocation", "suspension"]

    def publish_and_verify():
        resources = _publish(ledger, key_file, tmp_path / "lists", entries)
        return invoke("verify", *resources, str(out))

    assert publish_and_verify().exit_code == 0
    assert invoke("suspend", "--ledger", ledger, "--reason", "under review", str(out)).exit_code == 0
    suspended = publish_and_verify()
    assert suspended.exit_code == 1 and "SUSPENDED" in suspended.output
    assert invoke("reinstate", "--ledger", ledger, "--reason", "review closed", str(out)).exit_code == 0
    assert publish_and_verify().exit_code == 0
