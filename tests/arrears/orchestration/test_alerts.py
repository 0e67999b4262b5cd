"""Alerts (``arrears.orchestration.alerts``): sent through Airflow's SmtpNotifier to a tiny SMTP server run by the test.

The server (``tests/smtp_server.py``) keeps each message; the test reads back the subject and the body the operations team would read.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from arrears.core.models import StepRun
from arrears.orchestration.alerts import (
    check_cohort_size,
    cohort_size_alert,
    late_steps,
    step_failure_notifier,
    watch_late_steps,
)
from smtp_server import smtp_connection

CONN_ID = "smtp_arrears_test"


@pytest.fixture
def smtp(monkeypatch):
    with smtp_connection(monkeypatch, CONN_ID) as server:
        monkeypatch.setenv("ARREARS_ALERTS_TO", "exploitation@bailleur.test")
        for name in ("ARREARS_COHORT_ALERT_FACTOR", "ARREARS_COHORT_ALERT_MIN_SIZE", "ARREARS_ALERTS_FROM"):
            monkeypatch.delenv(name, raising=False)
        yield server


def add_step_run(engine, step: int, as_of: str, cohort: int, *, dry_run=False, status="success", run_id=None):
    now = dt.datetime(2025, 9, 1, 6)
    with engine.begin() as conn:
        conn.execute(StepRun.__table__.insert().values(
            step=step, period=as_of[:7], as_of=dt.date.fromisoformat(as_of), run_id=run_id or f"run-{step}-{as_of}",
            dry_run=dry_run, status=status, summary={"cohort": cohort, "letters_by_type": {}}, started_at=now,
            finished_at=now))


# --------------------------------------------------------------------------------------------------
# (b) Cohort size
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cohort", "previous", "factor", "min_size", "alert"), [
    (100, 40, None, None, True),      # 2.5 x
    (80, 40, None, None, False),      # exactly 2 x: not "more than"
    (81, 40, None, None, True),
    (15, 5, None, None, False),       # 3 x, but a small cohort
    (20, 5, None, None, True),        # at the minimum size
    (100, 40, 3.0, None, False),      # a configured factor
    (30, 10, None, 50, False),        # a configured minimum size
    (25, 0, None, None, True),        # last month empty
    (100, None, None, None, False),   # no run last month: nothing to compare
])
def test_cohort_size_thresholds(cohort, previous, factor, min_size, alert):
    result = cohort_size_alert(1, "2025-09", cohort, previous, factor, min_size=min_size)
    assert (result is not None) is alert


def test_cohort_factor_from_the_environment(monkeypatch):
    monkeypatch.setenv("ARREARS_COHORT_ALERT_FACTOR", "3")
    assert cohort_size_alert(1, "2025-09", 100, 40) is None
    monkeypatch.setenv("ARREARS_COHORT_ALERT_FACTOR", "1.5")
    assert cohort_size_alert(1, "2025-09", 100, 40) is not None


def test_cohort_alert_is_mailed_with_both_sizes(engine, smtp):
    add_step_run(engine, 3, "2025-08-05", 40)
    add_step_run(engine, 3, "2025-08-05", 900, dry_run=True, run_id="preview")   # a dry run: ignored
    add_step_run(engine, 3, "2025-07-04", 500)                                   # two months ago: ignored
    add_step_run(engine, 1, "2025-08-01", 1)                                     # another step: ignored

    assert check_cohort_size(3, "2025-09", 80, engine) is None
    assert smtp.messages == []
    alert = check_cohort_size(3, "2025-09", 130, engine)
    assert alert is not None and alert.details["previous"] == 40
    [mail] = smtp.mails()
    assert mail["to"] == ["<exploitation@bailleur.test>"] and mail["from"] == "<plan-impayes@bailleur.test>"
    assert mail["subject"] == ("[Plan impayés] Cohorte inhabituelle — étape 3 — Dossiers + 1 500 € : "
                               "130 baux contre 40 (septembre 2025)")
    body = mail["body"]
    assert "compte 130 baux pour septembre 2025, contre 40 le mois précédent (août 2025), soit 3,2 fois plus" in body
    assert "plus de 2 fois la cohorte du mois précédent, à partir de 20 baux" in body
    assert "Un import cassé" in body


def test_cohort_alert_that_cannot_be_sent_does_not_stop_the_step(sqlite_engine, monkeypatch):
    monkeypatch.setenv("ARREARS_ALERTS_TO", "exploitation@bailleur.test")
    add_step_run(sqlite_engine, 1, "2025-08-01", 10)
    alert = check_cohort_size(1, "2025-09", 50, sqlite_engine, smtp_conn_id="no_such_connection")
    assert alert is not None and alert.kind == "cohort_size"


# --------------------------------------------------------------------------------------------------
# (a) A step fails
# --------------------------------------------------------------------------------------------------


def test_failure_notifier_mails_the_step_run_and_task_without_tenant_data(smtp):
    from airflow.sdk import DAG

    notifier = step_failure_notifier()
    logical = dt.datetime(2025, 9, 5, 5, 0, tzinfo=dt.UTC)
    run_id = "scheduled__2025-09-05T05:00:00+00:00"
    context = {
        "dag": DAG("large_balances"),
        "dag_run": SimpleNamespace(dag_id="large_balances", run_id=run_id, logical_date=logical),
        "ti": SimpleNamespace(dag_id="large_balances", task_id="render_documents", try_number=3, run_id=run_id),
        "logical_date": logical,
        "exception": ValueError("Mme Dupont, 12 rue Paul Bert: adresse illisible"),
    }
    notifier(context)
    [mail] = smtp.mails()
    assert mail["subject"] == "[Plan impayés] Échec — étape 3 — Dossiers + 1 500 € (5 septembre 2025)"
    body = mail["body"]
    assert "Le run de l'étape 3 « Dossiers + 1 500 € » a échoué." in body.replace("&#x27;", "'")
    assert "Tâche en échec : render_documents (tentative 3)" in body
    assert "Erreur : ValueError" in body
    assert "/dags/large_balances/runs/scheduled__2025-09-05T05%3A00%3A00%2B00%3A00" in body
    assert "Dupont" not in body and "Paul Bert" not in body


def test_failure_notifier_reads_recipients_from_the_connection_when_it_sends(smtp, monkeypatch):
    monkeypatch.delenv("ARREARS_ALERTS_TO")
    monkeypatch.delenv(f"AIRFLOW_CONN_{CONN_ID.upper()}")
    notifier = step_failure_notifier()            # at DAG parse time: no connection needed
    host, port = smtp.server_address
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({
        "conn_type": "smtp", "host": host, "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "plan-impayes@bailleur.test",
                  "alerts_to": "chef.recouvrement@bailleur.test", "retry_limit": 0},
    }))
    notifier({"dag_run": SimpleNamespace(dag_id="write_offs", run_id="manual__1", logical_date=None,
                                         run_after=dt.datetime(2025, 9, 8, 5, tzinfo=dt.UTC)),
              "reason": "task_failure"})
    [mail] = smtp.mails()
    assert mail["to"] == ["<chef.recouvrement@bailleur.test>"]
    assert mail["subject"] == "[Plan impayés] Échec — étape 14 — Passage en pertes locataires sortants " \
                              "(8 septembre 2025)"
    assert "Motif : task_failure" in mail["body"]


# --------------------------------------------------------------------------------------------------
# (c) Late steps and the watchdog
# --------------------------------------------------------------------------------------------------


def test_late_steps_on_10_september_2025(engine):
    add_step_run(engine, 1, "2025-09-01", 10)
    add_step_run(engine, 2, "2025-09-05", 10)
    add_step_run(engine, 3, "2025-09-05", 10, dry_run=True)       # a preview is not a run
    add_step_run(engine, 13, "2025-09-01", 1)
    add_step_run(engine, 13, "2025-09-08", 1)
    add_step_run(engine, 14, "2025-09-01", 1)
    late = late_steps("2025-09", dt.date(2025, 9, 10), engine)
    assert [(x["number"], x["planned"], x["deadline"]) for x in late] == [
        (3, "2025-09-05", "2025-09-05"),
        (6, "2025-09-01", "2025-09-07"),        # window 1st-7th: late once the 7th has passed
        (14, "2025-09-08", "2025-09-08"),
        (15, "2025-09-01", "2025-09-01"),
        (15, "2025-09-08", "2025-09-08"),
    ]
    assert {x["state"] for x in late} == {"late"}
    # On the 7th, step 6 is still within its window; on the 5th, steps 2 and 3 are due, not late.
    assert 6 not in {x["number"] for x in late_steps("2025-09", dt.date(2025, 9, 7), engine)}
    assert [(x["number"], x["planned"]) for x in late_steps("2025-09", dt.date(2025, 9, 5), engine)] == [
        (15, "2025-09-01")]


def test_late_steps_say_why_with_airflow_runs(sqlite_engine):
    def run(dag_id, day, state, awaiting=()):
        logical = dt.datetime.fromisoformat(f"{day}T05:00:00+00:00")
        return {"dag_id": dag_id, "run_id": f"scheduled__{day}", "state": state, "logical_date": logical,
                "start_date": logical, "end_date": None, "dry_run": False, "run_type": "scheduled",
                "awaiting_tasks": list(awaiting), "failed_tasks": []}

    runs = [run("end_of_pre_litigation", "2025-09-01", "running", ["wait_for_manager"]),
            run("large_balances", "2025-09-05", "failed"), run("cleared_files", "2025-09-05", "success")]
    late = {x["number"]: x for x in late_steps("2025-09", dt.date(2025, 9, 9), sqlite_engine, airflow_runs=runs)}
    assert late[6]["state"] == "awaiting_approval" and late[6]["state_label"] == "En attente d'approbation"
    assert late[3]["state"] == "failed"
    assert 2 not in late and late[1]["state"] == "late"


def test_watchdog_mails_one_list_covering_last_month_too(engine, smtp):
    for step in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12):
        add_step_run(engine, step, "2025-09-25" if step in (5, 9, 11) else "2025-09-10", 1)
    for day in ("2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29"):
        for step in (13, 14, 15):
            add_step_run(engine, step, day, 1)
    for step in (6, 13, 14, 15):
        add_step_run(engine, step, "2025-10-01", 1)       # 1 October 2025 is a Wednesday
    # 2 October: September complete except nothing; step 1 of October (1st) has not run.
    result = watch_late_steps(dt.date(2025, 10, 2), engine)
    assert [(x["number"], x["planned"]) for x in result["late"]] == [(1, "2025-10-01")]
    [mail] = smtp.mails()
    assert mail["subject"] == "[Plan impayés] 1 étape en retard au 2 octobre 2025"
    assert "Étape 1 « Gestion des soldes &lt; 100 € » : prévue le 1er octobre 2025" in mail["body"]

    # A step planned on 25 September without a run is still reported on 2 October.
    with engine.begin() as conn:
        conn.execute(StepRun.__table__.delete().where(StepRun.step == 11))
    result = watch_late_steps(dt.date(2025, 10, 2), engine, send=False)
    assert [(x["number"], x["planned"]) for x in result["late"]] == [(11, "2025-09-25"), (1, "2025-10-01")]
    assert len(smtp.messages) == 1


def test_nothing_late_sends_nothing(sqlite_engine, smtp):
    from dataclasses import replace

    from arrears.config.plan import load_plan

    plan = load_plan()
    only_first = replace(plan, steps=(plan.step(1),))
    add_step_run(sqlite_engine, 1, "2025-08-01", 1)
    assert watch_late_steps(dt.date(2025, 9, 1), sqlite_engine, plan=only_first) == {
        "today": "2025-09-01", "late": [], "sent": False}
    assert smtp.messages == []


def test_watchdog_dag_imports_cleanly():
    from airflow.dag_processing.dagbag import DagBag
    from arrears.core.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "arrears_watchdog.py"))
    assert bag.import_errors == {}
    dag = bag.dags["arrears_watchdog"]
    assert [t.task_id for t in dag.tasks] == ["check_late_steps"] and dag.tasks[0].retries == 2
    assert "surveillance" in dag.tags and dag.doc_md
