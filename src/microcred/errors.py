"""The exception tree: every error has a stable code, a message and, where known, a field path."""

from __future__ import annotations


class MicrocredError(Exception):
    """Base of every error microcred raises on purpose.

    ``code`` is stable and machine-readable (``schema.invalid``); ``path`` names the field
    (``credentialSubject.achievement.name``) and ``source`` the file, where they are known.
    """

    code: str = "microcred.error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        code: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.source = source
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f" [{self.path}]" if self.path else "") + ": "
        elif self.path:
            where = f"{self.path}: "
        return where + self.message


class DefinitionError(MicrocredError, ValueError):
    """An achievement definition or a model value is invalid."""

    code = "definition.invalid"


class SchemaValidationError(MicrocredError, ValueError):
    """A credential does not validate against a JSON Schema."""

    code = "schema.invalid"


class JsonLdError(MicrocredError, ValueError):
    """JSON-LD processing failed: an unknown context URL, an undefined term, bad syntax."""

    code = "jsonld.invalid"


class CanonicalizationError(MicrocredError, ValueError):
    """RDF canonicalization refused the input (a limit was exceeded, or it is malformed)."""

    code = "canon.failed"


class KeyFormatError(MicrocredError, ValueError):
    """A key file or key value cannot be read, or is of the wrong kind."""

    code = "key.invalid"


class DidError(MicrocredError, ValueError):
    """A DID or verification method cannot be parsed or resolved."""

    code = "did.invalid"


class ProofError(MicrocredError, ValueError):
    """A proof cannot be created, or is structurally invalid."""

    code = "proof.invalid"


class JwtError(MicrocredError, ValueError):
    """A VC-JWT cannot be created, parsed or checked."""

    code = "jwt.invalid"


class FetchError(MicrocredError, OSError):
    """A resource could not be fetched (no network, too large, timed out, not allowed)."""

    code = "fetch.failed"


class InputError(MicrocredError, ValueError):
    """The input cannot be read as a credential at all."""

    code = "input.unreadable"


class LedgerError(MicrocredError, RuntimeError):
    """The issuer ledger is damaged, foreign, or an operation on it failed."""

    code = "ledger.error"


class StatusListError(MicrocredError, ValueError):
    """A status list or status entry is invalid or cannot be checked."""

    code = "status.invalid"


class BakingError(MicrocredError, ValueError):
    """An image cannot be baked or unbaked."""

    code = "baking.invalid"
