"""Issuer key material: key objects of ``cryptography``, their JWK and Multikey forms, did:key ids,
generating keys, and :class:`IssuerKey` (a signing key) / :class:`ResolvedKey` (a verifier's key)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal, cast
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ..errors import KeyFormatError
from . import multibase as mb
from .algorithms import ALGORITHMS, MIN_RSA_BITS, Algorithm, jws_algorithm

if TYPE_CHECKING:
    from collections.abc import Mapping

#: How a verifier knows a key's controller holds it (see :mod:`microcred.keys.dids`).
Binding = Literal["did:key", "did:web", "published", "self-named", "trusted"]

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_CURVES: Final[dict[str, type[ec.EllipticCurve]]] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
PUBLIC_CODECS: Final[dict[str, int]] = {"Ed25519": mb.ED25519_PUB, "P-256": mb.P256_PUB, "P-384": mb.P384_PUB}
PRIVATE_CODECS: Final[dict[str, int]] = {
    "Ed25519": mb.ED25519_PRIV,
    "P-256": mb.P256_PRIV,
    "P-384": mb.P384_PRIV,
}
SCALAR_LENGTHS: Final[dict[str, int]] = {"P-256": 32, "P-384": 48}


def public_key_algorithm(public_key: object) -> Algorithm:
    """The :data:`Algorithm` of a ``cryptography`` public or private key object."""
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    if isinstance(public_key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        name = public_key.curve.name
        if name == "secp256r1":
            return "P-256"
        if name == "secp384r1":
            return "P-384"
        raise KeyFormatError(
            f"unsupported elliptic curve {name} (only P-256 and P-384)", code="key.unsupported"
        )
    if isinstance(public_key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise KeyFormatError(
                f"RSA key of {public_key.key_size} bits is too short (at least {MIN_RSA_BITS})",
                code="key.weak",
            )
        return "RSA"
    raise KeyFormatError(f"unsupported key type {type(public_key).__name__}", code="key.unsupported")


def _raw_public(public_key: PublicKey, algorithm: str) -> bytes:
    if algorithm == "Ed25519":
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if algorithm in _CURVES:
        return public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
    raise KeyFormatError("an RSA key has no Multikey form here; use its JWK", code="key.unsupported")


def public_multibase(public_key: PublicKey) -> str:
    algorithm = public_key_algorithm(public_key)
    if algorithm not in PUBLIC_CODECS:
        raise KeyFormatError("an RSA key has no Multikey form here; use its JWK", code="key.unsupported")
    return mb.multibase_encode(
        mb.multicodec_wrap(PUBLIC_CODECS[algorithm], _raw_public(public_key, algorithm))
    )


def did_key_of(public_key: PublicKey) -> str:
    return "did:key:" + public_multibase(public_key)


def _int_b64(n: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (n.bit_length() + 7) // 8)
    return mb.b64url_encode(n.to_bytes(size, "big"))


def public_jwk(public_key: PublicKey, algorithm: str) -> dict[str, Any]:
    if algorithm == "Ed25519":
        return {"kty": "OKP", "crv": "Ed25519", "x": mb.b64url_encode(_raw_public(public_key, algorithm))}
    if algorithm in _CURVES:
        nums = cast(ec.EllipticCurvePublicKey, public_key).public_numbers()
        size = SCALAR_LENGTHS[algorithm]
        return {"kty": "EC", "crv": algorithm, "x": _int_b64(nums.x, size), "y": _int_b64(nums.y, size)}
    nums_r = cast(rsa.RSAPublicKey, public_key).public_numbers()
    return {"kty": "RSA", "n": _int_b64(nums_r.n), "e": _int_b64(nums_r.e)}


@dataclass(frozen=True)
class IssuerKey:
    """An issuer's signing key (or only its public half) with its verification method id and controller.

    ``key_id`` is the verification method id (``did:key:z6Mk…#z6Mk…``, ``did:web:example.edu#key-1``,
    ``https://example.edu/issuers/1#key-1``); ``controller`` is the issuer id the key belongs to.
    """

    algorithm: Algorithm
    public_key: PublicKey
    private_key: PrivateKey | None = field(default=None, repr=False, compare=False)
    key_id: str = ""
    controller: str = ""

    @property
    def has_private(self) -> bool:
        """Whether the private key is present (so this key can sign)."""
        return self.private_key is not None

    @property
    def jws_algorithm(self) -> str:
        """The JWS ``alg`` this key signs with: ``EdDSA``, ``ES256`` (``ES384``) or ``RS256``."""
        return jws_algorithm(self.algorithm)

    def public_multibase(self) -> str:
        """``publicKeyMultibase`` (multicodec header + raw or compressed key, base58btc)."""
        return public_multibase(self.public_key)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with ``kid`` (the verification method id) and ``alg``."""
        jwk = public_jwk(self.public_key, self.algorithm)
        jwk["kid"] = self.key_id
        jwk["alg"] = self.jws_algorithm
        return jwk

    def verification_method(self) -> dict[str, Any]:
        """The verification method to publish: Multikey (Ed25519, P-256, P-384) or JsonWebKey (RSA)."""
        if self.algorithm == "RSA":
            return {
                "id": self.key_id,
                "type": "JsonWebKey",
                "controller": self.controller,
                "publicKeyJwk": public_jwk(self.public_key, self.algorithm),
            }
        return {
            "id": self.key_id,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public_multibase(),
        }

    def public(self) -> IssuerKey:
        """This key without its private part."""
        return replace(self, private_key=None)

    def __hash__(self) -> int:  # cryptography's key objects are not hashable; their public form is
        return hash(
            (self.algorithm, self.key_id, self.controller, json.dumps(self.public_jwk(), sort_keys=True))
        )


@dataclass(frozen=True)
class ResolvedKey:
    """A verification method resolved to a public key, with how its controller is known to hold it."""

    key_id: str
    controller: str
    public_key: PublicKey
    algorithm: Algorithm
    binding: Binding

    def __hash__(self) -> int:  # cryptography's key objects are not hashable
        jwk = public_jwk(self.public_key, self.algorithm)
        return hash(
            (self.key_id, self.controller, self.algorithm, self.binding, json.dumps(jwk, sort_keys=True))
        )

    @property
    def confirmed(self) -> bool:
        """Whether the key's link to its controller is confirmed (everything but ``self-named``)."""
        return self.binding != "self-named"


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public key objects are the same key."""
    return public_jwk(a, public_key_algorithm(a)) == public_jwk(b, public_key_algorithm(b))


def did_key_ids(public_key: PublicKey) -> tuple[str, str]:
    did = did_key_of(public_key)
    return did + "#" + did[len("did:key:") :], did


def _check_https_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or parts.fragment or parts.query:
        raise KeyFormatError(
            f"{what} {url!r} must be an https:// URL without query or fragment", code="key.controller"
        )
    return url


def _did_web_id(did_web: str) -> str:
    did = did_web if did_web.startswith("did:web:") else "did:web:" + did_web
    host = did[len("did:web:") :].split(":", 1)[0]
    if not host or "/" in did or "#" in did or " " in did:
        raise KeyFormatError(
            f"{did_web!r} is not a did:web identifier (did:web:DOMAIN[:path])", code="key.controller"
        )
    return did


def _controller_ids(
    public_key: PublicKey, algorithm: str, did_web: str | None, issuer_url: str | None, fragment: str
) -> tuple[str, str]:
    if did_web and issuer_url:
        raise KeyFormatError("give either did_web or issuer_url, not both", code="key.controller")
    if not fragment or any(c in fragment for c in "#/ ?"):
        raise KeyFormatError(f"key fragment {fragment!r} is not a plain fragment", code="key.controller")
    if did_web:
        did = _did_web_id(did_web)
        return f"{did}#{fragment}", did
    if issuer_url:
        url = _check_https_url(issuer_url, "issuer URL")
        return f"{url}#{fragment}", url
    if algorithm == "RSA":
        raise KeyFormatError(
            "an RSA key has no did:key form here: give did_web or issuer_url to name its controller",
            code="key.controller",
        )
    return did_key_ids(public_key)


def generate_key(
    algorithm: Algorithm = "Ed25519",
    *,
    did_web: str | None = None,
    issuer_url: str | None = None,
    key_fragment: str = "key-1",
    rsa_bits: int = 2048,
) -> IssuerKey:
    """A new signing key; its controller is its did:key, or the given did:web / https issuer."""
    private: PrivateKey
    if algorithm == "Ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm in _CURVES:
        private = ec.generate_private_key(_CURVES[algorithm]())
    elif algorithm == "RSA":
        if rsa_bits < MIN_RSA_BITS:
            raise KeyFormatError(f"RSA keys must have at least {MIN_RSA_BITS} bits", code="key.weak")
        private = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    else:
        raise KeyFormatError(
            f"unknown algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})", code="key.unsupported"
        )
    public = private.public_key()
    key_id, controller = _controller_ids(public, algorithm, did_web, issuer_url, key_fragment)
    return IssuerKey(algorithm, public, private, key_id, controller)


def key_from_multibase(public_multibase: str) -> tuple[PublicKey, Algorithm]:
    """The public key object and algorithm named by a ``publicKeyMultibase`` (z6Mk…, zDna…, z82L…)."""
    codec, raw = mb.multicodec_unwrap(mb.multibase_decode(public_multibase))
    try:
        if codec == mb.ED25519_PUB:
            if len(raw) != 32:
                raise KeyFormatError("Ed25519 public key must be 32 bytes", code="key.invalid")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw), "Ed25519"
        for alg, code in (("P-256", mb.P256_PUB), ("P-384", mb.P384_PUB)):
            if codec == code:
                return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[alg](), raw), cast(Algorithm, alg)
    except ValueError as exc:
        raise KeyFormatError(f"public key {public_multibase[:16]}… is not a valid point: {exc}") from None
    raise KeyFormatError(
        f"multicodec 0x{codec:x} is not a supported public key type (Ed25519, P-256, P-384)",
        code="key.unsupported",
    )


def private_from_multibase(secret: str) -> tuple[PrivateKey, Algorithm]:
    codec, raw = mb.multicodec_unwrap(mb.multibase_decode(secret))
    try:
        if codec == mb.ED25519_PRIV:
            if len(raw) == 64:  # seed ‖ public, as some tools write it
                raw = raw[:32]
            if len(raw) != 32:
                raise KeyFormatError("Ed25519 secret key must be a 32-byte seed", code="key.invalid")
            return ed25519.Ed25519PrivateKey.from_private_bytes(raw), "Ed25519"
        for alg in ("P-256", "P-384"):
            if codec == PRIVATE_CODECS[alg]:
                if len(raw) != SCALAR_LENGTHS[alg]:
                    raise KeyFormatError(
                        f"{alg} secret key must be {SCALAR_LENGTHS[alg]} bytes", code="key.invalid"
                    )
                return ec.derive_private_key(int.from_bytes(raw, "big"), _CURVES[alg]()), alg
    except ValueError as exc:
        raise KeyFormatError(f"secret key is not valid: {exc}") from None
    raise KeyFormatError(f"multicodec 0x{codec:x} is not a supported secret key type", code="key.unsupported")


def _b64int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string", path=name)
    return int.from_bytes(mb.b64url_decode(value), "big")


def _b64bytes(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string", path=name)
    return mb.b64url_decode(value)


def key_from_jwk(jwk: Mapping[str, Any]) -> tuple[PublicKey, PrivateKey | None, Algorithm]:
    """(public key, private key or None, algorithm) of a JWK (kty OKP/Ed25519, EC P-256/P-384, RSA)."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    private: PrivateKey | None = None
    try:
        if kty == "OKP" and crv == "Ed25519":
            public: PublicKey = ed25519.Ed25519PublicKey.from_public_bytes(_b64bytes(jwk, "x"))
            if "d" in jwk:
                private = ed25519.Ed25519PrivateKey.from_private_bytes(_b64bytes(jwk, "d"))
            algorithm: Algorithm = "Ed25519"
        elif kty == "EC" and crv in _CURVES:
            numbers = ec.EllipticCurvePublicNumbers(_b64int(jwk, "x"), _b64int(jwk, "y"), _CURVES[crv]())
            public = numbers.public_key()
            if "d" in jwk:
                private = ec.EllipticCurvePrivateNumbers(_b64int(jwk, "d"), numbers).private_key()
            algorithm = cast(Algorithm, crv)
        elif kty == "RSA":
            pub_numbers = rsa.RSAPublicNumbers(_b64int(jwk, "e"), _b64int(jwk, "n"))
            public = pub_numbers.public_key()
            if "d" in jwk:
                d = _b64int(jwk, "d")
                if all(k in jwk for k in ("p", "q", "dp", "dq", "qi")):
                    p, q = _b64int(jwk, "p"), _b64int(jwk, "q")
                    dp, dq, qi = _b64int(jwk, "dp"), _b64int(jwk, "dq"), _b64int(jwk, "qi")
                else:
                    p, q = rsa.rsa_recover_prime_factors(pub_numbers.n, pub_numbers.e, d)
                    dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
                private = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, pub_numbers).private_key()
            algorithm = "RSA"
        else:
            raise KeyFormatError(
                f"unsupported JWK (kty={kty!r}, crv={crv!r}); "
                "expected OKP/Ed25519, EC/P-256, EC/P-384 or RSA",
                code="key.unsupported",
                path="kty",
            )
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"JWK does not hold a valid {kty} key: {exc}") from None
    public_key_algorithm(public)  # RSA size check
    if private is not None and public_jwk(private.public_key(), algorithm) != public_jwk(public, algorithm):
        raise KeyFormatError("JWK private part 'd' does not belong to its public part", path="d")
    return public, private, algorithm
