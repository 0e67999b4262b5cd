"""Airflow timetable of the monthly arrears plan: a step runs on its planned day, on French business days.

``PlanStepTimetable`` runs a plan step (PLAN.md, "The calendar"):

- monthly: on day N of each month at the set hour (default 07:00 Europe/Paris, DST-correct), moved to the
  next French business day when N is a weekend or a public holiday;
- window (step 6, 1st–7th): on the first business day of the window;
- continuous: every week on ``weekday`` (0 = Monday), moved to the next business day.

The run's logical date is the planned run itself (aware, UTC): Airflow takes a run's logical date from the
start of its data interval, so the data interval is the instant of the run ([run, run]); the previous run
of a step is in the pipeline's journal, not in the interval.

DAG files import it as ``from arrears_timetable import PlanStepTimetable`` (``plugins/`` is on
``sys.path``); ``ArrearsTimetablePlugin`` registers it so serialized DAGs can be read back. All dates come
from ``arrears.core.calendar``; ``holidays`` is imported only when a date is computed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable
from arrears.core.calendar import StepSchedule, next_run, previous_run

if TYPE_CHECKING:
    from airflow.timetables.base import TimeRestriction
    from pendulum import DateTime

_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def utcnow() -> datetime:
    """The current instant (a module function so tests can pin it)."""
    return datetime.now(UTC)


def _pendulum(instant: datetime) -> DateTime:
    import pendulum

    return pendulum.instance(instant.astimezone(UTC))


def _day_fr(day: int) -> str:
    return "1er" if day == 1 else str(day)


class PlanStepTimetable(Timetable):
    """Runs a plan step on its planned day (or window, or weekday), moved to the next French business day.

    Build it from the plan's ``StepSchedule`` (``PlanStepTimetable(schedule)``) or with the same keywords
    (``PlanStepTimetable(day=5)``, ``PlanStepTimetable(day=1, window_end=7)``,
    ``PlanStepTimetable(continuous=True, weekday=0)``).
    """

    def __init__(
        self,
        schedule: StepSchedule | None = None,
        *,
        day: int | None = None,
        window_end: int | None = None,
        continuous: bool = False,
        weekday: int = 0,
        hour: int = 7,
        minute: int = 0,
        timezone: str = "Europe/Paris",
        region: str | None = None,
    ) -> None:
        if schedule is None:
            schedule = StepSchedule(
                day=day,
                window_end=window_end,
                continuous=continuous,
                weekday=weekday,
                hour=hour,
                minute=minute,
                timezone=timezone,
                region=region,
            )
        elif not isinstance(schedule, StepSchedule):
            raise TypeError(f"expected a StepSchedule, got {type(schedule).__name__}")
        self.schedule = schedule
        self.description = self._describe()

    # -- serialization ----------------------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        return self.schedule.to_dict()

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> PlanStepTimetable:
        return cls(StepSchedule.from_dict(data))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable) or type(other).__qualname__ != type(self).__qualname__:
            return NotImplemented
        return self.schedule == getattr(other, "schedule", None)

    def __hash__(self) -> int:
        return hash(self.schedule)

    def __repr__(self) -> str:
        return f"PlanStepTimetable({self.schedule!r})"

    # -- what the UI shows ------------------------------------------------------------------------

    @property
    def summary(self) -> str:
        s = self.schedule
        at = f"{s.hour:02d}:{s.minute:02d}"
        if s.continuous:
            text = f"chaque {_WEEKDAYS_FR[s.weekday]} {at}"
        elif s.window_end is not None:
            text = f"du {_day_fr(s.day)} au {s.window_end} {at}"
        else:
            text = f"le {_day_fr(s.day)} {at}"
        return f"{text} (jour ouvré)"

    def _describe(self) -> str:
        s = self.schedule
        at = f"{s.hour:02d}:{s.minute:02d} ({s.timezone})"
        where = f", jours fériés de la région {s.region}" if s.region else ""
        if s.continuous:
            when = f"Chaque {_WEEKDAYS_FR[s.weekday]} à {at}"
        elif s.window_end is not None:
            when = f"Le premier jour ouvré du {_day_fr(s.day)} au {s.window_end} de chaque mois à {at}"
        else:
            when = f"Le {_day_fr(s.day)} de chaque mois à {at}"
        return f"{when} ; reporté au jour ouvré suivant si week-end ou jour férié{where}"

    # -- scheduling -------------------------------------------------------------------------------

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """A manual run is dated when it is triggered for (its D is that instant)."""
        return DataInterval.exact(run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """The next planned run, within ``restriction``.

        After a previous run: the first planned run after it. With ``catchup`` off, runs missed while
        the scheduler was away are skipped except the most recent one (as Airflow's cron timetables do):
        the planned day is the first day a step may run, so this month's step still runs, late. With no
        previous run: the first planned run at or after ``earliest`` (the DAG's start date); without a
        start date, the most recent planned run (the current period's step is due).
        """
        s = self.schedule
        candidates: list[datetime] = []
        if last_automated_data_interval is not None:
            candidates.append(next_run(s, last_automated_data_interval.end))
        elif restriction.earliest is not None:
            candidates.append(next_run(s, restriction.earliest, inclusive=True))
        else:
            candidates.append(previous_run(s, utcnow()))
        if not restriction.catchup:
            candidates.append(previous_run(s, utcnow()))
            if restriction.earliest is not None:
                candidates.append(next_run(s, restriction.earliest, inclusive=True))
        run = max(candidates)
        if restriction.latest is not None and run > restriction.latest:
            return None
        instant = _pendulum(run)
        return DagRunInfo(run_after=instant, data_interval=DataInterval(start=instant, end=instant))


class ArrearsTimetablePlugin(AirflowPlugin):
    """Registers the plan's timetable so the scheduler and the UI can read serialized DAGs."""

    name = "arrears_timetable"
    timetables: ClassVar[list[type[Timetable]]] = [PlanStepTimetable]
