"""Date-times in one place: reading them, writing them, and the rule for a missing timezone.

**The rule: a date-time must say its timezone** (``Z`` or an offset such as ``+01:00``). One without
is refused wherever microcred meets it as data: a definition file, a cohort CSV, a command-line option,
a model value, a ``datetime`` given to the builder, a signer or the ledger, a JWT's dates, a proof's
``created``, and a credential or status list being verified (there the check that reads it fails:
verification fails closed). Its instant is unknown, and taking it as UTC would move it by hours; VCDM
2.0 writes dates as XML Schema ``dateTimeStamp``, which always has one. **The one exception is the
verification clock**: a ``now=`` that only says *when to check* (:func:`verification_clock`) is the
caller's own instant, and without a timezone it is read as UTC, as ``datetime.utcnow()`` gives it.

Reading: :func:`parse` (text → aware ``datetime``, :class:`DateTimeError` saying why not) and
:func:`parse_or_none`. Writing: :func:`format_utc` for instants microcred stamps itself (UTC, whole
seconds, ``Z``) and :func:`format_datetime` for instants someone gave (their offset kept, ``Z`` for UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final

#: XML Schema ``dateTimeStamp``, lexically: a date, a time (optional fraction) and a timezone.
_XSD_DATETIME_STAMP: Final = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
_DATE_ONLY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateTimeError(ValueError):
    """A text is not a date-time (``no_timezone`` False) or has no timezone (``no_timezone`` True)."""

    def __init__(self, text: str, *, no_timezone: bool) -> None:
        super().__init__(f"{text!r} has no timezone" if no_timezone else f"{text!r} is not a date-time")
        self.text = text
        self.no_timezone = no_timezone


def now() -> datetime:
    """The current instant (aware, UTC)."""
    return datetime.now(UTC)


def verification_clock(moment: datetime | None) -> datetime:
    """The instant a check runs at: ``moment``, read as UTC when it has no timezone; else now."""
    if moment is None:
        return now()
    return moment if is_aware(moment) else moment.replace(tzinfo=UTC)


def is_aware(moment: datetime) -> bool:
    """Whether ``moment`` carries a timezone (the rule above)."""
    return moment.tzinfo is not None and moment.utcoffset() is not None


def parse(text: str) -> datetime:
    """An ISO 8601 / XML Schema date-time with a timezone (``Z`` or an offset) as an aware datetime.

    Surrounding whitespace is ignored. Raises :class:`DateTimeError` for anything else, a date-time
    without a timezone included (``no_timezone`` then tells the two apart).
    """
    if not isinstance(text, str):
        raise DateTimeError(repr(text), no_timezone=False)
    value = text.strip()
    if value.endswith("z"):
        value = value[:-1] + "Z"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DateTimeError(text, no_timezone=False) from None
    if not is_aware(moment):
        raise DateTimeError(text, no_timezone=True)
    return moment


def parse_or_none(value: object) -> datetime | None:
    """:func:`parse` for any value: None when it is not a date-time string with a timezone."""
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except DateTimeError:
        return None


def parse_date_or_datetime(text: str) -> datetime:
    """:func:`parse`, and a calendar date alone (``2026-01-31``) as midnight UTC that day."""
    value = text.strip()
    if _DATE_ONLY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise DateTimeError(text, no_timezone=False) from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return parse(value)


def is_datetime_stamp(text: object) -> bool:
    """Whether ``text`` is an XML Schema ``dateTimeStamp`` (the lexical form a proof's ``created`` needs)."""
    return isinstance(text, str) and _XSD_DATETIME_STAMP.match(text) is not None


def format_utc(moment: datetime) -> str:
    """``moment`` in UTC, whole seconds, ``Z``: how microcred writes the instants it stamps.

    Raises ValueError for a naive datetime (the rule above).
    """
    if not is_aware(moment):
        raise ValueError("a datetime without a timezone")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_datetime(moment: datetime) -> str:
    """``moment`` as an XML Schema dateTime as given: UTC written with ``Z``, other offsets kept."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_epoch(moment: datetime) -> int:
    """Whole seconds since 1970-01-01T00:00:00Z (a JWT ``NumericDate``)."""
    return int(moment.timestamp())


def from_epoch(seconds: float) -> str:
    """A JWT ``NumericDate`` as :func:`format_utc` writes it."""
    return datetime.fromtimestamp(int(seconds), UTC).isoformat().replace("+00:00", "Z")
