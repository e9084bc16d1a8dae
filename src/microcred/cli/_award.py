"""The per-learner options ``build`` and ``issue`` share: evidence, period, credit earned, assessor and
component credentials (Open Badges 3.0 ``AchievementSubject`` and ``Evidence`` fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import _time
from ..errors import DefinitionError
from ..model.award import RESULT_STATUSES, Assessor, AwardDetails
from ..model.learner import Evidence

F = TypeVar("F", bound=Callable[..., Any])


def _when(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return _time.parse(value)
    except _time.DateTimeError as exc:
        why = "has no time zone; add Z or an offset" if exc.no_timezone else "is not an ISO 8601 date-time"
        raise DefinitionError(f"{value} {why}", path=option) from None


def award_options(command: F, *, evidence: bool = False) -> F:
    """Add the award options (and, for ``issue``, ``--evidence``) to ``command``."""
    options = [
        click.option(
            "--evidence-narrative",
            "evidence_narratives",
            multiple=True,
            metavar="TEXT",
            help="Evidence described in words, e.g. what the assessor observed (repeatable).",
        ),
        click.option("--activity-start", metavar="DATETIME", help="Start of the practice period."),
        click.option("--activity-end", metavar="DATETIME", help="End of the learning or practice period."),
        click.option(
            "--credits-earned", type=float, help="Credit the learner earned (partial credit after RPL)."
        ),
        click.option("--assessor", metavar="URI[=NAME]", help="Who assessed the learner (RPL)."),
        click.option(
            "--result-status",
            type=click.Choice(RESULT_STATUSES),
            help="The learner's result status (OB 3.0).",
        ),
        click.option(
            "--outcome-achieved",
            "outcomes_achieved",
            multiple=True,
            type=click.IntRange(min=1),
            metavar="N",
            help="Learning outcome N (from 1) the evidence proves: a Result aligned to it (repeatable).",
        ),
        click.option(
            "--component",
            "components",
            multiple=True,
            metavar="CREDENTIAL_ID",
            help="The learner's own credential this one is built from (repeatable).",
        ),
    ]
    if evidence:
        options.append(
            click.option(
                "--evidence",
                multiple=True,
                metavar="URL[=NAME]",
                help="Evidence of the learner's work (repeatable).",
            )
        )
    for option in reversed(options):
        command = option(command)
    return command


def award_from(options: dict[str, Any]) -> tuple[AwardDetails | None, list[Evidence]]:
    """The award details and extra evidence the options give (pops them from ``options``)."""
    narratives: tuple[str, ...] = options.pop("evidence_narratives", ())
    evidence = [Evidence.parse(e) for e in options.pop("evidence", ())]
    evidence += [Evidence(narrative=n) for n in narratives]
    start = _when(options.pop("activity_start", None), "activity_start")
    end = _when(options.pop("activity_end", None), "activity_end")
    earned = options.pop("credits_earned", None)
    if earned is not None and earned.is_integer():
        earned = int(earned)
    assessor = options.pop("assessor", None)
    components = tuple(options.pop("components", ()))
    status = options.pop("result_status", None)
    outcomes = tuple(options.pop("outcomes_achieved", ()))
    if all(v is None for v in (start, end, earned, assessor, status)) and not components and not outcomes:
        return None, evidence
    details = AwardDetails(
        activity_start=start,
        activity_end=end,
        credits_earned=earned,
        assessor=Assessor.parse(assessor) if assessor else None,
        components=components,
        status=status,
        outcomes_achieved=outcomes,
    )
    return details, evidence
