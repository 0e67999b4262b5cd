"""``arrears run STEP --as-of D [--dry-run]``: run a step's DAG through Airflow itself (``dag.test``).

One orchestration path: the command line, the demo and the tests run the very DAGs the scheduler runs,
on the embedded Airflow set-up (``arrears.orchestration.airflow_env``) unless AIRFLOW_HOME/AIRFLOW__… say otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import warnings
from contextlib import contextmanager
from functools import lru_cache

from arrears.core.settings import PROJECT_ROOT

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _dagbag():
    import os

    from arrears.orchestration import airflow_env

    # The command line prints its own summary; Airflow's task logs stay in its log folder unless asked for.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    # dag.test runs mapped rendering tasks one after the other: each renders over both cores instead.
    os.environ.setdefault("ARREARS_RENDER_WORKERS", str(min(2, os.cpu_count() or 1)))
    airflow_env.configure()
    airflow_env.ensure_metadata_db()
    # dag.test imports Starlette's test client, whose deprecation notice would read like a problem of the run.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag


def logical_date_for(as_of: dt.date, hour: int = 7) -> dt.datetime:
    """The run's logical date: D at the step's hour in Paris, as an aware UTC datetime."""
    from zoneinfo import ZoneInfo

    local = dt.datetime.combine(as_of, dt.time(hour), tzinfo=ZoneInfo("Europe/Paris"))
    return local.astimezone(dt.UTC)


def expected_run_id(as_of: dt.date, hour: int = 7) -> str:
    """The run id ``dag.test`` gives the run of D (a manual run at the step's logical date)."""
    return f"manual__{logical_date_for(as_of, hour).isoformat()}"


# Bundles whose DAGs this process has parsed and written to Airflow's metadata database (see _parse_once).
_PARSED: dict[tuple[str, str | None], object] = {}


@contextmanager
def _parse_once():
    """``dag.test`` parses the whole DAG folder again and re-serializes every DAG of it into the metadata
    database on each call (``BundleDagBag`` + ``sync_bag_to_db``: the 15 step DAGs and the others, about a
    third of a small run's time). The folder does not change while a command runs: the first call of the
    process parses and writes them, later calls (the demo's 27 runs) reuse that parse and skip the rewrite.
    Only while our own ``dag.test`` call runs; if Airflow moves these names, it falls back to its own path."""
    try:
        import airflow.dag_processing.dagbag as dagbag_module

        real_bag, real_sync = dagbag_module.BundleDagBag, dagbag_module.sync_bag_to_db
    except (ImportError, AttributeError):  # pragma: no cover - another Airflow version
        yield
        return

    def bag(*args, **kwargs):
        key = (str(kwargs.get("dag_folder") or (args[0] if args else "")), kwargs.get("bundle_name"))
        if key not in _PARSED:
            _PARSED[key] = real_bag(*args, **kwargs)
            _PARSED[key]._arrears_synced = set()
        return _PARSED[key]

    def sync(dagbag, bundle_name, bundle_version, *args, **kwargs):
        done = getattr(dagbag, "_arrears_synced", None)
        if done is not None and (bundle_name, bundle_version) in done and _still_in_db(dagbag, bundle_name):
            return None
        result = real_sync(dagbag, bundle_name, bundle_version, *args, **kwargs)
        if done is not None:
            done.add((bundle_name, bundle_version))
        return result

    dagbag_module.BundleDagBag, dagbag_module.sync_bag_to_db = bag, sync
    try:
        yield
    finally:
        dagbag_module.BundleDagBag, dagbag_module.sync_bag_to_db = real_bag, real_sync


def _still_in_db(dagbag, bundle_name: str) -> bool:
    """Whether every DAG of the bag still has its version in the metadata database (not reset meanwhile)."""
    from airflow.models.dag_version import DagVersion
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        found = session.scalar(select(func.count(func.distinct(DagVersion.dag_id)))
                               .where(DagVersion.dag_id.in_(list(dagbag.dags)), DagVersion.bundle_name == bundle_name))
    return found == len(dagbag.dags)


def run_dag(dag_id: str, as_of: dt.date, conf: dict | None = None, hour: int = 7):
    """Run one DAG for D with ``dag.test``; returns the finished DagRun. ``conf["db_url"]`` (when given)
    is the project database the run's tasks use (``RunSpec.db_url``); the callers (``run_step``, the demo)
    have migrated it already, once."""
    bag = _dagbag()
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG {dag_id!r} in {PROJECT_ROOT / 'dags'}")
    # dag.test's "No tasks to run" warning repeats while a mapped task with nothing to render expands to zero
    # instances (a re-run that has no new lease): the normal path, not a problem of the run.
    logging.getLogger("airflow.sdk.definitions.dag").setLevel(logging.ERROR)
    with _parse_once(), _render_chunk_for_dag_test():
        return dag.test(logical_date=logical_date_for(as_of, hour), run_conf=conf or {})


# Leases per rendering task under dag.test, unless ARREARS_RENDER_CHUNK says otherwise. Its mapped tasks run one
# after the other, each with its own pool of rendering processes (spawned, importing WeasyPrint): larger chunks
# start fewer pools and tasks. Under the scheduler the default (100) spreads a run over the workers.
DAG_TEST_RENDER_CHUNK = 400


@contextmanager
def _render_chunk_for_dag_test():
    import os

    if os.environ.get("ARREARS_RENDER_CHUNK"):
        yield
        return
    os.environ["ARREARS_RENDER_CHUNK"] = str(DAG_TEST_RENDER_CHUNK)
    try:
        yield
    finally:
        os.environ.pop("ARREARS_RENDER_CHUNK", None)


def run_step(step_key: str | int, as_of: dt.date, *, dry_run: bool = False, quiet: bool = False,
             db_url: str | None = None) -> int:
    """Run a plan step for D on ``db_url`` (default: the configured database); prints the run summary;
    returns a process exit code. The URL reaches the run's tasks through the run conf (``RunSpec.db_url``).

    Safe starts: nothing runs for a date with no data, nor (unless a dry run) on an import older than the
    plan's ``max_import_age_days`` before D (exit 1, nothing recorded). One run per (step, period): a
    second one prints who holds the lock and exits 75 (EX_TEMPFAIL) before doing anything.
    """
    from arrears.config.plan import load_plan
    from arrears.core.db import DatabaseNotFound, engine_for, migrate, require_database
    from arrears.core.settings import database_url
    from arrears.ingest.freshness import NotRunnable, check_portfolio
    from arrears.orchestration import runlock

    step = load_plan().step(step_key)
    url = database_url(db_url)
    try:
        require_database(url)  # a run never creates the database it should read
    except DatabaseNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 1
    migrate(url)
    engine = engine_for(url)
    try:
        check_portfolio(engine, step.number, as_of, dry_run=dry_run)
    except NotRunnable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    run_id = expected_run_id(as_of, step.schedule.hour)
    try:
        with runlock.run_lock(engine, step.number, as_of.isoformat()[:7], run_id):
            dag_run = run_dag(step.id, as_of, {"as_of": as_of.isoformat(), "dry_run": dry_run, "db_url": url},
                              hour=step.schedule.hour)
    except runlock.AlreadyRunning as exc:
        print(exc.holder.message(), file=sys.stderr)
        return runlock.EX_TEMPFAIL
    state = str(getattr(dag_run.state, "value", dag_run.state))
    summary = last_summary(step.number, as_of, dag_run.run_id, db_url=url)
    if not quiet:
        print(f"step {step.number:>2} {step.id:<32} {as_of}  run {state}")
        if summary:
            print(format_summary(summary))
    return 0 if state == "success" else 1


def last_summary(step: int, as_of: dt.date, run_id: str, db_url: str | None = None) -> dict | None:
    from sqlalchemy import select

    from arrears.core.db import engine_for
    from arrears.core.models import StepRun

    with engine_for(db_url).connect() as conn:
        row = conn.execute(select(StepRun.summary).where(StepRun.step == step, StepRun.as_of == as_of,
                                                         StepRun.run_id == run_id)).first()
    return row[0] if row else None


def format_summary(summary: dict) -> str:
    letters = sum(summary.get("letters_by_type", {}).values())
    lines = [
        f"  cohort {summary['cohort']}, new this run {summary.get('taken_by_this_run', summary['decisions'])}, "
        f"letters {letters} "
        f"({summary['registered_letters']} registered), tasks {sum(summary['tasks_by_officer'].values())}, "
        f"failures {len(summary['failures'])}" + (" [dry run]" if summary.get("dry_run") else ""),
        f"  output: {summary['output_dir']}",
    ]
    period = summary.get("period_totals")
    if period:
        lines.insert(1, f"  {summary.get('period', '')} so far for this step: {period['recorded']} leases done"
                        f" ({period['pending']} pending), letters {period['letters']} "
                        f"({period['registered_letters']} registered), tasks {period['tasks']}")
    for failure in summary["failures"][:10]:
        code = failure.get("reason_code") or "other"
        lines.append(f"  ! {failure['lease_id']}: {code} — {failure.get('reason') or ''}".rstrip(" —"))
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_step(sys.argv[1], dt.date.fromisoformat(sys.argv[2])))
