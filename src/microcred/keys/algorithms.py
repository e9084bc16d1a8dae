"""The key algorithms microcred signs with, and how each signs when nothing else is asked for.

:data:`SIGNING_DEFAULTS` is the one home of that policy: the JWS ``alg`` of a key type (VC-JWT) and its
Data Integrity cryptosuite. :func:`microcred.issue`, :func:`microcred.issue_many`, ``sign()``, the
status lists and the command line all read it through :func:`jws_algorithm`,
:func:`default_cryptosuite` and :func:`default_format`.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from ..errors import KeyFormatError

#: Key algorithms microcred signs with. ``P-384`` is accepted too (the W3C ECDSA vectors use it).
Algorithm = Literal["Ed25519", "P-256", "P-384", "RSA"]
ALGORITHMS: Final[tuple[str, ...]] = get_args(Algorithm)

#: Smallest RSA modulus accepted anywhere (generate, load, verify).
MIN_RSA_BITS: Final = 2048

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
