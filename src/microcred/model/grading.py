"""Reading a grade on an achievement's scale, and the definition's rule for what counts as a pass.

:func:`read_grade` checks a grade as an LMS writes it (``42.00``, ``85.00 %``, ``8,5``, ``-`` for no
grade) against the scale's ``min``/``max`` and ``allowed`` values and returns it in one spelling;
:class:`PassRule` decides whether a checked grade passes. Both raise or return plain values; the cohort
reader turns a :class:`GradeError` into a row error naming the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

from ..errors import DefinitionError

if TYPE_CHECKING:
    from .elements import GradeScale

#: How a definition decides a pass: a pass mark on the scale, a list of passing values, or every row.
PassKind = Literal["pass-mark", "passing-values", "all"]
PASS_KINDS: tuple[str, ...] = ("pass-mark", "passing-values", "all")
#: Cells that mean "no grade" in LMS exports (Moodle and Blackboard write ``-``; others leave it empty).
NO_GRADE = frozenset({"", "-", "–", "—", "n/a", "na", "none", "null"})
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


class GradeError(ValueError):
    """A grade that is not on the scale; ``str()`` says why (without the line and column)."""


def number(text: str | None) -> Decimal | None:
    """``text`` as a number (``42.00``, ``8,5``, ``85 %``), or None when it is not one."""
    if text is None:
        return None
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.endswith("%"):
        t = t[:-1]
    if not _NUMBER.match(t):
        return None
    try:
        return Decimal(t.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def is_numeric(scale: GradeScale) -> bool:
    """Whether the scale is numeric: it has a numeric ``min`` or ``max`` and no ``allowed`` list."""
    return not scale.allowed and (number(scale.min) is not None or number(scale.max) is not None)


def read_grade(scale: GradeScale | None, text: str | None) -> str | None:
    """The grade in ``text`` checked against ``scale``: None for no grade, else its one spelling.

    On a numeric scale the value must be a number within ``min``..``max`` (``42.00`` becomes ``42``; a
    trailing ``%`` and a decimal comma are accepted). With ``allowed`` values it must be one of them
    (matched without regard to case, returned as the scale spells it). Raises :class:`GradeError`.
    """
    if text is None or text.strip().lower() in NO_GRADE:
        return None
    value = text.strip()
    if scale is None:
        return value
    if scale.allowed:
        for allowed in scale.allowed:
            if allowed.casefold() == value.casefold():
                return allowed
        raise GradeError(f"{value!r} is not one of the allowed values {', '.join(scale.allowed)}")
    if not is_numeric(scale):
        return value
    n = number(value)
    low, high = number(scale.min), number(scale.max)
    span = f"{scale.min if low is not None else '…'}–{scale.max if high is not None else '…'}"
    if n is None:
        raise GradeError(f"{value!r} is not a number on the scale {span}")
    if (low is not None and n < low) or (high is not None and n > high):
        raise GradeError(f"{value!r} is outside the scale {span}")
    return _plain(n)


@dataclass(frozen=True, slots=True)
class PassRule:
    """How a pass is decided: ``all`` rows pass, a ``pass-mark`` (``mark`` or better, higher is better
    unless ``lower_is_better``), or ``passing-values`` (one of ``passing``)."""

    kind: PassKind = "all"
    mark: str | None = None
    passing: tuple[str, ...] = ()
    lower_is_better: bool = False

    def __post_init__(self) -> None:
        if self.kind not in PASS_KINDS:
            raise DefinitionError(
                f"{self.kind!r} is not a pass rule; use one of {', '.join(PASS_KINDS)}", path="pass_rule"
            )
        if self.kind == "pass-mark" and number(self.mark) is None:
            raise DefinitionError(f"a pass mark must be a number, not {self.mark!r}", path="pass")
        if self.kind == "passing-values" and not self.passing:
            raise DefinitionError("a passing-values rule needs a non-empty 'passing' list", path="passing")

    @classmethod
    def for_scale(
        cls,
        scale: GradeScale | None,
        kind: str | None = None,
        passing: tuple[str, ...] = (),
        lower_is_better: bool = False,
    ) -> PassRule:
        """The rule a definition states, with its default inferred from the scale.

        Without ``kind``: ``passing`` values given → ``passing-values``; a numeric ``pass`` →
        ``pass-mark``; a ``pass`` among ``allowed`` values (listed best first) → that value and every
        value listed before it; no ``pass`` → ``all``.
        """
        mark = scale.pass_value if scale is not None else None
        if scale is not None and scale.allowed:
            for value in passing:
                if value not in scale.allowed:
                    raise DefinitionError(f"{value!r} is not one of the allowed values", path="passing")
        if kind is None:
            if passing:
                kind = "passing-values"
            elif mark is not None and number(mark) is not None and not (scale and scale.allowed):
                kind = "pass-mark"
            elif mark is not None and scale is not None and scale.allowed:
                kind = "passing-values"
                passing = scale.allowed[: scale.allowed.index(mark) + 1]
            else:
                kind = "all"
        if kind == "pass-mark" and mark is None:
            raise DefinitionError("a pass-mark rule needs the scale's 'pass' value", path="pass_rule")
        if kind == "pass-mark" and scale is not None and is_numeric(scale):
            try:
                read_grade(scale, mark)
            except GradeError as exc:
                raise DefinitionError(f"the pass mark {exc}", path="pass") from None
        return cls(kind, mark if kind == "pass-mark" else None, tuple(passing), lower_is_better)  # type: ignore[arg-type]

    def passes(self, grade: str | None) -> bool:
        """Whether a grade already checked by :func:`read_grade` passes (no grade passes only ``all``)."""
        if self.kind == "all":
            return True
        if grade is None:
            return False
        if self.kind == "passing-values":
            return any(grade.casefold() == p.casefold() for p in self.passing)
        n, mark = number(grade), number(self.mark)
        if n is None or mark is None:
            return False
        return n <= mark if self.lower_is_better else n >= mark

    def describe(self) -> str:
        """The rule in plain words, for summaries and messages."""
        if self.kind == "all":
            return "every row passes"
        if self.kind == "passing-values":
            return "a pass is one of " + ", ".join(self.passing)
        return f"a pass is {self.mark} or {'lower' if self.lower_is_better else 'higher'}"
