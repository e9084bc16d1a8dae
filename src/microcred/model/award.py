"""What one award states about the learner beyond the grade: the period of practice, the credit earned
(partial credit after recognition of prior learning), who assessed it, the learning outcomes the evidence
proves (one OB ``Result`` aligned to each), and the learner's own component credentials. Open Badges 3.0
``AchievementSubject`` fields, plus ``componentCredentials`` (extension v2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checks import (
    Number,
    fail,
    require_aware,
    require_choice,
    require_iri,
    require_number,
    require_text,
    require_tuple_of,
)

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class Assessor:
    """Who assessed the learner (the RPL assessor): an OB ``Profile`` as the subject's ``source``."""

    id: str
    name: str | None = None

    def __post_init__(self) -> None:
        require_iri(self.id, "assessor.id")
        require_text(self.name, "assessor.name", required=False)

    @classmethod
    def parse(cls, value: str) -> Assessor:
        """``URI`` or ``URI=NAME`` (as given on the command line)."""
        uri, _, name = value.partition("=")
        return cls(id=uri.strip(), name=name.strip() or None)


#: Open Badges 3.0 ResultStatusType values.
RESULT_STATUSES: tuple[str, ...] = (
    "Completed",
    "Enrolled",
    "Failed",
    "InProgress",
    "OnHold",
    "Provisional",
    "Withdrawn",
)


@dataclass(frozen=True, slots=True)
class AwardDetails:
    """Per-learner facts of one award; every field optional."""

    activity_start: datetime | None = None
    activity_end: datetime | None = None
    credits_earned: Number | None = None
    assessor: Assessor | None = None
    components: tuple[str, ...] = ()
    status: str | None = None
    outcomes_achieved: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.status is not None:
            require_choice(self.status, RESULT_STATUSES, "result_status")
        for name in ("activity_start", "activity_end"):
            if getattr(self, name) is not None:
                require_aware(getattr(self, name), name)
        if self.activity_start and self.activity_end and self.activity_end < self.activity_start:
            raise fail("activity_end", "is before activity_start")
        if self.credits_earned is not None:
            require_number(self.credits_earned, "credits_earned")
        if self.assessor is not None and not isinstance(self.assessor, Assessor):
            raise fail("assessor", f"must be an Assessor, not {type(self.assessor).__name__}")
        require_tuple_of(self.components, str, "components")
        for i, component in enumerate(self.components):
            require_iri(component, f"components[{i}]")
        if len(set(self.components)) != len(self.components):
            raise fail("components", "names a credential twice")
        require_tuple_of(self.outcomes_achieved, int, "outcomes_achieved")
        if any(isinstance(n, bool) or n < 1 for n in self.outcomes_achieved):
            raise fail("outcomes_achieved", "learning outcomes are numbered from 1")
        if len(set(self.outcomes_achieved)) != len(self.outcomes_achieved):
            raise fail("outcomes_achieved", "names a learning outcome twice")
