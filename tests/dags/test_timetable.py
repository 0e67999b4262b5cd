"""The plan's Airflow timetable (plugins/arrears_timetable.py): successive runs, catchup, DST, windows,
weekly runs, and the round trip through Airflow's own DAG serialization.

``utcnow`` is pinned with monkeypatch wherever it matters: no test depends on the wall clock.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import arrears_timetable
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction
from arrears.core.calendar import StepSchedule
from arrears_timetable import PlanStepTimetable

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(timetable, earliest, latest, catchup=True, last=None, limit=100):
    """Logical dates of the runs Airflow would create, calling ``next_dagrun_info`` repeatedly."""
    out = []
    restriction = TimeRestriction(earliest, latest, catchup)
    for _ in range(limit):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            return out
        assert info.run_after == info.logical_date == info.data_interval.end
        assert info.run_after.tzinfo is not None
        out.append(info.logical_date)
        last = info.data_interval
    raise AssertionError("the timetable never stopped")


@pytest.fixture
def pin_now(monkeypatch):
    def pin(instant: datetime) -> None:
        monkeypatch.setattr(arrears_timetable, "utcnow", lambda: instant)

    return pin


def test_monthly_runs_over_a_year_are_on_business_days_at_seven_paris_time():
    # Day 5 in 2025 (see tests/arrears/core/test_calendar.py for the dates): 07:00 Paris is 06:00 UTC in
    # winter time (until Sunday 30 March, from Sunday 26 October) and 05:00 UTC in summer time.
    got = runs(PlanStepTimetable(day=5), utc(2025, 1, 1), utc(2025, 12, 31, 23, 59))
    assert got == [
        utc(2025, 1, 6, 6),  # Sunday 5 January → Monday 6
        utc(2025, 2, 5, 6),
        utc(2025, 3, 5, 6),
        utc(2025, 4, 7, 5),  # Saturday 5 April → Monday 7, summer time
        utc(2025, 5, 5, 5),
        utc(2025, 6, 5, 5),
        utc(2025, 7, 7, 5),  # Saturday 5 July → Monday 7
        utc(2025, 8, 5, 5),
        utc(2025, 9, 5, 5),
        utc(2025, 10, 6, 5),  # Sunday 5 October → Monday 6, still summer time
        utc(2025, 11, 5, 6),  # winter time again
        utc(2025, 12, 5, 6),
    ]


def test_holidays_move_the_run_and_the_region_adds_its_own():
    # Day 1 in 2025/2026 crosses New Year's Day, 1 May (Thursday 2025), 1 November (Saturday 2025).
    got = runs(PlanStepTimetable(day=1), utc(2025, 4, 15), utc(2026, 1, 31))
    assert [d.date().isoformat() for d in got] == [
        "2025-05-02",  # Thursday 1 May → Friday 2
        "2025-06-02",  # Sunday 1 June → Monday 2
        "2025-07-01",
        "2025-08-01",
        "2025-09-01",
        "2025-10-01",
        "2025-11-03",  # Saturday 1 November (Toussaint) → Monday 3
        "2025-12-01",
        "2026-01-02",  # Thursday 1 January → Friday 2
    ]
    # Day 26: Friday 26 December 2025 is a holiday only in Alsace-Moselle → Monday 29.
    december = (utc(2025, 12, 1), utc(2025, 12, 31))
    assert runs(PlanStepTimetable(day=26), *december) == [utc(2025, 12, 26, 6)]
    assert runs(PlanStepTimetable(day=26, region="57"), *december) == [utc(2025, 12, 29, 6)]


def test_window_runs_on_the_first_business_day_of_the_window():
    # Step 6, 1st–7th, over 2026.
    got = runs(PlanStepTimetable(day=1, window_end=7), utc(2026, 1, 1), utc(2026, 12, 31))
    assert [d.date().isoformat() for d in got] == [
        "2026-01-02",  # Thursday 1 January (holiday) → Friday 2
        "2026-02-02",  # Sunday 1 February → Monday 2
        "2026-03-02",  # Sunday 1 March → Monday 2
        "2026-04-01",
        "2026-05-04",  # Friday 1 May (holiday), weekend → Monday 4
        "2026-06-01",
        "2026-07-01",
        "2026-08-03",  # Saturday 1 August → Monday 3
        "2026-09-01",
        "2026-10-01",
        "2026-11-02",  # Sunday 1 November → Monday 2
        "2026-12-01",
    ]


def test_weekly_runs_for_continuous_steps():
    # Every Monday of April–May 2026; Easter Monday (6 April) and Whit Monday (25 May) → Tuesday.
    got = runs(PlanStepTimetable(continuous=True, weekday=0), utc(2026, 4, 1), utc(2026, 5, 31))
    assert [d.date().isoformat() for d in got] == [
        "2026-04-07",
        "2026-04-13",
        "2026-04-20",
        "2026-04-27",
        "2026-05-04",
        "2026-05-11",
        "2026-05-18",
        "2026-05-26",
    ]
    assert all(d.hour == 5 for d in got)  # 07:00 Paris, summer time
    # Over a whole year: 52 Mondays in 2025.
    assert len(runs(PlanStepTimetable(continuous=True), utc(2025, 1, 1), utc(2025, 12, 31, 23))) == 52


def test_earliest_and_latest_are_inclusive():
    timetable = PlanStepTimetable(day=5)
    run = utc(2025, 2, 5, 6)  # Wednesday 5 February 2025, 07:00 Paris
    assert runs(timetable, run, run) == [run]
    assert runs(timetable, utc(2025, 2, 5, 6, 1), utc(2025, 3, 5, 5, 59)) == []


def test_catchup_on_creates_every_missed_run(pin_now):
    pin_now(utc(2025, 6, 20, 12))
    timetable = PlanStepTimetable(day=5)
    last = DataInterval(utc(2025, 1, 6, 6), utc(2025, 1, 6, 6))
    got = runs(timetable, utc(2025, 1, 1), utc(2025, 6, 20, 12), catchup=True, last=last)
    assert [d.date().isoformat() for d in got] == [
        "2025-02-05",
        "2025-03-05",
        "2025-04-07",
        "2025-05-05",
        "2025-06-05",
    ]


def test_catchup_off_skips_to_the_most_recent_planned_run(pin_now):
    timetable = PlanStepTimetable(day=5)
    restriction = TimeRestriction(utc(2025, 1, 1), None, False)
    last = DataInterval(utc(2025, 1, 6, 6), utc(2025, 1, 6, 6))

    pin_now(utc(2025, 6, 20, 12))
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
    assert info.logical_date == utc(2025, 6, 5, 5)  # this month's run, late; February–May skipped
    # Once it has run, the next one is next month's.
    info = timetable.next_dagrun_info(
        last_automated_data_interval=info.data_interval, restriction=restriction
    )
    assert info.logical_date == utc(2025, 7, 7, 5)
    # First scheduling (no run yet) with a start date in the past: the most recent planned run.
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.logical_date == utc(2025, 6, 5, 5)
    # Before 07:00 Paris on the planned day, the day's run is still to come.
    pin_now(utc(2025, 6, 5, 4, 59))
    last = DataInterval(utc(2025, 5, 5, 5), utc(2025, 5, 5, 5))
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
    assert info.logical_date == utc(2025, 6, 5, 5)
    # A start date in the future wins.
    future = TimeRestriction(utc(2025, 9, 1), None, False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=future)
    assert info.logical_date == utc(2025, 9, 5, 5)
    # No start date at all: the current period's run.
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(None, None, True)
    )
    assert info.logical_date == utc(2025, 5, 5, 5)


def test_manual_runs_are_dated_when_triggered():
    import pendulum

    at = pendulum.datetime(2025, 6, 20, 9, 30, tz="UTC")
    interval = PlanStepTimetable(day=5).infer_manual_data_interval(run_after=at)
    assert interval.start == interval.end == at


def test_serialize_round_trip_summary_and_description():
    timetable = PlanStepTimetable(StepSchedule(day=1, window_end=7, hour=8, minute=30, region="57"))
    back = PlanStepTimetable.deserialize(timetable.serialize())
    assert back == timetable and back.schedule == timetable.schedule
    assert back != PlanStepTimetable(day=1)
    assert timetable.summary == "du 1er au 7 08:30 (jour ouvré)"
    assert "premier jour ouvré du 1er au 7" in timetable.description
    assert "57" in timetable.description
    assert PlanStepTimetable(day=5).summary == "le 5 07:00 (jour ouvré)"
    assert PlanStepTimetable(continuous=True, weekday=2).summary == "chaque mercredi 07:00 (jour ouvré)"
    assert PlanStepTimetable(day=5).type_name == "arrears_timetable.PlanStepTimetable"
    with pytest.raises(ValueError):
        PlanStepTimetable(day=None)
    with pytest.raises(TypeError):
        PlanStepTimetable({"day": 5})


# -- through Airflow itself ---------------------------------------------------------------------------

DAG_FILE = """
from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from arrears_timetable import PlanStepTimetable


@dag(
    dag_id="plan_step_timetable_probe",
    schedule=PlanStepTimetable(day=1, window_end=7, region="57"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Paris"),
    catchup=False,
    tags=["test"],
)
def probe():
    @task
    def noop() -> int:
        return 1

    noop()


probe()
"""


def _reset_plugins() -> None:
    from airflow import plugins_manager

    plugins_manager._get_plugins.cache_clear()
    plugins_manager.get_timetables_plugins.cache_clear()


@pytest.fixture
def airflow_dags(tmp_path, monkeypatch):
    """A temp dags folder holding one DAG that uses the timetable, and an Airflow set up around it.

    The env vars only count when Airflow is first imported in this process; if another test imported it
    already, ``settings.PLUGINS_FOLDER`` is what the plugins manager reads, so it is patched too, and the
    plugins manager's caches are cleared before and after (plugins load once per process, lazily, on
    the first serialization that needs a custom timetable).
    """
    home = tmp_path / "airflow"
    dags = tmp_path / "dags"
    home.mkdir()
    dags.mkdir()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from airflow import settings

    monkeypatch.setattr(settings, "PLUGINS_FOLDER", str(PLUGINS))
    _reset_plugins()
    (dags / "probe.py").write_text(textwrap.dedent(DAG_FILE))
    yield dags
    _reset_plugins()


def test_dag_round_trips_through_airflow_serialization(airflow_dags):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    bag = DagBag(dag_folder=str(airflow_dags))
    assert bag.import_errors == {}
    dag = bag.dags["plan_step_timetable_probe"]

    data = DagSerialization.to_dict(dag)
    assert data["dag"]["timetable"]["__type"] == "arrears_timetable.PlanStepTimetable"
    back = DagSerialization.from_dict(data)
    assert type(back.timetable).__qualname__ == "PlanStepTimetable"
    assert back.timetable == dag.timetable
    assert back.timetable.schedule == StepSchedule(day=1, window_end=7, region="57")
    assert back.timetable.summary == "du 1er au 7 07:00 (jour ouvré)"

    # The scheduler's own loop over the deserialized DAG (as a backfill would run it): first half of 2026.
    infos = list(back.iter_dagrun_infos_between(utc(2026, 1, 1), utc(2026, 6, 30)))
    assert [i.logical_date.date().isoformat() for i in infos] == [
        "2026-01-02",
        "2026-02-02",
        "2026-03-02",
        "2026-04-01",
        "2026-05-04",
        "2026-06-01",
    ]
    assert infos[0].logical_date == utc(2026, 1, 2, 6)


def test_an_unregistered_timetable_fails_at_serialization(airflow_dags, tmp_path, monkeypatch):
    """Why the plugin exists: DagBag accepts the DAG, serialization refuses the unknown class."""
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.exceptions import SerializationError
    from airflow.serialization.serialized_objects import DagSerialization

    bag = DagBag(dag_folder=str(airflow_dags))
    dag = bag.dags["plan_step_timetable_probe"]
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    monkeypatch.setattr(settings, "PLUGINS_FOLDER", str(empty))
    _reset_plugins()
    with pytest.raises(SerializationError, match="not registered"):
        DagSerialization.to_dict(dag)
