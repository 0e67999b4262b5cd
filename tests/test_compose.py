"""docker-compose.yml runs what tests/dags/test_celery.py runs natively (issue 13 item 5).

No Docker engine runs here, so the compose file is checked against the native test's own settings: the same
services (PostgreSQL, Redis, API server, scheduler, DAG processor, triggerer, two Celery workers), the same
commands, and the same environment — executor, broker, result backend and databases (same drivers), worker
concurrency, and every setting name the native stack sets that means something inside a container.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dags"))

from airflow_stack import (  # the native stack's module, beside its tests
    CELERY_SETTINGS,
    CELERY_WORKER_COMMAND,
    COMMON_SETTINGS,
    COMPONENT_COMMANDS,
    PG_ADMIN_URL,
    REDIS_URL,
    airflow_environment,
)

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
# Names the native stack sets for the local machine only (its temporary folders, a free port on 127.0.0.1,
# test speed-ups): a container sets its own or keeps Airflow's default.
LOCAL_ONLY = {
    "AIRFLOW_HOME", "PATH", "AIRFLOW__API__HOST", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE", "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL", "AIRFLOW__OPERATORS__DEFAULT_QUEUE",
    "ARREARS_RENDER_CHUNK",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def native_celery_env(tmp_path) -> dict[str, str]:
    """The environment test_celery.py gives its components (same call, placeholder values)."""
    meta = PG_ADMIN_URL.rsplit("/", 1)[0] + "/airflow_meta"
    env = airflow_environment(tmp_path, meta, 8080, executor="CeleryExecutor", extra={
        **CELERY_SETTINGS, "AIRFLOW__CELERY__BROKER_URL": REDIS_URL, "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "q", "ARREARS_DB_URL": PG_ADMIN_URL, "ARREARS_OUTPUT_DIR": "out",
        "ARREARS_VAR_DIR": "var", "ARREARS_RENDER_CHUNK": "1",
        "ARREARS_OUTPUT_URL": "s3://arrears_output@bucket/prod", "AIRFLOW_CONN_ARREARS_OUTPUT": "{}"})
    return {k: v for k, v in env.items() if k.startswith(("AIRFLOW", "ARREARS_"))}


def workers(compose) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items() if name.startswith("airflow-worker")}


def test_compose_has_the_services_the_native_test_starts(compose):
    services = compose["services"]
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    assert len(workers(compose)) == 2
    for name, component in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == COMPONENT_COMMANDS[component], name
    for name, svc in workers(compose).items():
        assert svc["command"] == CELERY_WORKER_COMMAND, name
    # Two workers that the task instances tell apart.
    assert len({svc["hostname"] for svc in workers(compose).values()}) == 2
    assert "airflow db migrate" in services["airflow-init"]["command"][-1]
    assert "arrears.cli migrate" in services["airflow-init"]["command"][-1]


def test_every_airflow_service_has_the_native_environment(compose, tmp_path):
    native = native_celery_env(tmp_path)
    airflow_services = {**{n: compose["services"][n] for n in AIRFLOW_SERVICES}, **workers(compose),
                        "airflow-init": compose["services"]["airflow-init"]}
    for name, svc in airflow_services.items():
        env = {k: str(v) for k, v in svc["environment"].items()}
        missing = set(native) - LOCAL_ONLY - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}"
        for key, value in {**COMMON_SETTINGS, **CELERY_SETTINGS, "AIRFLOW__CORE__PARALLELISM": "2"}.items():
            assert env[key] == value, (name, key)
        # Same kinds of servers, reached with the same drivers.
        assert env["AIRFLOW__CELERY__BROKER_URL"].split("://")[0] == REDIS_URL.split("://")[0]
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "ARREARS_DB_URL"):
            assert make_url(env[key]).drivername == make_url(native[key]).drivername, key
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].split("://")[0] == \
            native["AIRFLOW__CELERY__RESULT_BACKEND"].split("://")[0]
        # Result backend and metadata in the same PostgreSQL database, as natively.
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(":8080/execution/")
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${")  # one secret for every container
        # The bucket and its connection come from .env (empty: the shared `output` volume)
        assert env["ARREARS_OUTPUT_URL"].startswith("${ARREARS_OUTPUT_URL")
        assert env["AIRFLOW_CONN_ARREARS_OUTPUT"].startswith("${AIRFLOW_CONN_ARREARS_OUTPUT")


def test_compose_workers_share_output_and_logs(compose):
    for name, svc in workers(compose).items():
        targets = {v.split(":")[1] for v in svc["volumes"]}
        assert {"/opt/airflow/output", "/opt/airflow/logs"} <= targets, name
        assert svc["environment"]["ARREARS_OUTPUT_DIR"] == "/opt/airflow/output"
