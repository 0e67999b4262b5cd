"""The demo month: seed the synthetic portfolio and run every step of the month through Airflow.

``./dev demo`` (``arrears demo``) uses its own embedded database, ``var/demo/arrears.db``, rebuilt from
scratch on every run (never the configured production database), runs the steps in calendar order with
``dag.test`` — the same DAGs the scheduler runs — answers the approvals of steps 6 and 14 as a demo
manager would, writes the KPI report, and prints where everything is.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections import Counter
from pathlib import Path

from arrears.core import settings
from arrears.core.files import ensure_dir


def _reset_demo_state(month: str) -> str:
    demo_dir = settings.var_dir() / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    ensure_dir(demo_dir)
    out = settings.output_dir()
    for stale in (out / month, out / "preview" / month, out / "reports" / month):
        if stale.exists():
            shutil.rmtree(stale)
    runs = settings.var_dir() / "runs"
    if runs.exists():
        shutil.rmtree(runs)
    return f"sqlite:///{demo_dir / 'arrears.db'}"


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
    ``ARREARS_DEMO_DB_URL``, else on a fresh embedded database; every DAG run gets the URL in its conf."""
    embedded = _reset_demo_state(month)
    url = db_url or os.environ.get("ARREARS_DEMO_DB_URL") or embedded
    from arrears.act.approvals import record_answers
    from arrears.config.plan import load_plan
    from arrears.core.db import make_engine, migrate
    from arrears.decide.steps import decide_step
    from arrears.demo.seed import seed_demo
    from arrears.orchestration.runner import format_summary, last_summary, run_dag

    started = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    print(f"demo portfolio: {leases} leases, seed {seed}")
    figures = seed_demo(engine, leases=leases, seed=seed, echo=False)
    for key, value in figures.items():
        if not isinstance(value, dict):
            print(f"  {key}: {value}")
    print(f"  seeded in {time.perf_counter() - started:.0f} s")
    if steps_only:
        return 0

    plan = load_plan()
    totals: Counter = Counter()
    failed = []
    for day, number in month_runs(month):
        step = plan.step(number)
        if step.needs_approval:
            lease_ids = [d.lease_id for d in decide_step(engine, number, day)]
            record_answers(engine, number, day.isoformat()[:7], lease_ids, [], "manager (demo)")
        t0 = time.perf_counter()
        dag_run = run_dag(step.id, day, {"as_of": day.isoformat(), "dry_run": False, "db_url": url},
                          hour=step.schedule.hour)
        state = str(getattr(dag_run.state, "value", dag_run.state))
        summary = last_summary(number, day, dag_run.run_id, db_url=url) or {}
        print(f"{day} step {number:>2} {step.title:<45} {state:<8} {time.perf_counter() - t0:5.1f} s")
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
    out = settings.output_dir()
    print()
    print(f"month {month} done in {time.perf_counter() - started:.0f} s: {totals['letters']} letters "
          f"({totals['registered']} registered), {totals['tasks']} tasks, {totals['failures']} failures")
    print(f"letters, mailroom batches, deposit lists, worklists: {out / month}")
    for path in report_paths:
        print(f"KPI report: {path}")
    _print_tree(out / month)
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
