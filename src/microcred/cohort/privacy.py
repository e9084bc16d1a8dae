"""Pseudonyms for a cohort's learners: what the ledger, the journal, the summary and the file names
hold instead of their emails (issue 10, privacy by default).

A pseudonym is a keyed HMAC-SHA256 of the row key (or of the normalised recipient) under a secret
derived (HKDF-SHA256) from the issuer's private key: the same issuer gets the same pseudonym for the
same learner on every rerun, so idempotency still holds, while someone holding the out-dir or the
ledger but not the key cannot test a guessed email against it (a plain or unsalted hash could be).
Rotating the issuing key changes every pseudonym: a rerun with a new key into an old out-dir issues
again.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from ..keys.material import IssuerKey

#: Every pseudonym starts with this (so it is never mistaken for an email or a DID).
PREFIX: Final = "hmac-sha256:"
#: HKDF's ``info``: names the use, so the secret is used for nothing else.
_INFO: Final = b"microcred cohort pseudonyms v1"
#: File stems of opaque names: ``learner-`` and this many hex characters of the pseudonym.
STEM_HEX: Final = 24


class Pseudonyms:
    """Keyed pseudonyms for one issuer (see the module docstring)."""

    def __init__(self, key: IssuerKey) -> None:
        if key.private_key is None:
            raise ValueError("pseudonyms need the issuer's private key")
        der = key.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._secret = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=key.controller.encode("utf-8"), info=_INFO
        ).derive(der)

    def of(self, value: str) -> str:
        """The pseudonym of ``value`` (a row key or a normalised recipient)."""
        mac = hmac.new(self._secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + mac

    def file_stem(self, value: str) -> str:
        """An opaque file stem for ``value``: ``learner-`` and 24 hex characters of its pseudonym."""
        return "learner-" + self.of(value)[len(PREFIX) : len(PREFIX) + STEM_HEX]


def is_pseudonym(value: str) -> bool:
    """True for a value :meth:`Pseudonyms.of` made."""
    return value.startswith(PREFIX) and len(value) == len(PREFIX) + 64
