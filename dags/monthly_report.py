"""Rapport mensuel des indicateurs du recouvrement (KPI) pour la direction.

On the first business day of each month, writes the KPI report of the month that just ended: arrears rate,
recovery rate and share of tenants in debt (month, 12-month trend, per agency, against the national
references), debt by status and agency, debt age, what each plan step did, debtor profiles, social
supports against the 90 % qualified target — as HTML and PDF (with charts), CSV and XLSX, under
``output/reports/<month>/``.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, dag, get_current_context, task
from arrears.core.settings import PROJECT_ROOT
from arrears_timetable import PlanStepTimetable

REPORT = Asset(name="arrears_monthly_report", uri=f"file://{PROJECT_ROOT / 'output' / 'reports'}")


@dag(
    dag_id="monthly_kpi_report",
    description="Rapport mensuel des indicateurs (taux d'impayé, recouvrement, locataires en dette)",
    doc_md=__doc__,
    schedule=PlanStepTimetable(day=1, hour=8),
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["precontentieux", "rapport"],
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=5), "owner": "recouvrement"},
)
def monthly_kpi_report():
    @task(outlets=[REPORT])
    def write_report() -> list[str]:
        from arrears.core.db import engine_for
        from arrears.orchestration.pipeline import as_of_from_logical_date
        from arrears.report.monthly import write_report as write

        ctx = get_current_context()
        day = as_of_from_logical_date(ctx["logical_date"] or ctx["dag_run"].run_after)
        previous = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        return [str(p) for p in write(engine_for(), previous)]

    write_report()


monthly_kpi_report()
