"""JSON text read with its nesting checked first: the one way microcred parses JSON it is handed.

``json.loads`` recurses once per nested array or object, so a few thousand ``[`` reach Python's
recursion limit inside the parser, before any limit on the parsed value can run. :func:`loads`
measures the nesting of the text (brackets outside strings) without recursing and refuses a text
nested deeper than :data:`MAX_JSON_DEPTH` with :class:`JsonDepthError`, a ``ValueError`` like
``json.JSONDecodeError``, so every caller's "not valid JSON" path handles it. A ``\\uD800``-style
escape that leaves a lone surrogate is refused the same way (:class:`JsonTextError`): such a string is
not Unicode text (I-JSON, RFC 7493), cannot be written as UTF-8, and would fail later, far from here.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any, Final

from . import limits

#: The deepest nesting of arrays and objects a JSON text may have; far above any credential, DID
#: document or status list (JSON-LD processing refuses a credential deeper than 64 on its own).
MAX_JSON_DEPTH: Final = limits.MAX_JSON_TEXT_DEPTH

#: A JSON string (escapes included), matched without backtracking blow-up.
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
#: Brackets as signed bytes: +1 for ``[`` and ``{``, -1 (0xFF) for ``]`` and ``}``.
_STEPS: Final = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
#: A ``\uD800``–``\uDFFF`` escape: a surrogate, lone unless paired (checked on the parsed value).
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonTextError(ValueError):
    """A JSON text holds a string that is not Unicode text (a lone surrogate)."""


class JsonDepthError(ValueError):
    """A JSON text nests arrays and objects deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests brackets (outside strings) deeper than ``limit``; no recursion.

    The running depth is a C-level running sum over the brackets alone (``+1`` opening, ``-1``
    closing), so even 16 MB of brackets takes about a second.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    steps = array("b")
    steps.frombytes(brackets.translate(_STEPS))
    return max(accumulate(steps), default=0) > limit


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after checking the nesting: :class:`JsonDepthError` when deeper than ``max_depth``.

    Bytes are decoded as UTF-8 (a ``UnicodeDecodeError``, also a ``ValueError``, when they are not).
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    if too_deep(text, max_depth):
        raise JsonDepthError(max_depth)
    value = json.loads(text)
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonTextError("JSON text holds a lone surrogate escape: not Unicode text") from None
    return value
