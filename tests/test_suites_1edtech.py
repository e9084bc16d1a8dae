"""The signed 1EdTech Open Badges 3.0 example credentials: whose proofs check, and how the key is bound.

Most name their key ``<issuer URL>#z6Mk…``: the signature is checked with the key in the fragment, but
the binding stays ``self-named`` unless a document from the issuer (given as a resource) lists the key.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from microcred.errors import FetchError, ProofError
from microcred.fetch import offline_fetch
from microcred.keys.dids import resolve_verification_method
from microcred.suites import verify_proof

FOLDER = Path(__file__).parent / "vectors" / "1edtech-ob30"
resolve = functools.partial(resolve_verification_method, fetch=offline_fetch())

# file -> (cryptosuite of the checked proof, binding when nothing else is given)
VALID = {
    "simple.json": ("eddsa-rdfc-2022", "self-named"),
    "simple-did-key-method.json": ("eddsa-rdfc-2022", "did:key"),
    "simple-did-web-method.json": ("eddsa-rdfc-2022", "self-named"),
    "simple-eddsa-2022.json": ("eddsa-2022", "self-named"),
    "simple-multiple-proofs.json": ("eddsa-rdfc-2022", "self-named"),  # plus an unknown "SomeProofType"
    "simple_v1.json": ("Ed25519Signature2020", "self-named"),
    "complete.json": ("eddsa-rdfc-2022", "self-named"),
    "endorsement-valid.json": ("eddsa-rdfc-2022", "self-named"),
    "bit-string-list__credential-status-revoked.json": ("eddsa-rdfc-2022", "self-named"),
    # these are about dates (expired / not yet issued), not signatures: the proofs are good
    "simple-err-expired.json": ("eddsa-rdfc-2022", "self-named"),
    "simple-err-issued.json": ("eddsa-rdfc-2022", "self-named"),
}
ALL = sorted(p.name for p in FOLDER.glob("*.json"))


def _load(name: str) -> dict:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def _vm(doc: dict) -> str:
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    return next(p["verificationMethod"] for p in proofs if "verificationMethod" in p)


@pytest.mark.parametrize("name", ALL, ids=ALL)
def test_1edtech_example(name: str) -> None:
    doc = _load(name)
    if name in VALID:
        suite, binding = VALID[name]
        result = verify_proof(doc, resolve=resolve)
        assert (result.verified, result.reason, result.cryptosuite) == (True, "ok", suite)
        assert result.key is not None and result.key.binding == binding
        if binding == "self-named":  # the issuer's profile, given as a resource, confirms the key
            vm = _vm(doc)
            issuer = vm.split("#", 1)[0]
            profile = {
                "id": issuer,
                "type": "Profile",
                "verificationMethod": [
                    {
                        "id": vm,
                        "type": "Multikey",
                        "controller": issuer,
                        "publicKeyMultibase": vm.split("#")[1],
                    }
                ],
            }
            published = verify_proof(
                doc,
                resolve=functools.partial(
                    resolve_verification_method, fetch=offline_fetch({issuer: json.dumps(profile)})
                ),
            )
            assert published.verified and published.key is not None and published.key.binding == "published"
    elif name == "credential-status-revoked.json":
        # did:web key: cannot be checked offline without the DID document ...
        with pytest.raises(FetchError, match=r"did\.json"):
            verify_proof(doc, resolve=resolve)
        # ... and checks out once a DID document listing the key is given
        vm = _vm(doc)
        did = vm.split("#", 1)[0]
        did_doc = {
            "id": did,
            "verificationMethod": [
                {"id": vm, "type": "Multikey", "controller": did, "publicKeyMultibase": vm.split("#")[1]}
            ],
            "assertionMethod": [vm],
        }
        url = "https://dc.1edtech.org/wellspring2022/wellspring-portal/org/da1e96e9-afcc-4eed-b9a2-2ddf7353214c/did.json"
        fetch = offline_fetch({url: json.dumps(did_doc)})
        result = verify_proof(doc, resolve=functools.partial(resolve_verification_method, fetch=fetch))
        assert result.verified and result.cryptosuite == "Ed25519Signature2020"
        assert result.key is not None and result.key.binding == "did:web"
    elif name == "complete_v1.json":
        # its key is '#key-1' on the issuer's site (not available offline) ...
        with pytest.raises(FetchError, match="issuers/565049"):
            verify_proof(doc, resolve=resolve)
        # ... and it uses '1EdTechJsonSchemaValidator2019' without the extensions context, a term safe
        # mode will not let pass: the signature was made over RDF that silently dropped it
        doc["proof"][0]["verificationMethod"] = "did:key:z6MknNHHrBzPytzu6CUBP9Lg7fg4KSBjzimc2Frh693YbMiv"
        result = verify_proof(doc, resolve=resolve)
        assert not result.verified and "1EdTechJsonSchemaValidator2019" in result.reason
    elif name == "simple-noproof.json":
        with pytest.raises(ProofError, match="no proof"):
            verify_proof(doc, resolve=resolve)
    else:  # pragma: no cover - a new example file
        raise AssertionError(f"no expectation for {name}")
