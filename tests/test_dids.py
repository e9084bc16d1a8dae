"""did:key, did:web, HTTPS key URLs: building documents and resolving verification methods."""

from __future__ import annotations

import json

import pytest

from microcred.errors import DidError, FetchError
from microcred.fetch import offline_fetch
from microcred.keys.dids import (
    controller_document,
    did_key_for,
    did_web_document,
    did_web_url,
    jwks,
    key_document,
    resolve_did_key,
    resolve_verification_method,
)
from microcred.keys.material import generate_key


def _resolve(vm: str, resources: dict | None = None, **kw):
    return resolve_verification_method(vm, fetch=offline_fetch(resources), **kw)


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.edu", "https://example.edu/.well-known/did.json"),
        ("did:web:example.edu:issuers:1", "https://example.edu/issuers/1/did.json"),
        ("did:web:example.edu%3A3000", "https://example.edu:3000/.well-known/did.json"),
        ("did:web:example.edu%3A3000:a:b#key-1", "https://example.edu:3000/a/b/did.json"),
        (
            "did:web:dc.1edtech.org:wellspring2022:wellspring-portal:org:da1e96e9",
            "https://dc.1edtech.org/wellspring2022/wellspring-portal/org/da1e96e9/did.json",
        ),
    ],
)
def test_did_web_url(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "bad",
    [
        "did:key:z6Mk",
        "did:web:",
        "did:web:exa mple.edu",
        "did:web:example.edu::x",
        "did:web:example.edu:..",
        "did:web:user@example.edu",
    ],
)
def test_did_web_url_rejects_malformed(bad: str) -> None:
    with pytest.raises(DidError):
        did_web_url(bad)


def test_did_key_document_shape() -> None:
    key = generate_key("P-256")
    did = did_key_for(key.public_key)
    doc = resolve_did_key(key.key_id)
    assert doc["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert doc["id"] == did == key.controller
    assert doc["verificationMethod"] == [key.public().verification_method()]
    assert doc["assertionMethod"] == [key.key_id]
    with pytest.raises(DidError, match="fragment must repeat"):
        resolve_did_key(did + "#other")
    with pytest.raises(DidError):
        did_key_for(generate_key("RSA", did_web="example.edu").public_key)


def test_did_web_document_and_jwks() -> None:
    ed = generate_key(did_web="example.edu")
    rsa_key = generate_key("RSA", did_web="example.edu", key_fragment="key-2")
    doc = did_web_document([ed, rsa_key])
    assert doc["id"] == "did:web:example.edu"
    assert doc["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/jwk/v1",
    ]
    assert [vm["type"] for vm in doc["verificationMethod"]] == ["Multikey", "JsonWebKey"]
    assert doc["assertionMethod"] == [ed.key_id, rsa_key.key_id]
    assert "d" not in doc["verificationMethod"][1]["publicKeyJwk"]
    keys = jwks([ed, rsa_key])["keys"]
    assert [(k["kid"], k["alg"]) for k in keys] == [(ed.key_id, "EdDSA"), (rsa_key.key_id, "RS256")]
    assert all("d" not in k for k in keys)
    with pytest.raises(DidError, match="not a did:web"):
        did_web_document([generate_key()])
    with pytest.raises(DidError, match="belongs to"):
        did_web_document([ed, generate_key(did_web="other.example")])


def test_controller_document_for_an_https_issuer() -> None:
    key = generate_key(issuer_url="https://example.edu/issuers/1")
    doc = controller_document([key])
    assert doc["id"] == "https://example.edu/issuers/1"
    assert doc["@context"][0] == "https://www.w3.org/ns/cid/v1"
    assert key_document(key)["publicKeyMultibase"] == key.public_multibase()


def test_resolve_did_key() -> None:
    key = generate_key()
    resolved = _resolve(key.key_id)
    assert (resolved.binding, resolved.controller, resolved.algorithm) == (
        "did:key",
        key.controller,
        "Ed25519",
    )
    assert _resolve(key.controller).key_id == key.key_id  # a bare did:key names its one key
    with pytest.raises(DidError):
        _resolve("did:key:zNotAKey")


def test_resolve_did_web_through_fetch() -> None:
    key = generate_key("P-256", did_web="example.edu:issuers:1")
    url = "https://example.edu/issuers/1/did.json"
    resolved = _resolve(key.key_id, {url: json.dumps(did_web_document([key]))})
    assert (resolved.binding, resolved.controller, resolved.algorithm) == ("did:web", key.controller, "P-256")
    with pytest.raises(FetchError, match=r"did\.json"):
        _resolve(key.key_id)
    with pytest.raises(DidError, match="needs a #fragment"):
        _resolve(key.controller)


def test_did_web_document_problems_are_refused() -> None:
    key = generate_key(did_web="example.edu")
    url = "https://example.edu/.well-known/did.json"
    doc = did_web_document([key])
    with pytest.raises(DidError, match="names itself"):
        _resolve(key.key_id, {url: json.dumps({**doc, "id": "did:web:evil.example"})})
    with pytest.raises(DidError, match="does not list"):
        _resolve("did:web:example.edu#key-9", {url: json.dumps(doc)})
    with pytest.raises(DidError, match="assertionMethod"):
        _resolve(key.key_id, {url: json.dumps({**doc, "assertionMethod": []})})
    with pytest.raises(DidError, match="not a JSON"):
        _resolve(key.key_id, {url: "<html>"})
    vm = {**doc["verificationMethod"][0], "controller": "did:web:evil.example"}
    with pytest.raises(DidError, match="says its controller"):
        _resolve(key.key_id, {url: json.dumps({**doc, "verificationMethod": [vm]})})


def test_resolve_https_controller_document_jwks_and_key_document() -> None:
    key = generate_key("RSA", issuer_url="https://example.edu/issuers/1")
    profile = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://example.edu/issuers/1",
        "type": "Profile",
        "verificationMethod": [key.public().verification_method()],
    }
    resolved = _resolve(key.key_id, {"https://example.edu/issuers/1": json.dumps(profile)})
    assert (resolved.binding, resolved.controller, resolved.algorithm) == ("published", key.controller, "RSA")
    # a JWKS at the key URL
    jwks_url = "https://example.edu/keys.json"
    other = generate_key("P-256", issuer_url="https://example.edu/keys.json")
    resolved = _resolve(other.key_id, {jwks_url: json.dumps(jwks([other]))})
    assert resolved.binding == "published" and resolved.controller == jwks_url
    with pytest.raises(DidError, match="no key with kid"):
        _resolve(jwks_url + "#nope", {jwks_url: json.dumps(jwks([other]))})
    # a key document of its own: its controller's document must list it, even on the same host
    key_url = "https://example.edu/keys/1"
    doc = {**key_document(key), "id": key_url, "controller": "https://example.edu/issuers/1"}
    with pytest.raises(DidError, match="does not list it"):
        _resolve(key_url, {key_url: json.dumps(doc)})
    listing = {"id": "https://example.edu/issuers/1", "assertionMethod": [key_url]}
    resolved = _resolve(
        key_url, {key_url: json.dumps(doc), "https://example.edu/issuers/1": json.dumps(listing)}
    )
    assert (resolved.binding, resolved.controller) == ("published", "https://example.edu/issuers/1")
    # claiming a controller elsewhere that does not list it
    foreign = {**doc, "controller": "https://other.example/issuer"}
    with pytest.raises(DidError, match="does not list it"):
        _resolve(
            key_url, {key_url: json.dumps(foreign), "https://other.example/issuer": json.dumps({"id": "x"})}
        )
    with pytest.raises(DidError, match="private part"):
        _resolve(
            key_url,
            {key_url: json.dumps({"id": key_url, "kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"})},
        )


def test_self_named_fragment_keys() -> None:
    key = generate_key()
    vm = "https://example.edu/issuers/1#" + key.public_multibase()
    alone = _resolve(vm)
    assert (alone.binding, alone.controller, alone.confirmed) == (
        "self-named",
        "https://example.edu/issuers/1",
        False,
    )
    assert alone.public_key.public_bytes_raw() == key.public_key.public_bytes_raw()
    listed = {
        "id": "https://example.edu/issuers/1",
        "verificationMethod": [
            {
                "id": vm,
                "type": "Multikey",
                "controller": "https://example.edu/issuers/1",
                "publicKeyMultibase": key.public_multibase(),
            }
        ],
    }
    assert _resolve(vm, {"https://example.edu/issuers/1": json.dumps(listed)}).binding == "published"
    not_listed = {"id": "https://example.edu/issuers/1", "verificationMethod": []}
    assert _resolve(vm, {"https://example.edu/issuers/1": json.dumps(not_listed)}).binding == "self-named"
    wrong_key = json.loads(json.dumps(listed))
    wrong_key["verificationMethod"][0]["publicKeyMultibase"] = generate_key().public_multibase()
    assert _resolve(vm, {"https://example.edu/issuers/1": json.dumps(wrong_key)}).binding == "self-named"
    other_site = {**listed, "id": "https://evil.example/issuer"}
    assert _resolve(vm, {"https://example.edu/issuers/1": json.dumps(other_site)}).binding == "self-named"


def test_trusted_keys_and_unsupported_methods() -> None:
    key = generate_key(issuer_url="https://example.edu/issuers/1")
    resolved = _resolve(key.key_id, trusted_keys={key.key_id: key.public()})
    assert (resolved.binding, resolved.controller) == ("trusted", key.controller)
    with pytest.raises(DidError, match="did:example is not supported"):
        _resolve("did:example:123#k")
    with pytest.raises(DidError, match="cannot resolve"):
        _resolve("urn:uuid:1234")
