"""Identifiers: did:key, did:web, HTTPS key URLs, and resolving a verification method to a key.

A :class:`ResolvedKey` says not only which key a verification method names but how we know its
controller holds it (``binding``): ``did:key`` is self-certifying; ``did:web`` and ``published`` mean
the key is listed in a document fetched from the controller's own location (or given as a resource);
``self-named`` is an ``<issuer URL>#z6Mk…`` key found nowhere else, whose signature can be checked but
whose link to the issuer is NOT confirmed; ``trusted`` means the caller said so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric import ed25519

from .. import _json as json_text
from .. import limits
from ..errors import DidError, FetchError, KeyFormatError
from .material import (
    Binding,
    IssuerKey,
    PublicKey,
    ResolvedKey,
    did_key_of,
    key_from_jwk,
    key_from_multibase,
    public_key_algorithm,
    same_key,
)
from .multibase import b58decode

if TYPE_CHECKING:
    from ..fetch import Fetch
    from .algorithms import Algorithm

DID_CONTEXT: Final = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT: Final = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT: Final = "https://w3id.org/security/jwk/v1"
CID_CONTEXT: Final = "https://www.w3.org/ns/cid/v1"
_MAX_DOC: Final = limits.MAX_DID_DOCUMENT_BYTES
_HOST_RE: Final = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_SEGMENT_RE: Final = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=@%-]+$")


def did_key_for(public_key: PublicKey | IssuerKey) -> str:
    """The did:key identifier of an Ed25519, P-256 or P-384 public key."""
    if isinstance(public_key, IssuerKey):
        public_key = public_key.public_key
    try:
        return did_key_of(public_key)
    except KeyFormatError as exc:
        raise DidError(f"no did:key for this key: {exc.message}", code="did.unsupported_key") from None


def _did_key_parts(did_or_vm: str) -> tuple[str, str]:
    if not isinstance(did_or_vm, str) or not did_or_vm.startswith("did:key:"):
        raise DidError(f"{did_or_vm!r} is not a did:key")
    did, _, fragment = did_or_vm.partition("#")
    mb_value = did[len("did:key:") :]
    if not mb_value.startswith("z") or "/" in mb_value or "?" in mb_value:
        raise DidError(f"{did_or_vm!r} is not a did:key with a base58btc multibase key")
    if fragment and fragment != mb_value:
        raise DidError(f"{did_or_vm!r}: a did:key names one key; the fragment must repeat it")
    return did, mb_value


def resolve_did_key(did_or_vm: str) -> dict[str, Any]:
    """The DID document of a did:key (Multikey verification method; DID and Multikey contexts)."""
    did, mb_value = _did_key_parts(did_or_vm)
    try:
        key_from_multibase(mb_value)
    except KeyFormatError as exc:
        raise DidError(f"{did}: {exc.message}") from None
    vm_id = f"{did}#{mb_value}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": mb_value}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }


def did_web_url(did: str) -> str:
    """The HTTPS URL of a did:web DID document (``…/.well-known/did.json`` or ``…/path/did.json``)."""
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise DidError(f"{did!r} is not a did:web")
    ident = did[len("did:web:") :].split("#", 1)[0].split("?", 1)[0]
    parts = ident.split(":")
    host = unquote(parts[0])
    if not _HOST_RE.match(host) or host.startswith((".", "-")) or ".." in host:
        raise DidError(f"{did!r}: {host!r} is not a valid host (a port is written %3A)")
    segments = parts[1:]
    for seg in segments:
        if not seg or not _SEGMENT_RE.match(seg) or unquote(seg) in (".", "..") or "/" in unquote(seg):
            raise DidError(f"{did!r}: path segment {seg!r} is not allowed")
    if segments:
        return f"https://{host}/{'/'.join(segments)}/did.json"
    return f"https://{host}/.well-known/did.json"


def _contexts_for(keys: Sequence[IssuerKey], first: str) -> list[str]:
    contexts = [first]
    if any(k.algorithm != "RSA" for k in keys):
        contexts.append(MULTIKEY_CONTEXT)
    if any(k.algorithm == "RSA" for k in keys):
        contexts.append(JWK_CONTEXT)
    return contexts


def controller_document(keys: Sequence[IssuerKey], *, controller: str | None = None) -> dict[str, Any]:
    """The document listing ``keys`` for their controller (a DID document for a DID controller).

    Every key must belong to ``controller`` (default: the first key's); each is listed under
    ``verificationMethod`` and referenced from ``assertionMethod`` and ``authentication``.
    """
    if not keys:
        raise DidError("no keys to publish")
    owner = controller or keys[0].controller
    for key in keys:
        if key.controller != owner:
            raise DidError(
                f"key {key.key_id} belongs to {key.controller}, not {owner}", code="did.controller"
            )
        if not key.key_id.startswith(owner + "#"):
            raise DidError(f"key id {key.key_id} is not under {owner}#", code="did.controller")
    ids = [k.key_id for k in keys]
    return {
        "@context": _contexts_for(keys, DID_CONTEXT if owner.startswith("did:") else CID_CONTEXT),
        "id": owner,
        "verificationMethod": [k.public().verification_method() for k in keys],
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }


def did_web_document(keys: Sequence[IssuerKey], *, did: str | None = None) -> dict[str, Any]:
    """The did:web DID document to publish at :func:`did_web_url` of ``did``."""
    owner = did or (keys[0].controller if keys else "")
    if not owner.startswith("did:web:"):
        raise DidError(f"{owner!r} is not a did:web; these keys belong to another kind of issuer")
    did_web_url(owner)
    return controller_document(keys, controller=owner)


def key_document(key: IssuerKey) -> dict[str, Any]:
    """A single verification method as a JSON-LD document (to publish at the key's own URL)."""
    doc: dict[str, Any] = {"@context": _contexts_for([key], MULTIKEY_CONTEXT)[1:] or [MULTIKEY_CONTEXT]}
    doc.update(key.public().verification_method())
    return doc


def jwks(keys: Sequence[IssuerKey]) -> dict[str, Any]:
    """A JWK Set of the public keys (each with ``kid`` = verification method id and ``alg``)."""
    return {"keys": [k.public_jwk() for k in keys]}


# ---------------------------------------------------------------------------------------------- resolving


def _json(data: bytes, url: str) -> Any:
    if len(data) > _MAX_DOC:
        raise DidError(f"{url}: document is too large")
    try:
        return json_text.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DidError(f"{url}: not a JSON document ({exc})") from None


def _key_of_vm(vm: Mapping[str, Any], where: str) -> tuple[PublicKey, Algorithm]:
    try:
        if isinstance(vm.get("publicKeyMultibase"), str):
            return key_from_multibase(vm["publicKeyMultibase"])
        if isinstance(vm.get("publicKeyJwk"), Mapping):
            jwk = vm["publicKeyJwk"]
            if "d" in jwk:
                raise DidError(f"{where}: a published key contains a private part 'd'")
            public, _, algorithm = key_from_jwk(jwk)
            return public, algorithm
        if "kty" in vm:
            if "d" in vm:
                raise DidError(f"{where}: a published key contains a private part 'd'")
            public, _, algorithm = key_from_jwk(vm)
            return public, algorithm
        if isinstance(vm.get("publicKeyBase58"), str) and vm.get("type") == "Ed25519VerificationKey2018":
            return ed25519.Ed25519PublicKey.from_public_bytes(b58decode(vm["publicKeyBase58"])), "Ed25519"
    except KeyFormatError as exc:
        raise DidError(f"{where}: {exc.message}") from None
    except ValueError as exc:
        raise DidError(f"{where}: not a valid public key ({exc})") from None
    raise DidError(f"{where}: the verification method holds no public key this library reads")


def _absolute(ref: str, base: str) -> str:
    return base + ref if ref.startswith("#") else ref


def _entries(doc: Mapping[str, Any], name: str) -> list[Any]:
    value = doc.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _find_vm(doc: Mapping[str, Any], vm_id: str, base: str) -> Mapping[str, Any] | None:
    for name in ("verificationMethod", "assertionMethod", "publicKey"):
        for entry in _entries(doc, name):
            entry_id = entry.get("id") if isinstance(entry, Mapping) else None
            if isinstance(entry_id, str) and _absolute(entry_id, base) == vm_id:
                return entry if isinstance(entry, Mapping) else None
    return None


def _authorised(doc: Mapping[str, Any], vm_id: str, base: str) -> bool:
    for entry in _entries(doc, "assertionMethod"):
        ref = entry.get("id") if isinstance(entry, Mapping) else entry
        if isinstance(ref, str) and _absolute(ref, base) == vm_id:
            return True
    return False


def _from_controller_doc(
    doc: Any, vm_id: str, controller: str, binding: Binding, *, require_assertion: bool
) -> ResolvedKey:
    if not isinstance(doc, Mapping):
        raise DidError(f"{controller}: the document is not a JSON object")
    if doc.get("id") != controller:
        raise DidError(
            f"the document fetched for {controller} names itself {doc.get('id')!r}", code="did.mismatch"
        )
    vm = _find_vm(doc, vm_id, controller)
    if vm is None:
        raise DidError(f"{controller} does not list verification method {vm_id}", code="did.key_not_found")
    vm_controller = vm.get("controller", controller)
    if vm_controller != controller:
        raise DidError(
            f"{vm_id} is listed by {controller} but says its controller is {vm_controller!r}",
            code="did.controller",
        )
    if (require_assertion or "assertionMethod" in doc) and not _authorised(doc, vm_id, controller):
        raise DidError(
            f"{controller} lists {vm_id} but not under assertionMethod: it may not sign credentials",
            code="did.not_authorised",
        )
    public, algorithm = _key_of_vm(vm, vm_id)
    return ResolvedKey(vm_id, controller, public, algorithm, binding)


def _resolve_did_key(vm_id: str) -> ResolvedKey:
    did, mb_value = _did_key_parts(vm_id)
    try:
        public, algorithm = key_from_multibase(mb_value)
    except KeyFormatError as exc:
        raise DidError(f"{vm_id}: {exc.message}") from None
    return ResolvedKey(f"{did}#{mb_value}", did, public, algorithm, "did:key")


def _resolve_did_web(vm_id: str, fetch: Fetch) -> ResolvedKey:
    did, _, fragment = vm_id.partition("#")
    if not fragment:
        raise DidError(f"{vm_id}: a did:web verification method needs a #fragment naming the key")
    url = did_web_url(did)
    doc = _json(fetch(url), url)
    return _from_controller_doc(doc, vm_id, did, "did:web", require_assertion=True)


def _multikey_fragment(fragment: str) -> tuple[PublicKey, Algorithm] | None:
    if not fragment.startswith("z"):
        return None
    try:
        return key_from_multibase(fragment)
    except KeyFormatError:
        return None


def _resolve_https(vm_id: str, fetch: Fetch) -> ResolvedKey:
    base, _, fragment = vm_id.partition("#")
    embedded = _multikey_fragment(fragment) if fragment else None
    if embedded is not None:
        public, algorithm = embedded
        self_named = ResolvedKey(vm_id, base, public, algorithm, "self-named")
        try:
            doc = _json(fetch(vm_id), base)
        except (FetchError, DidError):
            return self_named
        if isinstance(doc, Mapping) and doc.get("id") == base:
            vm = _find_vm(doc, vm_id, base)
            if vm is None:  # listed under another id but with the same key?
                for entry in _entries(doc, "verificationMethod") + _entries(doc, "assertionMethod"):
                    if isinstance(entry, Mapping) and entry.get("publicKeyMultibase") == fragment:
                        vm = entry
                        break
            if vm is not None and vm.get("controller", base) == base:
                try:
                    listed, _ = _key_of_vm(vm, vm_id)
                except DidError:
                    return self_named
                if same_key(listed, public):
                    return ResolvedKey(vm_id, base, public, algorithm, "published")
        return self_named

    doc = _json(fetch(vm_id), base)
    if not isinstance(doc, Mapping):
        raise DidError(f"{base}: the document is not a JSON object")
    if isinstance(doc.get("keys"), list):  # a JWKS
        for jwk in doc["keys"]:
            if isinstance(jwk, Mapping) and jwk.get("kid") in (vm_id, fragment):
                public, algorithm = _key_of_vm(jwk, vm_id)
                return ResolvedKey(vm_id, base, public, algorithm, "published")
        raise DidError(f"the JWKS at {base} has no key with kid {vm_id!r}", code="did.key_not_found")
    if doc.get("id") == base and ("verificationMethod" in doc or "assertionMethod" in doc):
        return _from_controller_doc(doc, vm_id, base, "published", require_assertion=False)
    # a key document of its own
    if doc.get("id", vm_id) not in (vm_id, base) and not (
        isinstance(doc.get("id"), str) and _absolute(doc["id"], base) == vm_id
    ):
        raise DidError(
            f"the document at {base} describes {doc.get('id')!r}, not {vm_id}", code="did.mismatch"
        )
    public, algorithm = _key_of_vm(doc, vm_id)
    controller = doc.get("controller", base)
    if not isinstance(controller, str):
        raise DidError(f"{vm_id}: 'controller' must be a string")
    if controller != base and not key_url_under(vm_id, controller):
        # a key document only says who it belongs to; the controller's own document must list it
        # (even on the same host: one site may hold documents for many controllers). A key URL under
        # the controller's own path is the controller's: only it publishes there.
        confirmed = _resolve_https_listing(controller, vm_id, fetch)
        if not confirmed:
            raise DidError(
                f"{vm_id} names controller {controller}, which does not list it", code="did.controller"
            )
    return ResolvedKey(vm_id, controller, public, algorithm, "published")


def key_url_under(key_url: str, issuer: str) -> bool:
    """Whether the HTTPS ``key_url`` lies under the HTTPS ``issuer`` URL's own path.

    Same origin alone is not enough: one host often serves many issuers (``github.io``, a university
    hosting its faculties), so ``https://uni.example/issuers/ce/keys/1`` is ``…/issuers/ce``'s key but
    not ``…/issuers/law``'s. The issuer's path is a whole segment prefix; no query, no ``..``.
    """
    if not (key_url.startswith("https://") and issuer.startswith("https://")):
        return False
    base = key_url.partition("#")[0]
    root = issuer.partition("#")[0].rstrip("/")
    if "?" in base or "?" in root or "/../" in base + "/" or "/./" in base + "/" or "%2" in base.lower():
        return False
    return base.startswith(root + "/") and root.count("/") >= 3


def bind_embedded_key(
    public: PublicKey,
    issuer: str | None,
    *,
    fetch: Fetch,
    trusted_keys: Mapping[str, IssuerKey] | None = None,
    key_id: str | None = None,
) -> ResolvedKey:
    """A key a token carries itself (a JWS ``jwk`` header), bound to ``issuer`` when it can be.

    Bound when the caller trusts that very key (``trusted``), when the issuer is the key's own did:key
    (``did:key``), or when the issuer's did:web document, profile or JWKS lists it (``did:web`` /
    ``published``); otherwise ``self-named``: the signature can be checked, the issuer is not confirmed.
    """
    algorithm = public_key_algorithm(public)
    try:
        own_did: str | None = did_key_of(public)
    except KeyFormatError:  # an RSA key has no did:key
        own_did = None
    name = key_id or own_did or "jwk"
    for trusted in (trusted_keys or {}).values():
        if same_key(trusted.public_key, public):
            return ResolvedKey(name, trusted.controller, public, algorithm, "trusted")
    if not issuer:
        return ResolvedKey(name, "", public, algorithm, "self-named")
    if issuer.startswith("did:key:"):
        if own_did == issuer.partition("#")[0]:
            did = issuer.partition("#")[0]
            return ResolvedKey(did + "#" + did[len("did:key:") :], did, public, algorithm, "did:key")
        return ResolvedKey(name, issuer, public, algorithm, "self-named")
    url = did_web_url(issuer) if issuer.startswith("did:web:") else issuer
    if url.startswith("https://"):
        try:
            doc = _json(fetch(url), url)
        except (FetchError, DidError):
            doc = None
        if isinstance(doc, Mapping) and (doc.get("id") == issuer or "keys" in doc):
            binding: Binding = "did:web" if issuer.startswith("did:web:") else "published"
            listed = [*_entries(doc, "verificationMethod"), *_entries(doc, "assertionMethod")]
            listed += [k for k in _entries(doc, "keys") if isinstance(k, Mapping)]
            for entry in listed:
                if not isinstance(entry, Mapping):
                    continue
                try:
                    candidate, _ = _key_of_vm(entry, url)
                except DidError:
                    continue
                if same_key(candidate, public):
                    vm = entry.get("id") or entry.get("kid")
                    vm_id = _absolute(vm, issuer) if isinstance(vm, str) else name
                    return ResolvedKey(vm_id, issuer, public, algorithm, binding)
    return ResolvedKey(name, issuer, public, algorithm, "self-named")


def _resolve_https_listing(controller: str, vm_id: str, fetch: Fetch) -> bool:
    if controller.startswith("did:web:"):
        url = did_web_url(controller)
    elif controller.startswith("https://"):
        url = controller
    else:
        return False
    try:
        doc = _json(fetch(url), url)
    except (FetchError, DidError):
        return False
    return (
        isinstance(doc, Mapping)
        and doc.get("id") == controller
        and (_find_vm(doc, vm_id, controller) is not None or _authorised(doc, vm_id, controller))
    )


def resolve_verification_method(
    vm_id: str, *, fetch: Fetch, trusted_keys: Mapping[str, IssuerKey] | None = None
) -> ResolvedKey:
    """Resolve a verification method id to its public key and say how its controller is known to hold it.

    ``did:key`` locally; ``did:web`` through ``fetch(did_web_url(did))``; an HTTPS key URL through
    ``fetch(url)`` (a key document, a controller document / issuer profile listing it, or a JWKS);
    ``<https URL>#z6Mk…`` is ``published`` if the fetched issuer document lists that key, else
    ``self-named``. ``trusted_keys`` (verification method id → key) short-cut everything as ``trusted``.
    Raises :class:`DidError` (malformed, not listed) or :class:`FetchError` (cannot fetch).
    """
    if not isinstance(vm_id, str) or not vm_id:
        raise DidError("verification method id must be a non-empty string")
    if trusted_keys:
        trusted = trusted_keys.get(vm_id)
        if trusted is None:
            trusted = next((k for k in trusted_keys.values() if k.key_id == vm_id), None)
        if trusted is not None:
            return ResolvedKey(
                vm_id,
                trusted.controller,
                trusted.public_key,
                public_key_algorithm(trusted.public_key),
                "trusted",
            )
    if vm_id.startswith("did:key:"):
        return _resolve_did_key(vm_id)
    if vm_id.startswith("did:web:"):
        return _resolve_did_web(vm_id, fetch)
    if vm_id.startswith("https://"):
        return _resolve_https(vm_id, fetch)
    if vm_id.startswith("did:"):
        method = vm_id.split(":", 2)[1]
        raise DidError(f"DID method did:{method} is not supported (did:key, did:web)", code="did.unsupported")
    raise DidError(f"cannot resolve verification method {vm_id!r} (did:key, did:web or https:// URL)")
