"""Phase 5 of ``bench_scale.py``: one step DAG run rendered by two Celery workers, measured.

The stack is the one of the Celery test (``tests/dags/airflow_stack.py``, the settings ``docker-compose.yml``
is checked against): api-server, scheduler, dag-processor, triggerer and two ``airflow celery worker``
processes (concurrency 1, hostnames ``worker-1`` and ``worker-2``), Redis as broker (a queue of this run's
own), PostgreSQL for Airflow's metadata and Celery's results, the project's data in the bench's database.
The run is triggered through the REST API at the step's planned date, like the scheduler path test; the
render tasks are the step DAG's mapped ``render_documents`` (one chunk of ``ARREARS_RENDER_CHUNK`` leases
each, 100 by default). Which worker rendered which chunk comes from the task instances' hostnames, the
letters of each chunk from its XCom result (counts only).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARREARS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
BEFORE_RENDER = ("run_spec", "select_cohort", "decide", "reserve_actions", "chunks")
AFTER_RENDER = ("assemble_batches", "write_worklists", "record_actions", "summary")


def _admin():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def create_database(prefix: str) -> str:
    """A new, empty database on the server of ``PG_ADMIN_URL``; returns its name."""
    from sqlalchemy import text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = _admin()
    with engine.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    engine.dispose()
    return name


def drop_database(name: str) -> None:
    from sqlalchemy import text

    engine = _admin()
    with engine.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    engine.dispose()


def database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


class _TreeMemory(threading.Thread):
    """Samples, every second, the resident memory of each named process and its descendants; keeps the peak."""

    def __init__(self, procs: dict):
        super().__init__(daemon=True)
        self.procs = procs
        self.peak: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.done.wait(1.0):
            for name, proc in list(self.procs.items()):
                try:
                    root = psutil.Process(proc.pid)
                    rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak.get(name, 0.0), rss / 2**20)


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _task_instances(stack, dag_id: str, run_id: str) -> list[dict]:
    items, offset = [], 0
    while True:
        response = stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                             params={"limit": 100, "offset": offset})
        response.raise_for_status()
        page = response.json()["task_instances"]
        items += page
        if len(page) < 100:
            return items
        offset += 100


def _xcom(stack, dag_id: str, run_id: str, task_id: str, map_index: int = -1):
    response = stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/"
                                "return_value", params={"map_index": map_index, "deserialize": True})
    response.raise_for_status()
    value = response.json()["value"]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            import ast

            value = ast.literal_eval(value)
    return value


def render_phase(args, started: float) -> dict:
    """Start the stack, run step ``args.step`` at ``args.date``, measure its rendering; stop the stack."""
    import sys

    sys.path[:0] = [str(ROOT / "tests" / "dags"), str(ROOT / "tests")]
    import redis
    from airflow_stack import CELERY_SETTINGS, AirflowStack, airflow_environment, free_port
    from arrears.config.plan import load_plan
    from arrears.orchestration.pipeline import CHUNK_SIZE
    from arrears.orchestration.runner import expected_run_id, logical_date_for

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    step = load_plan().step(args.step)
    as_of = dt.date.fromisoformat(args.date)
    work = Path(args.work)
    home = work / "airflow"
    home.mkdir(mode=0o700)
    meta = create_database("airflow_scale_meta")
    meta_url = database_url(meta)
    queue = f"arrears_scale_{uuid.uuid4().hex[:8]}"
    env = airflow_environment(home, meta_url, free_port(), executor="CeleryExecutor", extra={
        **CELERY_SETTINGS,
        "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta_url,
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "ARREARS_DB_URL": args.db_url, "ARREARS_OUTPUT_DIR": str(work / "output"),
        "ARREARS_VAR_DIR": str(work / "var"),
    })
    stack = AirflowStack(home, env)
    memory = _TreeMemory(stack.procs)
    result: dict = {"step": step.number, "step_id": step.id, "date": args.date, "chunk_size": CHUNK_SIZE}
    try:
        stack.migrate()
        stack.start_core()
        stack.start_celery_worker("worker-1", queue)
        stack.start_celery_worker("worker-2", queue)
        memory.start()
        stack.wait_healthy()
        stack.unpause(step.id)
        run_id = expected_run_id(as_of, step.schedule.hour)
        stack.trigger(step.id, run_id, logical_date_for(as_of, step.schedule.hour))
        result.update(_follow(stack, step.id, run_id, args.render_limit, args.render_timeout))
    finally:
        memory.done.set()
        stack.stop()
        drop_database(meta)
    result["workers"] = {w: {**v, "peak_mb": memory.peak.get(w, 0.0)} for w, v in result["workers"].items()}
    result["stack_peak_mb"] = {k: round(v) for k, v in memory.peak.items()}
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _follow(stack, dag_id: str, run_id: str, limit: int, timeout: float) -> dict:
    """Poll the run until it ends, or ``limit`` letters are rendered, or ``timeout``; collect the figures."""
    deadline = time.monotonic() + timeout
    letters_of: dict[int, int] = {}
    failures_of: dict[int, int] = {}
    planned: dict = {}
    state = None
    while True:
        state = stack.run_state(dag_id, run_id)
        tis = _task_instances(stack, dag_id, run_id)
        by_id = {ti["task_id"]: ti for ti in tis if ti["map_index"] == -1}
        if not planned and by_id.get("reserve_actions", {}).get("state") == "success":
            decided = _xcom(stack, dag_id, run_id, "decide")
            reserved = _xcom(stack, dag_id, run_id, "reserve_actions")
            planned = {"planned_letters": decided["letters"], "planned_leases": reserved["pending"],
                       "planned_chunks": len(reserved["chunks"])}
        renders = [ti for ti in tis if ti["task_id"] == "render_documents" and ti["state"] == "success"]
        for ti in renders:
            if ti["map_index"] not in letters_of:
                rendered = _xcom(stack, dag_id, run_id, "render_documents", ti["map_index"])
                letters_of[ti["map_index"]] = int(rendered["letters"])
                failures_of[ti["map_index"]] = int(rendered["failures"])
        done = sum(letters_of.values())
        if state in ("success", "failed"):
            break
        if limit and done >= limit:
            break
        if time.monotonic() > deadline:
            state = f"timeout after {timeout:.0f} s ({state})"
            break
        time.sleep(5)
    workers: dict[str, dict] = {}
    for ti in renders:
        w = workers.setdefault(ti["hostname"] or "?", {"chunks": 0, "letters": 0, "busy_s": 0.0})
        w["chunks"] += 1
        w["letters"] += letters_of[ti["map_index"]]
        w["busy_s"] += float(ti["duration"] or 0)
    starts = [_time(ti["start_date"]) for ti in renders]
    ends = [_time(ti["end_date"]) for ti in renders]
    render_s = (max(ends) - min(starts)).total_seconds() if renders else 0.0
    letters = sum(letters_of.values())
    task_s = {t: float(by_id[t]["duration"] or 0) for t in (*BEFORE_RENDER, *AFTER_RENDER)
              if t in by_id and by_id[t]["state"] == "success"}
    return {"state": state, "complete": state == "success", "letters": letters,
            "failures": sum(failures_of.values()), "render_s": round(render_s, 1),
            "letters_per_s": round(letters / render_s, 3) if render_s else 0.0, "chunks_done": len(renders),
            "workers": workers, "task_s": task_s,
            **(planned or {"planned_letters": 0, "planned_leases": 0, "planned_chunks": 0})}
