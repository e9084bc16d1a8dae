"""The sharp layer (like pyca's *hazmat*): one proof at a time, Data Integrity or VC-JWT.

Most callers want :func:`microcred.issue` / :func:`microcred.verify`, which also check the issuer,
dates, status and schema. These functions only create and check signatures. Like ``microcred``
itself, this module's ``__all__`` is a documented, stable surface; its submodules are not.
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
from .jwt import JwtParts, JwtResult, read_jwt, sign_jwt, verify_jwt

__all__ = [
    "SIGNING_CRYPTOSUITES",
    "VERIFYING_CRYPTOSUITES",
    "JwtParts",
    "JwtResult",
    "ProofInputs",
    "ProofResult",
    "Resolve",
    "default_cryptosuite",
    "jcs",
    "proof_inputs",
    "read_jwt",
    "sign_jwt",
    "sign_proof",
    "verify_jwt",
    "verify_proof",
    "verify_proofs",
]
