"""Issuer keys: generate, save (0600, optionally encrypted), load from every supported format."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microcred.errors import KeyFormatError
from microcred.keys.files import load_key, save_key
from microcred.keys.material import generate_key, key_from_multibase

VECTORS = Path(__file__).parent / "vectors"


def _same(a, b) -> bool:
    return a.public_jwk() == b.public_jwk() and a.key_id == b.key_id and a.controller == b.controller


@pytest.mark.parametrize("alg", ["Ed25519", "P-256", "P-384"])
def test_generated_key_defaults_to_its_did_key(alg) -> None:
    key = generate_key(alg)
    assert key.has_private
    assert key.controller == "did:key:" + key.public_multibase()
    assert key.key_id == f"{key.controller}#{key.public_multibase()}"
    prefix = {"Ed25519": "z6Mk", "P-256": "zDna", "P-384": "z82L"}[alg]
    assert key.public_multibase().startswith(prefix)
    vm = key.verification_method()
    assert vm == {
        "id": key.key_id,
        "type": "Multikey",
        "controller": key.controller,
        "publicKeyMultibase": key.public_multibase(),
    }
    assert key.jws_algorithm == {"Ed25519": "EdDSA", "P-256": "ES256", "P-384": "ES384"}[alg]
    assert not key.public().has_private and key.public().public_jwk() == key.public_jwk()


def test_did_web_and_issuer_url_controllers() -> None:
    web = generate_key("Ed25519", did_web="example.edu:issuers:1")
    assert (web.controller, web.key_id) == (
        "did:web:example.edu:issuers:1",
        "did:web:example.edu:issuers:1#key-1",
    )
    url = generate_key("P-256", issuer_url="https://example.edu/issuers/1", key_fragment="k2")
    assert (url.controller, url.key_id) == (
        "https://example.edu/issuers/1",
        "https://example.edu/issuers/1#k2",
    )


def test_rsa_needs_a_controller_and_2048_bits() -> None:
    with pytest.raises(KeyFormatError, match="did_web or issuer_url"):
        generate_key("RSA")
    with pytest.raises(KeyFormatError, match="2048"):
        generate_key("RSA", did_web="example.edu", rsa_bits=1024)
    key = generate_key("RSA", did_web="example.edu")
    assert key.jws_algorithm == "RS256"
    vm = key.verification_method()
    assert vm["type"] == "JsonWebKey" and vm["publicKeyJwk"]["kty"] == "RSA" and "d" not in vm["publicKeyJwk"]
    with pytest.raises(KeyFormatError):
        key.public_multibase()


def test_bad_controllers_are_refused() -> None:
    with pytest.raises(KeyFormatError):
        generate_key(did_web="example.edu", issuer_url="https://example.edu")
    with pytest.raises(KeyFormatError, match="https"):
        generate_key(issuer_url="http://example.edu/issuer")
    with pytest.raises(KeyFormatError):
        generate_key(issuer_url="https://example.edu/issuer#frag")
    with pytest.raises(KeyFormatError):
        generate_key(did_web="example.edu/path")


@pytest.mark.parametrize("alg", ["Ed25519", "P-256", "RSA"])
def test_save_and_load_round_trip_with_mode_0600(tmp_path, alg) -> None:
    key = generate_key(alg, issuer_url="https://example.edu/issuers/1") if alg == "RSA" else generate_key(alg)
    path = tmp_path / "key.json"
    save_key(key, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = load_key(path)
    assert _same(loaded, key) and loaded.has_private
    doc = json.loads(path.read_text())
    assert doc["id"] == key.key_id
    if alg != "RSA":  # unencrypted Ed25519 / P-256: a standard Multikey key pair
        assert doc["secretKeyMultibase"].startswith("z") and "privateKeyPem" not in doc
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]  # no temp file left behind


def test_save_never_creates_a_readable_file_even_with_a_loose_umask(tmp_path) -> None:
    old = os.umask(0)
    try:
        save_key(generate_key(), tmp_path / "k.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "k.json").st_mode) == 0o600


@pytest.mark.parametrize("alg", ["Ed25519", "P-256", "RSA"])
def test_encrypted_key_needs_the_passphrase(tmp_path, alg) -> None:
    key = generate_key(alg, did_web="example.edu") if alg == "RSA" else generate_key(alg)
    path = tmp_path / "key.json"
    save_key(key, path, passphrase="correct horse")
    text = path.read_text()
    assert "BEGIN ENCRYPTED PRIVATE KEY" in text and "secretKeyMultibase" not in text
    with pytest.raises(KeyFormatError, match="passphrase is needed") as missing:
        load_key(path)
    assert missing.value.code == "key.passphrase"
    with pytest.raises(KeyFormatError, match="wrong passphrase"):
        load_key(path, passphrase="wrong")
    assert _same(load_key(path, passphrase=b"correct horse"), key)


def test_public_only_save(tmp_path) -> None:
    key = generate_key()
    save_key(key, tmp_path / "pub.json", include_private=False)
    loaded = load_key(tmp_path / "pub.json")
    assert not loaded.has_private and _same(loaded, key)
    with pytest.raises(KeyFormatError, match="no private part"):
        save_key(loaded, tmp_path / "again.json")


def test_w3c_vector_key_pair_files_load() -> None:
    ed = load_key(VECTORS / "vc-di-eddsa" / "TestVectors" / "keyPair.json")  # privateKeyMultibase spelling
    assert ed.algorithm == "Ed25519" and ed.has_private
    assert ed.public_multibase() == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    p256 = load_key(
        VECTORS / "vc-di-ecdsa" / "TestVectors" / "p256KeyPair.json"
    )  # secretKeyMultibase spelling
    assert p256.algorithm == "P-256" and p256.public_multibase().startswith("zDnaepBuvsQ8")


def test_mismatched_multikey_pair_is_refused() -> None:
    a, b = generate_key(), generate_key()
    tmp = {"publicKeyMultibase": a.public_multibase()}
    tmp["secretKeyMultibase"] = json.loads(json.dumps(_multikey_secret(b)))
    with pytest.raises(KeyFormatError, match="does not belong"):
        load_key(tmp)


def _multikey_secret(key) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        save_key(key, Path(d) / "k.json")
        return json.loads((Path(d) / "k.json").read_text())["secretKeyMultibase"]


@pytest.mark.parametrize("alg", ["Ed25519", "P-256", "RSA"])
def test_jwk_load_public_and_private(alg) -> None:
    key = generate_key(alg, did_web="example.edu") if alg == "RSA" else generate_key(alg)
    public = load_key(key.public_jwk())
    assert _same(public, key) and not public.has_private
    # a private JWK built from cryptography's numbers
    priv = key.private_key
    jwk = dict(key.public_jwk())
    if alg == "RSA":
        from microcred.keys.material import _int_b64

        n = priv.private_numbers()
        jwk.update(
            d=_int_b64(n.d),
            p=_int_b64(n.p),
            q=_int_b64(n.q),
            dp=_int_b64(n.dmp1),
            dq=_int_b64(n.dmq1),
            qi=_int_b64(n.iqmp),
        )
        only_d = {k: v for k, v in jwk.items() if k not in ("p", "q", "dp", "dq", "qi")}
        assert load_key(only_d).has_private  # primes recovered from d
    elif alg == "P-256":
        from microcred.keys.material import _int_b64

        jwk["d"] = _int_b64(priv.private_numbers().private_value, 32)
    else:
        from microcred.keys.multibase import b64url_encode

        jwk["d"] = b64url_encode(
            priv.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        )
    loaded = load_key(json.dumps(jwk))
    assert loaded.has_private and _same(loaded, key)


def test_rsa_jwk_without_kid_does_not_say_whose_it_is() -> None:
    key = generate_key("RSA", did_web="example.edu")
    jwk = {k: v for k, v in key.public_jwk().items() if k != "kid"}
    with pytest.raises(KeyFormatError, match="does not say whose"):
        load_key(jwk)


def test_short_rsa_keys_are_refused_on_load() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = weak.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(KeyFormatError, match="too short"):
        load_key(pem)


def test_pem_ed25519_key_becomes_a_did_key() -> None:
    key = generate_key()
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert load_key(pem).key_id == key.key_id


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "neither JSON nor PEM"),
        ("[1, 2]", "object"),
        ('{"kty": "oct", "k": "c2VjcmV0"}', "unsupported JWK"),
        ('{"hello": "world"}', "not a key file"),
        ('{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}', "valid"),
    ],
)
def test_unreadable_key_files_say_why(tmp_path, content, match) -> None:
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(KeyFormatError, match=match) as info:
        load_key(path)
    assert info.value.source == str(path)


def test_missing_file() -> None:
    with pytest.raises(KeyFormatError, match="not found"):
        load_key("/nonexistent/key.json")


def test_key_from_multibase_rejects_other_codecs() -> None:
    with pytest.raises(KeyFormatError, match="not a supported public key"):
        key_from_multibase("z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW")  # X25519


def test_keys_are_hashable_and_compare_by_public_part() -> None:
    key = generate_key("P-256")
    assert len({key, key.public(), generate_key("P-256")}) == 2
    assert key == key.public()
