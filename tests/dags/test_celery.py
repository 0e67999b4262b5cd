"""The distributed engine (issue 13 item 5): CeleryExecutor with two workers, output in a bucket.

The same set-up as ``docker-compose.yml``: CeleryExecutor, Redis as broker (the local server, a database
number of its own and a queue of this run's own), PostgreSQL for Airflow's metadata, Celery's result backend
and the project's data; api-server, scheduler, dag-processor, triggerer and TWO ``airflow celery worker``
processes (concurrency 1 each, distinct hostnames). Step 1 runs with ``ARREARS_RENDER_CHUNK=1`` so its render
task is mapped over one chunk per letter; both workers must have rendered, and the figures must be those
of the ``dag.test`` path. The output goes to an S3-compatible bucket (a moto server started by the test,
``ARREARS_OUTPUT_URL`` and the Airflow connection ``arrears_output`` as in production): the files there are
those the ``dag.test`` path wrote into its local folder, and nothing is written into the local output folder.

Marked ``scheduler`` (and ``slow``): ``ARREARS_SKIP_SCHEDULER_TESTS=1`` skips it locally; CI runs it.
"""

from __future__ import annotations

import os
import uuid

import pytest
from airflow_stack import (
    CELERY_SETTINGS,
    REDIS_URL,
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
from s3_server import connection_json, s3_bucket, s3_server

pytestmark = [
    pytest.mark.scheduler,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get(SKIP_ENV) == "1", reason=f"{SKIP_ENV}=1"),
]

STEP1 = "small_balances"
SMALL = 4  # four reminders, one render chunk each


def _redis_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__} (start it: redis-server --daemonize yes)"
    return None


def test_two_celery_workers_share_the_rendering(tmp_path, monkeypatch):
    skip_or_fail(skip_reason() or _redis_reason())
    from arrears.config.plan import load_plan
    from arrears.core.db import make_engine, migrate
    from arrears.orchestration.runner import expected_run_id, logical_date_for

    hour = load_plan().step(1).schedule.hour
    expected = reference_run(tmp_path, monkeypatch, [(1, SEP1)], small=SMALL)

    home, out = tmp_path / "airflow", tmp_path / "output"
    home.mkdir()
    queue = f"arrears_test_{uuid.uuid4().hex[:8]}"  # concurrent runs on this machine never share messages
    server = s3_server()
    output_url, bucket = s3_bucket(monkeypatch, server)
    with fresh_pg_database("arrears_celery_data") as data_url, \
            fresh_pg_database("airflow_celery_meta") as meta_url:
        migrate(data_url)
        engine = make_engine(data_url)
        build_portfolio(engine, small=SMALL)
        env = airflow_environment(home, meta_url, free_port(), executor="CeleryExecutor", extra={
            **CELERY_SETTINGS,
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta_url,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "ARREARS_DB_URL": data_url, "ARREARS_OUTPUT_DIR": str(out), "ARREARS_VAR_DIR": str(tmp_path / "var"),
            "ARREARS_RENDER_CHUNK": "1",
            "ARREARS_OUTPUT_URL": output_url, "AIRFLOW_CONN_ARREARS_OUTPUT": connection_json(server),
        })
        stack = AirflowStack(home, env)
        stack.migrate()
        try:
            stack.start_core()
            stack.start_celery_worker("worker-1", queue)
            stack.start_celery_worker("worker-2", queue)
            stack.wait_healthy()
            stack.unpause(STEP1)
            run_id = expected_run_id(SEP1, hour)
            stack.trigger(STEP1, run_id, logical_date_for(SEP1, hour))
            assert stack.wait_run(STEP1, run_id) == "success", stack.logs()
            tis = stack.task_instances(STEP1, run_id)
        finally:
            stack.stop()
        got = figures(engine, out)
        engine.dispose()
    assert got["files"] == []                       # nothing in the local output folder: all in the bucket
    got["files"] = sorted(key.removeprefix("prod/") for key in server.objects(bucket, "prod/")
                          if not key.startswith("prod/runs/") and key.endswith((".pdf", ".csv", ".xlsx")))

    renders = [ti for ti in tis if ti["task_id"] == "render_documents"]
    assert sorted(ti["map_index"] for ti in renders) == list(range(SMALL))
    assert all(ti["state"] == "success" for ti in renders), renders
    # Both workers rendered: the task instances name the worker that ran them.
    assert {ti["hostname"] for ti in renders} == {"worker-1", "worker-2"}, [ti["hostname"] for ti in renders]
    assert {ti["hostname"] for ti in tis} <= {"worker-1", "worker-2"}
    assert [d[0] for d in got["documents"]] == [f"SMALL-{i + 1}" for i in range(SMALL)]
    for key in expected:
        assert got[key] == expected[key], key
