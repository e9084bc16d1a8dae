"""RDFC-1.0 (W3C RDF Dataset Canonicalization) with explicit limits on Hash N-Degree Quads work.

A quad here is a 4-tuple of N-Quads terms, already serialised in canonical form: ``<iri>``, ``_:label``
or a literal (``"text"``, ``"text"@lang``, ``"text"^^<datatype>``); the graph term is ``""`` for the
default graph. :func:`parse_nquads`, :func:`quads_from_pyld` and the helpers :func:`iri_term` and
:func:`literal_term` build such tuples.

Poison graphs (many indistinguishable blank nodes) make Hash N-Degree Quads explode; the work is
bounded by ``max_calls`` (recursive calls), ``max_permutations`` (permutations tried; a group whose
permutations cannot fit is refused at once) and ``max_work`` (steps), and optionally
the input by ``max_quads`` and ``max_blank_nodes``; exceeding any raises :class:`CanonicalizationError`
with code ``canon.limit_exceeded``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from typing import TYPE_CHECKING, Any

from pyld.canon import permutations as _sjt_permutations

from ..errors import CanonicalizationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: One quad: (subject, predicate, object, graph), serialised N-Quads terms; graph ``""`` = default graph.
Quad = tuple[str, str, str, str]

#: The hash algorithms RDFC-1.0 may be run with (the spec default is SHA-256).
HASH_ALGORITHMS: Mapping[str, Callable[..., Any]] = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}

#: Default cap on Hash N-Degree Quads invocations (the evil rdf-canon tests need a few hundred at most).
DEFAULT_MAX_CALLS = 5_000
#: Default cap on permutations examined by Hash N-Degree Quads, summed over the whole run.
DEFAULT_MAX_PERMUTATIONS = 25_000
#: Default cap on Hash N-Degree Quads steps (quads examined, identifiers copied, nodes permuted): well
#: under a second of work, and far above the few thousand the evil rdf-canon tests need.
DEFAULT_MAX_WORK = 1_000_000

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# --- term serialisation (canonical N-Quads, RDFC-1.0 §4 / RDF N-Quads canonical form) -------------

_LITERAL_ESCAPE_RE = re.compile('[\x00-\x1f\x7f"\\\\]')
_LITERAL_ESCAPES = {chr(n): f"\\u{n:04X}" for n in [*range(0x20), 0x7F]}
_LITERAL_ESCAPES.update(
    {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
)

_IRI_ESCAPE_RE = re.compile('[\x00-\x20<>"{}|^`\\\\]')


def _literal_sub(match: re.Match[str]) -> str:
    return _LITERAL_ESCAPES[match.group()]


def _iri_sub(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04X}"


def escape_literal(value: str) -> str:
    """``value`` escaped for the inside of a canonical N-Quads string literal."""
    return _LITERAL_ESCAPE_RE.sub(_literal_sub, value) if _LITERAL_ESCAPE_RE.search(value) else value


def iri_term(iri: str) -> str:
    """The N-Quads term for ``iri`` (characters not allowed in an IRIREF escaped as ``\\uXXXX``)."""
    if _IRI_ESCAPE_RE.search(iri):
        iri = _IRI_ESCAPE_RE.sub(_iri_sub, iri)
    return "<" + iri + ">"


def literal_term(value: str, datatype: str = XSD_STRING, language: str | None = None) -> str:
    """The canonical N-Quads term for a literal (``xsd:string`` implied, language tags kept as given)."""
    text = '"' + escape_literal(value) + '"'
    if datatype == RDF_LANGSTRING:
        return text + "@" + language if language else text
    if datatype == XSD_STRING:
        return text
    return text + "^^" + iri_term(datatype)


def serialize_quad(quad: Quad) -> str:
    """One canonical N-Quads line, LF-terminated."""
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


# --- input: N-Quads text ---------------------------------------------------------------------------

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "0-9\\-\u00b7\u0300-\u036f\u203f-\u2040"
_BNODE = f"(_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
_IRI = '<((?:[^\x00-\x20<>"{}|^`\\\\]|\\\\u[0-9A-Fa-f]{4}|\\\\U[0-9A-Fa-f]{8})*)>'
_LITERAL = '"((?:[^"\\\\\n\r]|\\\\[tbnrf"\'\\\\]|\\\\u[0-9A-Fa-f]{4}|\\\\U[0-9A-Fa-f]{8})*)"'
_LANG = "@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
_WS = "[ \t]"


@functools.cache
def _quad_re() -> re.Pattern[str]:
    """The N-Quads line pattern, compiled on first use (its Unicode classes take ~20 ms to compile,
    and verifying never parses N-Quads text)."""
    return re.compile(
        f"^{_WS}*(?:{_IRI}|{_BNODE}){_WS}*{_IRI}{_WS}*"
        f"(?:{_IRI}|{_BNODE}|{_LITERAL}(?:\\^\\^{_IRI}|{_LANG})?){_WS}*"
        f"(?:(?:{_IRI}|{_BNODE}){_WS}*)?\\.{_WS}*(?:#.*)?$"
    )


_EMPTY_RE = re.compile(f"^{_WS}*(?:#.*)?$")
_UNESCAPE_RE = re.compile(r"\\(?:([tbnrf\"'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape_sub(match: re.Match[str]) -> str:
    echar, u4, u8 = match.groups()
    if echar is not None:
        return _ECHARS[echar]
    return chr(int(u4 or u8, 16))


def _unescape(text: str) -> str:
    return _UNESCAPE_RE.sub(_unescape_sub, text) if "\\" in text else text


def parse_nquads(text: str) -> list[Quad]:
    """Parse N-Quads into canonical-term quads (duplicates removed, input order kept).

    Raises :class:`CanonicalizationError` (code ``canon.syntax``) naming the line that does not parse.
    """
    quads: dict[Quad, None] = {}
    for number, line in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        if _EMPTY_RE.match(line):
            continue
        m = _quad_re().match(line)
        if m is None:
            raise CanonicalizationError(
                f"N-Quads line {number} does not parse: {line[:200]!r}",
                code="canon.syntax",
                path=f"line {number}",
            )
        g = m.groups()
        subject = iri_term(_unescape(g[0])) if g[0] is not None else g[1]
        predicate = iri_term(_unescape(g[2]))
        if g[3] is not None:
            obj = iri_term(_unescape(g[3]))
        elif g[4] is not None:
            obj = g[4]
        else:
            value = _unescape(g[5])
            if g[6] is not None:
                obj = literal_term(value, _unescape(g[6]))
            elif g[7] is not None:
                obj = literal_term(value, RDF_LANGSTRING, g[7])
            else:
                obj = literal_term(value)
        if g[8] is not None:
            graph = iri_term(_unescape(g[8]))
        elif g[9] is not None:
            graph = g[9]
        else:
            graph = ""
        quads[(subject, predicate, obj, graph)] = None
    return list(quads)


# --- input: pyld's dataset form ----------------------------------------------------------------------


def _pyld_term(component: Mapping[str, Any]) -> str:
    kind = component["type"]
    if kind == "IRI":
        return iri_term(component["value"])
    if kind == "blank node":
        return str(component["value"])
    return literal_term(component["value"], component.get("datatype", XSD_STRING), component.get("language"))


def quads_from_pyld(dataset: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Quad]:
    """Quads from pyld's dataset form (``{graph name: [triple, ...]}``), duplicates removed, order kept."""
    quads: dict[Quad, None] = {}
    for name, triples in dataset.items():
        graph = "" if name == "@default" else (name if name.startswith("_:") else iri_term(name))
        for t in triples:
            quad = (_pyld_term(t["subject"]), _pyld_term(t["predicate"]), _pyld_term(t["object"]), graph)
            quads[quad] = None
    return list(quads)


# --- the algorithm -------------------------------------------------------------------------------------


class _Issuer:
    """An identifier issuer (RDFC-1.0 §4.3): prefix, counter, issued map in issue order."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = issued if issued is not None else {}

    def issue(self, existing: str) -> str:
        got = self.issued.get(existing)
        if got is None:
            got = self.issued[existing] = f"{self.prefix}{len(self.issued)}"
        return got

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued))


def _size_error(what: str, limit: int) -> CanonicalizationError:
    return CanonicalizationError(
        f"canonicalization refused: {what} exceeds the limit of {limit}", code="canon.limit_exceeded"
    )


class _State:
    def __init__(
        self,
        quads: Sequence[Quad],
        hash_algorithm: str,
        max_calls: int,
        max_permutations: int,
        max_quads: int | None = None,
        max_blank_nodes: int | None = None,
        max_work: int = 1_000_000,
    ) -> None:
        try:
            self.new_hash = HASH_ALGORITHMS[hash_algorithm.lower().replace("-", "")]
        except (KeyError, AttributeError):
            raise CanonicalizationError(
                f"hash algorithm {hash_algorithm!r} is not supported (use one of {sorted(HASH_ALGORITHMS)})",
                code="canon.unsupported_hash",
            ) from None
        self.quads = quads
        self.max_calls = max_calls
        self.max_permutations = max_permutations
        self.calls = 0
        self.permutations = 0
        self.work = 0
        self.max_work = max_work
        self.bnode_quads: dict[str, list[Quad]] = {}
        self.first_degree: dict[str, str] = {}
        self.canonical = _Issuer("_:c14n")
        if max_quads is not None and len(quads) > max_quads:
            raise _size_error(f"the RDF dataset ({len(quads)} quads)", max_quads)
        # terms are serialised: only a blank node starts with "_" (IRIs with "<", literals with '"')
        refs = self.bnode_quads
        for quad in quads:
            s, _, o, g = quad
            if s[:1] == "_":
                refs.setdefault(s, []).append(quad)
            if o[:1] == "_" and o != s:
                refs.setdefault(o, []).append(quad)
            if g and g[:1] == "_" and g != s and g != o:
                refs.setdefault(g, []).append(quad)
        if max_blank_nodes is not None and len(refs) > max_blank_nodes:
            raise _size_error(f"the number of blank nodes ({len(refs)})", max_blank_nodes)

    def hash_first_degree(self, bnode: str) -> str:
        cached = self.first_degree.get(bnode)
        if cached is not None:
            return cached
        lines = []
        for s, p, o, g in self.bnode_quads[bnode]:
            if s[:1] == "_":
                s = "_:a" if s == bnode else "_:z"
            if o[:1] == "_":
                o = "_:a" if o == bnode else "_:z"
            if g and g[:1] == "_":
                g = "_:a" if g == bnode else "_:z"
            lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
        lines.sort()
        digest: str = self.new_hash("".join(lines).encode("utf-8")).hexdigest()
        self.first_degree[bnode] = digest
        return digest

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        ident = self.canonical.issued.get(related) or issuer.issued.get(related)
        if ident is None:
            ident = self.hash_first_degree(related)
        if position == "g":
            text = "g" + ident
        else:
            if "\\" in predicate:  # the spec hashes the IRI itself, not its escaped form
                predicate = "<" + _unescape(predicate[1:-1]) + ">"
            text = position + predicate + ident
        return str(self.new_hash(text.encode("utf-8")).hexdigest())

    def _stop(self, what: str, limit: int, knob: str) -> CanonicalizationError:
        return CanonicalizationError(
            f"canonicalization stopped: Hash N-Degree Quads exceeded its limit of {limit} {what} "
            f"(a blank-node 'poison' graph, or raise {knob})",
            code="canon.limit_exceeded",
        )

    def charge(self, steps: int) -> None:
        """Count work (quads examined, identifiers copied, nodes permuted) against ``max_work``."""
        self.work += steps
        if self.work > self.max_work:
            raise self._stop("steps", self.max_work, "max_work")

    def hash_n_degree(self, bnode: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self.calls += 1
        if self.calls > self.max_calls:
            raise self._stop("calls", self.max_calls, "max_calls")
        self.charge(len(self.bnode_quads[bnode]))
        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.bnode_quads[bnode]:
            if s[:2] == "_:" and s != bnode:
                related_by_hash.setdefault(self.hash_related(s, p, issuer, "s"), []).append(s)
            if o[:2] == "_:" and o != bnode:
                related_by_hash.setdefault(self.hash_related(o, p, issuer, "o"), []).append(o)
            if g[:2] == "_:" and g != bnode:
                related_by_hash.setdefault(self.hash_related(g, p, issuer, "g"), []).append(g)
        md = self.new_hash()
        canonical = self.canonical.issued
        for related_hash in sorted(related_by_hash):
            md.update(related_hash.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            group = related_by_hash[related_hash]
            if math.factorial(len(group)) > self.max_permutations - self.permutations:
                # it cannot finish within the limit: stop now rather than after the budget is spent
                raise self._stop("permutations", self.max_permutations, "max_permutations")
            for permutation in _sjt_permutations(list(group)):
                self.permutations += 1
                self.charge(len(permutation) + len(issuer.issued))
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    got = canonical.get(related)
                    if got is not None:
                        path += got
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_issuer is not None and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, issuer_copy = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related) + "<" + result_hash + ">"
                    if chosen_issuer is not None and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if chosen_issuer is None or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            md.update(chosen_path.encode("utf-8"))
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return md.hexdigest(), issuer

    def run(self) -> dict[str, str]:
        by_hash: dict[str, list[str]] = {}
        for bnode in self.bnode_quads:
            by_hash.setdefault(self.hash_first_degree(bnode), []).append(bnode)
        shared: list[tuple[str, list[str]]] = []
        for digest in sorted(by_hash):
            bnodes = by_hash[digest]
            if len(bnodes) == 1:
                self.canonical.issue(bnodes[0])
            else:
                shared.append((digest, bnodes))
        for _digest, bnodes in shared:
            results = []
            for bnode in bnodes:
                if bnode in self.canonical.issued:
                    continue
                temporary = _Issuer("_:b")
                temporary.issue(bnode)
                results.append(self.hash_n_degree(bnode, temporary))
            results.sort(key=lambda r: r[0])
            for _hash, issuer in results:
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        return self.canonical.issued


def _not_unicode(exc: UnicodeEncodeError) -> CanonicalizationError:
    return CanonicalizationError(
        f"the data holds {exc.object[exc.start : exc.end]!r}, which is not Unicode text (a lone surrogate) "
        "and has no UTF-8 form to hash or sign",
        code="canon.invalid_text",
    )


def _relabel(quads: Iterable[Quad], issued: Mapping[str, str]) -> str:
    lines = []
    for s, p, o, g in quads:
        if s[:1] == "_":
            s = issued[s]
        if o[:1] == "_":
            o = issued[o]
        if g:
            if g[:1] == "_":
                g = issued[g]
            lines.append(f"{s} {p} {o} {g} .\n")
        else:
            lines.append(f"{s} {p} {o} .\n")
    lines.sort()
    return "".join(lines)


def canonicalize_with_map(
    quads: Sequence[Quad],
    *,
    hash_algorithm: str = "sha256",
    max_calls: int = DEFAULT_MAX_CALLS,
    max_permutations: int = DEFAULT_MAX_PERMUTATIONS,
    max_quads: int | None = None,
    max_blank_nodes: int | None = None,
    max_work: int = DEFAULT_MAX_WORK,
) -> tuple[str, dict[str, str]]:
    """Canonical N-Quads of ``quads`` and the issued identifiers map (input label -> ``c14nN``, no ``_:``).

    ``quads`` must be distinct (as :func:`parse_nquads` and :func:`quads_from_pyld` return them).
    Raises :class:`CanonicalizationError`: ``canon.limit_exceeded`` when Hash N-Degree Quads work passes
    ``max_calls``, ``max_permutations`` or ``max_work``, or the dataset has more than ``max_quads`` quads or
    ``max_blank_nodes`` blank nodes (unbounded when None); ``canon.unsupported_hash`` for a hash other
    than sha256/sha384.
    """
    try:
        state = _State(
            quads, hash_algorithm, max_calls, max_permutations, max_quads, max_blank_nodes, max_work
        )
        issued = state.run()
        text = _relabel(quads, issued)
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _not_unicode(exc) from None
    return text, {k[2:]: v[2:] for k, v in issued.items()}


def canonicalize(
    quads: Sequence[Quad],
    *,
    hash_algorithm: str = "sha256",
    max_calls: int = DEFAULT_MAX_CALLS,
    max_permutations: int = DEFAULT_MAX_PERMUTATIONS,
    max_quads: int | None = None,
    max_blank_nodes: int | None = None,
    max_work: int = DEFAULT_MAX_WORK,
) -> str:
    """Canonical N-Quads (RDFC-1.0) of ``quads``; see :func:`canonicalize_with_map` for errors."""
    try:
        state = _State(
            quads, hash_algorithm, max_calls, max_permutations, max_quads, max_blank_nodes, max_work
        )
        text = _relabel(quads, state.run())
        text.encode("utf-8")  # what is signed is UTF-8: refuse text that has none (a lone surrogate)
    except UnicodeEncodeError as exc:
        raise _not_unicode(exc) from None
    return text
