"""Data Integrity proofs: create and verify ``DataIntegrityProof`` (and legacy ``Ed25519Signature2020``).

Cryptosuites: ``eddsa-rdfc-2022`` (Ed25519's default), ``eddsa-jcs-2022``, ``ecdsa-rdfc-2019``
(P-256's default; P-384 too) and ``ecdsa-jcs-2019`` sign and verify; ``eddsa-2022`` and
``Ed25519Signature2020`` verify only. The message signed is
``hash(proof configuration) ‖ hash(transformed document)``. RDFC suites canonicalize through
:func:`microcred.jsonld.canonical.canonicalize` (safe mode).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from .. import _time
from .._fields import issuer_id as _issuer_id
from .._fields import json_copy
from ..errors import JsonLdError, KeyFormatError, ProofError
from ..jsonld.canonical import canonicalize
from ..keys import multibase as mb
from ..keys.algorithms import default_cryptosuite
from ..keys.material import IssuerKey, ResolvedKey
from .jcs import jcs
from .signatures import sign_bytes, verify_bytes

if TYPE_CHECKING:
    from ..jsonld.loader import DocumentLoader

Resolve = Callable[[str], ResolvedKey]

DATA_INTEGRITY_V1: Final = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2: Final = "https://w3id.org/security/data-integrity/v2"
CREDENTIALS_V2: Final = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True)
class _Suite:
    name: str
    canon: Literal["rdfc", "jcs"]
    algorithms: frozenset[str]
    can_sign: bool
    proof_type: str = "DataIntegrityProof"


_SUITES: Final[dict[str, _Suite]] = {
    s.name: s
    for s in (
        _Suite("eddsa-rdfc-2022", "rdfc", frozenset({"Ed25519"}), True),
        _Suite("eddsa-jcs-2022", "jcs", frozenset({"Ed25519"}), True),
        _Suite("ecdsa-rdfc-2019", "rdfc", frozenset({"P-256", "P-384"}), True),
        _Suite("ecdsa-jcs-2019", "jcs", frozenset({"P-256", "P-384"}), True),
        _Suite("eddsa-2022", "rdfc", frozenset({"Ed25519"}), False),
        _Suite("Ed25519Signature2020", "rdfc", frozenset({"Ed25519"}), False, "Ed25519Signature2020"),
    )
}
#: Cryptosuites :func:`sign_proof` creates.
SIGNING_CRYPTOSUITES: Final = tuple(n for n, s in _SUITES.items() if s.can_sign)
#: Cryptosuites (and the legacy proof type) :func:`verify_proof` checks.
VERIFYING_CRYPTOSUITES: Final = tuple(_SUITES)


@dataclass(frozen=True)
class ProofResult:
    """The outcome of checking one proof (or, from :func:`verify_proof`, a whole proof set).

    ``supported`` is False when the proof's type or cryptosuite is one this library does not check.
    """

    verified: bool
    cryptosuite: str | None
    verification_method: str | None
    key: ResolvedKey | None
    reason: str
    supported: bool = True


@dataclass(frozen=True)
class ProofInputs:
    """What a cryptosuite hashes and signs: both canonical forms, both hashes and their concatenation."""

    canonical_document: str
    canonical_proof_config: str
    document_hash: bytes
    proof_hash: bytes

    @property
    def hash_data(self) -> bytes:
        """``proof_hash ‖ document_hash``: the bytes that are signed."""
        return self.proof_hash + self.document_hash


def _hash(algorithm: str, data: bytes) -> bytes:
    return hashlib.sha384(data).digest() if algorithm == "P-384" else hashlib.sha256(data).digest()


def _suite_of(proof: Mapping[str, Any]) -> tuple[str | None, _Suite | None, str]:
    ptype = proof.get("type")
    if ptype == "DataIntegrityProof":
        cs = proof.get("cryptosuite")
        if not isinstance(cs, str):
            return None, None, "DataIntegrityProof without a cryptosuite string"
        suite = _SUITES.get(cs)
        if suite is None or suite.proof_type != "DataIntegrityProof":
            return (
                cs,
                None,
                f"unsupported cryptosuite {cs!r} (supported: {', '.join(SIGNING_CRYPTOSUITES)}, eddsa-2022)",
            )
        return cs, suite, ""
    if ptype == "Ed25519Signature2020":
        return ptype, _SUITES["Ed25519Signature2020"], ""
    return (ptype if isinstance(ptype, str) else None), None, f"unsupported proof type {ptype!r}"


def proof_inputs(
    unsecured_document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    *,
    key_algorithm: str,
    loader: DocumentLoader | None = None,
) -> ProofInputs:
    """Transform, configure and hash, as the proof's cryptosuite specifies (no signing).

    ``proof_options`` is the proof without ``proofValue``; for JCS suites any ``@context`` it carries
    is kept; for RDFC suites the proof configuration takes the document's ``@context``.
    """
    _, suite, why = _suite_of(proof_options)
    if suite is None:
        raise ProofError(why, code="proof.unsupported")
    config = {k: json_copy(v) for k, v in proof_options.items() if k != "proofValue"}
    if suite.canon == "rdfc":
        if "@context" in unsecured_document:
            config["@context"] = json_copy(unsecured_document["@context"])
        doc_text = canonicalize(dict(unsecured_document), loader=loader)
        config_text = canonicalize(config, loader=loader)
        doc_bytes, config_bytes = doc_text.encode("utf-8"), config_text.encode("utf-8")
    else:
        if "@context" in unsecured_document and "@context" not in config:
            config["@context"] = json_copy(unsecured_document["@context"])
        doc_bytes, config_bytes = jcs(unsecured_document), jcs(config)
        doc_text, config_text = doc_bytes.decode("utf-8"), config_bytes.decode("utf-8")
    return ProofInputs(
        doc_text, config_text, _hash(key_algorithm, doc_bytes), _hash(key_algorithm, config_bytes)
    )


def _created_text(created: datetime | str | None, now: Callable[[], datetime] | None) -> str:
    if created is None:
        created = (now or _time.now)()
    if isinstance(created, datetime):
        if not _time.is_aware(created):
            raise ProofError("created must be timezone-aware (UTC)", path="proof.created")
        return _time.format_utc(created)
    if not _time.is_datetime_stamp(created):
        raise ProofError(f"created {created!r} is not an XML Schema dateTime", path="proof.created")
    return created


def _contexts(document: Mapping[str, Any]) -> list[Any]:
    ctx = document.get("@context")
    if ctx is None:
        return []
    return list(ctx) if isinstance(ctx, list) else [ctx]


def _with_suite_context(document: dict[str, Any]) -> dict[str, Any]:
    """Append the data-integrity/v2 context when neither it (nor v1) nor credentials/v2 is there, as
    @digitalbazaar/data-integrity 2.x does, so that ``DataIntegrityProof`` is defined in a VCDM 1.1
    document. (v2, not v1: DB's verifier adds v2 to the proof configuration unless the document already
    has it, and v2 after v1 redefines protected terms, so a v1 document fails there.)"""
    if "@context" not in document:
        return document
    ctx = _contexts(document)
    if any(c in ctx for c in (CREDENTIALS_V2, DATA_INTEGRITY_V1, DATA_INTEGRITY_V2)):
        return document
    document["@context"] = [*ctx, DATA_INTEGRITY_V2]
    return document


def sign_proof(
    document: dict[str, Any],
    key: IssuerKey,
    *,
    cryptosuite: str | None = None,
    created: datetime | str | None = None,
    proof_purpose: str = "assertionMethod",
    loader: DocumentLoader | None = None,
    now: Callable[[], datetime] | None = None,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    domain: str | None = None,
    challenge: str | None = None,
) -> dict[str, Any]:
    """A new document: ``document`` with a Data Integrity proof by ``key`` (a proof set if it had one).

    ``cryptosuite`` defaults by key type (:func:`microcred.keys.algorithms.default_cryptosuite`).
    ``created`` defaults to ``now()`` (UTC, whole seconds, ``Z``). A VCDM 1.1 document gets the
    data-integrity/v2 context appended (as @digitalbazaar/data-integrity 2.x does). ``proof_id`` and
    ``previous_proof`` (ids of proofs already on the document) make a proof chain; ``domain`` and
    ``challenge`` go into the proof (a presentation's, for ``proof_purpose="authentication"``). Raises
    :class:`ProofError`, or :class:`JsonLdError` when the document has a term no context defines.
    """
    if not isinstance(document, dict):
        raise ProofError("the document to sign must be a JSON object")
    cryptosuite = cryptosuite or default_cryptosuite(key.algorithm)
    suite = _SUITES.get(cryptosuite)
    if suite is None or not suite.can_sign:
        raise ProofError(
            f"cannot sign with cryptosuite {cryptosuite!r} (one of {', '.join(SIGNING_CRYPTOSUITES)})",
            code="proof.unsupported",
        )
    if key.private_key is None:
        raise ProofError(f"key {key.key_id} has no private part: it cannot sign", code="proof.no_private_key")
    if key.algorithm not in suite.algorithms:
        raise ProofError(
            f"cryptosuite {cryptosuite} needs a {' or '.join(sorted(suite.algorithms))} key, "
            f"not {key.algorithm}",
            code="proof.key_mismatch",
        )
    if not key.key_id:
        raise ProofError("the key has no verification method id", code="proof.no_key_id")
    signed = _with_suite_context(json_copy(document))
    existing = signed.pop("proof", None)
    existing_list = [] if existing is None else existing if isinstance(existing, list) else [existing]
    options: dict[str, Any] = {"type": "DataIntegrityProof"}
    if proof_id is not None:
        options["id"] = proof_id
    options.update(
        cryptosuite=cryptosuite,
        created=_created_text(created, now),
        verificationMethod=key.key_id,
        proofPurpose=proof_purpose,
    )
    if domain is not None:
        options["domain"] = domain
    if challenge is not None:
        options["challenge"] = challenge
    unsecured = dict(signed)
    if previous_proof is not None:
        options["previousProof"] = previous_proof
        wanted = previous_proof if isinstance(previous_proof, list) else [previous_proof]
        by_id = {p.get("id"): p for p in existing_list if isinstance(p, Mapping)}
        missing = [w for w in wanted if w not in by_id]
        if missing:
            raise ProofError(f"previous proof {missing[0]!r} is not on the document", path="proof")
        chained = [by_id[w] for w in wanted]
        unsecured["proof"] = chained[0] if len(chained) == 1 else chained
    if suite.canon == "jcs" and "@context" in signed:
        options["@context"] = json_copy(signed["@context"])
    inputs = proof_inputs(unsecured, options, key_algorithm=key.algorithm, loader=loader)
    signature = sign_bytes(key.private_key, key.algorithm, inputs.hash_data)
    proof = {**options, "proofValue": mb.multibase_encode(signature)}
    signed["proof"] = [*existing_list, proof] if existing_list else proof
    return signed


def check_cryptosuites(cryptosuites: Collection[str] | None) -> frozenset[str] | None:
    """An allow-list of cryptosuites, checked: each must be one :func:`verify_proof` knows."""
    if cryptosuites is None:
        return None
    if isinstance(cryptosuites, str):
        raise ProofError(
            "cryptosuites must be a collection of names, not one string", code="usage.cryptosuites"
        )
    unknown = sorted(set(cryptosuites) - set(VERIFYING_CRYPTOSUITES))
    if unknown:
        raise ProofError(
            f"unknown cryptosuite {unknown[0]!r} in the allow-list "
            f"(known: {', '.join(VERIFYING_CRYPTOSUITES)})",
            code="usage.cryptosuites",
        )
    return frozenset(cryptosuites)


def _verify_one(
    document: Mapping[str, Any],
    proof: Any,
    proofs: list[Any],
    resolve: Resolve,
    loader: DocumentLoader | None,
    expected_purpose: str,
    cryptosuites: Collection[str] | None,
    now: datetime,
) -> ProofResult:
    if not isinstance(proof, Mapping):
        raise ProofError("a proof must be a JSON object", path="proof")
    name, suite, why = _suite_of(proof)
    vm = proof.get("verificationMethod")
    if isinstance(vm, Mapping):
        vm = vm.get("id")
    vm_text = vm if isinstance(vm, str) else None
    if suite is None:
        return ProofResult(False, name, vm_text, None, why, supported=False)
    if cryptosuites is not None and suite.name not in cryptosuites:
        accepted = ", ".join(sorted(cryptosuites)) or "none"
        why = f"{suite.name} is not among the accepted cryptosuites ({accepted})"
        return ProofResult(False, name, vm_text, None, why, supported=False)
    if not vm_text:
        raise ProofError("the proof has no verificationMethod", path="proof.verificationMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value:
        raise ProofError("the proof has no proofValue string", path="proof.proofValue")
    created = proof.get("created")
    if created is not None and not _time.is_datetime_stamp(created):
        raise ProofError(f"proof created {created!r} is not an XML Schema dateTime", path="proof.created")
    expires = proof.get("expires")
    if expires is not None and not _time.is_datetime_stamp(expires):
        raise ProofError(f"proof expires {expires!r} is not an XML Schema dateTime", path="proof.expires")
    if value[0] != "z":
        raise ProofError("proofValue must be multibase base58btc ('z…')", path="proof.proofValue")
    try:
        signature = mb.multibase_decode(value)
    except KeyFormatError as exc:
        raise ProofError(f"proofValue is not multibase: {exc.message}", path="proof.proofValue") from None
    purpose = proof.get("proofPurpose")
    if purpose != expected_purpose:
        return ProofResult(
            False, name, vm_text, None, f"proofPurpose is {purpose!r}, expected {expected_purpose!r}"
        )
    key = resolve(vm_text)
    if key.algorithm not in suite.algorithms:
        return ProofResult(
            False,
            name,
            vm_text,
            key,
            f"{name} needs a {' or '.join(sorted(suite.algorithms))} key but {vm_text} is {key.algorithm}",
        )
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    previous = proof.get("previousProof")
    if previous is not None:
        wanted = previous if isinstance(previous, list) else [previous]
        by_id = {p.get("id"): p for p in proofs if isinstance(p, Mapping) and p.get("id")}
        missing = [w for w in wanted if w not in by_id]
        if missing:
            return ProofResult(
                False, name, vm_text, key, f"previousProof {missing[0]!r} is not in the proof set"
            )
        chained = [by_id[w] for w in wanted]
        unsecured["proof"] = chained[0] if len(chained) == 1 else chained
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite.canon == "jcs" and "@context" in options:
        proof_ctx = options["@context"] if isinstance(options["@context"], list) else [options["@context"]]
        doc_ctx = _contexts(document)
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            return ProofResult(
                False, name, vm_text, key, "the document's @context does not start with the proof's"
            )
        unsecured["@context"] = json_copy(options["@context"])
    try:
        inputs = proof_inputs(unsecured, options, key_algorithm=key.algorithm, loader=loader)
    except JsonLdError as exc:
        if exc.code == "jsonld.undefined_term":
            return ProofResult(False, name, vm_text, key, f"the document cannot be trusted: {exc}")
        raise
    if not verify_bytes(key.public_key, key.algorithm, inputs.hash_data, signature):
        return ProofResult(
            False,
            name,
            vm_text,
            key,
            f"{name} signature does not match the document (altered, or another key)",
        )
    expiry = _time.parse_or_none(expires)
    if expires is not None and (expiry is None or now >= expiry):
        return ProofResult(False, name, vm_text, key, f"the proof expired at {expires} (its expires option)")
    return ProofResult(True, name, vm_text, key, "ok")


def verify_proofs(
    document: dict[str, Any],
    *,
    resolve: Resolve,
    loader: DocumentLoader | None = None,
    expected_purpose: str = "assertionMethod",
    cryptosuites: Collection[str] | None = None,
    now: datetime | None = None,
) -> list[ProofResult]:
    """One :class:`ProofResult` per proof in ``document`` (a single proof, a proof set or a chain).

    A proof whose ``expires`` is at or before ``now`` (default: the current time) fails.
    ``cryptosuites`` (default: every one in :data:`VERIFYING_CRYPTOSUITES`) is the allow-list: a proof
    made with any other is treated as one this library does not know (``supported=False``).
    """
    accepted = check_cryptosuites(cryptosuites)
    if not isinstance(document, Mapping):
        raise ProofError("the document must be a JSON object")
    if "proof" not in document or document["proof"] in (None, [], {}):
        raise ProofError("the document has no proof", path="proof", code="proof.missing")
    raw = document["proof"]
    proofs = raw if isinstance(raw, list) else [raw]
    moment = _time.verification_clock(now)
    return [
        _verify_one(document, p, proofs, resolve, loader, expected_purpose, accepted, moment) for p in proofs
    ]


def verify_proof(
    document: dict[str, Any],
    *,
    resolve: Resolve,
    loader: DocumentLoader | None = None,
    expected_purpose: str = "assertionMethod",
    cryptosuites: Collection[str] | None = None,
    now: datetime | None = None,
) -> ProofResult:
    """Check the proof(s) of ``document``; for a proof set, one summary result.

    A proof whose ``expires`` is at or before ``now`` (default: the current time) fails.

    A set verifies when no supported proof fails and at least one verifies; the result returned is a
    verified proof whose key's controller is the issuer if there is one. Proof types this library
    does not know, or that ``cryptosuites`` does not allow, are skipped. Raises :class:`ProofError`
    for a malformed proof, and lets
    :class:`DidError` / :class:`FetchError` through when the key cannot be resolved; a term that
    no context defines gives ``verified=False``; an unknown context URL raises :class:`JsonLdError`.
    """
    results = verify_proofs(
        document,
        resolve=resolve,
        loader=loader,
        expected_purpose=expected_purpose,
        cryptosuites=cryptosuites,
        now=now,
    )
    if len(results) == 1:
        return results[0]
    # a proof set is a set: which result is reported must not depend on the order of the proofs
    results = sorted(results, key=lambda r: (r.verification_method or "", r.cryptosuite or "", r.reason))
    failed = [r for r in results if r.supported and not r.verified]
    if failed:
        return failed[0]
    good = [r for r in results if r.verified]
    if not good:
        return results[0]
    issuer = _issuer_id(document)
    for r in good:
        if r.key is not None and r.key.controller == issuer:
            return r
    return good[0]
