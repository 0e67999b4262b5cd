"""French business days and the planned dates of the monthly plan's steps (PLAN.md, "The calendar").

A step's day is the first day it may run; a weekend or a French public holiday moves it to the next
business day. Public holidays come from the ``holidays`` library (``holidays.France``), for metropolitan
France by default or for a region: Alsace-Moselle (``"57"``, ``"67"``, ``"68"``, ``"Alsace-Moselle"``) adds
Good Friday and 26 December; the overseas subdivisions the library knows (``"971"``, ``"974"``, …) add
their own days (abolition of slavery, …).

Plain Python, no Airflow: the Airflow timetable (``plugins/arrears_timetable.py``), the month view and the
demo all read their dates from here. ``holidays`` is imported lazily (it takes ~0.3 s to import) so the
timetable plugin stays cheap to load.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "StepSchedule",
    "add_months",
    "as_of_from_logical_date",
    "holiday_name",
    "is_business_day",
    "month_end",
    "month_index",
    "month_key",
    "month_schedule",
    "next_business_day",
    "next_run",
    "normalize_region",
    "period_of",
    "planned_date",
    "planned_date_clamped",
    "previous_run",
    "run_at",
    "run_dates",
    "shift_month",
    "successive_months",
    "weekly_dates",
    "window_dates",
]

# The only regions accepted besides the library's own subdivision codes. Alsace-Moselle is three
# départements (57 Moselle, 67 Bas-Rhin, 68 Haut-Rhin) with the same two extra holidays; the library
# names them "57" (Moselle) and "6AE" (Collectivité européenne d'Alsace).
_REGION_ALIASES = {
    "57": "57",
    "moselle": "57",
    "67": "6AE",
    "68": "6AE",
    "6ae": "6AE",
    "alsace": "6AE",
    "alsace-moselle": "57",
    "alsace moselle": "57",
}
_METROPOLE = {"", "fr", "france", "metropole", "métropole"}
_SCHOOL_ZONES = {"zone a", "zone b", "zone c"}

# Month-view look-back: a run of month m may be moved a few days into month m + 1, a weekly run a few
# days past its nominal weekday; these margins cover any realistic run of holidays.
_MONTHLY_MARGIN_MONTHS = 2
_WEEKLY_MARGIN_DAYS = 14


# --------------------------------------------------------------------------------------------------
# Months and periods (the one home of month arithmetic: cohorts, rules, documents, KPIs, demo)
# --------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day (31 Aug − 6 → 28 Feb)."""
    year, month = shift_month(day.year, day.month, months)
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """(year, month) ``delta`` months from ``year``-``month``."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


def month_index(day: date) -> int:
    """Months since year 0: consecutive months have consecutive indexes."""
    return day.year * 12 + day.month - 1


def month_key(year: int, month: int) -> str:
    """The period ``YYYY-MM`` of ``year``-``month``."""
    return f"{year:04d}-{month:02d}"


def period_of(day: date) -> str:
    """The period ``YYYY-MM`` that holds ``day`` (the journal's and the output folders' period)."""
    return month_key(day.year, day.month)


def successive_months(months: set[int], last: int) -> int:
    """How many consecutive month indexes of ``months`` end at ``last`` (0 when ``last`` is not in it)."""
    n = 0
    while last - n in months:
        n += 1
    return n


def as_of_from_logical_date(logical_date: datetime) -> date:
    """A run's date D: its logical date as a calendar date in Paris (never the wall clock)."""
    if logical_date.tzinfo is None:
        logical_date = logical_date.replace(tzinfo=UTC)
    return logical_date.astimezone(ZoneInfo("Europe/Paris")).date()


def planned_date_clamped(year: int, month: int, day: int, region: str | None = None) -> date:
    """A monthly step's date: ``day`` clamped to the month's length, moved to the next business day."""
    return planned_date(year, month, min(day, _calendar.monthrange(year, month)[1]), region)


def normalize_region(region: str | None) -> str | None:
    """The ``holidays.France`` subdivision for ``region`` (None for metropolitan France).

    Accepts ``None``/``""``/``"FR"`` (metropolitan France), the Alsace-Moselle départements ``"57"``,
    ``"67"``, ``"68"`` or ``"Alsace-Moselle"``/``"Alsace"``/``"Moselle"``, and any other subdivision code
    or alias ``holidays.France`` supports (overseas: ``"971"``, ``"Guadeloupe"``, …). School zones and
    unknown names raise ``ValueError``: a typo must not silently fall back to the national calendar.
    """
    if region is None:
        return None
    key = str(region).strip()
    low = key.casefold()
    if low in _METROPOLE:
        return None
    if low in _REGION_ALIASES:
        return _REGION_ALIASES[low]
    if low in _SCHOOL_ZONES:
        raise ValueError(f"region {region!r} is a school zone, not a public-holiday region")
    return _library_subdivision(key)


@lru_cache(maxsize=64)
def _library_subdivision(key: str) -> str:
    import holidays

    france = holidays.France
    if key in france.subdivisions:
        return key
    aliases = getattr(france, "subdivisions_aliases", {}) or {}
    if key in aliases:
        return aliases[key]
    raise ValueError(
        f"unknown region {key!r}: use None (metropolitan France), '57', '67', '68', 'Alsace-Moselle' "
        f"or a holidays.France subdivision ({', '.join(france.subdivisions)})"
    )


@lru_cache(maxsize=256)
def _holidays_of_year(year: int, subdiv: str | None) -> dict[date, str]:
    import holidays

    return dict(holidays.France(years=year, subdiv=subdiv, language="fr"))


def holiday_name(day: date, region: str | None = None) -> str | None:
    """The French name of the public holiday on ``day`` ("Lundi de Pâques"), or None."""
    day = _as_date(day)
    return _holidays_of_year(day.year, normalize_region(region)).get(day)


def is_business_day(day: date, region: str | None = None) -> bool:
    """Monday to Friday and not a French public holiday (of ``region``, when given)."""
    day = _as_date(day)
    return day.weekday() < 5 and day not in _holidays_of_year(day.year, normalize_region(region))


def next_business_day(day: date, region: str | None = None) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    day = _as_date(day)
    subdiv = normalize_region(region)
    while day.weekday() >= 5 or day in _holidays_of_year(day.year, subdiv):
        day += timedelta(days=1)
    return day


def planned_date(year: int, month: int, day: int, region: str | None = None) -> date:
    """The date a step planned on ``day`` of ``month`` runs: that day, moved to the next business day.

    The result may fall in the next month (the 31st on a Saturday runs on the 2nd). A ``day`` beyond the
    month's length (30 February) is a ``ValueError``; use :func:`month_schedule` for "the 31st, or the
    month's last day when shorter".
    """
    length = _calendar.monthrange(year, month)[1]
    if not 1 <= day <= length:
        raise ValueError(f"day {day} is not a day of {year:04d}-{month:02d} (1..{length})")
    return next_business_day(date(year, month, day), region)


def window_dates(year: int, month: int, first_day: int, last_day: int, region: str | None = None) -> date:
    """The run date of a step planned over a window of days (step 6's 1st–7th): its first business day.

    ``first_day`` must be a day of the month; ``last_day`` is clamped to the month's length ("until the
    31st" ends with the month). When no day of the window is a business day (only possible for windows
    of a few days), the step runs on the first business day after the window — the day is the first
    day a step may run, and a late run beats a skipped month. That is ``next_business_day`` of the
    window's first day in every case; the result is checked against the window only to say so.
    """
    length = _calendar.monthrange(year, month)[1]
    if not 1 <= first_day <= length:
        raise ValueError(f"window start {first_day} is not a day of {year:04d}-{month:02d} (1..{length})")
    if last_day < first_day:
        raise ValueError(f"window end {last_day} is before its start {first_day}")
    return next_business_day(date(year, month, first_day), region)


def weekly_dates(start: date, end: date, weekday: int = 0, region: str | None = None) -> list[date]:
    """Run dates in [start, end] of a weekly (continuous) step: every ``weekday`` (0 = Monday), moved
    to the next business day when it is a holiday or a weekend (Easter Monday → Tuesday).

    A run is listed when its moved date lies in [start, end], so a Monday 31 March moved to
    Tuesday 1 April belongs to April. Ordered, without duplicates.
    """
    start, end = _as_date(start), _as_date(end)
    _check_weekday(weekday)
    if end < start:
        return []
    nominal = start - timedelta(days=_WEEKLY_MARGIN_DAYS)
    nominal += timedelta(days=(weekday - nominal.weekday()) % 7)
    out: list[date] = []
    while nominal <= end:
        moved = next_business_day(nominal, region)
        if start <= moved <= end and (not out or out[-1] != moved):
            out.append(moved)
        nominal += timedelta(days=7)
    return out


@dataclass(frozen=True)
class StepSchedule:
    """When a plan step runs (built from the plan file by ``arrears.config.plan``).

    - monthly: ``day`` = the day of the month (1–31; beyond a short month's length: its last day);
    - window: ``day`` = first day, ``window_end`` = last day (step 6's 1st–7th): the first business day;
    - continuous: ``continuous=True``, ``day`` None: every ``weekday`` (0 = Monday … 6 = Sunday).
    Each run date is moved to the next business day (of ``region``: None = metropolitan France) and runs
    at ``hour:minute`` local time in ``timezone``.
    """

    day: int | None
    window_end: int | None = None
    continuous: bool = False
    weekday: int = 0
    hour: int = 7
    minute: int = 0
    timezone: str = "Europe/Paris"
    region: str | None = None

    def __post_init__(self) -> None:
        if self.continuous:
            if self.day is not None or self.window_end is not None:
                raise ValueError("a continuous (weekly) step has no day or window_end")
        else:
            if self.day is None or not 1 <= int(self.day) <= 31:
                raise ValueError(f"a monthly step needs a day between 1 and 31, got {self.day!r}")
            if self.window_end is not None and not int(self.day) <= int(self.window_end) <= 31:
                raise ValueError(f"window_end {self.window_end!r} must be between day {self.day} and 31")
        _check_weekday(self.weekday)
        if not 0 <= int(self.hour) <= 23 or not 0 <= int(self.minute) <= 59:
            raise ValueError(f"invalid time {self.hour!r}:{self.minute!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        normalize_region(self.region)  # raises on an unknown region

    @property
    def mode(self) -> str:
        """``"weekly"``, ``"window"`` or ``"monthly"``."""
        if self.continuous:
            return "weekly"
        return "window" if self.window_end is not None else "monthly"

    def to_dict(self) -> dict[str, object]:
        return {
            "day": self.day,
            "window_end": self.window_end,
            "continuous": self.continuous,
            "weekday": self.weekday,
            "hour": self.hour,
            "minute": self.minute,
            "timezone": self.timezone,
            "region": self.region,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> StepSchedule:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})  # type: ignore[arg-type]


def _monthly_run_date(schedule: StepSchedule, year: int, month: int, region: str | None) -> date:
    """The run date of a monthly or window step for ``year``-``month`` (day clamped to the month)."""
    assert schedule.day is not None
    length = _calendar.monthrange(year, month)[1]
    first = min(schedule.day, length)
    if schedule.window_end is not None:
        return window_dates(year, month, first, min(schedule.window_end, length), region)
    return planned_date(year, month, first, region)


def _region_of(schedule: StepSchedule, region: str | None) -> str | None:
    return schedule.region if schedule.region is not None else region


def month_schedule(
    steps: Mapping[object, StepSchedule] | Iterable[StepSchedule],
    year: int,
    month: int,
    region: str | None = None,
) -> dict[object, list[date]]:
    """Each step's run date(s) for ``year``-``month``.

    ``steps`` maps a key (step number or name) to its schedule; a plain sequence is keyed by position.
    A monthly or window step gives the one run of that month's occurrence, even when a holiday moves it
    into the next month; a continuous step gives its weekly runs whose (moved) date lies in the month.
    ``region`` applies to the steps whose schedule sets none.
    """
    items = steps.items() if isinstance(steps, Mapping) else enumerate(steps)
    last = date(year, month, _calendar.monthrange(year, month)[1])
    out: dict[object, list[date]] = {}
    for key, schedule in items:
        reg = _region_of(schedule, region)
        if schedule.continuous:
            out[key] = weekly_dates(date(year, month, 1), last, schedule.weekday, reg)
        else:
            out[key] = [_monthly_run_date(schedule, year, month, reg)]
    return out


def run_at(schedule: StepSchedule, day: date) -> datetime:
    """The aware UTC instant of a run on ``day`` at the schedule's local hour (DST-correct)."""
    local = datetime.combine(_as_date(day), time(schedule.hour, schedule.minute), ZoneInfo(schedule.timezone))
    return local.astimezone(UTC)


def _iter_run_dates(schedule: StepSchedule, from_day: date, region: str | None) -> Iterator[date]:
    """Run dates in increasing order, starting at least a margin before ``from_day``."""
    if schedule.continuous:
        nominal = from_day - timedelta(days=_WEEKLY_MARGIN_DAYS)
        nominal += timedelta(days=(schedule.weekday - nominal.weekday()) % 7)
        previous: date | None = None
        while True:
            moved = next_business_day(nominal, region)
            if moved != previous:
                yield moved
                previous = moved
            nominal += timedelta(days=7)
    else:
        index = from_day.year * 12 + from_day.month - 1 - _MONTHLY_MARGIN_MONTHS
        while True:
            yield _monthly_run_date(schedule, index // 12, index % 12 + 1, region)
            index += 1


def _local_day(schedule: StepSchedule, instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("expected an aware datetime")
    return instant.astimezone(ZoneInfo(schedule.timezone)).date()


def next_run(schedule: StepSchedule, after: datetime, *, inclusive: bool = False) -> datetime:
    """The first run (aware, UTC) strictly after ``after`` (at or after it when ``inclusive``)."""
    region = schedule.region
    for day in _iter_run_dates(schedule, _local_day(schedule, after), region):
        instant = run_at(schedule, day)
        if instant > after or (inclusive and instant == after):
            return instant
    raise AssertionError("unreachable")  # pragma: no cover - the iterator is infinite


def previous_run(schedule: StepSchedule, at: datetime) -> datetime:
    """The last run (aware, UTC) at or before ``at``."""
    region = schedule.region
    start = _local_day(schedule, at) - timedelta(days=_WEEKLY_MARGIN_DAYS if schedule.continuous else 62)
    found: datetime | None = None
    for day in _iter_run_dates(schedule, start, region):
        instant = run_at(schedule, day)
        if instant > at:
            break
        found = instant
    assert found is not None, "the look-back margin always holds a run"
    return found


def run_dates(schedule: StepSchedule, start: date, end: date) -> list[date]:
    """Every run date of ``schedule`` in [start, end] (both inclusive), in order."""
    start, end = _as_date(start), _as_date(end)
    out: list[date] = []
    for day in _iter_run_dates(schedule, start, schedule.region):
        if day > end:
            break
        if day >= start and (not out or out[-1] != day):
            out.append(day)
    return out


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


def _check_weekday(weekday: int) -> None:
    if not 0 <= int(weekday) <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
