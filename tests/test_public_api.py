"""The public API is exactly what ``microcred.__all__`` names (httpx's habit): no drift either way."""

from __future__ import annotations

import types

import microcred


def test_all_is_sorted_and_unique():
    assert len(set(microcred.__all__)) == len(microcred.__all__)
    constants_first = sorted(microcred.__all__, key=lambda n: (not n.isupper(), n))  # ruff's RUF022 order
    assert list(microcred.__all__) == constants_first


def test_every_name_in_all_exists():
    missing = [name for name in microcred.__all__ if not hasattr(microcred, name)]
    assert not missing


def test_every_public_name_is_in_all():
    public = {
        name
        for name, value in vars(microcred).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert public - set(microcred.__all__) == set()


def test_errors_share_one_base_with_a_code():
    for name in microcred.__all__:
        value = getattr(microcred, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, microcred.MicrocredError)
            assert value.code and "." in value.code
