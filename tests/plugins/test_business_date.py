"""Runs are filed by their business date (``as_of``), whatever their logical date (issue 15, item 2).

The case seen in the UI: on 29 November 2026, step 6 is triggered with ``as_of=2025-10-01`` and the dialog's
default logical date (now). It must show under October 2025 (with its link and counts), not November 2026;
and November 2026's step 6, which did not run, must still be flagged late by the watchdog.
"""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core.models import StepRun
from arrears.orchestration.alerts import late_steps
from arrears.orchestration.month_view import month_view_data, run_business_date

NOW = dt.datetime(2026, 11, 29, 18, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 29)
RUN_ID = "manual__2026-11-29T18:12:00+00:00"


def _step(data, number):
    return next(s for s in data["steps"] if s["number"] == number)


def _summary_row(engine, as_of="2025-10-01"):
    summary = {"step": 6, "as_of": as_of, "cohort": 15, "cohort_balance_cents": 4616770, "letters_by_type": {},
               "registered_letters": 0, "tasks_by_officer": {"A1": 5}, "failures": [], "taken_by_this_run": 5}
    with engine.begin() as conn:
        conn.execute(StepRun.__table__.insert().values(
            step=6, period=as_of[:7], as_of=dt.date.fromisoformat(as_of), run_id=RUN_ID, dry_run=False,
            status="success", summary=summary, started_at=NOW.replace(tzinfo=None),
            finished_at=NOW.replace(tzinfo=None)))


def test_business_date_prefers_as_of_then_logical_date_in_paris():
    assert run_business_date({"as_of": "2025-10-01", "logical_date": NOW}) == dt.date(2025, 10, 1)
    # 23:30 UTC on 30 September is already 1 October in Paris.
    late = dt.datetime(2025, 9, 30, 23, 30, tzinfo=dt.UTC)
    assert run_business_date({"as_of": None, "logical_date": late}) == dt.date(2025, 10, 1)


@pytest.fixture(scope="module")
def airflow_session(tmp_path_factory):
    import airflow.models
    from airflow.models.base import Base
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    airflow.models.import_all_models()
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('airflow-meta') / 'airflow.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("how", ["ui_default_logical_date", "command_line"])
def test_a_past_as_of_is_filed_under_its_month_and_today_stays_late(how, airflow_session, engine):
    """Both ways a user triggers: the UI (logical date = now, ``as_of`` in the conf) and the command line
    (``arrears run`` sets the logical date from ``as_of``, and puts ``as_of`` in the conf too)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.types import DagRunType
    from arrears.orchestration.runner import logical_date_for

    airflow_session.execute(TaskInstance.__table__.delete())
    airflow_session.execute(DagRun.__table__.delete())
    logical = NOW if how == "ui_default_logical_date" else logical_date_for(dt.date(2025, 10, 1))
    run_type = DagRunType.MANUAL
    airflow_session.add(DagRun(dag_id="end_of_pre_litigation", run_id=RUN_ID, logical_date=logical,
                               run_after=logical, data_interval=(logical, logical), state="success",
                               conf={"as_of": "2025-10-01", "dry_run": False}, run_type=run_type))
    airflow_session.commit()
    _summary_row(engine)

    october = month_view_data("2025-10", airflow_session=airflow_session, engine=engine, today=TODAY,
                              ui_base="")
    occ = _step(october, 6)["occurrences"][0]
    assert occ["state"] == "success"
    [run] = occ["runs"]
    assert run["source"] == "airflow" and run["url"].startswith("/dags/end_of_pre_litigation/runs/manual__")
    assert occ["counts"]["cohort"] == 15
    assert occ["summary_fr"]["short"].startswith("15 dossiers")

    november = month_view_data("2026-11", airflow_session=airflow_session, engine=engine, today=TODAY)
    assert _step(november, 6)["occurrences"][0]["runs"] == []
    assert _step(november, 6)["state"] == "late"

    late = late_steps("2026-11", TODAY, engine, airflow_session=airflow_session)
    assert 6 in {item["number"] for item in late}
    assert 6 not in {item["number"] for item in late_steps("2025-10", TODAY, engine, airflow_session=airflow_session)}
