"""Veille du plan mensuel de l'impayé : chaque jour, signale les étapes en retard.

An étape is late when its planned date (the end of its window for step 6, "du 1er au 7") has passed and it
has no successful run (a run succeeds when its summary is recorded in ``step_runs``). The check covers the
previous and the current month, so a step planned on the 25th is still watched in the first days of the
next month. One e-mail lists every late step (``arrears.orchestration.alerts.watch_late_steps``, SMTP connection
``smtp_default`` or ``ARREARS_SMTP_CONN_ID``, recipients ``ARREARS_ALERTS_TO``). "Today" is the run's
logical date in Paris, never the wall clock: re-running a past day checks that day.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import dag, get_current_context, task


@dag(
    dag_id="arrears_watchdog",
    description="Veille quotidienne : étapes du plan mensuel en retard",
    doc_md=__doc__,
    schedule="0 10 * * 1-5",
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/Paris"),
    catchup=False,
    max_active_runs=1,
    tags=["precontentieux", "surveillance"],
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=5), "owner": "recouvrement"},
)
def arrears_watchdog():
    @task
    def check_late_steps() -> dict:
        from arrears.orchestration.alerts import watch_late_steps
        from arrears.orchestration.pipeline import as_of_from_logical_date

        ctx = get_current_context()
        today = as_of_from_logical_date(ctx["logical_date"] or ctx["dag_run"].run_after)
        result = watch_late_steps(today)
        return {"today": result["today"], "late": len(result["late"]), "sent": result["sent"]}

    check_late_steps()


arrears_watchdog()
