"""Where the packaged data lives: ``schemas/`` (microcred's extension context and JSON Schema) and
``examples/``, shipped inside the wheel and read from the source tree in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def package_data_dir(name: str) -> Path:
    """A project folder shipped in the wheel (``schemas``, ``examples``), or the source tree's."""
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parents[1] / name
