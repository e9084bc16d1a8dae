"""Raw signatures for the cryptosuites: Ed25519, and ECDSA in IEEE P1363 ``r‖s`` form (RFC 6979 nonces)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ..errors import ProofError

if TYPE_CHECKING:
    from ..keys.material import PrivateKey, PublicKey

_EC_SIZE: Final = {"P-256": 32, "P-384": 48}


def hash_for(algorithm: str) -> hashes.HashAlgorithm:
    """The hash a key algorithm signs with (SHA-384 for P-384, else SHA-256)."""
    return hashes.SHA384() if algorithm == "P-384" else hashes.SHA256()


def sign_bytes(private_key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    """Signature over ``data``: Ed25519; deterministic ECDSA as ``r‖s`` (S not normalised); RSA PKCS1v1.5."""
    if algorithm == "Ed25519":
        return cast(ed25519.Ed25519PrivateKey, private_key).sign(data)
    if algorithm in _EC_SIZE:
        der = cast(ec.EllipticCurvePrivateKey, private_key).sign(
            data, ec.ECDSA(hash_for(algorithm), deterministic_signing=True)
        )
        r, s = decode_dss_signature(der)
        size = _EC_SIZE[algorithm]
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if algorithm == "RSA":
        return cast(rsa.RSAPrivateKey, private_key).sign(data, PKCS1v15(), hashes.SHA256())
    raise ProofError(f"cannot sign with a {algorithm} key", code="proof.unsupported_key")


def verify_bytes(public_key: PublicKey, algorithm: str, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``data`` checks out under ``public_key`` (never raises for a bad one)."""
    try:
        if algorithm == "Ed25519":
            if len(signature) != 64:
                return False
            cast(ed25519.Ed25519PublicKey, public_key).verify(signature, data)
            return True
        if algorithm in _EC_SIZE:
            size = _EC_SIZE[algorithm]
            if len(signature) != 2 * size:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            cast(ec.EllipticCurvePublicKey, public_key).verify(der, data, ec.ECDSA(hash_for(algorithm)))
            return True
        if algorithm == "RSA":
            cast(rsa.RSAPublicKey, public_key).verify(signature, data, PKCS1v15(), hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False
