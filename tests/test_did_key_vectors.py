"""did:key identifier ↔ key bytes, against w3c-ccg/did-method-key test vectors (one test per DID)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from microcred.errors import DidError, KeyFormatError
from microcred.fetch import offline_fetch
from microcred.keys.dids import did_key_for, resolve_did_key, resolve_verification_method
from microcred.keys.files import load_key
from microcred.keys.material import key_from_multibase
from microcred.keys.multibase import b58decode

FOLDER = Path(__file__).parent / "vectors" / "did-method-key" / "test-vectors"
resolve = functools.partial(resolve_verification_method, fetch=offline_fetch())


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    cases = []
    for path in sorted(FOLDER.glob("*.json")):
        for did, entry in json.loads(path.read_text(encoding="utf-8")).items():
            cases.append((path.name, did, entry))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("file", "did", "entry"), CASES, ids=[f"{f}:{d}" for f, d, _ in CASES])
def test_did_key_vector(file: str, did: str, entry: dict[str, Any]) -> None:
    if "seed" in entry:  # Ed25519: the seed is the raw private key
        private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(entry["seed"]))
        public = private.public_key()
        assert did_key_for(public) == did
        vkp = entry["verificationKeyPair"]
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if "publicKeyBase58" in vkp:
            assert b58decode(vkp["publicKeyBase58"]) == raw
        else:
            assert load_key(vkp["privateKeyJwk"]).controller == did
        resolved = resolve(f"{did}#{did[len('did:key:') :]}")
        assert resolved.binding == "did:key" and resolved.algorithm == "Ed25519"
        assert (
            resolved.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            == raw
        )
        assert resolve_did_key(did)["verificationMethod"][0]["publicKeyMultibase"] == did[len("did:key:") :]
        return
    vm = entry["verificationMethod"]
    crv = vm.get("publicKeyJwk", {}).get("crv")
    if crv == "P-521":  # not a curve microcred accepts: refused clearly, both ways
        with pytest.raises(KeyFormatError):
            key_from_multibase(did[len("did:key:") :])
        with pytest.raises(KeyFormatError):
            load_key(vm["privateKeyJwk"])
        with pytest.raises(DidError):
            resolve(did)
        return
    if "privateKeyJwk" in vm:  # P-256 / P-384 as JWK: the did:key of the loaded key is the DID
        key = load_key(vm["privateKeyJwk"])
        assert key.algorithm == crv
        assert key.controller == did
        assert key.key_id == f"{did}#{did[len('did:key:') :]}"
        resolved = resolve(key.key_id)
        assert resolved.algorithm == crv and resolved.controller == did
        assert key.public_jwk()["x"] == vm["publicKeyJwk"]["x"]
        assert key.public_jwk()["y"] == vm["publicKeyJwk"]["y"]
    else:  # P256Key2021 with a compressed point in base58
        point = b58decode(vm["publicKeyBase58"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        assert did_key_for(public) == did
        decoded, algorithm = key_from_multibase(did[len("did:key:") :])
        assert algorithm == "P-256"
        assert decoded.public_numbers() == public.public_numbers()
