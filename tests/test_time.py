"""One home for date-times: one parser, two formats, one rule for a missing timezone (refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred import _time

PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T09:00:00Z", datetime(2026, 1, 31, 9, tzinfo=UTC)),
        ("2026-01-31T09:00:00z", datetime(2026, 1, 31, 9, tzinfo=UTC)),
        (" 2026-01-31T09:00:00+01:00 ", datetime(2026, 1, 31, 9, tzinfo=PLUS_ONE)),
        ("2026-01-31T09:00:00.250Z", datetime(2026, 1, 31, 9, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_parse_reads_date_times_with_a_timezone(text, expected):
    assert _time.parse(text) == expected
    assert _time.parse_or_none(text) == expected


@pytest.mark.parametrize("text", ["2026-01-31T09:00:00", "2026-01-31", "2026-01-31 09:00"])
def test_a_missing_timezone_is_refused_and_said_so(text):
    with pytest.raises(_time.DateTimeError) as info:
        _time.parse(text)
    assert info.value.no_timezone
    assert _time.parse_or_none(text) is None


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "", 20260131, None])
def test_what_is_not_a_date_time(value):
    with pytest.raises(_time.DateTimeError) as info:
        _time.parse(value)  # type: ignore[arg-type]
    assert not info.value.no_timezone
    assert _time.parse_or_none(value) is None


def test_a_date_alone_is_midnight_utc_only_where_asked():
    assert _time.parse_date_or_datetime("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    assert _time.parse_date_or_datetime("2026-01-31T10:00:00+01:00").hour == 10
    for bad, no_timezone in (("2026-02-30", False), ("2026-01-31T10:00:00", True)):
        with pytest.raises(_time.DateTimeError) as info:
            _time.parse_date_or_datetime(bad)
        assert info.value.no_timezone is no_timezone


def test_formats():
    moment = datetime(2026, 1, 31, 10, 0, 0, 999999, tzinfo=PLUS_ONE)
    assert _time.format_utc(moment) == "2026-01-31T09:00:00Z"  # UTC, whole seconds, Z
    assert _time.format_datetime(moment) == "2026-01-31T10:00:00.999999+01:00"  # as given
    assert _time.format_datetime(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        _time.format_utc(datetime(2026, 1, 31))
    assert _time.from_epoch(_time.to_epoch(moment)) == "2026-01-31T09:00:00Z"
    assert _time.is_aware(_time.now())
    assert _time.verification_clock(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert _time.verification_clock(moment) is moment and _time.is_aware(_time.verification_clock(None))
    assert not _time.is_aware(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-01-31T09:00:00Z", True),
        ("2026-01-31T09:00:00.5-05:00", True),
        ("2026-01-31T09:00:00", False),  # a dateTimeStamp always has its timezone
        ("2026-01-31 09:00:00Z", False),
        (None, False),
    ],
)
def test_datetime_stamp(text, ok):
    assert _time.is_datetime_stamp(text) is ok
