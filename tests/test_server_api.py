"""The VC-API endpoints of `microcred serve`, driven in-process as a platform would (ASGI client):
every endpoint, and every kind of refusal answered with a problem-details 4xx, never a 500."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from microcred.keys.material import generate_key
from microcred.server import create_app
from server_support import API_KEY, PUBLIC_URL, definition_data, server_config

AUTH = {"Authorization": f"Bearer {API_KEY}"}
VC2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519")


@pytest.fixture
def client(key, tmp_path):
    with TestClient(
        create_app(server_config(key, tmp_path / "ledger.db")), raise_server_exceptions=False
    ) as c:
        yield c


def _issue(client, **extra):
    body = {"definition": definition_data(), "recipient": "ada@example.org", "name": "Ada", **extra}
    response = client.post("/credentials/issue", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def _problem(response, status, code=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def test_the_library_does_not_import_web_dependencies():
    code = (
        "import sys, microcred, microcred.cli; web = ('starlette', 'uvicorn', 'multipart', 'httpx'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in web))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_issue_from_a_definition_then_verify_it(client):
    credential = _issue(client)
    assert credential["issuer"]["id"].startswith("did:key:")
    assert credential["credentialStatus"]
    status_urls = {e["statusListCredential"] for e in credential["credentialStatus"]}
    assert all(u.startswith(PUBLIC_URL + "/status/") for u in status_urls)
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["errors"] == []
    assert {"proof", "status", "expiration"} <= set(body["checks"])


def test_issue_a_full_credential_signs_it_as_given(client, key):
    credential = {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "credentialSubject": {"id": "did:example:learner", "name": "Grace"},
    }
    response = client.post("/credentials/issue", json={"credential": credential, "options": {}}, headers=AUTH)
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["credentialSubject"] == credential["credentialSubject"]
    assert signed["credentialStatus"][0]["type"] == "BitstringStatusListEntry"
    verified = client.post(
        "/credentials/verify",
        json={"verifiableCredential": signed, "options": {"checks": ["proof", "status"]}},
    )
    assert verified.status_code == 200, verified.text


def test_issue_as_a_vc_jwt_is_an_enveloped_credential(client):
    enveloped = _issue(client, options={"format": "jwt"})
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["id"].startswith("data:application/vc+jwt,")
    assert client.post("/credentials/verify", json={"verifiableCredential": enveloped}).status_code == 200
    token = enveloped["id"].split(",", 1)[1]
    assert client.post("/credentials/verify", json={"verifiableCredential": token}).json()["verified"] is True


def test_tampered_credential_is_422_naming_the_proof(client):
    credential = _issue(client)
    credential["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 422
    body = response.json()
    assert body["verified"] is False
    assert "proof" in [e["id"] for e in body["errors"]]


def test_revoke_suspend_reinstate_and_the_list_says_so(client):
    credential = _issue(client)
    cid = credential["id"]

    def verdict():
        return client.post("/credentials/verify", json={"verifiableCredential": credential})

    assert verdict().status_code == 200
    change = {
        "credentialId": cid,
        "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "suspended"}],
    }
    response = client.post("/credentials/status", json=change, headers=AUTH)
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    body = verdict().json()
    assert body["verified"] is False
    assert [e["details"]["outcome"] for e in body["errors"] if e["id"] == "status"] == ["suspended"]
    assert (
        client.post(
            "/credentials/status", json={"credentialId": cid, "status": "reinstate"}, headers=AUTH
        ).status_code
        == 200
    )
    assert verdict().status_code == 200
    assert (
        client.post(
            "/credentials/status", json={"credentialId": cid, "status": "revoke"}, headers=AUTH
        ).status_code
        == 200
    )
    body = verdict().json()
    assert [e["details"]["outcome"] for e in body["errors"] if e["id"] == "status"] == ["revoked"]


def test_status_set_by_purpose_and_publish(client):
    credential = _issue(client)
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}
    response = client.post(
        "/credentials/status",
        json={"credentialId": credential["id"], "credentialStatus": entry},
        headers=AUTH,
    )
    assert response.json()["status"] == "suspended"
    for status in credential["credentialStatus"]:
        path = status["statusListCredential"].removeprefix(PUBLIC_URL)
        assert client.post(path + "/publish", headers=AUTH).status_code == 204
        if status["statusPurpose"] == "suspension":
            index = int(status["statusListIndex"])
            listed = client.get(path).json()["credentialSubject"]["encodedList"]
            assert _bit(listed, index) == 1
    _problem(client.post("/status/revocation-77/publish", headers=AUTH), 404)
    _problem(client.post("/status/revocation-1/publish"), 401)


def _bit(encoded: str, index: int) -> int:
    import base64
    import gzip

    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return (raw[index // 8] >> (7 - index % 8)) & 1


def test_status_lists_are_served_at_the_urls_the_credentials_name(client):
    credential = _issue(client)
    for entry in credential["credentialStatus"]:
        url = entry["statusListCredential"]
        response = client.get(url.removeprefix(PUBLIC_URL))
        assert response.status_code == 200, url
        document = response.json()
        assert document["id"] == url
        assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
        assert document["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
        # valid from a minute before it was signed: verify() fixes "now" before it fetches the list
        assert document["validFrom"] < document["proof"]["created"]
    _problem(client.get("/status/revocation-999"), 404, "status.unknown_list")


def test_options_checks_domain_and_challenge(client):
    credential = _issue(client)
    good = {"verifiableCredential": credential, "options": {"checks": ["proof"]}}
    body = client.post("/credentials/verify", json=good).json()
    assert body["verified"] is True and "status" not in body["checks"]
    unknown = client.post(
        "/credentials/verify", json={"verifiableCredential": credential, "options": {"checks": ["magic"]}}
    )
    assert "magic" in _problem(unknown, 400, "options.checks")["detail"]
    challenged = {"verifiableCredential": credential, "options": {"challenge": "abc123"}}
    response = client.post("/credentials/verify", json=challenged)
    assert response.status_code == 422
    assert [e["id"] for e in response.json()["errors"]] == ["proof"]  # the challenge is the proof's own


@pytest.mark.parametrize("path", ["/credentials/issue", "/credentials/status"])
def test_auth_missing_or_wrong(client, path):
    _problem(client.post(path, json={}), 401, "auth.missing")
    _problem(
        client.post(path, json={}, headers={"Authorization": "Bearer not-the-key-at-all-000"}),
        401,
        "auth.wrong",
    )


def test_oversized_body_is_413(key, tmp_path):
    app = create_app(server_config(key, tmp_path / "l.db", max_body=2048))
    with TestClient(app) as small:
        big = {"verifiableCredential": {"x": "y" * 5000}}
        _problem(small.post("/credentials/verify", json=big), 413, "body.too_large")
        _problem(small.post("/credentials/issue", json=big, headers=AUTH), 413, "body.too_large")

        def chunks():  # no Content-Length: the limit holds on what is actually sent
            for _ in range(10):
                yield b" " * 1000

        _problem(
            small.post("/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"}),
            413,
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('"just a string"', "body.not_object"),
        ("[1, 2]", "body.not_object"),
        ("{not json", "body.json"),
        ("[" * 100_000, "body.json"),
        ('{"verifiableCredential": "{\\"@context\\": 1}"}', "body.field"),
        ('{"verifiableCredential": null}', "body.field"),
        ('{"verifiableCredential": {"type": ["NonconformingDocument"]}}', None),
        ('{"verifiableCredential": {}, "options": "proof"}', "body.field"),
    ],
)
def test_bad_verify_bodies_are_4xx_problems_never_500(client, body, code):
    response = client.post("/credentials/verify", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    if response.status_code == 400:
        _problem(response, 400, code)
    else:
        assert response.json()["verified"] is False


def test_json_string_instead_of_object_when_issuing(client):
    response = client.post(
        "/credentials/issue", content='"a credential"', headers={**AUTH, "Content-Type": "application/json"}
    )
    _problem(response, 400, "body.not_object")
    response = client.post("/credentials/issue", json={"credential": "a credential"}, headers=AUTH)
    assert _problem(response, 400, "body.field")["field"] == "credential"


def test_unknown_suite_and_bad_credentials_are_refused_when_issuing(client, key):
    credential = {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    response = client.post(
        "/credentials/issue",
        json={"credential": credential, "options": {"cryptosuite": "rot13-2025"}},
        headers=AUTH,
    )
    assert "rot13-2025" in _problem(response, 400, "options.cryptosuite")["detail"]
    no_subject = {"@context": [VC2], "type": ["VerifiableCredential"]}
    _problem(
        client.post("/credentials/issue", json={"credential": no_subject}, headers=AUTH),
        400,
        "credential.field",
    )
    undefined = {**credential, "credentialSubject": {"id": "did:example:1", "undefinedTerm": 1}}
    response = client.post("/credentials/issue", json={"credential": undefined}, headers=AUTH)
    assert "undefinedTerm" in _problem(response, 400)["detail"]
    null_issuer = {**credential, "issuer": None}
    _problem(client.post("/credentials/issue", json={"credential": null_issuer}, headers=AUTH), 400)
    other_issuer = {**credential, "issuer": "did:example:someone-else"}
    _problem(client.post("/credentials/issue", json={"credential": other_issuer}, headers=AUTH), 400)
    _problem(
        client.post(
            "/credentials/issue", json={"definition": {"issuer": {}}, "recipient": "a@b.org"}, headers=AUTH
        ),
        400,
    )


def test_status_update_of_an_unknown_id_is_404(client):
    body = {"credentialId": "urn:uuid:00000000-0000-4000-8000-000000000000", "status": "revoke"}
    _problem(client.post("/credentials/status", json=body, headers=AUTH), 404, "status.unknown_id")
    _problem(
        client.post("/credentials/status", json={"credentialId": 7, "status": "revoke"}, headers=AUTH), 400
    )
    _problem(
        client.post("/credentials/status", json={"credentialId": "x", "status": "delete"}, headers=AUTH), 400
    )


def test_presentations_verify_the_holder_proof_and_every_credential(client):
    from microcred import present

    holder = generate_key("Ed25519")
    credential = _issue(client)
    vp = present([credential], holder, domain="employer.example", challenge="n-0S6_WzA2Mj")
    good = {
        "verifiablePresentation": vp,
        "options": {"domain": "employer.example", "challenge": "n-0S6_WzA2Mj"},
    }
    response = client.post("/presentations/verify", json=good)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True and "proof" in response.json()["checks"]
    replayed = {**good, "options": {"domain": "employer.example", "challenge": "another-nonce"}}
    response = client.post("/presentations/verify", json=replayed)
    assert response.status_code == 422 and "proof" in [e["id"] for e in response.json()["errors"]]
    client.post(
        "/credentials/status", json={"credentialId": credential["id"], "status": "revoke"}, headers=AUTH
    )
    response = client.post("/presentations/verify", json=good)
    assert response.status_code == 422
    assert any(e["id"].startswith("credentials") for e in response.json()["errors"]), response.json()[
        "errors"
    ]


def test_bad_presentation_bodies_are_400(client):
    for value in (3, "a presentation", None, [1]):
        _problem(
            client.post("/presentations/verify", json={"verifiablePresentation": value}), 400, "body.field"
        )
    response = client.post("/presentations/verify", json={"verifiablePresentation": {"type": "Nope"}})
    _problem(response, 400, "input.not_presentation")


def test_openapi_document_lists_every_endpoint(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {
        "/credentials/issue",
        "/credentials/verify",
        "/presentations/verify",
        "/credentials/status",
    } <= set(document["paths"])


def test_unknown_routes_and_methods_are_problems(client):
    _problem(client.get("/nope"), 404, "route.unknown")
    _problem(client.get("/credentials/verify"), 405, "route.method")
    response = client.post("/credentials/verify", content="x", headers={"Content-Type": "text/plain"})
    _problem(response, 415, "body.media_type")


def test_every_response_carries_a_strict_csp(client):
    for response in (
        client.get("/"),
        client.get("/openapi.json"),
        client.post("/credentials/verify", json=[]),
    ):
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"


def test_server_without_key_or_ledger_still_verifies(key, tmp_path):
    with TestClient(create_app(server_config(key, tmp_path / "l.db"))) as issuer:
        credential = _issue(issuer, options={"format": "jwt"})
    token = credential["id"].split(",", 1)[1]
    bare = dataclasses.replace(server_config(key, None), key=None)
    with TestClient(create_app(bare)) as verifier:
        response = verifier.post(
            "/credentials/verify", json={"verifiableCredential": token, "options": {"checks": ["proof"]}}
        )
        assert response.status_code == 200, response.text
        _problem(
            verifier.post("/credentials/issue", json={"credential": {}}, headers=AUTH), 501, "issue.no_key"
        )
        # the status lists live on the issuer's server: without them the full check cannot say "verified"
        body = verifier.post("/credentials/verify", json={"verifiableCredential": token}).json()
        assert body["verified"] is False and [e["id"] for e in body["errors"]] == ["status"]
    assert json.dumps(body)


def test_an_unexpected_library_exception_is_a_400_not_a_500(client, monkeypatch):
    from microcred.server import api

    def broken(*args, **kwargs):
        raise KeyError("@vocab")  # as pyld once raised on {"@vocab": null}

    monkeypatch.setattr(api, "verify", broken)
    response = client.post("/credentials/verify", json={"verifiableCredential": {"@context": []}})
    assert "KeyError" in _problem(response, 400, "input.unprocessable")["detail"]


def test_concurrent_issues_share_transactions_and_one_bad_request_spoils_only_itself(key, tmp_path):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from microcred.issuing import new_credential_id, sign
    from microcred.ledger.protocol import Ledger
    from microcred.server.batch import GroupIssuer, IssueJob

    thread = ThreadPoolExecutor(max_workers=1)  # the ledger's own thread, as in the server
    ledger = thread.submit(Ledger.open, tmp_path / "batch.db").result()
    batches: list[int] = []
    reserve_many = ledger.reserve_many

    def counting(requests):
        batches.append(len(requests))
        return reserve_many(requests)

    ledger.reserve_many = counting  # type: ignore[method-assign]
    gate = threading.Event()
    thread.submit(gate.wait)  # hold the ledger thread until every request is queued
    issuer = GroupIssuer(thread, lambda: ledger)

    def job(i: int) -> IssueJob:
        unsigned = {
            "@context": [VC2],
            "id": new_credential_id(),
            "type": ["VerifiableCredential"],
            "issuer": key.controller,
            "credentialSubject": {"id": f"did:example:{i}"} if i != 3 else {"id": "did:example:3", "bad": 1},
        }
        return IssueJob(
            unsigned,
            lambda d: sign(d, key),
            "di",
            f"urn:a:{i}",
            f"did:example:{i}",
            PUBLIC_URL + "/status",
            False,
        )

    jobs = [job(i) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as callers:
        futures = [callers.submit(issuer.issue, j) for j in jobs]
        while len(issuer._pending) < 8:
            threading.Event().wait(0.01)
        gate.set()
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result(timeout=60).id)
            except Exception as exc:
                outcomes.append(type(exc).__name__)
    thread.submit(ledger.close).result()
    thread.shutdown()
    assert batches == [8]  # one reserve transaction for all eight
    assert outcomes[3] != jobs[3].unsigned["id"] and "Error" in outcomes[3]
    assert [o for i, o in enumerate(outcomes) if i != 3] == [
        j.unsigned["id"] for i, j in enumerate(jobs) if i != 3
    ]
    with Ledger.open(tmp_path / "batch.db") as reopened:
        recorded = {r.credential_id for r in reopened.credentials()}
    assert recorded == {j.unsigned["id"] for i, j in enumerate(jobs) if i != 3}
