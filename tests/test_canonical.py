"""jsonld/canonical.py: safe-mode canonicalization, the W3C vectors, and the limits for hostile documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from microcred.errors import CanonicalizationError, JsonLdError
from microcred.jsonld import canonical, expand
from microcred.jsonld.canonical import canonicalize
from microcred.jsonld.limits import DEFAULT_LIMITS, CanonLimits, check_limits

VECTORS = Path(__file__).parent / "vectors" / "canon"
W3C = VECTORS / "vc-di-eddsa"
V2 = "https://www.w3.org/ns/credentials/v2"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _complete() -> dict:
    doc = _load(VECTORS / "1edtech-validator-ob30" / "complete.json")
    doc.pop("proof", None)
    return doc


@pytest.mark.parametrize("reference", [False, True], ids=["guarded", "reference"])
@pytest.mark.parametrize(
    ("document", "expected"),
    [("unsigned.json", "canonDocDataInt.txt"), ("proofConfigDataInt.json", "proofCanonDataInt.txt")],
    ids=["unsigned.json", "proofConfigDataInt.json"],
)
def test_w3c_eddsa_rdfc_2022_vectors(document, expected, reference):
    got = canonicalize(_load(W3C / document), reference=reference)
    assert got == (W3C / expected).read_bytes().decode("utf-8")


def test_canonicalize_does_not_change_its_input():
    doc = _complete()
    before = copy.deepcopy(doc)
    canonicalize(doc)
    canonicalize(doc, reference=True)
    assert doc == before


def test_undefined_term_is_refused_by_safe_mode():
    doc = _complete()  # OB 3.0 on credentials v1: no @vocab catches undefined terms
    doc["credentialSubject"]["favouriteColour"] = "green"
    for reference in (False, True):
        with pytest.raises(JsonLdError) as info:
            canonicalize(doc, reference=reference)
        assert info.value.code == "jsonld.undefined_term"
        assert info.value.path == "credentialSubject.favouriteColour"


def test_unknown_hash_algorithm_is_refused():
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(_load(W3C / "unsigned.json"), hash_algorithm="sha1")
    assert info.value.code == "canon.unsupported_hash"


def test_control_characters_are_escaped_as_rdfc_1_0_says():
    # RDFC-1.0 (and Digital Bazaar's rdf-canonize) write U+0001 as \u0001 and U+0008 as \b;
    # pyld 3.3, the reference path, writes them raw. TAB, LF, CR, quote and backslash agree.
    doc = _load(W3C / "unsigned.json")
    doc["name"] = 'a\x01b\x08c\td\ne"f\\'
    guarded = canonicalize(doc)
    assert '"a\\u0001b\\bc\\td\\ne\\"f\\\\"' in guarded
    reference = canonicalize(doc, reference=True)
    assert '"a\x01b\x08c\\td\\ne\\"f\\\\"' in reference


def test_a_large_legitimate_credential_passes_the_default_limits():
    doc = _complete()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": f"Learning outcome {i}",
            "targetUrl": f"https://example.edu/outcomes/{i}",
            "targetDescription": "Can explain and apply the outcome. " * 10,
            "targetType": "ceasn:Competency",
            "targetCode": f"LO-{i}",
        }
        for i in range(200)
    ]
    check_limits(doc)
    nquads = canonicalize(doc)
    assert nquads.count('"LO-') == 200


def _limit(excinfo: pytest.ExceptionInfo[CanonicalizationError]) -> CanonicalizationError:
    err = excinfo.value
    assert err.code == "canon.limit_exceeded"
    assert "exceeds the limit" in err.message or "exceeded its limit" in err.message
    return err


def test_deep_nesting_is_refused_with_its_path():
    doc: dict = {"@context": [V2], "type": "VerifiableCredential"}
    node = doc
    for _ in range(100_000):  # far deeper than Python's recursion limit: the check must be iterative
        node["https://example.org/p"] = {}
        node = node["https://example.org/p"]
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc)
    err = _limit(info)
    assert "nesting depth" in err.message
    assert str(DEFAULT_LIMITS.max_json_depth) in err.message
    assert err.path is not None and err.path.startswith("https://example.org/p.https://example.org/p")


def test_too_many_values_is_refused():
    doc = {"@context": [V2], "https://example.org/p": list(range(1_000_000))}
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc)
    err = _limit(info)
    assert "number of JSON values" in err.message
    assert err.path is not None and err.path.startswith("https://example.org/p[")


def test_too_large_is_refused():
    doc = {"@context": [V2], "https://example.org/p": "x" * 10_000_000}
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc)
    assert "JSON size" in _limit(info).message


def test_limits_are_keyword_configurable():
    doc = _load(W3C / "unsigned.json")
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc, limits=CanonLimits(max_json_depth=1))
    assert "nesting depth" in _limit(info).message
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc, limits=CanonLimits(max_quads=5))
    assert "quads" in _limit(info).message
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(_complete(), limits=CanonLimits(max_blank_nodes=3))
    assert "blank nodes" in _limit(info).message
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc, limits=CanonLimits(max_json_values=10))
    assert "number of JSON values" in _limit(info).message


def test_limits_also_guard_expand_and_to_dataset():
    doc = _load(W3C / "unsigned.json")
    tight = CanonLimits(max_json_depth=1)
    for fn in (expand.expand, expand.to_dataset):
        with pytest.raises(CanonicalizationError):
            fn(doc, limits=tight)


def _poison(size: int) -> dict:
    """A JSON-LD blank-node clique: every node points at every other one (rdf-canon test074's shape)."""
    nodes = [
        {"@id": f"_:n{i}", "https://example.org/p": [{"@id": f"_:n{j}"} for j in range(size) if j != i]}
        for i in range(size)
    ]
    return {"@context": [V2], "@graph": nodes}


def test_blank_node_poison_graph_is_stopped():
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(_poison(10))
    assert "Hash N-Degree Quads" in _limit(info).message


def test_small_clique_is_still_canonicalized():
    nquads = canonicalize(_poison(4))
    assert nquads.count("\n") == 12
    assert "_:c14n3" in nquads


def test_check_limits_accepts_scalars_and_counts_strings():
    check_limits("short")
    check_limits([1, 2, 3], CanonLimits(max_json_values=3))
    with pytest.raises(CanonicalizationError):
        check_limits([1, 2, 3, 4], CanonLimits(max_json_values=3))
    with pytest.raises(CanonicalizationError):
        check_limits({"ab": "cd"}, CanonLimits(max_json_chars=3))


def test_reference_path_is_sha256_only():
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(_load(W3C / "unsigned.json"), reference=True, hash_algorithm="sha384")
    assert info.value.code == "canon.unsupported_hash"


def test_sha384_changes_nothing_without_tied_blank_nodes():
    # the hash only decides blank-node labels; one blank node is _:c14n0 whatever the hash
    config = _load(W3C / "proofConfigDataInt.json")
    assert canonicalize(config, hash_algorithm="sha384") == canonicalize(config)


def test_to_quads_fast_and_general_give_the_same_dataset_size():
    doc = _complete()
    fast = canonical.to_quads(doc)
    general = canonical.to_quads(doc, fast=False)
    assert len(fast) == len(general) == len(set(fast))
    assert {q for q in fast if "_:" not in "".join(q)} == {q for q in general if "_:" not in "".join(q)}
    with pytest.raises(CanonicalizationError) as info:
        canonical.to_quads(doc, limits=CanonLimits(max_quads=10))
    assert "quads" in _limit(info).message


def test_canonicalize_reference_is_pyld():
    from pyld import jsonld

    from microcred.jsonld.loader import default_loader

    doc = _complete()
    expected = jsonld.normalize(
        copy.deepcopy(doc),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": default_loader,
            "processingMode": "json-ld-1.1",
        },
    )
    assert canonical.canonicalize_reference(doc) == expected == canonicalize(doc)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_lone_surrogate_is_refused(fast):
    doc = _load(W3C / "unsigned.json")
    doc["name"] = "broken \ud800 text"
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(doc, fast=fast)
    assert info.value.code == "canon.invalid_text"
    assert "\\ud800" in info.value.message


def test_fast_path_memo_goes_with_its_loader():
    import gc
    import weakref

    from microcred.jsonld.loader import DocumentLoader

    doc = _load(W3C / "unsigned.json")
    expected = canonicalize(doc)
    refs = []
    for _ in range(5):
        loader = DocumentLoader()
        assert canonicalize(doc, loader=loader) == expected
        refs.append(weakref.ref(loader))
        del loader
    gc.collect()
    assert all(ref() is None for ref in refs)
