"""French business days and the plan's run dates (arrears.core.calendar).

Every expected date was checked by hand against a calendar; the reasoning is in the comments.
Easter 2025 is Sunday 20 April (Good Friday 18 April, Easter Monday 21 April, Ascension = Easter + 39 =
Thursday 29 May, Whit Monday = Easter + 50 = Monday 9 June). Easter 2026 is Sunday 5 April (Good Friday
3 April, Easter Monday 6 April, Ascension Thursday 14 May, Whit Monday 25 May).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from arrears.core.calendar import (
    StepSchedule,
    holiday_name,
    is_business_day,
    month_schedule,
    next_business_day,
    next_run,
    normalize_region,
    planned_date,
    previous_run,
    run_at,
    run_dates,
    weekly_dates,
    window_dates,
)

ALSACE_MOSELLE = ["57", "67", "68", "Alsace-Moselle", "Moselle", "Alsace", "6AE"]


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        # New Year's Day 2025 is a Wednesday → Thursday 2 January.
        (2025, 1, 1, date(2025, 1, 2)),
        # 1 May 2025 is a Thursday → Friday 2 May; 8 May 2025 Thursday → Friday 9 May.
        (2025, 5, 1, date(2025, 5, 2)),
        (2025, 5, 8, date(2025, 5, 9)),
        # 1 May 2026 is a Friday → Saturday, Sunday → Monday 4 May; 8 May 2026 Friday → Monday 11 May.
        (2026, 5, 1, date(2026, 5, 4)),
        (2026, 5, 8, date(2026, 5, 11)),
        # 14 July 2025 is a Monday → Tuesday 15; 14 July 2026 a Tuesday → Wednesday 15.
        (2025, 7, 14, date(2025, 7, 15)),
        (2026, 7, 14, date(2026, 7, 15)),
        # 15 August 2025 is a Friday → Monday 18; 15 August 2026 a Saturday → Monday 17.
        (2025, 8, 15, date(2025, 8, 18)),
        (2026, 8, 15, date(2026, 8, 17)),
        # 1 November 2025 is a Saturday → Monday 3; 1 November 2026 a Sunday → Monday 2.
        (2025, 11, 1, date(2025, 11, 3)),
        (2026, 11, 1, date(2026, 11, 2)),
        # 11 November 2025 is a Tuesday → Wednesday 12; 11 November 2026 a Wednesday → Thursday 12.
        (2025, 11, 11, date(2025, 11, 12)),
        (2026, 11, 11, date(2026, 11, 12)),
        # Christmas 2025 is a Thursday → Friday 26 (a business day outside Alsace-Moselle).
        (2025, 12, 25, date(2025, 12, 26)),
        # Christmas 2026 is a Friday → Monday 28.
        (2026, 12, 25, date(2026, 12, 28)),
        # Easter Monday 21 April 2025 → Tuesday 22; 6 April 2026 → Tuesday 7.
        (2025, 4, 21, date(2025, 4, 22)),
        (2026, 4, 6, date(2026, 4, 7)),
        # Ascension Thursday 29 May 2025 → Friday 30; 14 May 2026 → Friday 15.
        (2025, 5, 29, date(2025, 5, 30)),
        (2026, 5, 14, date(2026, 5, 15)),
        # Whit Monday 9 June 2025 → Tuesday 10; 25 May 2026 → Tuesday 26.
        (2025, 6, 9, date(2025, 6, 10)),
        (2026, 5, 25, date(2026, 5, 26)),
        # Good Friday is an ordinary business day outside Alsace-Moselle.
        (2025, 4, 18, date(2025, 4, 18)),
        (2026, 4, 3, date(2026, 4, 3)),
        # A plain weekend: Saturday 25 October 2025 → Monday 27; Thursday 25 September 2025 stays.
        (2025, 10, 25, date(2025, 10, 27)),
        (2025, 9, 25, date(2025, 9, 25)),
        # 29 February 2024 is a Thursday (leap year).
        (2024, 2, 29, date(2024, 2, 29)),
    ],
)
def test_planned_date_moves_to_next_business_day(year, month, day, expected):
    assert planned_date(year, month, day) == expected
    assert is_business_day(expected)
    assert next_business_day(expected) == expected


@pytest.mark.parametrize("region", ALSACE_MOSELLE)
@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        # Good Friday 18 April 2025 → Saturday, Sunday, Easter Monday 21 → Tuesday 22 April.
        (2025, 4, 18, date(2025, 4, 22)),
        # Good Friday 3 April 2026 → Saturday, Sunday, Easter Monday 6 → Tuesday 7 April.
        (2026, 4, 3, date(2026, 4, 7)),
        # Christmas Thursday 25 December 2025 → Friday 26 (Saint-Étienne) → weekend → Monday 29.
        (2025, 12, 25, date(2025, 12, 29)),
        (2025, 12, 26, date(2025, 12, 29)),
        # The national holidays still hold: 14 July 2025 Monday → Tuesday 15.
        (2025, 7, 14, date(2025, 7, 15)),
    ],
)
def test_alsace_moselle_adds_good_friday_and_26_december(region, year, month, day, expected):
    assert planned_date(year, month, day, region=region) == expected


def test_holiday_names_and_regions():
    assert holiday_name(date(2026, 4, 6)) == "Lundi de Pâques"
    assert holiday_name(date(2025, 12, 26)) is None
    assert holiday_name(date(2025, 12, 26), "57") is not None
    assert not is_business_day(date(2025, 4, 18), region="67")
    assert is_business_day(date(2025, 4, 18), region=None)
    assert is_business_day(date(2025, 4, 18), region="FR")
    assert normalize_region(None) is None
    assert normalize_region("") is None
    assert normalize_region("68") == "6AE"
    assert normalize_region("Alsace-Moselle") == "57"
    # Overseas: abolition of slavery in La Réunion, 20 December (Saturday in 2025: check a weekday year).
    assert not is_business_day(date(2024, 12, 20), region="974")
    assert is_business_day(date(2024, 12, 20))
    with pytest.raises(ValueError, match="unknown region"):
        normalize_region("Bretagne")
    with pytest.raises(ValueError, match="school zone"):
        normalize_region("Zone A")


def test_weekends_are_not_business_days():
    assert not is_business_day(date(2025, 10, 25))  # Saturday
    assert not is_business_day(date(2025, 10, 26))  # Sunday
    assert is_business_day(date(2025, 10, 27))  # Monday
    assert is_business_day(datetime(2025, 10, 27, 23, 0))  # a datetime counts as its date


def test_planned_date_rejects_a_day_beyond_the_month():
    with pytest.raises(ValueError):
        planned_date(2025, 2, 29)
    with pytest.raises(ValueError):
        planned_date(2026, 4, 31)
    with pytest.raises(ValueError):
        planned_date(2026, 4, 0)


def test_window_runs_on_its_first_business_day():
    # 1–7 May 2026: Friday 1 May is a holiday, then a weekend → Monday 4 May.
    assert window_dates(2026, 5, 1, 7) == date(2026, 5, 4)
    # 1–7 January 2026: Thursday 1 January is a holiday → Friday 2.
    assert window_dates(2026, 1, 1, 7) == date(2026, 1, 2)
    # 1–7 November 2025: Saturday 1, Sunday 2 → Monday 3.
    assert window_dates(2025, 11, 1, 7) == date(2025, 11, 3)
    # 1–7 October 2025: Wednesday 1 is a business day.
    assert window_dates(2025, 10, 1, 7) == date(2025, 10, 1)
    # No business day in the window (1–3 May 2026: holiday, Saturday, Sunday): the next one after it.
    assert window_dates(2026, 5, 1, 3) == date(2026, 5, 4)
    # A window "until the 31st" ends with a shorter month.
    assert window_dates(2026, 2, 25, 31) == date(2026, 2, 25)
    with pytest.raises(ValueError):
        window_dates(2026, 2, 30, 31)
    with pytest.raises(ValueError):
        window_dates(2026, 5, 7, 1)


def test_weekly_dates_move_holidays_and_stay_in_range():
    # Mondays of April 2026: Easter Monday 6 → Tuesday 7, then 13, 20, 27.
    assert weekly_dates(date(2026, 4, 1), date(2026, 4, 30)) == [
        date(2026, 4, 7),
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 4, 27),
    ]
    # Mondays of May 2026: 4, 11, 18, then Whit Monday 25 → Tuesday 26.
    assert weekly_dates(date(2026, 5, 1), date(2026, 5, 31), weekday=0) == [
        date(2026, 5, 4),
        date(2026, 5, 11),
        date(2026, 5, 18),
        date(2026, 5, 26),
    ]
    # Fridays of May 2026: 1 and 8 are holidays → Mondays 4 and 11; 15 (day after Ascension), 22, 29.
    assert weekly_dates(date(2026, 5, 1), date(2026, 5, 31), weekday=4) == [
        date(2026, 5, 4),
        date(2026, 5, 11),
        date(2026, 5, 15),
        date(2026, 5, 22),
        date(2026, 5, 29),
    ]
    # Saturdays always move to Monday; Saturday 31 May 2025 → Monday 2 June belongs to June.
    may = weekly_dates(date(2025, 5, 1), date(2025, 5, 31), weekday=5)
    assert may == [date(2025, 5, 5), date(2025, 5, 12), date(2025, 5, 19), date(2025, 5, 26)]
    assert weekly_dates(date(2025, 6, 1), date(2025, 6, 30), weekday=5)[0] == date(2025, 6, 2)
    assert weekly_dates(date(2025, 6, 30), date(2025, 6, 1)) == []
    with pytest.raises(ValueError):
        weekly_dates(date(2025, 6, 1), date(2025, 6, 30), weekday=7)


def test_month_schedule_of_the_default_plan_in_may_2026():
    steps = {
        1: StepSchedule(day=1),
        3: StepSchedule(day=5),
        4: StepSchedule(day=15),
        6: StepSchedule(day=1, window_end=7),
        7: StepSchedule(day=10),
        8: StepSchedule(day=20),
        11: StepSchedule(day=25),
        13: StepSchedule(day=None, continuous=True),
    }
    got = month_schedule(steps, 2026, 5)
    assert got == {
        1: [date(2026, 5, 4)],  # Friday 1 May (holiday) → Monday 4
        3: [date(2026, 5, 5)],  # Tuesday
        4: [date(2026, 5, 15)],  # Friday (day after Ascension, a business day)
        6: [date(2026, 5, 4)],  # window 1–7: first business day
        7: [date(2026, 5, 11)],  # Sunday 10 → Monday 11
        8: [date(2026, 5, 20)],  # Wednesday
        11: [date(2026, 5, 26)],  # Whit Monday 25 → Tuesday 26
        13: [date(2026, 5, 4), date(2026, 5, 11), date(2026, 5, 18), date(2026, 5, 26)],
    }


def test_month_schedule_regions_and_short_months():
    # Friday 3 April 2026 is Good Friday in Alsace-Moselle only (→ Tuesday 7 after Easter Monday).
    steps = {"plain": StepSchedule(day=3), "moselle": StepSchedule(day=3, region="57")}
    assert month_schedule(steps, 2026, 4) == {"plain": [date(2026, 4, 3)], "moselle": [date(2026, 4, 7)]}
    # The call's region applies to the steps without one.
    assert month_schedule([StepSchedule(day=3)], 2026, 4, region="68") == {0: [date(2026, 4, 7)]}
    # "The 31st" in February 2026 is its last day, Saturday 28 → Monday 2 March.
    assert month_schedule({"end": StepSchedule(day=31)}, 2026, 2) == {"end": [date(2026, 3, 2)]}
    # …and in a leap February, Thursday 29.
    assert month_schedule({"end": StepSchedule(day=31)}, 2024, 2) == {"end": [date(2024, 2, 29)]}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"day": None},
        {"day": 0},
        {"day": 32},
        {"day": 5, "window_end": 3},
        {"day": 5, "continuous": True},
        {"day": None, "continuous": True, "weekday": 7},
        {"day": 5, "hour": 24},
        {"day": 5, "minute": 60},
        {"day": 5, "timezone": "Europe/Nowhere"},
        {"day": 5, "region": "Atlantis"},
    ],
)
def test_step_schedule_rejects_invalid_values(kwargs):
    with pytest.raises(ValueError):
        StepSchedule(**kwargs)


def test_step_schedule_round_trips_through_a_dict():
    schedule = StepSchedule(day=1, window_end=7, hour=8, minute=30, region="57")
    assert StepSchedule.from_dict(schedule.to_dict()) == schedule
    assert schedule.mode == "window"
    assert StepSchedule(day=5).mode == "monthly"
    assert StepSchedule(day=None, continuous=True).mode == "weekly"


def test_run_at_is_dst_correct():
    schedule = StepSchedule(day=1)
    # Summer time (CEST, UTC+2): 07:00 Paris is 05:00 UTC; winter time (CET, UTC+1): 06:00 UTC.
    assert run_at(schedule, date(2025, 7, 1)) == datetime(2025, 7, 1, 5, 0, tzinfo=UTC)
    assert run_at(schedule, date(2025, 12, 1)) == datetime(2025, 12, 1, 6, 0, tzinfo=UTC)
    # Around the changes (Sunday 30 March and Sunday 26 October 2025).
    assert run_at(schedule, date(2025, 3, 28)) == datetime(2025, 3, 28, 6, 0, tzinfo=UTC)
    assert run_at(schedule, date(2025, 3, 31)) == datetime(2025, 3, 31, 5, 0, tzinfo=UTC)
    assert run_at(schedule, date(2025, 10, 24)) == datetime(2025, 10, 24, 5, 0, tzinfo=UTC)
    assert run_at(schedule, date(2025, 10, 27)) == datetime(2025, 10, 27, 6, 0, tzinfo=UTC)


def test_next_and_previous_run():
    schedule = StepSchedule(day=5)
    # Saturday 5 April 2025 → Monday 7 April, 07:00 Paris = 05:00 UTC.
    april = datetime(2025, 4, 7, 5, 0, tzinfo=UTC)
    assert next_run(schedule, datetime(2025, 3, 5, 6, 0, tzinfo=UTC)) == april
    assert next_run(schedule, april) == datetime(2025, 5, 5, 5, 0, tzinfo=UTC)
    assert next_run(schedule, april, inclusive=True) == april
    assert previous_run(schedule, april) == april
    assert previous_run(schedule, datetime(2025, 4, 7, 4, 59, tzinfo=UTC)) == datetime(
        2025, 3, 5, 6, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        next_run(schedule, datetime(2025, 4, 7))


def test_run_dates_over_a_year():
    # Day 5 in 2025: Sunday 5 January → 6; Saturday 5 April → 7; Saturday 5 July → 7; Sunday 5 October → 6.
    assert run_dates(StepSchedule(day=5), date(2025, 1, 1), date(2025, 12, 31)) == [
        date(2025, 1, 6),
        date(2025, 2, 5),
        date(2025, 3, 5),
        date(2025, 4, 7),
        date(2025, 5, 5),
        date(2025, 6, 5),
        date(2025, 7, 7),
        date(2025, 8, 5),
        date(2025, 9, 5),
        date(2025, 10, 6),
        date(2025, 11, 5),
        date(2025, 12, 5),
    ]
    weekly = run_dates(StepSchedule(day=None, continuous=True), date(2025, 1, 1), date(2025, 12, 31))
    assert len(weekly) == 52  # 52 Mondays in 2025 (the first is 6 January)
    assert date(2025, 4, 22) in weekly and date(2025, 6, 10) in weekly  # Easter and Whit Mondays moved
