"""The sharp layer (like pyca's *hazmat*): Data Integrity proofs, one proof at a time.

Most callers want :func:`microcred.issue` / :func:`microcred.verify`, which also check the issuer,
dates, status and schema. These functions only create and check signatures.
"""

from __future__ import annotations

from ..keys.algorithms import default_cryptosuite
from .data_integrity import (
    SIGNING_CRYPTOSUITES,
    VERIFYING_CRYPTOSUITES,
    ProofInputs,
    ProofResult,
    Resolve,
    proof_inputs,
    sign_proof,
    verify_proof,
    verify_proofs,
)
from .jcs import jcs

__all__ = [
    "SIGNING_CRYPTOSUITES",
    "VERIFYING_CRYPTOSUITES",
    "ProofInputs",
    "ProofResult",
    "Resolve",
    "default_cryptosuite",
    "jcs",
    "proof_inputs",
    "sign_proof",
    "verify_proof",
    "verify_proofs",
]
