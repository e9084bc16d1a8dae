"""Publishing status lists: the ``BitstringStatusListCredential`` of a list, signed, for every list in
a ledger (:func:`signed_status_lists`, run after every status change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import _time
from ..errors import StatusListError
from ..keys.algorithms import default_cryptosuite
from ..suites.data_integrity import sign_proof
from .bitstring import MIN_LIST_BITS, PURPOSES, Purpose, encode_list, set_indexes

if TYPE_CHECKING:
    from datetime import datetime

    from ..keys.material import IssuerKey
    from ..ledger.protocol import Ledger

#: The VCDM 2.0 context defines every Bitstring Status List term.
LIST_CREDENTIAL_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def _iso(moment: datetime) -> str:
    if not _time.is_aware(moment):
        raise StatusListError("datetimes must be timezone-aware", code="status.time")
    return _time.format_utc(moment)


def status_list_credential(
    list_url: str,
    purpose: Purpose,
    bits: bytes,
    *,
    issuer: str | Mapping[str, Any],
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    now: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (VCDM 2.0) publishing ``bits`` at ``list_url``.

    ``valid_from`` defaults to ``now()`` (the system clock unless injected).
    """
    if purpose not in PURPOSES:
        raise StatusListError(
            f"status purpose must be revocation or suspension, not {purpose!r}", code="status.purpose"
        )
    if len(bits) * 8 < MIN_LIST_BITS:
        raise StatusListError(
            f"a status list needs at least {MIN_LIST_BITS} entries, this one has {len(bits) * 8}",
            code="status.length",
        )
    start = valid_from or (now or _time.now)()
    credential: dict[str, Any] = {
        "@context": [LIST_CREDENTIAL_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dict(issuer) if isinstance(issuer, Mapping) else issuer,
        "validFrom": _iso(start),
    }
    if valid_until is not None:
        if valid_until <= start:
            raise StatusListError("validUntil must come after validFrom", code="status.time")
        credential["validUntil"] = _iso(valid_until)
    credential["credentialSubject"] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode_list(bits),
    }
    return credential


def sign_status_list_credential(
    list_url: str,
    purpose: Purpose,
    bits: bytes,
    *,
    issuer: str | Mapping[str, Any],
    sign: Callable[[dict[str, Any]], dict[str, Any]],
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    now: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """:func:`status_list_credential`, signed by ``sign`` (for example ``lambda d: sign_proof(d, key)``)."""
    unsigned = status_list_credential(
        list_url, purpose, bits, issuer=issuer, valid_from=valid_from, valid_until=valid_until, now=now
    )
    signed = sign(unsigned)
    if not isinstance(signed, dict) or "proof" not in signed:
        raise StatusListError("the sign callable returned no document with a proof", code="status.unsigned")
    return signed


@dataclass(frozen=True)
class PublishedList:
    """A signed status list credential ready to publish at ``url``, and how many of its bits are set."""

    url: str
    purpose: str
    document: dict[str, Any]
    set_count: int
    used: int
    size: int


def signed_status_lists(
    ledger: Ledger,
    key: IssuerKey,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
    valid_until: datetime | None = None,
) -> list[PublishedList]:
    """Every status list in ``ledger`` (under ``base_url`` if given), signed by ``key`` as a
    ``BitstringStatusListCredential``, to publish at its URL after every status change.

    Refuses (StatusListError) a key whose controller is not the issuer recorded for a list.
    """
    if not key.has_private:
        raise StatusListError("status lists must be signed with the issuer's private key", code="status.key")
    suite = default_cryptosuite(key.algorithm)
    moment = now or _time.now()
    records = ledger.lists()
    if base_url is not None:
        prefix = base_url.rstrip("/") + "/"
        records = [r for r in records if r.url.startswith(prefix)]
    for record in records:
        if record.issuer and record.issuer != key.controller:
            raise StatusListError(
                f"the list {record.url} belongs to issuer {record.issuer}, but this key's controller is "
                f"{key.controller}; sign with that issuer's key",
                code="status.key",
            )
    out = []
    for record in records:
        bits = ledger.list_bits(record.url)
        document = sign_status_list_credential(
            record.url,
            record.purpose,
            bits,
            issuer=record.issuer or key.controller,
            sign=lambda doc: sign_proof(doc, key, cryptosuite=suite, created=moment),
            valid_from=moment,
            valid_until=valid_until,
        )
        out.append(
            PublishedList(
                record.url, record.purpose, document, len(set_indexes(bits)), record.used, record.size
            )
        )
    return out
