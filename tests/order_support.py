"""Comparing element values without the order of their lists: the report sorts them (issue 10, class 4)."""

from __future__ import annotations

import json
from typing import Any


def unordered(value: Any) -> Any:
    """``value`` with every list, at any depth, sorted canonically."""
    if isinstance(value, dict):
        return {k: unordered(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [unordered(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value
