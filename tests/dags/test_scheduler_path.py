"""The scheduler path (issue 13 item 4): Airflow's real components run the step DAGs, as operations would.

api-server, scheduler, dag-processor and triggerer are separate processes (LocalExecutor, parallelism 2,
Airflow's metadata in a fresh PostgreSQL database, the project's data in another); the test unpauses the step
DAGs, triggers September 2025 runs through the REST API, answers step 6's approval through the REST API as
the UI does, and checks that the journal, letters, registered numbers, transfers, tasks and files are the
same as the ``dag.test`` path (``arrears run``) leaves for the same dates on the same portfolio.

Marked ``scheduler`` (and ``slow``): ``ARREARS_SKIP_SCHEDULER_TESTS=1`` skips it locally; CI runs it.
"""

from __future__ import annotations

import os

import pytest
from airflow_stack import (
    SEP1,
    SKIP_ENV,
    AirflowStack,
    airflow_environment,
    build_portfolio,
    figures,
    free_port,
    fresh_pg_database,
    reference_run,
    skip_or_fail,
    skip_reason,
)

pytestmark = [
    pytest.mark.scheduler,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get(SKIP_ENV) == "1", reason=f"{SKIP_ENV}=1"),
]

STEP1, STEP6 = "small_balances", "end_of_pre_litigation"


def test_scheduler_runs_the_month_like_dag_test(tmp_path, monkeypatch):
    skip_or_fail(skip_reason())
    from arrears.config.plan import load_plan
    from arrears.core.db import make_engine, migrate
    from arrears.orchestration.runner import expected_run_id, logical_date_for

    hour = {n: load_plan().step(n).schedule.hour for n in (1, 6)}
    expected = reference_run(tmp_path, monkeypatch, [(1, SEP1), (6, SEP1)], small=2,
                             approve={"T-1": True, "T-2": False})

    home, out = tmp_path / "airflow", tmp_path / "output"
    home.mkdir()
    with fresh_pg_database("arrears_sched_data") as data_url, \
            fresh_pg_database("airflow_sched_meta") as meta_url:
        migrate(data_url)
        engine = make_engine(data_url)
        build_portfolio(engine, small=2)
        env = airflow_environment(home, meta_url, free_port(), extra={
            "ARREARS_DB_URL": data_url, "ARREARS_OUTPUT_DIR": str(out),
            "ARREARS_VAR_DIR": str(tmp_path / "var")})
        stack = AirflowStack(home, env)
        stack.migrate()
        try:
            stack.start_core()
            stack.wait_healthy()
            stack.unpause(STEP1)
            stack.unpause(STEP6)
            run1 = expected_run_id(SEP1, hour[1])
            stack.trigger(STEP1, run1, logical_date_for(SEP1, hour[1]))
            assert stack.wait_run(STEP1, run1) == "success", stack.logs()
            run6 = expected_run_id(SEP1, hour[6])
            stack.trigger(STEP6, run6, logical_date_for(SEP1, hour[6]))
            detail = stack.answer_approval(STEP6, run6, ["T-1"])
            # the leases to decide, and the reject-all option (Airflow wants at least one option chosen)
            assert sorted(detail["options"]) == ["T-1", "T-2", "Tout refuser"]
            assert stack.wait_run(STEP6, run6) == "success", stack.logs()
            states = {ti["task_id"]: ti["state"] for ti in stack.task_instances(STEP6, run6)}
        finally:
            stack.stop()
        got = figures(engine, out)
        engine.dispose()

    assert states["wait_for_manager"] == "success" and states["summary"] == "success", states
    # What the officers see: a reminder for each small balance, T-1 (approved) handed over, T-2 not.
    assert [d[0] for d in got["documents"] if d[1] == "1"] == ["SMALL-1", "SMALL-2"]
    assert [a[0] for a in got["actions"] if a[1] == "transfer_litigation"] == ["T-1"]
    assert ("T-1", "contentieux") in got["stages"] and ("T-2", "precontentieux") in got["stages"]
    assert got["approvals"] == [("T-1", "True"), ("T-2", "False")]
    assert len([f for f in got["files"] if "/letters/" in f]) == 2, got["files"]
    transfer_files = [f for f in got["files"] if "/transfer_files/" in f]
    assert len(transfer_files) == 1 and "T-1" in transfer_files[0], got["files"]
    # ... and the same figures, row for row and file for file, as the dag.test path.
    for key in expected:
        assert got[key] == expected[key], key
