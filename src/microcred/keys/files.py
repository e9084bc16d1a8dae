"""Key files: load and save issuer keys as Multikey or JWK JSON (or PEM), optionally encrypted.

A key file is JSON. Without a passphrase an Ed25519 / P-256 key is written as a Multikey key pair
(``publicKeyMultibase`` + ``secretKeyMultibase``, the form the W3C test vectors and Digital Bazaar
tools use); with a passphrase, and for RSA, the private part is a PKCS#8 PEM (encrypted with
``cryptography``'s ``BestAvailableEncryption`` when a passphrase is given). Files are created 0600.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .. import _json, limits
from .._files import write_atomic
from ..errors import KeyFormatError
from . import multibase as mb
from .material import (
    PRIVATE_CODECS,
    SCALAR_LENGTHS,
    IssuerKey,
    PrivateKey,
    PublicKey,
    did_key_ids,
    key_from_jwk,
    key_from_multibase,
    private_from_multibase,
    public_jwk,
    public_key_algorithm,
)

if TYPE_CHECKING:
    import os

    from .algorithms import Algorithm

#: Marker and version of microcred's own key file format.
KEY_FILE_VERSION: Final = 1
_MAX_KEY_FILE: Final = limits.MAX_KEY_FILE_BYTES


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
    vm, did = did_key_ids(public)
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
        private_key, algorithm_ = private_from_multibase(secret)
    elif "privateKeyJwk" in doc:
        _, private_key, algorithm_ = key_from_jwk(doc["privateKeyJwk"])
    if "publicKeyMultibase" in doc:
        public_key, algorithm_ = key_from_multibase(doc["publicKeyMultibase"])
    elif "publicKeyJwk" in doc:
        public_key, _, algorithm_ = key_from_jwk(doc["publicKeyJwk"])
    if private_key is not None:
        derived = private_key.public_key()
        if public_key is not None and public_jwk(derived, public_key_algorithm(derived)) != public_jwk(
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
            doc = _json.loads(text)
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
            raw = scalar.to_bytes(SCALAR_LENGTHS[key.algorithm], "big")
        doc["secretKeyMultibase"] = mb.multibase_encode(
            mb.multicodec_wrap(PRIVATE_CODECS[key.algorithm], raw)
        )
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
