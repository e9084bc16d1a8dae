"""The fast path: a credential's JSON straight to RDF quads, byte-identical to pyld's, memoized.

It follows pyld's own expansion step by step and uses pyld itself for everything context-dependent;
what it adds is memoization keyed by the identity of pyld's active contexts. Anything outside the
subset it covers raises :class:`NotCovered`, and the caller takes the general path
(:mod:`microcred.jsonld.expand`) instead; nothing is guessed.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from pyld import jsonld as _pyld

from . import rdfc
from .expand import pyld_options

if TYPE_CHECKING:
    from .limits import CanonLimits
    from .loader import DocumentLoader

#
# It follows pyld's own expansion step by step (pyld's _expand, _expand_object, _prepare_nested_context,
# _expand_value and _object_to_rdf) and uses pyld itself for everything context-dependent: context
# processing, IRI expansion and term definitions. What it adds is memoization keyed by the identity of
# pyld's active contexts (pyld re-processes type-scoped contexts for every node). Anything outside the
# subset below raises NotCovered and the document goes through pyld instead; nothing is guessed.
#
# Covered: node objects with @id / @type / @context (and their aliases), properties whose values are
# strings, numbers, booleans, null, node objects or arrays of these; @set, @list and @graph containers
# (a proof is an @graph); term coercion to @id, @vocab and datatype IRIs; property-scoped, type-scoped
# and embedded contexts. Not covered (falls back): value objects ({"@value": ...}), @language, @index,
# @id and @type containers, @reverse, @nest, @included, @json, default language or direction, arrays of
# arrays, a string in an @graph container, two keys for @type or @id, blank-node identifiers written in
# the document, relative IRIs and undefined terms (which safe mode refuses on the general path), context
# errors, and any JSON that is not plain dict/list/str/int/float/bool/None.

_XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_RDF_FIRST = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>"
_RDF_REST = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
_RDF_NIL = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#nil>"
_BAD_CONTAINERS = frozenset(("@language", "@index", "@id", "@type"))
_MAX_MEMO = 50_000
_MAX_DATA_MEMO = 20_000


def _absolute_term(iri: str | None) -> str | None:
    """The N-Quads term for ``iri`` if it is an absolute IRI (not a blank node), else None."""
    if iri is None or iri[:2] == "_:" or not _pyld._is_absolute_iri(iri):
        return None
    return rdfc.iri_term(iri)


class NotCovered(Exception):
    """The fast path does not cover this document: use the general path."""


class _Plan:
    """What a key means under one active context."""

    __slots__ = ("container", "kind", "predicate", "scalar", "term_ctx")

    def __init__(self, kind: str, predicate: str | None, term_ctx: Any, container: str | None = None) -> None:
        self.kind = kind  # "property", "@id", "@type", "@context"
        self.predicate = predicate
        self.term_ctx = term_ctx  # the context values of this key are expanded with
        self.container = container  # None, "@list" or "@graph"
        self.scalar: tuple[str, str | None] | None = None  # how a string value converts, once known


class _Fast:
    """Memoized context work for one loader. Everything is keyed by ``id()`` of objects it keeps alive."""

    def __init__(self, loader: DocumentLoader) -> None:
        self.processor = _pyld.JsonLdProcessor()
        options = pyld_options(loader)
        options.update({"isFrame": False, "keepFreeFloatingNodes": False, "produceGeneralizedRdf": False})
        self.options = options
        self.initial = self.processor._get_initial_context(options)
        self.keep: list[Any] = [self.initial]
        self.contexts: dict[tuple[Any, ...], Any] = {}
        self.iris: dict[tuple[int, str, bool], str | None] = {}
        self.data_iris: dict[tuple[int, str, bool], str | None] = {}
        self.type_terms: dict[tuple[int, str], str | None] = {}
        self.plans: dict[tuple[int, str], _Plan] = {}
        self.scalars: dict[tuple[int, str], tuple[str, str | None]] = {}
        self.shapes: dict[tuple[Any, ...], tuple[Any, tuple[str, ...], int]] = {}
        self.type_keys: dict[tuple[Any, ...], str | None] = {}
        self.finals: dict[tuple[Any, ...], tuple[tuple[str, _Plan], ...]] = {}
        self.lock = threading.Lock()

    def full(self) -> bool:
        sizes: tuple[dict[Any, Any], ...] = (
            self.contexts,
            self.iris,
            self.plans,
            self.scalars,
            self.shapes,
            self.type_keys,
            self.finals,
            self.type_terms,
        )
        return sum(map(len, sizes)) > _MAX_MEMO

    # pyld, memoized -----------------------------------------------------------------------------------
    def process(self, ctx: Any, local: Any, propagate: bool = True, override: bool = False) -> Any:
        if isinstance(local, str):
            lkey: Any = local
        elif isinstance(local, list) and all(isinstance(x, str) for x in local):
            lkey = tuple(local)
        else:
            # a scoped context lives inside a kept active context, so its id() is stable; a context
            # written in the document is new each time and is keyed by its JSON text
            got = self.contexts.get((id(ctx), ("#", id(local)), propagate, override))
            if got is not None and got[0] is local:
                return got[1]
            try:
                lkey = ("json", json.dumps(local, ensure_ascii=False))
            except (TypeError, ValueError):
                raise NotCovered from None
        key = (id(ctx), lkey, propagate, override)
        got = self.contexts.get(key)
        if got is not None:
            return got[1]
        try:
            result = self.processor._process_context(
                ctx, local, self.options, override_protected=override, propagate=propagate
            )
        except Exception as exc:  # pyld reports it on the general path, with safe-mode wording
            raise NotCovered from exc
        with self.lock:
            self.keep.append(local)
            self.keep.append(result)
            self.contexts[key] = (local, result)
            if isinstance(lkey, tuple) and lkey[0] == "json":
                self.contexts[(id(ctx), ("#", id(local)), propagate, override)] = (local, result)
        return result

    def iri(self, ctx: Any, value: str, vocab: bool) -> str | None:
        key = (id(ctx), value, vocab)
        try:
            return self.iris[key]
        except KeyError:
            pass
        got: str | None = self.processor._expand_iri(ctx, value, base=None, vocab=vocab)
        self.iris[key] = got
        return got

    def value_term(self, ctx: Any, value: str, vocab: bool) -> str | None:
        """The IRI term ``value`` expands to (a node id, a coerced value), or None if it is not an absolute
        IRI. A separate memo for data, emptied when it grows large."""
        key = (id(ctx), value, vocab)
        memo = self.data_iris
        try:
            return memo[key]
        except KeyError:
            pass
        iri = self.processor._expand_iri(ctx, value, base=None, vocab=vocab)
        term = _absolute_term(iri)
        if len(memo) >= _MAX_DATA_MEMO:
            memo.clear()
        memo[key] = term
        return term

    def type_term(self, ctx: Any, value: str) -> str | None:
        """The IRI term of the type ``value`` under ``ctx``, or None if it is not an absolute IRI."""
        key = (id(ctx), value)
        memo = self.type_terms
        try:
            return memo[key]
        except KeyError:
            pass
        iri = self.iri(ctx, value, True)
        term = _absolute_term(iri)
        memo[key] = term
        return term

    def plan(self, ctx: Any, key: str) -> _Plan:
        memo = (id(ctx), key)
        got = self.plans.get(memo)
        if got is not None:
            return got
        expanded = self.iri(ctx, key, True)
        if expanded in ("@id", "@type", "@context"):
            plan = _Plan(expanded, None, ctx)
        elif expanded is None or expanded[:1] in ("@", "_") or not _pyld._is_absolute_iri(expanded):
            raise NotCovered  # a keyword we do not cover, or a term safe mode refuses
        else:
            definition = ctx["mappings"].get(key)
            term_ctx = ctx
            kind_of_container = None
            if definition is not None:
                if definition.get("reverse") or "@nest" in definition:
                    raise NotCovered
                container = definition.get("@container")
                if container is not None:
                    container = container if isinstance(container, list) else [container]
                    if _BAD_CONTAINERS.intersection(container) or (
                        "@list" in container and "@graph" in container
                    ):
                        raise NotCovered
                    if "@list" in container:
                        kind_of_container = "@list"
                    elif "@graph" in container:
                        kind_of_container = "@graph"
                if definition.get("@type") == "@json":
                    raise NotCovered
                scoped = definition.get("@context")
                if scoped is not None:
                    term_ctx = self.process(ctx, scoped, propagate=True, override=True)
                    redefined = term_ctx["mappings"].get(key)
                    if redefined is not None and (redefined.get("reverse") or "@nest" in redefined):
                        raise NotCovered
            plan = _Plan("property", rdfc.iri_term(expanded), term_ctx, kind_of_container)
        self.plans[memo] = plan
        return plan

    def shape(
        self, ctx: Any, active_property: str | None, keys: tuple[str, ...]
    ) -> tuple[Any, tuple[str, ...], int]:
        """Steps 1-2 of pyld's _expand for a node with ``keys``: the context after reverting a
        non-propagated type-scoped context and applying the property-scoped one; the keys sorted."""
        memo = (id(ctx), active_property, keys)
        got = self.shapes.get(memo)
        if got is not None:
            return got
        must_revert = True
        if ctx.get("previousContext") and len(keys) <= 2 and "@context" not in keys:
            for key in sorted(keys):
                expanded = self.iri(ctx, key, True)
                if expanded == "@value":
                    raise NotCovered
                if expanded == "@id" and len(keys) == 1:
                    must_revert = False
                    break
        property_scoped = None
        if active_property is not None:
            definition = ctx["mappings"].get(active_property)
            if definition is not None:
                property_scoped = definition.get("@context")
        result = ctx.get("previousContext", ctx) if must_revert else ctx
        if property_scoped is not None:
            result = self.process(result, property_scoped, propagate=True, override=True)
        shape = (result, tuple(sorted(keys)), sum(len(k) for k in keys))
        self.shapes[memo] = shape
        return shape

    def type_key(self, ctx: Any, keys: tuple[str, ...]) -> str | None:
        """The key expanding to @type under ``ctx`` (at most one is covered)."""
        memo = (id(ctx), keys)
        try:
            return self.type_keys[memo]
        except KeyError:
            pass
        found = [k for k in keys if k != "@context" and self.iri(ctx, k, True) == "@type"]
        if len(found) > 1:
            raise NotCovered  # pyld re-reads later @type keys under the updated context
        self.type_keys[memo] = found[0] if found else None
        return found[0] if found else None

    def final(
        self, ctx: Any, keys: tuple[str, ...], types: tuple[str, ...], type_key: str | None
    ) -> tuple[tuple[str, _Plan], ...]:
        """The (key, plan) pairs of a node after its type-scoped contexts, the @id key first."""
        memo = (id(ctx), keys, types)
        got = self.finals.get(memo)
        if got is not None:
            return got
        result = ctx
        get = _pyld.JsonLdProcessor.get_context_value
        for t in sorted(types):
            scoped = get(ctx, t, "@context")
            if scoped is not None and scoped is not False:
                result = self.process(result, scoped, propagate=False)
        plans = [(key, self.plan(result, key)) for key in keys if key != "@context"]
        ids = [p for p in plans if p[1].kind == "@id"]
        if len(ids) > 1:
            raise NotCovered  # colliding keywords: pyld raises
        if type_key is not None and self.plan(result, type_key).kind != "@type":
            raise NotCovered
        final = tuple(ids + [p for p in plans if p[1].kind != "@id"])
        self.finals[memo] = final
        return final

    def scalar_kind(self, term_ctx: Any, key: str) -> tuple[str, str | None]:
        """How a string value of ``key`` converts: ("plain", None), ("id"|"vocab", None), ("typed", dt)."""
        memo = (id(term_ctx), key)
        got = self.scalars.get(memo)
        if got is not None:
            return got
        get = _pyld.JsonLdProcessor.get_context_value
        type_ = get(term_ctx, key, "@type")
        expanded = self.iri(term_ctx, key, True)
        if expanded is None or expanded[:1] == "@" or not _pyld._is_absolute_iri(expanded):
            raise NotCovered
        if type_ == "@id":
            kind: tuple[str, str | None] = ("id", None)
        elif type_ == "@vocab":
            kind = ("vocab", None)
        elif type_ is not None and type_ != "@none":
            if not isinstance(type_, str) or type_[:1] == "@":
                raise NotCovered
            # pyld rewrites strings typed xsd:double; leave those to pyld's own code
            kind = ("typed", type_) if type_ != _XSD_DOUBLE else ("generic", None)
        elif get(term_ctx, key, "@language") is None and get(term_ctx, key, "@direction") is None:
            kind = ("plain", None)
        else:
            raise NotCovered
        self.scalars[memo] = kind
        return kind


_FAST_LOCK = threading.Lock()
_FAST_ATTRIBUTE = "_microcred_fast_canonical"


def _fast_for(loader: DocumentLoader) -> _Fast:
    # The memo lives on the loader itself (it refers back to the loader), so it goes when the loader goes;
    # a WeakKeyDictionary would keep every loader alive through that reference.
    fast = getattr(loader, _FAST_ATTRIBUTE, None)
    if fast is None or fast.full():
        with _FAST_LOCK:
            fast = getattr(loader, _FAST_ATTRIBUTE, None)
            if fast is None or fast.full():
                fast = _Fast(loader)
                setattr(loader, _FAST_ATTRIBUTE, fast)
    return fast


class _Converter:
    """One document's conversion to quads (see the comment above :class:`NotCovered`)."""

    __slots__ = ("blank", "chars", "fast", "limits", "quads", "values")

    def __init__(self, fast: _Fast, limits: CanonLimits) -> None:
        self.fast = fast
        self.limits = limits
        self.quads: dict[rdfc.Quad, None] = {}
        self.blank = 0
        self.values = 0
        self.chars = 0

    def count(self, node: Any, depth: int) -> None:
        """Count an uninspected subtree (an @context) the way :func:`check_limits` does."""
        if depth > self.limits.max_json_depth:
            raise NotCovered
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            self.values += 1
            if isinstance(key, str):
                self.chars += len(key)
            if isinstance(value, str):
                self.chars += len(value)
            elif isinstance(value, (dict, list)):
                self.count(value, depth + 1)

    def literal(self, term_ctx: Any, key: str, value: Any) -> str:
        """The RDF term for a scalar ``value`` of ``key`` (pyld's _expand_value then _object_to_rdf)."""
        fast = self.fast
        kind, datatype = fast.scalar_kind(term_ctx, key)
        if type(value) is str:
            if kind == "plain":
                return rdfc.literal_term(value)
            if kind == "typed":
                return rdfc.literal_term(value, datatype)  # type: ignore[arg-type]
            if kind != "generic":
                term = fast.value_term(term_ctx, value, kind == "vocab")
                if term is None:
                    raise NotCovered
                return term
        elif type(value) is int and (kind == "plain" or (kind == "typed" and datatype != _XSD_DOUBLE)):
            # pyld's _object_to_rdf for an integer below 1e21 (larger ones become doubles: pyld does those)
            if abs(value) < 1e21:
                return rdfc.literal_term(str(value), datatype or _XSD_INTEGER)
        elif type(value) is bool and kind in ("plain", "typed"):
            return rdfc.literal_term("true" if value else "false", datatype or _XSD_BOOLEAN)
        elif type(value) not in (int, float, bool):
            raise NotCovered
        expanded = fast.processor._expand_value(term_ctx, key, value, fast.options)
        if not isinstance(expanded, dict) or "@value" not in expanded:
            raise NotCovered
        extra: list[Any] = []
        component = fast.processor._object_to_rdf(expanded, None, extra, fast.options)
        if component is None or extra or component.get("type") != "literal":
            raise NotCovered
        return rdfc.literal_term(component["value"], component["datatype"], component.get("language"))

    def term(self, term_ctx: Any, key: str, value: Any, depth: int, graph: str) -> str:
        """The object term for one non-null, non-array ``value`` of ``key`` (a node is converted too)."""
        if type(value) is dict:
            return self.node(term_ctx, key, value, depth, graph)
        if type(value) is str:
            self.chars += len(value)
            if self.chars > self.limits.max_json_chars:
                raise NotCovered
        return self.literal(term_ctx, key, value)

    def items(self, value: Any, depth: int) -> list[Any]:
        """``value`` as a list of non-null items (pyld's arrayify, flattening nested arrays)."""
        if type(value) is not list:
            return [] if value is None else [value]
        if depth > self.limits.max_json_depth:
            raise NotCovered
        out: list[Any] = []
        max_values = self.limits.max_json_values
        for item in value:
            self.values += 1
            if type(item) is list or self.values > max_values:
                raise NotCovered
            if item is not None:
                out.append(item)
        return out

    def value(self, plan: _Plan, key: str, value: Any, subject: str, depth: int, graph: str) -> None:
        """Add the quads for ``key: value`` of ``subject`` (pyld's _expand_object for one property)."""
        term_ctx = plan.term_ctx
        predicate: str = plan.predicate  # type: ignore[assignment]
        quads = self.quads
        if type(value) is str and plan.container is None:  # the common case, inlined
            self.chars += len(value)
            if self.chars > self.limits.max_json_chars:
                raise NotCovered
            scalar = plan.scalar
            if scalar is None:
                scalar = plan.scalar = self.fast.scalar_kind(term_ctx, key)
            if scalar[0] == "plain":
                obj = rdfc.literal_term(value)
            elif scalar[0] == "typed":
                obj = rdfc.literal_term(value, scalar[1])  # type: ignore[arg-type]
            else:
                obj = self.literal(term_ctx, key, value)
            quads[(subject, predicate, obj, graph)] = None
            return
        deeper = depth + 1 if type(value) is list else depth
        if plan.container is None:
            for item in self.items(value, depth):
                quads[(subject, predicate, self.term(term_ctx, key, item, deeper, graph), graph)] = None
        elif plan.container == "@graph":
            for item in self.items(value, depth):
                if type(item) is not dict:
                    raise NotCovered
                name = f"_:b{self.blank}"
                self.blank += 1
                self.node(term_ctx, key, item, deeper, name)
                quads[(subject, predicate, name, graph)] = None
        else:  # "@list": an RDF collection (pyld's _list_to_rdf)
            if value is None:
                return
            terms = [self.term(term_ctx, key, item, deeper, graph) for item in self.items(value, depth)]
            head = _RDF_NIL
            for obj in reversed(terms):
                node = f"_:b{self.blank}"
                self.blank += 1
                quads[(node, _RDF_FIRST, obj, graph)] = None
                quads[(node, _RDF_REST, head, graph)] = None
                head = node
            quads[(subject, predicate, head, graph)] = None

    def node(
        self, ctx: Any, active_property: str | None, element: dict[str, Any], depth: int, graph: str
    ) -> str:
        """Convert a node object; return its subject term. Mirrors pyld's _expand for an object."""
        fast = self.fast
        limits = self.limits
        if depth > limits.max_json_depth:
            raise NotCovered
        self.values += len(element)
        if self.values > limits.max_json_values:
            raise NotCovered
        ctx, keys, key_chars = fast.shape(ctx, active_property, tuple(element))
        self.chars += key_chars
        if "@context" in element:  # an embedded context applies before the types are looked at
            local = element["@context"]
            if isinstance(local, dict) and len(local) == 1 and "@context" in local:
                raise NotCovered
            if isinstance(local, (dict, list)):
                self.count(local, depth + 1)
            elif isinstance(local, str):
                self.chars += len(local)
            ctx = fast.process(ctx, local)
        type_ctx = ctx
        type_key = fast.type_key(ctx, keys)
        types: tuple[str, ...] = ()
        if type_key is not None:
            value = element[type_key]
            if type(value) is list:
                types = tuple(value)
                self.values += len(types)
                if depth + 1 > limits.max_json_depth:
                    raise NotCovered
            else:
                types = (value,)
            for t in types:
                if type(t) is not str:
                    raise NotCovered
                self.chars += len(t)
        plans = fast.final(ctx, keys, types, type_key)
        if self.chars > limits.max_json_chars:
            raise NotCovered
        subject = None
        quads = self.quads
        for key, plan in plans:
            kind = plan.kind
            if kind == "@id":  # plans put the @id key first
                ident = element[key]
                if type(ident) is not str:
                    raise NotCovered
                self.chars += len(ident)
                subject = fast.value_term(plan.term_ctx, ident, False)
                if subject is None:
                    raise NotCovered
                continue
            if subject is None:
                subject = f"_:b{self.blank}"
                self.blank += 1
            if kind == "property":
                self.value(plan, key, element[key], subject, depth + 1, graph)
            else:  # "@type", expanded with the context from before the type-scoped ones
                value = element[key]
                if key != type_key:
                    raise NotCovered
                for t in types:
                    term = fast.type_term(type_ctx, t)
                    if term is None:
                        raise NotCovered
                    quads[(subject, _RDF_TYPE, term, graph)] = None
        if subject is None:
            subject = f"_:b{self.blank}"
            self.blank += 1
        return subject


def fast_quads(document: dict[str, Any], loader: DocumentLoader, limits: CanonLimits) -> list[rdfc.Quad]:
    fast = _fast_for(loader)
    converter = _Converter(fast, limits)
    converter.node(fast.initial, None, document, 1, "")
    if converter.values > limits.max_json_values or converter.chars > limits.max_json_chars:
        raise NotCovered
    return list(converter.quads)
