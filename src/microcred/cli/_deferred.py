"""Entry points of the commands, imported on first call so that ``--help`` and every other command
start without JSON-LD, JSON Schema, crypto or the issuing stack (tests/test_startup.py). The commands
call these through their own module's names, which tests may replace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from ..verifying.presentation import PresentationReport
    from ..verifying.report import VerificationReport


def verify(*args: Any, **kwargs: Any) -> VerificationReport:
    """:func:`microcred.verifying.verify.verify`, imported on first call."""
    from ..verifying.verify import verify as run

    return run(*args, **kwargs)


def verify_presentation(*args: Any, **kwargs: Any) -> PresentationReport:
    """:func:`microcred.verifying.presentation.verify_presentation`, imported on first call."""
    from ..verifying.presentation import verify_presentation as run

    return run(*args, **kwargs)


def run_demo(
    *, keep: Path | None = None, echo: Callable[[str], None] = print, now: datetime | None = None
) -> bool:
    """:func:`microcred.cli._demo.run_demo` (issuing, a ledger, baking), imported on first call."""
    from ._demo import run_demo as run

    return run(keep=keep, echo=echo, now=now)
