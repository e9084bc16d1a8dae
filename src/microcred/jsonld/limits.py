"""Limits on the work one JSON-LD document may cause, checked before and during processing.

Hostile documents are stopped early: JSON size, depth and value count before JSON-LD processing
(:func:`check_limits`); quads and blank nodes before canonicalization (:func:`check_dataset`); Hash
N-Degree Quads work during it (:mod:`microcred.jsonld.rdfc`). Each raises
:class:`~microcred.errors.CanonicalizationError` with code ``canon.limit_exceeded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import limits as caps
from ..errors import CanonicalizationError
from . import rdfc


@dataclass(frozen=True)
class CanonLimits:
    """Bounds on the work one document may cause; the defaults admit any realistic credential.

    ``max_json_chars`` counts the characters of every key and string (about the JSON size),
    ``max_json_depth`` the nesting of objects and arrays, ``max_json_values`` every JSON value;
    ``max_quads`` and ``max_blank_nodes`` bound the RDF dataset; ``max_calls``, ``max_permutations``
    and ``max_work`` bound RDFC-1.0's Hash N-Degree Quads (see :mod:`microcred.jsonld.rdfc`).
    """

    max_json_chars: int = caps.MAX_JSON_CHARS
    max_json_depth: int = caps.MAX_JSON_DEPTH
    max_json_values: int = caps.MAX_JSON_VALUES
    max_quads: int = caps.MAX_QUADS
    max_blank_nodes: int = caps.MAX_BLANK_NODES
    max_calls: int = rdfc.DEFAULT_MAX_CALLS
    max_permutations: int = rdfc.DEFAULT_MAX_PERMUTATIONS
    max_work: int = rdfc.DEFAULT_MAX_WORK


#: The limits used when none are given.
DEFAULT_LIMITS = CanonLimits()


def _limit_error(what: str, limit: int, path: str | None = None) -> CanonicalizationError:
    return CanonicalizationError(
        f"document refused before canonicalization: {what} exceeds the limit of {limit} "
        "(raise it with limits=CanonLimits(...) if the document is trusted)",
        code="canon.limit_exceeded",
        path=path,
    )


def _path_of(trail: list[str | int]) -> str:
    out = ""
    for step in trail:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "$"


def check_limits(document: Any, limits: CanonLimits = DEFAULT_LIMITS) -> None:
    """Raise :class:`CanonicalizationError` (``canon.limit_exceeded``) if ``document`` is too big or deep.

    Iterative (never recursion-limited) and stops at the first limit crossed, so it is fast on any input.
    """
    max_depth = limits.max_json_depth
    max_values = limits.max_json_values
    max_chars = limits.max_json_chars
    values = 0
    chars = 0
    # (container, depth, trail); the trail is only turned into a path when a limit is crossed
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = []
    if isinstance(document, (dict, list)):
        stack.append((document, 1, ()))
    elif isinstance(document, str):
        chars = len(document)
    while stack:
        node, depth, trail = stack.pop()
        if depth > max_depth:
            raise _limit_error("the JSON nesting depth", max_depth, _path_of(list(trail)))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            values += 1
            if isinstance(key, str):
                chars += len(key)
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1, (*trail, key)))
            elif isinstance(value, str):
                chars += len(value)
            if values > max_values:
                raise _limit_error("the number of JSON values", max_values, _path_of([*trail, key]))
            if chars > max_chars:
                raise _limit_error(
                    "the JSON size (characters in keys and strings)", max_chars, _path_of([*trail, key])
                )


def check_dataset(quads: list[rdfc.Quad], limits: CanonLimits) -> None:
    """Refuse an RDF dataset with more quads or blank nodes than ``limits`` allow."""
    if len(quads) > limits.max_quads:
        raise _limit_error(f"the RDF dataset ({len(quads)} quads)", limits.max_quads)
    bnodes: set[str] = set()
    for s, _, o, g in quads:
        if s[:2] == "_:":
            bnodes.add(s)
        if o[:2] == "_:":
            bnodes.add(o)
        if g[:2] == "_:":
            bnodes.add(g)
    if len(bnodes) > limits.max_blank_nodes:
        raise _limit_error(f"the number of blank nodes ({len(bnodes)})", limits.max_blank_nodes)
