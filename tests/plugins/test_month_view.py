"""The month view's data (``arrears.orchestration.month_view``) and the plugin's routes, without a running server.

Planned dates are checked by eye against a calendar: September 2025 starts on a Monday; 20 September is a
Saturday; 1 November 2025 (Toussaint) is a Saturday; 31 January 2026 is a Saturday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from arrears.config.plan import load_plan
from arrears.core.models import StepRun
from arrears.orchestration.month_view import month_view_data, parse_month, run_url

PARIS_7AM_UTC = dt.time(5)  # 07:00 in Paris in summer


def step(data: dict, number: int) -> dict:
    return next(s for s in data["steps"] if s["number"] == number)


def planned(data: dict, number: int) -> list[str]:
    return [o["planned"] for o in step(data, number)["occurrences"]]


def arun(dag_id: str, day: str, state: str = "success", *, awaiting=(), failed=(), dry_run=False,
         hour: dt.time = PARIS_7AM_UTC, run_id: str | None = None) -> dict:
    """A run as ``fetch_airflow_runs`` returns it."""
    logical = dt.datetime.combine(dt.date.fromisoformat(day), hour, dt.UTC)
    return {"dag_id": dag_id, "run_id": run_id or f"scheduled__{logical.isoformat()}", "state": state,
            "logical_date": logical, "start_date": logical, "end_date": None, "dry_run": dry_run,
            "run_type": "scheduled", "awaiting_tasks": list(awaiting), "failed_tasks": list(failed)}


def add_step_run(engine, number: int, as_of: str, run_id: str, *, cohort=0, letters=None, registered=0,
                 tasks=None, failures=0, dry_run=False, status="success") -> None:
    summary = {"cohort": cohort, "letters_by_type": letters or {}, "registered_letters": registered,
               "tasks_by_officer": tasks or {}, "failures": [{"lease_id": "L9", "error": "x"}] * failures}
    now = dt.datetime(2025, 9, 1, 6)
    with engine.begin() as conn:
        conn.execute(StepRun.__table__.insert().values(
            step=number, period=as_of[:7], as_of=dt.date.fromisoformat(as_of), run_id=run_id, dry_run=dry_run,
            status=status, summary=summary, started_at=now, finished_at=now))


# --------------------------------------------------------------------------------------------------
# Planned dates and layout
# --------------------------------------------------------------------------------------------------


def test_september_2025_planned_dates_and_columns():
    data = month_view_data("2025-09")
    assert data["month"] == "2025-09" and data["month_label"] == "septembre 2025"
    assert (data["previous_month"], data["next_month"]) == ("2025-08", "2025-10")
    assert [c["label"] for c in data["columns"]] == ["Semaine 1", "Semaine 2", "Semaine 3", "Semaine 4",
                                                     "Au fil de l'eau"]
    assert [s["number"] for s in data["steps"]] == list(range(1, 16))
    assert planned(data, 1) == ["2025-09-01"]
    assert planned(data, 2) == planned(data, 3) == ["2025-09-05"]
    assert planned(data, 4) == planned(data, 12) == ["2025-09-15"]
    assert planned(data, 8) == ["2025-09-22"]
    assert planned(data, 5) == planned(data, 9) == planned(data, 11) == ["2025-09-25"]
    assert planned(data, 13) == ["2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29"]
    eight = step(data, 8)["occurrences"][0]
    assert eight["shifted"] and eight["nominal"] == "2025-09-20" and eight["shift_reason"] == "week-end"
    six = step(data, 6)
    assert six["occurrences"][0]["deadline"] == "2025-09-07" and six["needs_approval"]
    assert {s["number"]: s["column"] for s in data["steps"]} == {
        1: "week-1", 6: "week-1", 2: "week-2", 3: "week-2", 7: "week-2", 10: "week-2", 4: "week-3",
        8: "week-3", 12: "week-3", 5: "week-4", 9: "week-4", 11: "week-4", 13: "continuous",
        14: "continuous", 15: "continuous"}
    assert step(data, 1)["outputs_folder"] == "2025-09/01_small_balances"
    # Nothing read: no run, no counts, no lateness judged without a date.
    assert {s["state"] for s in data["steps"]} == {"no_run"}
    assert data["sources"] == {"airflow": False, "project_db": False, "errors": []}


def test_holiday_shift_is_named():
    data = month_view_data("2025-11")
    first = step(data, 1)["occurrences"][0]
    assert (first["planned"], first["nominal"], first["shift_reason"]) == ("2025-11-03", "2025-11-01", "Toussaint")
    assert step(data, 1)["occurrences"][0]["planned_label"] == "lundi 3 novembre"


@pytest.mark.parametrize("bad", ["2025-13", "2025-9", "septembre", "", "2025-09-01"])
def test_month_must_be_yyyy_mm(bad):
    with pytest.raises(ValueError):
        parse_month(bad)


def test_run_url_quotes_the_run_id():
    assert run_url("small_balances", "scheduled__2025-09-01T05:00:00+00:00") == \
        "/dags/small_balances/runs/scheduled__2025-09-01T05%3A00%3A00%2B00%3A00"


# --------------------------------------------------------------------------------------------------
# States and counts
# --------------------------------------------------------------------------------------------------


def test_states_and_counts_from_airflow_and_step_runs(engine):
    runs = [
        arun("small_balances", "2025-09-01"),
        arun("large_balances", "2025-09-05", "failed", failed=["render_documents"]),
        arun("end_of_pre_litigation", "2025-09-01", "running", awaiting=["wait_for_manager"]),
        arun("new_tenants", "2025-09-10", "running"),
        arun("repeat_debtors", "2025-09-22", dry_run=True),
        arun("credit_balances", "2025-09-01"),
        arun("credit_balances", "2025-09-08", "failed"),
        arun("credit_balances", "2025-09-09", run_id="manual__2025-09-09"),     # a re-run, the next day
    ]
    add_step_run(engine, 1, "2025-09-01", runs[0]["run_id"], cohort=120, letters={"friendly_reminder": 100,
                 "other": 18}, registered=3, tasks={"S1": 4, "S2": 1}, failures=2)
    add_step_run(engine, 13, "2025-09-01", runs[5]["run_id"], cohort=7, tasks={"S1": 7})
    add_step_run(engine, 13, "2025-09-09", "manual__2025-09-09", cohort=6, tasks={"S1": 6})
    add_step_run(engine, 9, "2025-09-25", "cli-run", cohort=30, letters={"late_payment": 29})   # no DagRun
    add_step_run(engine, 5, "2025-08-25", "august", cohort=99)                                # another month

    data = month_view_data("2025-09", airflow_runs=runs, engine=engine, today=dt.date(2025, 9, 23),
                           ui_base="/ui")
    assert data["sources"]["airflow"] and data["sources"]["project_db"]
    one = step(data, 1)
    assert one["state"] == "success" and one["state_label"] == "Terminé"
    assert one["counts"] == {"cohort": 120, "letters": 118, "registered": 3, "tasks": 5, "failures": 2}
    assert one["occurrences"][0]["run"]["url"] == run_url("small_balances", runs[0]["run_id"], "/ui")
    three = step(data, 3)
    assert three["state"] == "failed" and three["occurrences"][0]["run"]["failed_tasks"] == ["render_documents"]
    assert three["counts"] is None
    six = step(data, 6)
    assert six["state"] == "awaiting_approval" and six["awaiting_approval"]
    assert six["state_label"] == "En attente d'approbation"
    assert data["awaiting_approval"] == [6]
    assert step(data, 7)["state"] == "running"
    # A dry run is listed but is not the step's run: step 8 is due on the 22nd and late on the 23rd.
    eight = step(data, 8)["occurrences"][0]
    assert eight["state"] == "late" and eight["runs"][0]["dry_run"] and eight["run"] is None
    # Planned on the 25th, not yet late on the 23rd; a run recorded by the project only still counts.
    assert step(data, 5)["state"] == "planned"
    nine = step(data, 9)
    assert nine["state"] == "success" and nine["occurrences"][0]["run"]["source"] == "project"
    assert nine["occurrences"][0]["run"]["url"] is None and nine["counts"]["letters"] == 29
    # Weekly: each Monday has its own state; the re-run of the 9th belongs to the 8th's occurrence.
    thirteen = step(data, 13)
    assert [o["state"] for o in thirteen["occurrences"]] == ["success", "success", "late", "late", "planned"]
    assert [r["state_key"] for r in thirteen["occurrences"][1]["runs"]] == ["failed", "success"]
    assert thirteen["state"] == "late"
    assert thirteen["counts"] == {"cohort": 13, "letters": 0, "registered": 0, "tasks": 13, "failures": 0}


def test_a_run_moved_into_the_next_month_stays_with_its_month():
    plan = load_plan()
    thirty_first = replace(plan.step(1), day=31)
    plan = replace(plan, steps=(thirty_first,))
    # 31 January 2026 is a Saturday: January's run is on Monday 2 February.
    runs = [arun("small_balances", "2026-02-02", hour=dt.time(6))]
    january = month_view_data("2026-01", plan=plan, airflow_runs=runs, today=dt.date(2026, 2, 10))
    february = month_view_data("2026-02", plan=plan, airflow_runs=runs, today=dt.date(2026, 2, 10))
    assert planned(january, 1) == ["2026-02-02"] and step(january, 1)["state"] == "success"
    # 28 February 2026 is a Saturday too: February's run is on 2 March, not yet due on 10 February.
    assert planned(february, 1) == ["2026-03-02"] and step(february, 1)["state"] == "planned"
    assert step(february, 1)["occurrences"][0]["runs"] == []


def test_unreadable_project_db_is_reported_not_raised(tmp_path):
    from arrears.core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")   # no tables
    data = month_view_data("2025-09", engine=engine, today=dt.date(2025, 9, 2))
    assert not data["sources"]["project_db"]
    assert data["sources"]["errors"] == ["Base du projet illisible (OperationalError)"]
    assert step(data, 1)["state"] == "late" and step(data, 2)["state"] == "planned"


# --------------------------------------------------------------------------------------------------
# Airflow's metadata models (a SQLite file with Airflow's tables)
# --------------------------------------------------------------------------------------------------


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


def test_runs_read_from_airflow_metadata(airflow_session, sqlite_engine):
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.types import DagRunType

    def add(dag_id, day, state, tasks=(), conf=None):
        logical = dt.datetime.combine(dt.date.fromisoformat(day), PARIS_7AM_UTC, dt.UTC)
        run_id = f"scheduled__{logical.isoformat()}"
        airflow_session.add(DagRun(dag_id=dag_id, run_id=run_id, logical_date=logical, run_after=logical,
                                   data_interval=(logical, logical), state=state, conf=conf or {},
                                   run_type=DagRunType.SCHEDULED))
        airflow_session.flush()
        for task_id, task_state, map_index in tasks:
            airflow_session.execute(TaskInstance.__table__.insert().values(
                task_id=task_id, dag_id=dag_id, run_id=run_id, map_index=map_index, state=task_state,
                pool="default_pool"))
        return run_id

    ok = add("small_balances", "2025-09-01", "success", [("summary", "success", -1)])
    add("large_balances", "2025-09-05", "failed", [("render_documents", "failed", 0),
                                                   ("summary", "upstream_failed", -1)])
    add("end_of_pre_litigation", "2025-09-01", "running", [("wait_for_manager", "awaiting_input", 0)])
    add("cleared_files", "2025-09-05", "success", conf={"dry_run": True})
    add("small_balances", "2025-08-01", "success")           # August: not this month's
    airflow_session.commit()
    add_step_run(sqlite_engine, 1, "2025-09-01", ok, cohort=12, letters={"friendly_reminder": 12})

    data = month_view_data("2025-09", airflow_session=airflow_session, engine=sqlite_engine,
                           today=dt.date(2025, 9, 8))
    assert data["sources"]["airflow"]
    assert step(data, 1)["state"] == "success" and step(data, 1)["counts"]["letters"] == 12
    assert len(step(data, 1)["occurrences"][0]["runs"]) == 1
    assert step(data, 3)["state"] == "failed"
    assert step(data, 3)["occurrences"][0]["run"]["failed_tasks"] == ["render_documents", "summary"]
    assert step(data, 6)["state"] == "awaiting_approval"
    assert step(data, 2)["state"] == "late" and step(data, 2)["occurrences"][0]["runs"][0]["dry_run"]


# --------------------------------------------------------------------------------------------------
# The page and the routes
# --------------------------------------------------------------------------------------------------


def test_page_renders_states_badge_and_no_tenant_data(sqlite_engine):
    from arrears.documents.render import render_html

    runs = [arun("small_balances", "2025-09-01"),
            arun("end_of_pre_litigation", "2025-09-01", "running", awaiting=["wait_for_manager"])]
    add_step_run(sqlite_engine, 1, "2025-09-01", runs[0]["run_id"], cohort=1234, failures=1)
    data = month_view_data("2025-09", airflow_runs=runs, engine=sqlite_engine, today=dt.date(2025, 9, 2))
    html = render_html("month_view/month.html", {"data": data, "self_url": "/arrears/"})
    assert "Plan mensuel de l'impayé — <span class=\"month\">septembre 2025</span>" in html
    assert html.count('data-role="approval-badge"') == 1 and "En attente d&#39;approbation" in html
    assert 'class="state-awaiting_approval awaiting"' in html
    assert "1\u00a0234" in html                                     # the cohort, French thousands
    assert 'href="/dags/small_balances/runs/scheduled__2025-09-01T05%3A00%3A00%2B00%3A00" target="_top"' in html
    assert 'href="/arrears/?month=2025-10"' in html
    assert "L9" not in html                                        # failures: only their number


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_routes_need_a_user_and_render(monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user
    from arrears_month_view import ArrearsMonthViewPlugin, app
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/", "/?month=2025-09", "/api/month?month=2025-09", "/sorties/2025-09/small_balances",
                 "/sorties/2025-09/small_balances/x.pdf"):
        assert client.get(path).status_code == 401, path

    import arrears_month_view

    monkeypatch.setattr(arrears_month_view, "_data", lambda month, request: month_view_data(
        month, today=dt.date(2025, 9, 2), outputs_base="/arrears/sorties"))
    app.dependency_overrides[get_user] = lambda: object()
    try:
        page = client.get("/?month=2025-09")
        assert page.status_code == 200 and "septembre 2025" in page.text
        assert client.get("/?month=2025-9").status_code == 400
        assert client.get("/api/month?month=2025-09").json()["steps"][7]["occurrences"][0]["planned"] == "2025-09-22"
        listing = client.get("/sorties/2025-09/small_balances")
        assert listing.status_code == 200 and "Sorties de l'étape 1" in listing.text
        assert client.get("/sorties/2025-09/nope").status_code == 404
        assert client.get("/sorties/2025-09/small_balances/..%2F..%2Fsecret").status_code == 404
    finally:
        app.dependency_overrides.clear()
    assert ArrearsMonthViewPlugin.external_views[0]["href"] == "/arrears/"
    assert ArrearsMonthViewPlugin.fastapi_apps[0]["url_prefix"] == "/arrears"


def test_outputs_listing_and_file_stay_inside_the_step_folder(tmp_path):
    from arrears.orchestration.month_view import outputs_listing, resolve_output_file

    folder = tmp_path / "2025-09" / "01_small_balances" / "mailroom"
    folder.mkdir(parents=True)
    (folder / "batch_simple.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "secret.txt").write_text("x")
    listing = outputs_listing("2025-09", 1, base=tmp_path)
    assert listing["exists"] and [f["path"] for f in listing["files"]] == ["mailroom/batch_simple.pdf"]
    assert resolve_output_file("2025-09", "small_balances", "mailroom/batch_simple.pdf", base=tmp_path)
    assert resolve_output_file("2025-09", "small_balances", "../../secret.txt", base=tmp_path) is None
    assert not outputs_listing("2025-10", 1, base=tmp_path)["exists"]
