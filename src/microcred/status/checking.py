"""Checking a credential's status: W3C Bitstring Status List and StatusList2021 (fetched, their own
proof verified for their own issuer, their validity window compared) and the 1EdTech Revocation List.

:func:`check_status` reads every ``credentialStatus`` entry of a credential and returns one
:class:`StatusOutcome`: ``no_status``, ``valid``, ``revoked``, ``suspended`` or ``could_not_check``
(kept apart; a caller decides whether ``could_not_check`` fails).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .. import _json, _time
from .._fields import issuer_id
from ..errors import MicrocredError, ProofError, StatusListError
from ..jsonld.loader import default_loader
from ..keys.dids import resolve_verification_method
from ..limits import MAX_STATUS_LISTS_PER_CREDENTIAL
from ..suites import verify_proof
from .bitstring import (
    BITSTRING_ENTRY,
    MIN_LIST_BITS,
    ONEEDTECH_REVOCATION_LIST,
    STATUS_LIST_2021_ENTRY,
    decode_list,
    get_bit,
)

if TYPE_CHECKING:
    from datetime import datetime

    from ..jsonld.loader import DocumentLoader
    from ..keys.material import IssuerKey, ResolvedKey

log = logging.getLogger(__name__)

Fetch = Callable[[str], bytes]
#: Verifies a status list credential's own proof; returns the id of the issuer whose key signed
#: it, or raises (any :class:`~microcred.errors.MicrocredError`) when the proof does not verify.
ListVerifier = Callable[[Mapping[str, Any]], str]

Status = Literal["no_status", "valid", "revoked", "suspended", "could_not_check"]


def list_verifier(
    *,
    fetch: Fetch,
    trusted_keys: Mapping[str, IssuerKey] | None = None,
    loader: DocumentLoader | None = None,
    allow_self_named: bool = False,
    cryptosuites: Collection[str] | None = None,
) -> ListVerifier:
    """A :data:`ListVerifier` over the Data Integrity suites: the list credential's proof must verify
    with a key resolved through ``fetch`` (did:key, did:web, https); returns that key's controller.

    A key only named by its own fragment (``<issuer URL>#z6Mk…``, not listed by the issuer) proves
    nothing about who signed, so it is refused unless ``allow_self_named``. ``cryptosuites`` is an
    allow-list (default: every suite :func:`~microcred.suites.verify_proof` checks).
    """

    return _ListVerifier(fetch, trusted_keys, loader, allow_self_named, cryptosuites)


class _ListVerifier:
    """What :func:`list_verifier` returns; ``cache_key`` pins its settings for the shared
    :class:`~microcred.fetch.VerifiedCache` (None, so nothing is shared, with trusted keys or a
    custom loader)."""

    def __init__(
        self,
        fetch: Fetch,
        trusted_keys: Mapping[str, IssuerKey] | None,
        loader: DocumentLoader | None,
        allow_self_named: bool,
        cryptosuites: Collection[str] | None,
    ) -> None:
        self.fetch, self.trusted_keys, self.loader = fetch, trusted_keys, loader
        self.allow_self_named, self.cryptosuites = allow_self_named, cryptosuites
        plain = not trusted_keys and (loader is None or loader is default_loader)
        suites = None if cryptosuites is None else tuple(sorted(cryptosuites))
        self.cache_key: tuple[Any, ...] | None = (allow_self_named, suites) if plain else None

    def _resolve(self, vm_id: str) -> ResolvedKey:
        return resolve_verification_method(vm_id, fetch=self.fetch, trusted_keys=self.trusted_keys)

    def __call__(self, document: Mapping[str, Any]) -> str:
        result = verify_proof(
            dict(document), resolve=self._resolve, loader=self.loader, cryptosuites=self.cryptosuites
        )
        if not result.verified or result.key is None:
            raise ProofError(result.reason or "the proof does not verify", code="proof.failed")
        if not result.key.confirmed and not self.allow_self_named:
            raise ProofError(
                f"its key {result.key.key_id} is only self-named: nothing published by "
                f"{result.key.controller} lists it",
                code="proof.unconfirmed_key",
            )
        return result.key.controller


@dataclass(frozen=True)
class EntryOutcome:
    """What one ``credentialStatus`` entry says."""

    type: str
    status: Status
    purpose: str | None = None
    list_url: str | None = None
    index: int | None = None
    reason: str = ""
    list_issuer: str | None = None
    credential_issuer: str | None = None


@dataclass(frozen=True)
class StatusOutcome:
    """The status of a credential, from all its entries.

    ``status`` is ``revoked`` if any entry says so, else ``suspended``, else ``could_not_check``
    if any entry could not be checked, else ``valid``; ``no_status`` when there are no entries.
    """

    status: Status
    reason: str = ""
    entries: tuple[EntryOutcome, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True for ``valid`` and ``no_status``."""
        return self.status in ("valid", "no_status")

    @property
    def outcome(self) -> Status:
        """The same as :attr:`status` (the name a report uses)."""
        return self.status

    @property
    def details(self) -> list[dict[str, Any]]:
        """Each entry's outcome as plain data, for a report."""
        # every field is a str, an int or None, so reading the fields is what dataclasses.asdict
        # gives, without its deep copy
        return [
            {k: v for k in _ENTRY_FIELDS if (v := getattr(e, k)) is not None and v != ""}
            for e in self.entries
        ]


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(EntryOutcome))


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _parse_time(value: Any, what: str) -> datetime:
    try:
        return _time.parse(value)
    except _time.DateTimeError as exc:
        why = "has no timezone" if exc.no_timezone else "is not an ISO 8601 date-time"
        raise StatusListError(f"{what} {value!r} {why}", code="status.time") from None


class _CannotCheck(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _CheckedList:
    """What a shared :class:`~microcred.fetch.VerifiedCache` keeps for a status list whose proof
    verified: its signer, the parsed document (only ever read) and, once decoded, its bits."""

    signer: str
    document: Mapping[str, Any]
    legacy: bool = False
    bits: bytes | None = None


def _fetch_json(
    url: str, fetch: Fetch, cache: dict[Any, Any], known: Callable[[str], _CheckedList | None] | None = None
) -> Any:
    """The JSON document at ``url`` (once per call); ``known`` may give it, parsed before, by the
    SHA-256 of the fetched bytes (then kept as ``cache[("checked", url)]``)."""
    if url in cache:
        return cache[url]
    if ("unfetchable", url) in cache:
        raise _CannotCheck(cache[("unfetchable", url)])
    try:
        raw = fetch(url)
    except (MicrocredError, OSError) as exc:
        cache[("unfetchable", url)] = f"cannot fetch {url}: {exc}"
        raise _CannotCheck(cache[("unfetchable", url)]) from exc
    data = raw if isinstance(raw, bytes) else raw.encode()
    cache[("sha256", url)], cache[("size", url)] = hashlib.sha256(data).hexdigest(), len(data)
    hit = known(cache[("sha256", url)]) if known is not None else None
    if hit is not None:
        cache[("checked", url)], cache[url] = hit, hit.document
        return hit.document
    try:
        document = _json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _CannotCheck(
            f"{url} is not a JSON document (JWT-secured lists are not read yet): {exc}"
        ) from exc
    cache[url] = document
    return document


def _seconds_left(document: Mapping[str, Any], now: datetime) -> float | None:
    """Seconds until the list's ``validUntil`` (None without one; 0 when it cannot be read)."""
    end = document.get("validUntil", document.get("expirationDate"))
    if end is None:
        return None
    moment = _time.parse_or_none(end)
    return 0.0 if moment is None else (moment - now).total_seconds()


def _list_bits(
    entry: Mapping[str, Any],
    credential: Mapping[str, Any],
    *,
    legacy: bool,
    fetch: Fetch,
    verify_list: ListVerifier,
    now: datetime,
    cache: dict[Any, Any],
) -> tuple[str, str, int, bytes]:
    """Fetch, verify and decode the list an entry points at: (list url, purpose, index, bits)."""
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        raise _CannotCheck("the entry has no statusListCredential URL")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str):
        raise _CannotCheck("the entry has no statusPurpose")
    raw_index = entry.get("statusListIndex")
    try:
        index = (
            int(raw_index) if isinstance(raw_index, (str, int)) and not isinstance(raw_index, bool) else -1
        )
    except ValueError:
        index = -1
    if index < 0:
        raise _CannotCheck(f"statusListIndex {raw_index!r} is not a non-negative integer")
    size = entry.get("statusSize", 1)
    if size not in (1, "1"):
        raise _CannotCheck(f"statusSize {size!r} (status messages) is not supported")

    # a fetcher shared by a batch or a server keeps each verified list (same URL, same bytes, same
    # verifier settings), parsed and decoded; every check below still runs on each call
    shared, pin = getattr(fetch, "verified", None), getattr(verify_list, "cache_key", None)

    def known(digest: str) -> _CheckedList | None:
        hit = None if shared is None or pin is None else shared.get(("status-list", url, digest, pin))
        return hit if isinstance(hit, _CheckedList) else None

    document = _fetch_json(url, fetch, cache, known)
    if not isinstance(document, Mapping):
        raise _CannotCheck(f"{url} is not a JSON object")
    key = None if shared is None or pin is None else ("status-list", url, cache.get(("sha256", url)), pin)
    checked: _CheckedList | None = cache.get(("checked", url))
    list_type = "StatusList2021Credential" if legacy else "BitstringStatusListCredential"
    subject_type = "StatusList2021" if legacy else "BitstringStatusList"
    if list_type not in _types(document.get("type")):
        raise _CannotCheck(f"{url} is not a {list_type}")
    # The list's id MAY differ from the URL it was fetched from (Bitstring Status List §2.1: the
    # algorithm never compares them): a fetched list is judged by its proof and issuer, not its id.
    # its own proof, and its issuer is the credential's issuer
    verdict = cache.get(("verified", url))
    if verdict is None:  # each list's proof is checked once per call, and once per shared fetcher
        if checked is not None:
            verdict = ("ok", checked.signer)
            log.debug("status list %s: the same bytes verified before, signed for %s", url, checked.signer)
        else:
            try:
                verdict = ("ok", verify_list(document))
                log.debug("status list %s verified, signed for %s", url, verdict[1], extra={"url": url})
                if shared is not None and key is not None:
                    left = _seconds_left(document, now)
                    shared.put(key, _CheckedList(verdict[1], document), left, cache[("size", url)])
            except MicrocredError as exc:
                verdict = ("failed", f"the status list credential {url} does not verify: {exc}")
                log.info("status list %s does not verify: %s", url, exc, extra={"url": url})
        cache[("verified", url)] = verdict
    if verdict[0] == "failed":
        raise _CannotCheck(verdict[1])
    signer = verdict[1]
    list_issuer = issuer_id(document)
    if list_issuer is None or signer != list_issuer:
        # the list must be authentic: signed by a key its own issuer controls
        raise _CannotCheck(f"the status list {url} is issued by {list_issuer!r} but signed for {signer!r}")
    # A list issued by another party than the credential's issuer (a status service) is allowed: the
    # spec has no such rule; the difference is reported in the entry's details (``list_issuer``).
    cache[("issuer", url)] = list_issuer
    # its validity window
    try:
        start = document.get("validFrom", document.get("issuanceDate"))
        end = document.get("validUntil", document.get("expirationDate"))
        if start is not None and now < _parse_time(start, "validFrom"):
            raise _CannotCheck(f"the status list {url} is not valid until {start}")
        if end is not None and now > _parse_time(end, "validUntil"):
            raise _CannotCheck(f"the status list {url} expired at {end}")
    except StatusListError as exc:
        raise _CannotCheck(f"the status list {url} has a bad validity date: {exc.message}") from exc
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject_type not in _types(subject.get("type")):
        raise _CannotCheck(f"the status list {url} has no {subject_type} credentialSubject")
    list_purpose = subject.get("statusPurpose")
    purposes = _types(list_purpose)
    if purpose not in purposes:
        raise _CannotCheck(f"the status list {url} has purpose {list_purpose!r}, the entry says {purpose!r}")
    if checked is not None and checked.bits is not None and checked.legacy == legacy:
        bits = checked.bits  # decoded before from the very same bytes
    else:
        try:
            bits = decode_list(subject.get("encodedList"), legacy=legacy)  # type: ignore[arg-type]
        except StatusListError as exc:
            raise _CannotCheck(f"the status list {url} cannot be decoded: {exc.message}") from exc
        if not legacy and len(bits) * 8 < MIN_LIST_BITS:
            raise _CannotCheck(
                f"the status list {url} has {len(bits) * 8} entries, fewer than {MIN_LIST_BITS}: "
                "the Bitstring Status List spec says a list MUST hold at least 131,072 entries (16 KB), "
                "so that one index does not single out its holder"
            )
        # a list that passed every check: kept with its bits, so the next call decodes nothing
        cache[("checked", url)] = checked = _CheckedList(signer, document, legacy, bits)
        if shared is not None and key is not None:
            shared.put(key, checked, _seconds_left(document, now), cache[("size", url)] + len(bits))
    if index >= len(bits) * 8:
        raise _CannotCheck(f"statusListIndex {index} is outside the list {url} of {len(bits) * 8} entries")
    return url, purpose, index, bits


def _check_bitstring(
    entry: Mapping[str, Any], credential: Mapping[str, Any], legacy: bool, **kwargs: Any
) -> EntryOutcome:
    kind = STATUS_LIST_2021_ENTRY if legacy else BITSTRING_ENTRY
    try:
        url, purpose, index, bits = _list_bits(entry, credential, legacy=legacy, **kwargs)
    except _CannotCheck as exc:
        return EntryOutcome(
            kind,
            "could_not_check",
            _str(entry.get("statusPurpose")),
            _str(entry.get("statusListCredential")),
            None,
            exc.reason,
        )
    list_issuer, cred_issuer = kwargs["cache"].get(("issuer", url)), issuer_id(credential)
    set_ = get_bit(bits, index)
    if purpose == "revocation":
        status: Status = "revoked" if set_ else "valid"
    elif purpose == "suspension":
        status = "suspended" if set_ else "valid"
    elif purpose == "refresh":  # a set bit only says a fresher copy exists
        status = "valid"
    else:
        return EntryOutcome(
            kind, "could_not_check", purpose, url, index, f"status purpose {purpose!r} is not supported"
        )
    reason = f"bit {index} of {url} is {int(set_)}"
    if list_issuer != cred_issuer:
        reason += f" (the list is issued by {list_issuer}, not by the credential's issuer {cred_issuer})"
    return EntryOutcome(kind, status, purpose, url, index, reason, list_issuer, cred_issuer)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _check_1edtech(
    entry: Mapping[str, Any], credential: Mapping[str, Any], *, fetch: Fetch, cache: dict[Any, Any], **_: Any
) -> EntryOutcome:
    """1EdTech Revocation List Status Method 1.0: GET the entry's ``id``, a JSON document whose
    ``revokedCredentials`` lists ``{id, revoked?, revocationReason?}``; the credential is revoked when its
    ``id`` is listed and ``revoked`` is true or absent. The list carries no proof of its own."""
    url = _str(entry.get("id"))
    if not url:
        return EntryOutcome(
            ONEEDTECH_REVOCATION_LIST,
            "could_not_check",
            "revocation",
            None,
            None,
            "the 1EdTechRevocationList entry has no id (the list URL)",
        )
    credential_id = _str(credential.get("id"))
    if not credential_id:
        return EntryOutcome(
            ONEEDTECH_REVOCATION_LIST,
            "could_not_check",
            "revocation",
            url,
            None,
            "the credential has no id to look up in the revocation list",
        )
    try:
        document = _fetch_json(url, fetch, cache)
    except _CannotCheck as exc:
        return EntryOutcome(ONEEDTECH_REVOCATION_LIST, "could_not_check", "revocation", url, None, exc.reason)
    listed = document.get("revokedCredentials") if isinstance(document, Mapping) else None
    if isinstance(listed, Mapping):
        listed = [listed]
    if not isinstance(listed, list):
        return EntryOutcome(
            ONEEDTECH_REVOCATION_LIST,
            "could_not_check",
            "revocation",
            url,
            None,
            f"{url} is not a 1EdTech revocation list (no revokedCredentials array)",
        )
    list_issuer = issuer_id(document)
    expected = issuer_id(credential)
    if list_issuer is not None and list_issuer != expected:
        return EntryOutcome(
            ONEEDTECH_REVOCATION_LIST,
            "could_not_check",
            "revocation",
            url,
            None,
            f"the revocation list {url} belongs to {list_issuer!r}, not {expected!r}",
        )
    for item in listed:
        if item == credential_id:  # some lists give bare ids
            return EntryOutcome(
                ONEEDTECH_REVOCATION_LIST, "revoked", "revocation", url, None, f"listed as revoked in {url}"
            )
        if isinstance(item, Mapping) and item.get("id") == credential_id:
            flag = item.get("revoked", True)
            if flag is True or flag is None or (isinstance(flag, str) and flag.lower() == "true"):
                why = _str(item.get("revocationReason"))
                reason = f"listed as revoked in {url}" + (f": {why}" if why else "")
                return EntryOutcome(ONEEDTECH_REVOCATION_LIST, "revoked", "revocation", url, None, reason)
    return EntryOutcome(
        ONEEDTECH_REVOCATION_LIST, "valid", "revocation", url, None, f"not listed as revoked in {url}"
    )


def _list_url(entry: Any) -> str | None:
    """The list an entry would fetch (without fragment), if it names one."""
    if not isinstance(entry, Mapping):
        return None
    types = _types(entry.get("type"))
    url = entry.get("id") if ONEEDTECH_REVOCATION_LIST in types else entry.get("statusListCredential")
    return url.split("#", 1)[0] if isinstance(url, str) and url else None


def check_status(
    credential: Mapping[str, Any],
    *,
    fetch: Fetch,
    verify_list: ListVerifier,
    now: datetime | Callable[[], datetime] | None = None,
) -> StatusOutcome:
    """The status of ``credential`` from its ``credentialStatus`` entries.

    Bitstring Status List and StatusList2021 lists are fetched through ``fetch`` (once per URL),
    their own proof checked through ``verify_list`` (signed for the list's own issuer, which may differ
    from the credential's: reported in the entry), their validity window compared with ``now``; then
    the bit is read. 1EdTech Revocation Lists are fetched and searched for the credential's id. At most
    :data:`~microcred.limits.MAX_STATUS_LISTS_PER_CREDENTIAL` distinct lists are fetched; an entry
    pointing at one more is ``could_not_check``. Never raises for a list it cannot read: that entry
    is ``could_not_check`` with the reason.
    """
    moment = _time.verification_clock(now() if callable(now) else now)
    raw = credential.get("credentialStatus")
    if raw is None or raw == []:
        return StatusOutcome("no_status", "the credential has no credentialStatus")
    entries_in = raw if isinstance(raw, list) else [raw]
    cache: dict[Any, Any] = {}
    kwargs: dict[str, Any] = {"fetch": fetch, "verify_list": verify_list, "now": moment, "cache": cache}
    results: list[EntryOutcome] = []
    lists: set[str] = set()
    for entry in entries_in:
        url = _list_url(entry)
        if url is not None and url not in lists and len(lists) >= MAX_STATUS_LISTS_PER_CREDENTIAL:
            results.append(
                EntryOutcome(
                    ",".join(_types(entry.get("type"))) or "?",
                    "could_not_check",
                    reason=f"not fetched: the credential points at more than "
                    f"{MAX_STATUS_LISTS_PER_CREDENTIAL} status lists",
                )
            )
            continue
        if url is not None:
            lists.add(url)
        if not isinstance(entry, Mapping):
            results.append(
                EntryOutcome("?", "could_not_check", reason="a credentialStatus entry is not an object")
            )
            continue
        types = _types(entry.get("type"))
        if BITSTRING_ENTRY in types:
            results.append(_check_bitstring(entry, credential, False, **kwargs))
        elif STATUS_LIST_2021_ENTRY in types:
            results.append(_check_bitstring(entry, credential, True, **kwargs))
        elif ONEEDTECH_REVOCATION_LIST in types:
            results.append(_check_1edtech(entry, credential, **kwargs))
        else:
            results.append(
                EntryOutcome(
                    ",".join(types) or "?",
                    "could_not_check",
                    reason=f"credentialStatus type {types or entry.get('type')!r} is not supported",
                )
            )
    for wanted in ("revoked", "suspended", "could_not_check"):
        hits = [r for r in results if r.status == wanted]
        if hits:
            return StatusOutcome(wanted, "; ".join(r.reason for r in hits), tuple(results))
    return StatusOutcome("valid", "; ".join(r.reason for r in results), tuple(results))
