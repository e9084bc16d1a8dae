"""Issue 12, item 5: verifiable presentations — present() and verify_presentation(), library and CLI."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred import InputError, issue, load_definition, present, verify_presentation
from microcred.cli import main
from microcred.fetch import offline_fetch
from microcred.keys.files import save_key
from microcred.keys.material import generate_key
from microcred.suites import sign_proof

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 15, tzinfo=UTC)
ISSUER = generate_key("Ed25519")
LEARNER = generate_key("Ed25519")
CHALLENGE, DOMAIN = "1f8a6c0e-9f1d-4f8e-b1a3-5d2c7e9a0b44", "jobs.example"


@pytest.fixture(scope="module")
def creds():
    definition = load_definition(ROOT / "examples" / "university-data-science.toml")
    di = issue(definition, LEARNER.controller, ISSUER, now=ISSUED).credential
    jwt = issue(definition, LEARNER.controller, ISSUER, now=ISSUED, format="jwt").jwt
    return di, jwt


def run(vp, **kw):
    kw.setdefault("fetch", offline_fetch())
    kw.setdefault("now", NOW)
    return verify_presentation(vp, **kw)


def test_present_and_verify_with_domain_and_challenge(creds):
    vp = present(list(creds), LEARNER, domain=DOMAIN, challenge=CHALLENGE, now=ISSUED)
    assert vp["proof"]["proofPurpose"] == "authentication" and vp["proof"]["challenge"] == CHALLENGE
    assert vp["verifiableCredential"][1]["type"] == "EnvelopedVerifiableCredential"
    report = run(vp, domain=DOMAIN, challenge=CHALLENGE)
    assert report.verified, report.to_text()
    assert [r.format for r in report.credentials] == ["data-integrity", "vc-jwt"]
    assert report.check("holder").status == "passed" and report.check("holder_binding").status == "passed"
    assert report.holder == LEARNER.controller
    assert json.dumps(report.to_dict())


def test_replay_to_another_verifier_or_challenge_fails(creds):
    vp = present([creds[0]], LEARNER, domain=DOMAIN, challenge=CHALLENGE, now=ISSUED)
    assert "challenge" in run(vp, domain=DOMAIN, challenge="another").check("proof").message
    assert "domain" in run(vp, domain="evil.example", challenge=CHALLENGE).check("proof").message
    assert not run(vp, domain="evil.example", challenge=CHALLENGE).verified


def test_an_altered_presentation_or_credential_fails(creds):
    vp = present([creds[0]], LEARNER, challenge=CHALLENGE, now=ISSUED)
    swapped = copy.deepcopy(vp)
    swapped["holder"] = ISSUER.controller
    assert run(swapped, challenge=CHALLENGE).check("proof").status == "failed"
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:someone-else"
    report = run(tampered, challenge=CHALLENGE)
    assert not report.verified and report.check("proof").status == "failed"


def test_a_bad_embedded_credential_is_reported_and_fails_the_presentation(creds):
    bad = copy.deepcopy(creds[0])
    bad["validUntil"] = "2026-02-01T00:00:00Z"  # signature no longer matches
    vp = present([creds[0], bad], LEARNER, challenge=CHALLENGE, now=ISSUED)
    report = run(vp, challenge=CHALLENGE)
    assert not report.verified
    assert [r.verified for r in report.credentials] == [True, False]
    assert "1 of 2 credential(s) do not verify" in report.check("credentials").message


def test_signed_by_someone_other_than_the_holder_fails(creds):
    vp = present([creds[0]], ISSUER, holder=LEARNER.controller, challenge=CHALLENGE, now=ISSUED)
    report = run(vp, challenge=CHALLENGE)
    assert report.check("holder").status == "failed" and not report.verified


def test_an_assertion_proof_is_not_an_authentication(creds):
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": LEARNER.controller,
        "verifiableCredential": [creds[0]],
    }
    wrong = sign_proof(unsigned, LEARNER)  # proofPurpose assertionMethod
    assert "proofPurpose" in run(wrong).check("proof").message
    assert run(unsigned).check("proof").status == "failed"  # unsigned: nothing ties it to a holder
    loose = run(unsigned, require_proof=False)
    assert loose.check("proof").status == "skipped" and not loose.verified


def test_a_json_string_credential_inside_is_refused_and_reported(creds):
    vp = present([creds[0]], LEARNER, now=ISSUED)
    vp["verifiableCredential"] = [json.dumps(creds[0])]
    report = run(vp)
    assert not report.verified
    assert isinstance(report.credentials[0], InputError)
    assert report.credentials[0].code == "input.json_string"
    with pytest.raises(InputError):
        run("not a presentation", json_value=True)


def test_cli_present_then_verify(tmp_path, creds):
    key_file = tmp_path / "learner.json"
    save_key(LEARNER, key_file)
    (tmp_path / "badge.json").write_text(json.dumps(creds[0]))
    (tmp_path / "badge.jwt").write_text(creds[1])
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "present",
            str(tmp_path / "badge.json"),
            str(tmp_path / "badge.jwt"),
            "--key",
            str(key_file),
            "--challenge",
            CHALLENGE,
            "--domain",
            DOMAIN,
            "-o",
            str(tmp_path / "vp.json"),
        ],
    )
    assert made.exit_code == 0, made.output
    args = ["verify", str(tmp_path / "vp.json"), "--offline", "--now", "2026-03-01T00:00:00Z", "--json"]
    ok = runner.invoke(main, [*args, "--challenge", CHALLENGE, "--domain", DOMAIN])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["type"] == "VerifiablePresentation" and len(data["credentials"]) == 2
    replayed = runner.invoke(main, [*args, "--challenge", "stale", "--domain", DOMAIN])
    assert replayed.exit_code == 1


def test_verify_names_a_presentation_handed_in_as_a_credential(creds):
    from microcred import verify

    vp = present([creds[0]], LEARNER, now=ISSUED)
    with pytest.raises(InputError) as info:
        verify(vp, fetch=offline_fetch(), now=NOW)
    assert info.value.code == "input.presentation" and "verify_presentation" in info.value.message


@pytest.mark.parametrize("seed", [5, 2026])
def test_mutated_presentations_never_crash_and_never_verify(creds, seed):
    """Any field of a presentation (its proof and the credentials inside included) changed or removed:
    a report that is not verified, or a MicrocredError — never another exception."""
    import random

    from microcred import MicrocredError

    garbage = [
        None,
        0,
        -1,
        "",
        "x",
        "did:key:zNOPE",
        [],
        {},
        [None],
        {"id": {}},
        True,
        "2026-13-45T99:00:00Z",
    ]
    vp = present([creds[0]], LEARNER, domain=DOMAIN, challenge=CHALLENGE, now=ISSUED)
    assert run(vp, domain=DOMAIN, challenge=CHALLENGE).verified

    def paths(node, prefix=()):
        yield prefix
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            yield from paths(v, (*prefix, k))

    rng = random.Random(seed)
    reports = 0
    for _ in range(150):
        doc = copy.deepcopy(vp)
        path = rng.choice([p for p in paths(doc) if p])
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(garbage)
        if doc == vp:
            continue
        try:
            report = run(doc, domain=DOMAIN, challenge=CHALLENGE)
        except MicrocredError:
            continue
        reports += 1
        assert not report.verified, (path, report.to_text())
        assert json.dumps(report.to_dict(), default=str)
    assert reports > 50
