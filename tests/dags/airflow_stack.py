"""Airflow's real components as subprocesses, for the scheduler-path tests (``-m scheduler``).

:class:`AirflowStack` starts ``airflow api-server`` (127.0.0.1, a free port), ``scheduler --skip-serve-logs``,
``dag-processor``, ``triggerer --skip-serve-logs`` (human-in-the-loop tasks defer to it) and, for the
CeleryExecutor, ``celery worker`` processes — each in its own process group, with its own AIRFLOW_HOME in a
temporary folder and Airflow's metadata in a fresh PostgreSQL database. :meth:`AirflowStack.stop` kills every
group it started (TERM, then KILL) and is called even when a test fails. Every wait is bounded and says what
it waited for, with the tail of the component logs.

The environment is built for the stack (no ``AIRFLOW*`` or ``ARREARS_*`` of the test process leaks in):
:func:`airflow_environment` is also what ``tests/test_compose.py`` compares ``docker-compose.yml`` with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = str(Path(sys.executable).with_name("airflow"))
PG_ADMIN_URL = os.environ.get("ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARREARS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")  # a db of our own
SKIP_ENV = "ARREARS_SKIP_SCHEDULER_TESTS"

# The settings both the native tests and docker-compose.yml use (tests/test_compose.py checks the compose
# file against these names and values).
CELERY_SETTINGS = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
    "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
}
COMMON_SETTINGS = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES": "arrears.*",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,manager:admin",
}
# The components' commands (after ``airflow``). No log server: the API server reads task logs from the log
# folder (shared by the containers in docker-compose.yml). The API server adds its host and port here.
COMPONENT_COMMANDS = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
CELERY_WORKER_COMMAND = ["celery", "worker", "--concurrency", "1", "--skip-serve-logs"]


def skip_reason() -> str | None:
    """Why the scheduler tests cannot run here (PostgreSQL missing), or None."""
    try:
        with _admin().connect():
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


def skip_or_fail(reason: str | None) -> None:
    """Skip when a service is missing on a developer's machine; in CI (``CI`` set) that is a failure."""
    import pytest

    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the scheduler tests)")
    if reason:
        pytest.skip(reason)


def _admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def fresh_pg_database(prefix: str):
    """A new, empty PostgreSQL database (its URL with psycopg 3), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_environment(home: Path, metadata_url: str, port: int, *, executor: str = "LocalExecutor",
                        extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every Airflow component of one stack (the project's settings included)."""
    # Nothing of the test process's own Airflow or project set-up leaks in: only what is set here.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ARREARS_"))}
    env.update(COMMON_SETTINGS)
    env.update({
        "AIRFLOW_HOME": str(home),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Every component signs and checks the same tokens.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # Runs come from the REST API only: no scheduled run for today's date when a DAG is unpaused.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "ARREARS_RETRY_DELAY_SECONDS": "5",
    })
    env.update(extra or {})
    return env


class AirflowStack:
    """Start, query and stop one Airflow installation made of separate processes."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.home = home
        self.env = env
        self.port = int(env["AIRFLOW__API__PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self._token: str | None = None

    # -- processes ------------------------------------------------------------------------------------
    def migrate(self, timeout: float = 300) -> None:
        result = subprocess.run([AIRFLOW_BIN, "db", "migrate"], check=False, env=self.env, capture_output=True,
                                text=True, timeout=timeout, cwd=self.home)
        assert result.returncode == 0, f"airflow db migrate failed:\n{result.stderr[-3000:]}"

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen([AIRFLOW_BIN, *args], env={**self.env, **(env or {})}, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.home, start_new_session=True)

    def start_core(self) -> None:
        for name, command in COMPONENT_COMMANDS.items():
            extra = ["--host", "127.0.0.1", "--port", str(self.port)] if name == "api-server" else []
            self.start(name, [*command, *extra])

    def start_celery_worker(self, name: str, queue: str) -> None:
        """``airflow celery worker`` (concurrency 1, no log server) reporting ``name`` as its hostname."""
        self.start(name, [*CELERY_WORKER_COMMAND, "--celery-hostname", f"{name}@%h", "--queues", queue], env={
            "ARREARS_TEST_WORKER_HOSTNAME": name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "airflow_stack.worker_hostname",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "dags"), self.env.get("PYTHONPATH", "")]),
        })

    def stop(self) -> None:
        """TERM every process group this stack started, then KILL what is still alive after 20 s."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # the group's children too (task runners, celery pool)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def logs(self, lines: int = 25) -> str:
        parts = []
        for name in self.procs:
            path = self.home / f"{name}.log"
            tail = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {name} (exit {self.procs[name].poll()}) ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def wait_for(self, what: str, check, timeout: float, every: float = 2.0):
        """Call ``check()`` until it returns something truthy; fail with the logs after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            assert not dead, f"{dead} exited while waiting for {what}\n{self.logs()}"
            try:
                result = check()
                if result:
                    return result
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                last_error = exc
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error!r})"
                             f"\n{self.logs()}")

    # -- REST API -------------------------------------------------------------------------------------
    def token(self) -> str:
        if self._token is None:
            passwords = json.loads((self.home / "passwords.json").read_text())
            response = httpx.post(f"{self.base}/auth/token", timeout=30,
                                  json={"username": "admin", "password": passwords["admin"]})
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return httpx.request(method, f"{self.base}/api/v2{path}", timeout=30,
                             headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)

    def wait_healthy(self, timeout: float = 180) -> None:
        def healthy():
            response = httpx.get(f"{self.base}/api/v2/monitor/health", timeout=5)
            return response.status_code == 200 and (self.home / "passwords.json").exists()

        self.wait_for("the API server's health endpoint", healthy, timeout)

    def unpause(self, dag_id: str, timeout: float = 240) -> None:
        """Wait until the DAG processor has parsed ``dag_id``, check it is paused, and unpause it."""
        dag = self.wait_for(f"DAG {dag_id} to be parsed",
                            lambda: (r := self.api("GET", f"/dags/{dag_id}")).status_code == 200 and r.json(),
                            timeout, every=3)
        assert dag["is_paused"] is True, "step DAGs must start paused"
        response = self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        assert response.status_code == 200, response.text

    def trigger(self, dag_id: str, run_id: str, logical_date: dt.datetime) -> None:
        response = self.api("POST", f"/dags/{dag_id}/dagRuns",
                            json={"dag_run_id": run_id, "logical_date": logical_date.isoformat(), "conf": {}})
        assert response.status_code == 200, response.text

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 420) -> str:
        return self.wait_for(f"run {run_id} of {dag_id} to finish",
                             lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
                             timeout, every=3)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        response = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        response.raise_for_status()
        return response.json()["task_instances"]

    def answer_approval(self, dag_id: str, run_id: str, chosen: list[str], timeout: float = 300) -> dict:
        """Wait for the run's human-in-the-loop request and answer it as the UI does (PATCH hitlDetails)."""
        def waiting():
            response = self.api("GET", "/dags/~/dagRuns/~/hitlDetails",
                                params={"dag_id": dag_id, "response_received": "false"})
            response.raise_for_status()
            # answered only once the task is parked (awaiting_input): an answer that lands while the task is
            # still pausing fails that try, and the retry asks again (seen in the full suite)
            mine = [d for d in response.json()["hitl_details"]
                    if d["task_instance"]["dag_run_id"] == run_id
                    and d["task_instance"].get("state") == "awaiting_input"]
            return mine[0] if mine else None

        detail = self.wait_for(f"the approval request of {run_id}", waiting, timeout, every=3)
        time.sleep(2)  # a person takes a moment (an instant answer races the scheduler loop)
        ti = detail["task_instance"]
        map_index = ti.get("map_index", -1)
        response = self.api("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/"
                                     f"{map_index}/hitlDetails",
                            json={"chosen_options": chosen, "params_input": {}})
        assert response.status_code == 200, response.text
        return detail


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session=True: the group id is the process id
    except (ProcessLookupError, PermissionError):
        pass


# -- the project's side: a small portfolio, and the figures a run leaves -------------------------------

SEP1 = dt.date(2025, 9, 1)


def build_portfolio(engine, small: int = 2) -> None:
    """``small`` leases owing 50 € since 3 Aug (step 1 on 1 Sep: a friendly reminder each), ``T-1``/``T-2``
    owing 4 800 € with a formal notice on 1 Jun (step 6's cohort on 1 Sep, as in test_e2e_approval), ``T-3``
    the same debt without a notice (no cohort), ``OK`` paying on time (no cohort)."""
    from factories import Portfolio

    p = Portfolio(engine)
    for i in range(small):
        lease_id = f"SMALL-{i + 1}"
        p.lease(lease_id, postcode="69003", city="Lyon", start_on="2025-06-01")
        p.monthly(lease_id, "2025-06", 4)
        for day, amount in (("2025-06-03", 600_00), ("2025-07-03", 600_00), ("2025-08-03", 550_00),
                            ("2025-09-01", 600_00)):
            p.pay(lease_id, day, amount)
    for lease_id in ("T-1", "T-2", "T-3"):
        p.lease(lease_id, start_on="2024-06-01")
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-03", 600_00)
        if lease_id != "T-3":
            p.action(lease_id, "2025-06-01", "formal_notice")
    p.lease("OK", start_on="2024-01-01")
    p.monthly("OK", "2025-01", 9)
    for month in range(1, 10):
        p.pay("OK", f"2025-{month:02d}-01", 600_00)
    p.commit()


def figures(engine, output: Path) -> dict:
    """What a recovery officer checks after the runs: journal, letters, registered numbers, transfers,
    tasks, stages, and the files under ``output`` (relative paths)."""
    from arrears.core import models as m
    from sqlalchemy import select

    with engine.connect() as conn:
        def rows(*cols):
            return sorted(tuple(str(v) for v in r) for r in conn.execute(select(*cols)))

        return {
            "journal": rows(m.JournalEntry.lease_id, m.JournalEntry.step, m.JournalEntry.period,
                            m.JournalEntry.status, m.JournalEntry.registered_number),
            "documents": rows(m.Document.lease_id, m.Document.step, m.Document.doc_type, m.Document.letter_class,
                              m.Document.registered_number),
            "actions": rows(m.Action.lease_id, m.Action.kind, m.Action.done_on, m.Action.step),
            "tasks": rows(m.Task.lease_id, m.Task.step, m.Task.kind),
            "approvals": rows(m.Approval.lease_id, m.Approval.approved),
            "stages": rows(m.Lease.lease_id, m.Lease.stage),
            "files": sorted(str(p.relative_to(output)) for p in output.rglob("*")
                            if p.is_file() and p.suffix in (".pdf", ".csv", ".xlsx")),
        }


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the native Celery workers: two workers on one machine report the
    names they were given (in docker-compose.yml each worker container has a hostname of its own)."""
    return os.environ.get("ARREARS_TEST_WORKER_HOSTNAME") or socket.getfqdn()


def reference_run(tmp: Path, monkeypatch, steps: list[tuple[int, dt.date]], *, small: int,
                  approve: dict[str, bool] | None = None) -> dict:
    """The ``dag.test`` path (``arrears run``) on a SQLite copy of the same portfolio: its figures."""
    from arrears.cli import main
    from arrears.core.db import make_engine, migrate
    from arrears.orchestration.runner import run_step

    url = f"sqlite:///{tmp / 'reference.db'}"
    out = tmp / "reference-output"
    monkeypatch.setenv("ARREARS_DB_URL", url)
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(out))
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp / "reference-var"))
    migrate(url)
    engine = make_engine(url)
    build_portfolio(engine, small=small)
    for lease_id, approved in (approve or {}).items():
        args = ["approve", "6", lease_id, "--as-of", "2025-09-01", "--author", "admin"]
        assert main(args + ([] if approved else ["--reject"])) == 0
    for step, as_of in steps:
        assert run_step(step, as_of, quiet=True) == 0, f"dag.test path: step {step} at {as_of} failed"
    result = figures(engine, out)
    engine.dispose()
    return result
