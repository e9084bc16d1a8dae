"""Micro-benchmark of canonicalization: pyld reference vs the general path vs the fast path.

Run ``python benchmarks/canon.py [--vectors DIR]``. Prints ms per canonicalize for each document, and
for an eddsa-rdfc-2022-style signature (canonicalize document and proof config, hash both, Ed25519
sign) next to a raw Ed25519 signature of 64 bytes measured in the same run. Ratios are what count.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import timeit
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.jsonld.canonical import canonicalize, canonicalize_reference

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "tests" / "vectors" / "canon"
KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def best_ms(fn: Any, number: int) -> float:
    """Best of five runs, in milliseconds per call (the minimum resists noise from other processes)."""
    fn()
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1000


def documents(folder: Path) -> dict[str, dict[str, Any]]:
    complete = json.loads((folder / "1edtech-validator-ob30" / "complete.json").read_text(encoding="utf-8"))
    complete.pop("proof", None)
    simple = json.loads((folder / "1edtech-validator-ob30" / "simple.json").read_text(encoding="utf-8"))
    simple.pop("proof", None)
    unsigned = json.loads((folder / "vc-di-eddsa" / "unsigned.json").read_text(encoding="utf-8"))
    docs = {"1EdTech complete.json": complete, "1EdTech simple.json": simple, "W3C unsigned.json": unsigned}
    example = HERE.parent / "examples" / "online-course-badge.toml"
    if example.exists():  # a typical micro-credential as microcred's own builder writes it
        from microcred.credential.builder import build_credential
        from microcred.model.definition import load_definition

        built = build_credential(
            load_definition(example),
            "did:example:learner1",
            now=datetime(2025, 1, 1, tzinfo=UTC),
            credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
        )
        docs["builder: examples/online-course-badge.toml"] = built
    return docs


def proof_config(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": copy.deepcopy(document["@context"]),
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-01-01T00:00:00Z",
        "verificationMethod": f"did:key:{KEY}#{KEY}",
        "proofPurpose": "assertionMethod",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vectors", type=Path, default=VECTORS)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    message = bytes(64)
    raw = best_ms(lambda: key.sign(message), 2000)
    print(f"raw Ed25519 sign of 64 bytes: {raw * 1000:.1f} µs")
    for name, doc in documents(args.vectors).items():
        report(name, doc, key, raw)


def report(name: str, doc: dict[str, Any], key: Ed25519PrivateKey, raw: float) -> None:
    """Print the figures for one document."""
    config = proof_config(doc)
    assert canonicalize(doc) == canonicalize(doc, fast=False)
    # fresh documents each call (new ids and names), so no per-value memo hides the real cost
    fresh = [vary(doc, i) for i in range(200)]
    cycle = itertools.cycle(fresh)
    ref = best_ms(lambda: canonicalize_reference(next(cycle)), 10)
    general = best_ms(lambda: canonicalize(next(cycle), fast=False), 10)
    fast = best_ms(lambda: canonicalize(next(cycle)), 200)

    def sign(canon: Any, c: dict[str, Any] = config) -> bytes:
        d = next(cycle)
        digest = hashlib.sha256(canon(c).encode()).digest() + hashlib.sha256(canon(d).encode()).digest()
        return key.sign(digest)

    sign_ref = best_ms(lambda: sign(canonicalize_reference), 10)
    sign_fast = best_ms(lambda: sign(canonicalize), 200)
    print(f"\n{name}")
    print(f"  canonicalize  pyld {ref:8.3f} ms   general {general:8.3f} ms   fast {fast:8.3f} ms")
    print(f"                fast is {ref / fast:5.1f}x faster than pyld")
    print(f"  sign (doc + proof config + Ed25519)  pyld {sign_ref:8.3f} ms   fast {sign_fast:8.3f} ms")
    print(
        f"                fast = {sign_fast / raw:5.1f}x raw Ed25519, "
        f"{sign_ref / sign_fast:5.1f}x faster than pyld"
    )


def vary(document: dict[str, Any], n: int) -> dict[str, Any]:
    """A copy of ``document`` with a different credential id, subject id and name."""
    doc = copy.deepcopy(document)
    doc["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
    subject = doc.get("credentialSubject")
    if isinstance(subject, dict):
        subject["id"] = f"did:example:learner{n}"
    if "name" in doc:
        doc["name"] = f"{doc['name']} #{n}"
    return doc


if __name__ == "__main__":
    main()
