"""Issuer keys: generate, load and save Ed25519, P-256 (and P-384) and RSA keys as Multikey or JWK.

A key file is JSON. Without a passphrase an Ed25519 / P-256 key is written as a Multikey key pair
(``publicKeyMultibase`` + ``secretKeyMultibase``, the form the W3C test vectors and Digital Bazaar
tools use); with a passphrase, and for RSA, the private part is a PKCS#8 PEM (encrypted with
``cryptography``'s ``BestAvailableEncryption`` when a passphrase is given). Files are created 0600.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ..errors import KeyFormatError
from ..files import write_atomic
from . import multibase as mb

__all__ = [
    "KEY_FILE_VERSION",
    "MIN_RSA_BITS",
    "Algorithm",
    "IssuerKey",
    "PrivateKey",
    "PublicKey",
    "generate_key",
    "key_from_jwk",
    "key_from_multibase",
    "load_key",
    "public_key_algorithm",
    "save_key",
]

#: Key algorithms microcred signs with. ``P-384`` is accepted too (the W3C ECDSA vectors use it).
Algorithm = Literal["Ed25519", "P-256", "P-384", "RSA"]
ALGORITHMS: Final[tuple[str, ...]] = get_args(Algorithm)

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

#: Smallest RSA modulus accepted anywhere (generate, load, verify).
MIN_RSA_BITS: Final = 2048
#: Marker and version of microcred's own key file format.
KEY_FILE_VERSION: Final = 1
_MAX_KEY_FILE: Final = 1_000_000

_CURVES: Final[dict[str, type[ec.EllipticCurve]]] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
_PUB_CODEC: Final[dict[str, int]] = {"Ed25519": mb.ED25519_PUB, "P-256": mb.P256_PUB, "P-384": mb.P384_PUB}
_PRIV_CODEC: Final[dict[str, int]] = {
    "Ed25519": mb.ED25519_PRIV,
    "P-256": mb.P256_PRIV,
    "P-384": mb.P384_PRIV,
}
_SCALAR_LEN: Final[dict[str, int]] = {"P-256": 32, "P-384": 48}

#: How each key algorithm signs when nothing else is asked for: its JWS ``alg`` (VC-JWT) and its Data
#: Integrity cryptosuite (None: it has none, so it signs VC-JWTs only). The one home of this policy:
#: :func:`jws_algorithm`, :func:`default_cryptosuite` and :func:`default_format` read it.
SIGNING_DEFAULTS: Final[dict[str, tuple[str, str | None]]] = {
    "Ed25519": ("EdDSA", "eddsa-rdfc-2022"),
    "P-256": ("ES256", "ecdsa-rdfc-2019"),
    "P-384": ("ES384", "ecdsa-rdfc-2019"),
    "RSA": ("RS256", None),
}


def _signing_defaults(algorithm: str) -> tuple[str, str | None]:
    try:
        return SIGNING_DEFAULTS[algorithm]
    except KeyError:
        raise KeyFormatError(
            f"unknown key algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})", code="key.unsupported"
        ) from None


def jws_algorithm(algorithm: str) -> str:
    """The JWS ``alg`` a key of ``algorithm`` signs VC-JWTs with: EdDSA, ES256, ES384 or RS256."""
    return _signing_defaults(algorithm)[0]


def default_cryptosuite(algorithm: str) -> str:
    """The Data Integrity cryptosuite microcred signs with for a key ``algorithm`` (RSA has none)."""
    suite = _signing_defaults(algorithm)[1]
    if suite is None:
        raise KeyFormatError(
            f"a {algorithm} key cannot sign Data Integrity proofs (use Ed25519 or P-256, or a VC-JWT)",
            code="key.unsupported",
        )
    return suite


def default_format(algorithm: str) -> Literal["di", "jwt"]:
    """``di`` (a Data Integrity proof) when the key algorithm has a cryptosuite, else ``jwt`` (RSA)."""
    return "di" if _signing_defaults(algorithm)[1] is not None else "jwt"


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


def _public_multibase_of(public_key: PublicKey) -> str:
    algorithm = public_key_algorithm(public_key)
    if algorithm not in _PUB_CODEC:
        raise KeyFormatError("an RSA key has no Multikey form here; use its JWK", code="key.unsupported")
    return mb.multibase_encode(mb.multicodec_wrap(_PUB_CODEC[algorithm], _raw_public(public_key, algorithm)))


def _did_key_of(public_key: PublicKey) -> str:
    return "did:key:" + _public_multibase_of(public_key)


def _int_b64(n: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (n.bit_length() + 7) // 8)
    return mb.b64url_encode(n.to_bytes(size, "big"))


def _jwk_public(public_key: PublicKey, algorithm: str) -> dict[str, Any]:
    if algorithm == "Ed25519":
        return {"kty": "OKP", "crv": "Ed25519", "x": mb.b64url_encode(_raw_public(public_key, algorithm))}
    if algorithm in _CURVES:
        nums = cast(ec.EllipticCurvePublicKey, public_key).public_numbers()
        size = _SCALAR_LEN[algorithm]
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
        return _public_multibase_of(self.public_key)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with ``kid`` (the verification method id) and ``alg``."""
        jwk = _jwk_public(self.public_key, self.algorithm)
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
                "publicKeyJwk": _jwk_public(self.public_key, self.algorithm),
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


def _did_key_ids(public_key: PublicKey) -> tuple[str, str]:
    did = _did_key_of(public_key)
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
    return _did_key_ids(public_key)


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


def _private_from_multibase(secret: str) -> tuple[PrivateKey, Algorithm]:
    codec, raw = mb.multicodec_unwrap(mb.multibase_decode(secret))
    try:
        if codec == mb.ED25519_PRIV:
            if len(raw) == 64:  # seed ‖ public, as some tools write it
                raw = raw[:32]
            if len(raw) != 32:
                raise KeyFormatError("Ed25519 secret key must be a 32-byte seed", code="key.invalid")
            return ed25519.Ed25519PrivateKey.from_private_bytes(raw), "Ed25519"
        for alg in ("P-256", "P-384"):
            if codec == _PRIV_CODEC[alg]:
                if len(raw) != _SCALAR_LEN[alg]:
                    raise KeyFormatError(
                        f"{alg} secret key must be {_SCALAR_LEN[alg]} bytes", code="key.invalid"
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
    if private is not None and _jwk_public(private.public_key(), algorithm) != _jwk_public(public, algorithm):
        raise KeyFormatError("JWK private part 'd' does not belong to its public part", path="d")
    return public, private, algorithm


def _split_id(key_id: str) -> str:
    return key_id.split("#", 1)[0]


def _ids_from(
    doc: Mapping[str, Any], public: PublicKey, algorithm: str, id_field: str = "id"
) -> tuple[str, str]:
    key_id = doc.get(id_field)
    controller = doc.get("controller")
    if key_id is not None and not isinstance(key_id, str):
        raise KeyFormatError(f"{id_field!r} must be a string", path=id_field)
    if controller is not None and not isinstance(controller, str):
        raise KeyFormatError("'controller' must be a string", path="controller")
    if key_id and key_id.startswith("#") and controller:
        key_id = controller + key_id
    if key_id and "#" in key_id and (key_id.startswith("did:") or key_id.startswith("https://")):
        return key_id, controller or _split_id(key_id)
    if algorithm == "RSA":
        raise KeyFormatError(
            f"this RSA key does not say whose it is: give it an {id_field!r} such as "
            "'https://example.edu/issuers/1#key-1' or 'did:web:example.edu#key-1'",
            code="key.controller",
            path=id_field,
        )
    vm, did = _did_key_ids(public)
    if controller and controller != did:
        raise KeyFormatError(
            f"key has no verification method id but names controller {controller!r}; give it an {id_field!r}",
            code="key.controller",
            path=id_field,
        )
    return vm, did


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None:
        return None
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise KeyFormatError("the passphrase is empty", code="key.passphrase")
    return data


def _load_pem(pem: str, passphrase: bytes | None) -> PrivateKey:
    encrypted = "ENCRYPTED" in pem.split("\n", 1)[0]
    if encrypted and passphrase is None:
        raise KeyFormatError("the private key is encrypted: a passphrase is needed", code="key.passphrase")
    try:
        key = serialization.load_pem_private_key(
            pem.encode("ascii"), password=passphrase if encrypted else None
        )
    except ValueError:
        if encrypted:
            raise KeyFormatError(
                "cannot decrypt the private key: wrong passphrase (or the key is damaged)",
                code="key.passphrase",
            ) from None
        raise KeyFormatError("the private key PEM cannot be read") from None
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"the private key PEM cannot be read: {exc}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}", code="key.unsupported")
    return key


def _from_mapping(doc: Mapping[str, Any], passphrase: bytes | None) -> IssuerKey:
    if "keys" in doc and isinstance(doc["keys"], list):
        if len(doc["keys"]) != 1:
            raise KeyFormatError(f"a JWKS with {len(doc['keys'])} keys: pass one JWK", path="keys")
        return _from_mapping(doc["keys"][0], passphrase)
    if "kty" in doc:
        public, private, algorithm = key_from_jwk(doc)
        key_id, controller = _ids_from(doc, public, algorithm, id_field="kid")
        return IssuerKey(algorithm, public, private, key_id, controller)
    private_pem = doc.get("privateKeyPem")
    secret = doc.get("secretKeyMultibase", doc.get("privateKeyMultibase"))
    private_key: PrivateKey | None = None
    public_key: PublicKey | None = None
    algorithm_: Algorithm | None = None
    if private_pem is not None:
        if not isinstance(private_pem, str):
            raise KeyFormatError("'privateKeyPem' must be a string", path="privateKeyPem")
        private_key = _load_pem(private_pem, passphrase)
    elif secret is not None:
        private_key, algorithm_ = _private_from_multibase(secret)
    elif "privateKeyJwk" in doc:
        _, private_key, algorithm_ = key_from_jwk(doc["privateKeyJwk"])
    if "publicKeyMultibase" in doc:
        public_key, algorithm_ = key_from_multibase(doc["publicKeyMultibase"])
    elif "publicKeyJwk" in doc:
        public_key, _, algorithm_ = key_from_jwk(doc["publicKeyJwk"])
    if private_key is not None:
        derived = private_key.public_key()
        if public_key is not None and _jwk_public(derived, public_key_algorithm(derived)) != _jwk_public(
            public_key, public_key_algorithm(public_key)
        ):
            raise KeyFormatError(
                "the private key does not belong to the public key in the file", code="key.mismatch"
            )
        public_key = derived
        algorithm_ = public_key_algorithm(derived)
    if public_key is None or algorithm_ is None:
        raise KeyFormatError(
            "not a key file: expected a JWK, a Multikey (publicKeyMultibase / secretKeyMultibase), "
            "or a microcred key file",
            code="key.invalid",
        )
    declared = doc.get("algorithm")
    if declared is not None and declared != algorithm_:
        raise KeyFormatError(
            f"file says algorithm {declared!r} but holds a {algorithm_} key", path="algorithm"
        )
    public_key_algorithm(public_key)
    key_id, controller = _ids_from(doc, public_key, algorithm_)
    return IssuerKey(algorithm_, public_key, private_key, key_id, controller)


def load_key(
    source: str | os.PathLike[str] | Mapping[str, Any], *, passphrase: str | bytes | None = None
) -> IssuerKey:
    """Load a key from a file path, JSON text, PEM text or a mapping (JWK, Multikey, microcred key file).

    An encrypted private key needs ``passphrase``; a missing or wrong one raises :class:`KeyFormatError`.
    """
    secret = _passphrase_bytes(passphrase)
    if isinstance(source, Mapping):
        return _from_mapping(source, secret)
    label = None
    if isinstance(source, str) and source.lstrip().startswith(("{", "-----BEGIN")):
        text = source
    else:
        path = Path(source)
        label = str(path)
        try:
            if path.stat().st_size > _MAX_KEY_FILE:
                raise KeyFormatError("key file is too large to be a key", source=label)
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyFormatError("key file not found", source=label, code="key.not_found") from None
        except UnicodeDecodeError:
            raise KeyFormatError("key file is not UTF-8 text (JSON or PEM)", source=label) from None
    stripped = text.lstrip()
    try:
        if stripped.startswith("-----BEGIN"):
            private = _load_pem(stripped, secret)
            public = private.public_key()
            algorithm = public_key_algorithm(public)
            key_id, controller = _ids_from({}, public, algorithm)
            return IssuerKey(algorithm, public, private, key_id, controller)
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise KeyFormatError(f"key file is neither JSON nor PEM: {exc}") from None
        if not isinstance(doc, dict):
            raise KeyFormatError("key JSON must be an object")
        return _from_mapping(doc, secret)
    except KeyFormatError as exc:
        if label and not exc.source:
            exc.source = label
        raise


def _key_file_document(key: IssuerKey, passphrase: bytes | None, include_private: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"microcredKey": KEY_FILE_VERSION, "algorithm": key.algorithm}
    doc.update(key.verification_method())
    if not include_private:
        return doc
    if key.private_key is None:
        raise KeyFormatError(
            "this key has no private part to save (use include_private=False)", code="key.public_only"
        )
    if passphrase is None and key.algorithm != "RSA":
        if key.algorithm == "Ed25519":
            raw = cast(ed25519.Ed25519PrivateKey, key.private_key).private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        else:
            scalar = cast(ec.EllipticCurvePrivateKey, key.private_key).private_numbers().private_value
            raw = scalar.to_bytes(_SCALAR_LEN[key.algorithm], "big")
        doc["secretKeyMultibase"] = mb.multibase_encode(mb.multicodec_wrap(_PRIV_CODEC[key.algorithm], raw))
        return doc
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    doc["privateKeyPem"] = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")
    return doc


def save_key(
    key: IssuerKey,
    path: str | os.PathLike[str],
    *,
    passphrase: str | bytes | None = None,
    include_private: bool = True,
) -> None:
    """Write ``key`` as a microcred key file, mode 0600, atomically (a temp file renamed into place).

    With ``passphrase`` the private key is an encrypted PKCS#8 PEM (``BestAvailableEncryption``).
    """
    secret = _passphrase_bytes(passphrase)
    data = (json.dumps(_key_file_document(key, secret, include_private), indent=2) + "\n").encode("utf-8")
    target = Path(path)
    # write_atomic's temp file is created O_EXCL with mode 0600 (mkstemp): never readable by others.
    write_atomic(target, data, mode=0o600)
