"""What one learner receives: who they are (:class:`Recipient`, an email stored hashed or a DID), their
:class:`Result` on the achievement's grade scale, and :class:`Evidence` of their work."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from .checks import (
    EMAIL,
    HASH,
    IRI,
    drop_none,
    fail,
    require_iri,
    require_text,
    require_vocab,
)
from .elements import GradeScale
from .vocabularies import (
    IDENTIFIER_TYPES,
)


@dataclass(frozen=True, slots=True)
class Result:
    """A learner's grade: its value, optionally on a grade scale."""

    value: str
    scale: GradeScale | None = None

    def __post_init__(self) -> None:
        require_text(self.value, "grade.value")
        if self.scale is not None:
            if not isinstance(self.scale, GradeScale):
                raise fail("grade", "scale must be a GradeScale")
            if self.scale.allowed and self.value not in self.scale.allowed:
                raise fail("grade.value", f"{self.value!r} is not one of {', '.join(self.scale.allowed)}")


#: The grade element is an OB ``Result``.
Grade = Result


@dataclass(frozen=True, slots=True)
class Evidence:
    """Evidence of the learner's work (workplace learning, portfolio, RPL): an OB ``Evidence``."""

    id: str | None = None
    name: str | None = None
    narrative: str | None = None
    genre: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        require_iri(self.id, "evidence.id", required=False)
        for key in ("name", "narrative", "genre", "description"):
            require_text(getattr(self, key), f"evidence.{key}", required=False)
        if self.id is None and self.narrative is None and self.description is None:
            raise fail("evidence", "needs an id (URL), a narrative or a description")

    @classmethod
    def parse(cls, value: str) -> Evidence:
        """``URL`` or ``URL=NAME`` (as given on the command line)."""
        url, _, name = value.partition("=")
        return cls(id=url.strip(), name=name.strip() or None)

    def to_element(self) -> dict[str, Any]:
        """``{"id", "name", "narrative", "genre", "description"}``."""
        return drop_none(
            {
                "id": self.id,
                "name": self.name,
                "narrative": self.narrative,
                "genre": self.genre,
                "description": self.description,
            }
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """The learner: a DID/URI and/or a hashed identity (``IdentityObject``), optionally a display name."""

    id: str | None = None
    identity_hash: str | None = None
    identity_type: str = "emailAddress"
    salt: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        require_iri(self.id, "learner.id", required=False)
        if self.id is None and self.identity_hash is None:
            raise fail("learner", "needs a DID/URI or a hashed identity")
        if self.identity_hash is not None:
            require_text(self.identity_hash, "learner.identity_hash")
            if not HASH.match(self.identity_hash):
                raise fail("learner.identity_hash", "must be sha256$<64 hex digits>")
            require_text(self.salt, "learner.salt", required=False)
        require_vocab(self.identity_type, IDENTIFIER_TYPES, "learner.identity_type")
        require_text(self.name, "learner.name", required=False)

    @staticmethod
    def hash_identity(value: str, salt: str) -> str:
        """``sha256$`` + hex SHA-256 of ``value`` followed by ``salt`` (Open Badges IdentityObject)."""
        return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()

    @classmethod
    def parse(cls, value: str, name: str | None = None, *, salt: str | None = None) -> Recipient:
        """A DID/URI as-is, or an email (``mailto:`` optional) stored only as a salted hash.

        ``salt`` defaults to 16 random bytes (hex); pass one to make the hash reproducible.
        """
        require_text(value, "learner")
        text = value.strip()
        email = text[len("mailto:") :] if text.lower().startswith("mailto:") else text
        if "@" in email and EMAIL.match(email) and ":" not in email:
            salt = secrets.token_hex(16) if salt is None else salt
            require_text(salt, "learner.salt")
            return cls(identity_hash=cls.hash_identity(email.lower(), salt), salt=salt, name=name)
        if not IRI.match(text):
            raise fail("learner", f"{value!r} is neither an email address nor an absolute URI/DID")
        return cls(id=text, name=name)

    @classmethod
    def from_identifier(
        cls, value: str, identity_type: str, name: str | None = None, *, salt: str | None = None
    ) -> Recipient:
        """An institution's identifier of the learner (a student number is ``sisSourcedId``), stored only
        as a salted hash, like an email address. ``salt`` defaults to 16 random bytes (hex)."""
        require_text(value, "learner")
        salt = secrets.token_hex(16) if salt is None else salt
        require_text(salt, "learner.salt")
        digest = cls.hash_identity(value.strip(), salt)
        return cls(identity_hash=digest, identity_type=identity_type, salt=salt, name=name)

    def matches_email(self, email: str) -> bool:
        """Whether ``email`` is the address hashed into this recipient."""
        if self.identity_hash is None or self.salt is None:
            return False
        return secrets.compare_digest(
            self.hash_identity(email.strip().lower(), self.salt), self.identity_hash
        )

    def to_element(self) -> dict[str, Any]:
        """The ``learner`` element: ``{"id", "name", "identities": [...]}``."""
        identities = []
        if self.identity_hash is not None:
            identities.append(
                drop_none(
                    {
                        "identity_type": self.identity_type,
                        "identity_hash": self.identity_hash,
                        "hashed": True,
                        "salt": self.salt,
                    }
                )
            )
        return drop_none({"id": self.id, "name": self.name, "identities": identities})
