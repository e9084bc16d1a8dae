"""W3C Data Integrity vectors (vc-di-eddsa, vc-di-ecdsa): one test per vector file.

Each file is checked for what it is: a canonical form, a hash, a proof configuration, a signature or a
signed document is reproduced byte for byte from the given key; a signed document also verifies.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from microcred.fetch import offline_fetch
from microcred.jsonld.canonical import canonicalize
from microcred.jsonld.loader import DocumentLoader
from microcred.keys.dids import resolve_verification_method
from microcred.keys.files import load_key
from microcred.keys.material import IssuerKey
from microcred.keys.multibase import multibase_encode
from microcred.suites import jcs, proof_inputs, sign_proof, verify_proofs
from microcred.suites.signatures import sign_bytes

VECTORS = Path(__file__).parent / "vectors"
EDDSA = VECTORS / "vc-di-eddsa" / "TestVectors"
ECDSA = VECTORS / "vc-di-ecdsa" / "TestVectors"
CITIZENSHIP = "https://w3id.org/citizenship/v4rc1"
resolve = functools.partial(resolve_verification_method, fetch=offline_fetch())

# suite folder -> (key file, signing suite or None when verify-only)
SUITE_DIRS: dict[Path, tuple[Path, str | None]] = {
    EDDSA / "eddsa-rdfc-2022": (EDDSA / "keyPair.json", "eddsa-rdfc-2022"),
    EDDSA / "eddsa-rdfc-2022" / "employ": (EDDSA / "keyPair.json", "eddsa-rdfc-2022"),
    EDDSA / "eddsa-jcs-2022": (EDDSA / "keyPair.json", "eddsa-jcs-2022"),
    EDDSA / "Ed25519Signature2020": (EDDSA / "keyPair.json", None),
    ECDSA / "ecdsa-rdfc-2019-p256": (ECDSA / "p256KeyPair.json", "ecdsa-rdfc-2019"),
    ECDSA / "ecdsa-rdfc-2019-p256" / "employ": (ECDSA / "p256KeyPair.json", "ecdsa-rdfc-2019"),
    ECDSA / "ecdsa-rdfc-2019-p384": (ECDSA / "p384KeyPair.json", "ecdsa-rdfc-2019"),
    ECDSA / "ecdsa-rdfc-2019-p384" / "employ": (ECDSA / "p384KeyPair.json", "ecdsa-rdfc-2019"),
    ECDSA / "ecdsa-jcs-2019-p256": (ECDSA / "p256KeyPair.json", "ecdsa-jcs-2019"),
    ECDSA / "ecdsa-jcs-2019-p384": (ECDSA / "p384KeyPair.json", "ecdsa-jcs-2019"),
}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _one(folder: Path, stem: str) -> Path:
    (found,) = [p for p in folder.iterdir() if p.is_file() and p.name.startswith(stem)]
    return found


class Vector:
    """Everything our code computes for one suite folder, from the signed document and the key."""

    def __init__(self, folder: Path) -> None:
        key_file, self.signing_suite = SUITE_DIRS[folder]
        self.folder = folder
        self.key: IssuerKey = load_key(key_file)
        self.signed = _json(_one(folder, "signed"))
        self.proof = self.signed["proof"]
        self.employ = folder.name == "employ"
        self.unsigned = {k: v for k, v in self.signed.items() if k != "proof"}
        self.options = {k: v for k, v in self.proof.items() if k != "proofValue"}
        # the citizenship context is not saved: the proof configuration needs only its URL to load
        self.loader = DocumentLoader({CITIZENSHIP: {"@context": {}}}) if self.employ else None

    @functools.cached_property
    def is_jcs(self) -> bool:
        return "jcs" in self.folder.name

    @functools.cached_property
    def proof_canon(self) -> str:
        config = dict(self.options)
        if not self.is_jcs:
            config["@context"] = self.unsigned["@context"]
            return canonicalize(config, loader=self.loader)
        config.setdefault("@context", self.unsigned["@context"])
        return jcs(config).decode("utf-8")

    @functools.cached_property
    def doc_canon(self) -> str:
        if self.employ:  # cannot re-canonicalize offline (see vectors/vc-di-eddsa/SOURCE.md)
            return _one(self.folder, "canonDoc").read_text(encoding="utf-8")
        if self.is_jcs:
            return jcs(self.unsigned).decode("utf-8")
        return canonicalize(self.unsigned)

    def _hash(self, text: str) -> bytes:
        h = hashlib.sha384 if self.key.algorithm == "P-384" else hashlib.sha256
        return h(text.encode("utf-8")).digest()

    @functools.cached_property
    def proof_hash(self) -> bytes:
        return self._hash(self.proof_canon)

    @functools.cached_property
    def doc_hash(self) -> bytes:
        return self._hash(self.doc_canon)

    @functools.cached_property
    def signature(self) -> bytes:
        assert self.key.private_key is not None
        return sign_bytes(self.key.private_key, self.key.algorithm, self.proof_hash + self.doc_hash)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def check_suite_file(path: Path) -> None:
    v = Vector(path.parent)
    name = path.name
    if name.startswith("canonDoc"):
        if v.employ:  # the upstream canonical form is the input here: check it hashes to docHash
            assert (
                hashlib.new(
                    "sha384" if v.key.algorithm == "P-384" else "sha256", path.read_bytes()
                ).hexdigest()
                == _text(_one(v.folder, "docHash")).strip()
            )
        else:
            assert v.doc_canon == _text(path)
    elif name.startswith("docHash"):
        assert v.doc_hash.hex() == _text(path).strip()
    elif name.startswith("proofConfig"):
        expected = _json(path)
        assert {k: v for k, v in expected.items() if k != "@context"} == {
            k: val for k, val in v.options.items() if k != "@context"
        }
        assert expected["@context"] == v.unsigned["@context"]
        assert expected["verificationMethod"] == v.key.key_id
    elif name.startswith("proofCanon"):
        assert v.proof_canon == _text(path)
    elif name.startswith("proofHash"):
        assert v.proof_hash.hex() == _text(path).strip()
    elif name.startswith("combinedHash"):
        assert (v.proof_hash + v.doc_hash).hex() == _text(path).strip()
    elif name.startswith("sigHex"):
        assert v.signature.hex() == _text(path).strip()
    elif name.startswith("sigBTC58"):
        assert multibase_encode(v.signature) == _text(path).strip()
        assert v.proof["proofValue"] == _text(path).strip()
    elif name.startswith("signed"):
        if not v.employ:
            results = verify_proofs(v.signed, resolve=resolve)
            assert [(r.verified, r.reason) for r in results] == [(True, "ok")]
            assert results[0].key is not None and results[0].key.binding == "did:key"
            if v.signing_suite is not None:  # the whole signed document, byte-equal as JSON
                ours = sign_proof(v.unsigned, v.key, cryptosuite=v.signing_suite, created=v.proof["created"])
                assert ours == v.signed
        else:  # the proof value is the one our inputs produce
            assert v.proof["proofValue"] == multibase_encode(v.signature)
    else:  # pragma: no cover - a new kind of vector file
        raise AssertionError(f"no check for {name}")


SUITE_FILES = sorted(p for folder in SUITE_DIRS for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize("path", SUITE_FILES, ids=[str(p.relative_to(VECTORS)) for p in SUITE_FILES])
def test_suite_vector_file(path: Path) -> None:
    check_suite_file(path)


# ------------------------------------------------------------------------------ proof sets and chains

CHAIN = EDDSA / "proof-set-chain"


def _chain_keys() -> dict[str, IssuerKey]:
    pairs = _json(CHAIN / "multiKeyPairs.json")
    return {name: load_key(pair) for name, pair in pairs.items()}


def _sign_config(doc: dict[str, Any], config: dict[str, Any]) -> str:
    key = next(k for k in _chain_keys().values() if k.key_id == config["verificationMethod"])
    signed = sign_proof(
        doc,
        key,
        created=config["created"],
        proof_id=config.get("id"),
        previous_proof=config.get("previousProof"),
    )
    proofs = signed["proof"] if isinstance(signed["proof"], list) else [signed["proof"]]
    assert {k: val for k, val in proofs[-1].items() if k != "proofValue"} == config
    return proofs[-1]["proofValue"]


def check_chain_file(path: Path) -> None:
    name = path.name
    unsigned = _json(CHAIN / "unsigned.json")
    if name == "multiKeyPairs.json":
        facts = _json(VECTORS / "vc-di-eddsa" / "DERIVED-key-facts.json")["proofSetChainKeyPairs"]
        for pair_name, key in _chain_keys().items():
            assert key.public_multibase() == facts[pair_name]["publicKeyMultibase"]
            assert key.key_id == "did:key:{0}#{0}".format(facts[pair_name]["publicKeyMultibase"])
    elif name == "unsigned.json":
        assert unsigned == _json(EDDSA / "unsigned.json")
    elif name.startswith("proofSetConfig") and "Signed" not in name:
        signed = _json(CHAIN / name.replace("Config", "ConfigSigned"))
        assert _sign_config(unsigned, _json(path)) == signed["proofValue"]
    elif name.startswith("proofChainConfig") and "Signed" not in name:
        n = name.removeprefix("proofChainConfig").removesuffix(".json")
        temp = _json(CHAIN / f"proofChainTempDoc{n}.json")
        signed = _json(CHAIN / f"proofChainConfigSigned{n}.json")
        assert _sign_config(temp, _json(path)) == signed["proofValue"]
    elif "ConfigSigned" in name:
        proof = _json(path)
        doc = dict(unsigned)
        if name.startswith("proofChain"):
            n = name.removeprefix("proofChainConfigSigned").removesuffix(".json")
            temp = _json(CHAIN / f"proofChainTempDoc{n}.json")
            doc["proof"] = [*temp["proof"], proof]
        else:
            doc["proof"] = proof
        results = verify_proofs(doc, resolve=resolve)
        assert results[-1].verified, results[-1].reason
    elif name.startswith("proofChainTempDoc"):
        # the document as it stands when the next chained proof is made: unsigned + the proofs it names
        doc = _json(path)
        n = name.removeprefix("proofChainTempDoc").removesuffix(".json")
        wanted = _json(CHAIN / f"proofChainConfig{n}.json")["previousProof"]
        wanted = wanted if isinstance(wanted, list) else [wanted]
        proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
        assert {k: v for k, v in doc.items() if k != "proof"} == unsigned
        assert [p["id"] for p in proofs] == wanted
    elif name.startswith("signed"):
        doc = _json(path)
        results = verify_proofs(doc, resolve=resolve)
        assert len(results) == (len(doc["proof"]) if isinstance(doc["proof"], list) else 1)
        assert all(r.verified for r in results), [r.reason for r in results]
    else:  # pragma: no cover
        raise AssertionError(f"no check for {name}")


CHAIN_FILES = sorted(CHAIN.iterdir())


@pytest.mark.parametrize("path", CHAIN_FILES, ids=[str(p.relative_to(VECTORS)) for p in CHAIN_FILES])
def test_proof_set_chain_vector_file(path: Path) -> None:
    check_chain_file(path)


# ------------------------------------------------------------------------------ top-level inputs

TOP_FILES = sorted([p for p in EDDSA.iterdir() if p.is_file()] + [p for p in ECDSA.iterdir() if p.is_file()])


@pytest.mark.parametrize("path", TOP_FILES, ids=[str(p.relative_to(VECTORS)) for p in TOP_FILES])
def test_top_level_vector_file(path: Path) -> None:
    data = _json(path)
    if path.name.endswith("KeyPair.json") or path.name == "keyPair.json":
        key = load_key(path)
        assert key.public_multibase() == data["publicKeyMultibase"]
        assert key.controller == "did:key:" + data["publicKeyMultibase"]
        assert key.has_private
    elif path.name == "unsigned.json":
        # the unsigned credential is exactly the signed vectors minus their proof
        signed = _json(
            path.parent
            / (
                "eddsa-rdfc-2022/signedDataInt.json"
                if path.parent == EDDSA
                else "ecdsa-rdfc-2019-p256/signedECDSAP256.json"
            )
        )
        assert {k: v for k, v in signed.items() if k != "proof"} == data
        inputs = proof_inputs(
            data,
            {k: v for k, v in signed["proof"].items() if k != "proofValue"},
            key_algorithm="Ed25519" if path.parent == EDDSA else "P-256",
        )
        assert (
            inputs.document_hash.hex() == "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
        )
    elif path.name == "employmentAuth.json":
        employ = _json(
            path.parent
            / (
                "eddsa-rdfc-2022/employ/signedDataInt.json"
                if path.parent == EDDSA
                else "ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json"
            )
        )
        assert {k: v for k, v in employ.items() if k != "proof"} == data
    else:  # pragma: no cover
        raise AssertionError(f"no check for {path.name}")
