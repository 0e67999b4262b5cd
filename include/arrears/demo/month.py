"""The demo month: seed the synthetic portfolio and run every step of the month through Airflow.

``./dev demo`` (``arrears demo``) writes the default embedded database, ``var/arrears.db``, so that every
other command of the README reads the demo's data next (``./dev cohort 3 --as-of 2025-09-05``). It rebuilds
that file from scratch on every run, but only a file it built itself (or an empty one): a ``var/arrears.db``
holding imported data is never replaced. When a database is configured (``ARREARS_DB_URL`` or the
``arrears_db`` connection), the demo never touches it: it uses ``var/demo/arrears.db`` and its last lines say
how to point the commands at it. ``ARREARS_DEMO_DB_URL`` names another database to seed as it is.

It runs the steps in calendar order with ``dag.test`` — the same DAGs the scheduler runs — answers the
approvals of steps 6 and 14 as a demo manager would, writes the KPI report, and prints where everything is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from arrears.core import progress, settings
from arrears.core.files import ensure_dir, write_atomic
from arrears.core.progress import duration, remaining


class DemoRefused(Exception):
    """The demo would replace data it did not write."""


def _marker() -> Path:
    # Names the database the demo last built (the demo may rebuild that one, and only that one).
    return settings.var_dir() / "demo" / "database.txt"


def _configured() -> bool:
    return bool(os.environ.get("ARREARS_DB_URL") or os.environ.get(f"AIRFLOW_CONN_{settings.CONNECTION_ID.upper()}"))


def built_by_demo(url: str) -> bool:
    """True when ``url`` is the database the demo last built."""
    marker = _marker()
    return marker.exists() and marker.read_text(encoding="utf-8").strip() == url


def forget_demo_database(url: str) -> None:
    """After an import into the demo's database, the demo must not rebuild it any more."""
    if built_by_demo(url):
        _marker().unlink()


def _has_leases(path: Path) -> bool:
    import sqlite3

    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("select count(*) from sqlite_master where name = 'leases'").fetchone()[0] > 0 and \
            conn.execute("select exists (select 1 from leases)").fetchone()[0] == 1
    finally:
        conn.close()


def demo_database() -> tuple[Path, bool]:
    """The SQLite file the demo builds, and whether it is the default database the commands read."""
    if _configured():
        return settings.var_dir() / "demo" / "arrears.db", False
    return Path(settings.database_url().removeprefix("sqlite:///")), True


def _reset_demo_state(month: str) -> str:
    path, _default = demo_database()
    url = f"sqlite:///{path}"
    if _has_leases(path) and not built_by_demo(url):
        raise DemoRefused(f"{path} holds data the demo did not write (an import?); the demo will not replace it: "
                          "move it away, or set ARREARS_DB_URL to keep it and let the demo use var/demo/")
    demo_dir = settings.var_dir() / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    ensure_dir(demo_dir)
    for stale_db in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale_db.unlink(missing_ok=True)
    out = settings.output_dir()
    for stale in (out / month, out / "preview" / month, out / "reports" / month):
        if stale.exists():
            shutil.rmtree(stale)
    runs = settings.var_dir() / "runs"
    if runs.exists():
        shutil.rmtree(runs)
    write_atomic(_marker(), url + "\n")
    return url


def month_runs(month: str) -> list[tuple[dt.date, int]]:
    """(date, step number) of every planned run of the month, in calendar order (then step order)."""
    from arrears.config.plan import load_plan
    from arrears.core.calendar import month_schedule

    plan = load_plan()
    year, mon = map(int, month.split("-"))
    dates = month_schedule({s.number: s.schedule for s in plan.steps if s.enabled}, year, mon, plan.region)
    return sorted((day, number) for number, days in dates.items() for day in days)


def run_demo(leases: int = 5000, seed: int = 2025, month: str = "2025-09", steps_only: bool = False,
             db_url: str | None = None) -> int:
    """Seed and run the demo month on ``db_url`` (the command line's ``--db-url``), else on
    ``ARREARS_DEMO_DB_URL``, else on the demo's embedded database; every DAG run gets the URL in its conf."""
    try:
        url = db_url or os.environ.get("ARREARS_DEMO_DB_URL") or _reset_demo_state(month)
    except DemoRefused as exc:
        print(f"demo not run: {exc}", file=sys.stderr)
        return 1
    default_db = not db_url and not _configured() and not os.environ.get("ARREARS_DEMO_DB_URL")
    from arrears.act.approvals import record_answers
    from arrears.config.plan import load_plan
    from arrears.core.db import make_engine, migrate
    from arrears.decide.steps import decide_step
    from arrears.demo.seed import seed_demo
    from arrears.orchestration import phases
    from arrears.orchestration.pipeline import make_spec
    from arrears.orchestration.runner import format_summary, last_summary, run_dag

    started = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    print(f"demo portfolio: {leases} leases, seed {seed}")
    figures = seed_demo(engine, leases=leases, seed=seed, echo=False, progress=progress.emit)
    for key, value in figures.items():
        if not isinstance(value, dict):
            print(f"  {key}: {value}")
    print(f"  seeded in {time.perf_counter() - started:.0f} s")
    if steps_only:
        _print_next(url, default_db)
        return 0

    plan = load_plan()
    totals: Counter = Counter()
    failed = []
    runs = month_runs(month)
    timings = []
    runs_started = time.perf_counter()
    for index, (day, number) in enumerate(runs):
        step = plan.step(number)
        elapsed = time.perf_counter() - runs_started
        progress.emit(f"run {index + 1}/{len(runs)}: {day} step {number} ({duration(elapsed)} elapsed, "
                      f"{remaining(elapsed, index, len(runs))} for the month)")
        if step.needs_approval:
            lease_ids = [d.lease_id for d in decide_step(engine, number, day)]
            record_answers(engine, number, day.isoformat()[:7], lease_ids, [], "manager (demo)")
        t0 = time.perf_counter()
        dag_run = run_dag(step.id, day, {"as_of": day.isoformat(), "dry_run": False, "db_url": url},
                          hour=step.schedule.hour)
        wall = time.perf_counter() - t0
        state = str(getattr(dag_run.state, "value", dag_run.state))
        summary = last_summary(number, day, dag_run.run_id, db_url=url) or {}
        print(f"{day} step {number:>2} {step.title:<45} {state:<8} {wall:5.1f} s")
        timings.append(phases.run_record(day.isoformat(), number, wall,
                                         phases.read(make_spec(number, day, dag_run.run_id))))
        if summary:
            print(format_summary(summary))
            totals["letters"] += sum(summary.get("letters_by_type", {}).values())
            totals["registered"] += summary.get("registered_letters", 0)
            totals["tasks"] += sum(summary.get("tasks_by_officer", {}).values())
            totals["failures"] += len(summary.get("failures", []))
        if state != "success":
            failed.append((day, number))

    from arrears.report.monthly import write_report

    report_paths = write_report(engine, month)
    # Where the runs' time went (bench/bench_demo_month.py prints it as the phase table).
    write_atomic(settings.var_dir() / "demo" / "phase_times.json",
                 json.dumps({"month": month, "leases": leases, "runs": timings}, indent=1))
    out = settings.output_dir()
    print()
    print(f"month {month} done in {time.perf_counter() - started:.0f} s: {totals['letters']} letters "
          f"({totals['registered']} registered), {totals['tasks']} tasks, {totals['failures']} failures")
    print(f"letters, mailroom batches, deposit lists, worklists: {out / month}")
    for path in report_paths:
        print(f"KPI report: {path}")
    _print_tree(out / month)
    _print_next(url, default_db)
    if failed:
        print(f"FAILED runs: {failed}")
        return 1
    return 0


def _print_tree(root: Path) -> None:
    if not root.exists():
        return
    for step_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        counts = Counter(p.parent.name for p in step_dir.rglob("*") if p.is_file())
        detail = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
        print(f"  {step_dir.name:<36} {detail}")


def _print_next(url: str, default_db: bool) -> None:
    """The demo's last lines: where its data is and the README's next commands on it."""
    print()
    if default_db:
        print(f"the demo's data is in {url.removeprefix('sqlite:///')}, the database every command reads; next:")
        prefix = ""
    else:
        print(f"the demo's data is in {url} (not your configured database); point the commands at it:")
        prefix = f"ARREARS_DB_URL={url} "
    for command in ("cohort 3 --as-of 2025-09-05", "decide 3 --as-of 2025-09-05", "report --month 2025-09"):
        print(f"  {prefix}./dev {command}")
