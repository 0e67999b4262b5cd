"""The data of the month view (the operations team's page in the Airflow UI): the plan's steps for one
month, laid out like the seed's "PLAN MENSUEL DE L'IMPAYÉ" table (weeks 1–4 and "au fil de l'eau").

For each step: its planned date(s) after the business-day shifts (``arrears.core.calendar.month_schedule``),
its runs (Airflow's ``DagRun``/``TaskInstance`` of the step's DAG, read through ``airflow_session``, and the
``step_runs`` rows of the project database for the counts), the state of each planned occurrence, and
links to the run in the Airflow UI and to the step's outputs folder.

    data = month_view_data("2025-09", airflow_session=session, engine=engine, today=date(2025, 9, 10))

Plain Python: Airflow is only touched through the session given (its models are imported then), so the
page's data is testable without the api-server. No tenant data is read: step runs carry counts only.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from arrears.core.calendar import holiday_name, month_schedule, shift_month
from arrears.core.fmt import month_fr, weekday_date_fr
from arrears.orchestration.business_date import conf_as_of, run_business_date

__all__ = [
    "STATE_LABELS",
    "fetch_airflow_runs",
    "month_view_data",
    "outputs_listing",
    "parse_month",
    "read_output_file",
    "run_business_date",
    "run_url",
]

APPROVAL_TASK_ID = "wait_for_manager"
AWAITING_INPUT = "awaiting_input"

# What a recovery officer reads for each state (the keys are also CSS classes and data-state values).
STATE_LABELS: dict[str, str] = {
    "success": "Terminé",
    "failed": "Échec",
    "running": "En cours",
    "queued": "En file d'attente",
    "awaiting_approval": "En attente d'approbation",
    "late": "En retard",
    "planned": "À venir",
    "no_run": "Pas de run",
}
# For a step with several occurrences (weekly steps): the state that most needs attention wins.
_STATE_PRIORITY = ("awaiting_approval", "failed", "late", "running", "queued", "no_run", "planned", "success")
_RUN_STATES = {"success", "failed", "running", "queued"}

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def parse_month(month: str | dt.date) -> tuple[int, int]:
    """``"2025-09"`` (or a date) → ``(2025, 9)``; anything else is a ``ValueError``."""
    if isinstance(month, dt.date):
        return month.year, month.month
    match = _MONTH_RE.match(str(month).strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"month {month!r} is not of the form YYYY-MM")
    return int(match.group(1)), int(match.group(2))




def _nth(day: int) -> str:
    return "1er" if day == 1 else str(day)


_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _schedule_label(step) -> str:
    if step.continuous:
        return f"Au fil de l'eau (chaque {_WEEKDAYS_FR[step.weekday]})"
    if step.window_end is not None:
        return f"Du {_nth(step.day)} au {step.window_end}"
    return "Dès le 1er du mois" if step.day == 1 else f"À partir du {step.day}"


def run_url(dag_id: str, run_id: str, ui_base: str = "") -> str:
    """The run's page in the Airflow UI (``/dags/<dag_id>/runs/<run_id>``, the run id URL-quoted)."""
    return f"{ui_base.rstrip('/')}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def _counts(summary: dict[str, Any] | None) -> dict[str, int] | None:
    """The five counts of a run summary (cohort, letters, registered, tasks, failures)."""
    if not summary:
        return None

    def total(value: Any) -> int:
        if isinstance(value, dict):
            return sum(int(v or 0) for v in value.values())
        if isinstance(value, list | tuple):
            return len(value)
        return int(value or 0)

    return {
        "cohort": total(summary.get("cohort")),
        "letters": total(summary.get("letters_by_type")),
        "registered": total(summary.get("registered_letters")),
        "tasks": total(summary.get("tasks_by_officer")),
        "failures": total(summary.get("failures")),
    }


def _add_counts(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if a is None:
        return dict(b) if b else None
    if b is None:
        return a
    return {k: a[k] + b.get(k, 0) for k in a}


def _local_date(instant: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(tz).date()


def _iso(instant: dt.datetime | None) -> str | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.isoformat()


# --------------------------------------------------------------------------------------------------
# Reading the runs
# --------------------------------------------------------------------------------------------------


def fetch_airflow_runs(session, dag_ids: Iterable[str], start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The DagRuns of ``dag_ids`` whose logical date (or ``run_after`` for a run without one) lies in
    [start, end] (aware datetimes), each with the tasks waiting for input and the failed tasks.

    ``session`` is a SQLAlchemy session on Airflow's metadata database.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import and_, or_, select

    dag_ids = list(dag_ids)
    if not dag_ids:
        return []
    # A run belongs to its business date (``as_of`` in its conf, else its logical date): a manual run may
    # be triggered today for a past month, so manual runs are read whatever their logical date and
    # filed by ``run_business_date`` (``as_of`` outside [start, end]: dropped by the caller's window).
    rows = session.execute(
        select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.logical_date, DagRun.run_after,
               DagRun.start_date, DagRun.end_date, DagRun.conf, DagRun.run_type)
        .where(DagRun.dag_id.in_(dag_ids))
        .where(or_(DagRun.logical_date.between(start, end),
                   and_(DagRun.logical_date.is_(None), DagRun.run_after.between(start, end)),
                   DagRun.run_type == "manual"))
    ).all()
    runs = {(r.dag_id, r.run_id): {
        "dag_id": r.dag_id, "run_id": r.run_id, "state": str(r.state.value if hasattr(r.state, "value")
                                                             else r.state or "queued"),
        "logical_date": r.logical_date or r.run_after, "start_date": r.start_date, "end_date": r.end_date,
        "dry_run": bool(isinstance(r.conf, dict) and r.conf.get("dry_run")), "run_type": str(r.run_type),
        "as_of": conf_as_of(r.conf),
        "awaiting_tasks": [], "failed_tasks": [],
    } for r in rows}
    if runs:
        tis = session.execute(
            select(TaskInstance.dag_id, TaskInstance.run_id, TaskInstance.task_id, TaskInstance.state)
            .where(TaskInstance.dag_id.in_(dag_ids))
            .where(TaskInstance.run_id.in_(sorted({key[1] for key in runs})))
            .where(TaskInstance.state.in_([AWAITING_INPUT, "failed", "upstream_failed"]))
        ).all()
        for ti in tis:
            run = runs.get((ti.dag_id, ti.run_id))
            if run is None:
                continue
            state = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
            key = "awaiting_tasks" if state == AWAITING_INPUT else "failed_tasks"
            if ti.task_id not in run[key]:
                run[key].append(ti.task_id)
    return list(runs.values())




def _fetch_step_runs(engine, steps: Iterable[int], first: dt.date, last: dt.date) -> list[dict]:
    from sqlalchemy import select

    from arrears.core.models import StepRun

    with engine.connect() as conn:
        rows = conn.execute(
            select(StepRun.step, StepRun.period, StepRun.as_of, StepRun.run_id, StepRun.dry_run,
                   StepRun.status, StepRun.summary, StepRun.started_at, StepRun.finished_at)
            .where(StepRun.step.in_(list(steps)))
            .where(StepRun.as_of.between(first, last))
            .order_by(StepRun.as_of, StepRun.started_at)
        ).all()
    return [dict(r._mapping) for r in rows]


# --------------------------------------------------------------------------------------------------
# The month
# --------------------------------------------------------------------------------------------------


def _occurrences(step, planned: list[dt.date], region: str | None) -> list[dict]:
    out = []
    for day in planned:
        if step.continuous:
            nominal = day - dt.timedelta(days=(day.weekday() - step.weekday) % 7)
        else:
            length = _calendar.monthrange(day.year, day.month)[1]
            # A monthly run is moved forward only: its nominal day is in the planned date's month or the
            # month before (31st on a Saturday → the 2nd of the next month).
            nominal = day.replace(day=min(step.day, length))
            if nominal > day:
                py, pm = shift_month(day.year, day.month, -1)
                nominal = dt.date(py, pm, min(step.day, _calendar.monthrange(py, pm)[1]))
        reason = None
        if nominal != day:
            reason = holiday_name(nominal, region) or "week-end"
        deadline = day
        if step.window_end is not None and not step.continuous:
            length = _calendar.monthrange(nominal.year, nominal.month)[1]
            deadline = max(day, nominal.replace(day=min(step.window_end, length)))
        out.append({
            "planned": day.isoformat(), "planned_label": weekday_date_fr(day),
            "nominal": nominal.isoformat(), "shifted": nominal != day, "shift_reason": reason,
            "deadline": deadline.isoformat(),
            "runs": [],
        })
    return out


def _run_window(step, plan, year: int, month: int) -> tuple[dt.date, dt.date]:
    """The dates whose runs belong to this month's occurrence of ``step``.

    A weekly step: the calendar month. A monthly step: the calendar month, except that a run of last
    month's occurrence moved into this month (its planned date) stays last month's, and this month's
    occurrence moved into next month reaches that date.
    """
    first = dt.date(year, month, 1)
    last = dt.date(year, month, _calendar.monthrange(year, month)[1])
    if step.continuous:
        return first, last
    key = step.number
    py, pm = shift_month(year, month, -1)
    previous = month_schedule({key: step.schedule}, py, pm, plan.region)[key][0]
    current = month_schedule({key: step.schedule}, year, month, plan.region)[key][0]
    start = previous + dt.timedelta(days=1) if previous >= first else first
    return start, max(last, current)


def _approvals_of(engine, step, period: str) -> dict[str, int] | None:
    """The manager's answers recorded for the step and month (None when not readable)."""
    if engine is None:
        return None
    from arrears.orchestration.summary_fr import approval_counts

    try:
        return approval_counts(engine, step.number, period)
    except Exception:  # noqa: BLE001 - the cell shows the counts without the answers then
        return None


def _summary_text(summary: dict | None, approvals: dict | None, step) -> dict[str, str] | None:
    """The run summary in French for the cell: one short line and the full text (its tooltip)."""
    if not summary:
        return None
    from arrears.orchestration.summary_fr import summary_fr

    if step.needs_approval and approvals is not None and summary.get("held_back_count") is not None:
        approvals = {**approvals, "held_back": int(summary["held_back_count"])}
    return {"short": summary_fr(summary, approvals, short=True),
            "full": summary_fr(summary, approvals, title=step.title)}


def _pick_main(runs: list[dict]) -> dict | None:
    """The run that gives an occurrence its state: the latest real (not dry) run."""
    real = [r for r in runs if not r["dry_run"]]
    return real[-1] if real else None


def _occurrence_state(occ: dict, today: dt.date | None) -> str:
    main = _pick_main(occ["runs"])
    if main is not None:
        return main["state_key"]
    if today is None:
        return "no_run"
    return "late" if dt.date.fromisoformat(occ["deadline"]) < today else "planned"


def month_view_data(
    month: str | dt.date,
    *,
    airflow_session=None,
    engine=None,
    plan=None,
    today: dt.date | None = None,
    ui_base: str = "",
    outputs_base: str = "sorties",
    airflow_runs: list[dict] | None = None,
) -> dict[str, Any]:
    """Everything the month view shows for ``month`` (``"YYYY-MM"``), as a JSON-able dict.

    - ``airflow_session``: a session on Airflow's metadata DB (None: no Airflow runs are read), or
      ``airflow_runs``: runs already fetched (``fetch_airflow_runs``' shape), for tests;
    - ``engine``: the project database (``step_runs``, for the counts); None: not read;
    - ``today``: the date against which "late" is judged (None: occurrences without a run are "Pas de run");
    - ``ui_base``: prefix of the Airflow UI links; ``outputs_base``: prefix of the outputs folder links.
    """
    year, mon = parse_month(month)
    if plan is None:
        from arrears.config.plan import load_plan

        plan = load_plan()
    tz = ZoneInfo(plan.timezone)
    steps = [s for s in plan.steps if s.enabled]
    schedule = month_schedule({s.number: s.schedule for s in steps}, year, mon, plan.region)
    windows = {s.number: _run_window(s, plan, year, mon) for s in steps}
    lo = min(w[0] for w in windows.values())
    hi = max(w[1] for w in windows.values())
    sources: dict[str, Any] = {"airflow": False, "project_db": False, "errors": []}

    # Airflow runs, keyed by dag id.
    if airflow_runs is None and airflow_session is not None:
        start = dt.datetime.combine(lo - dt.timedelta(days=1), dt.time(), dt.UTC)
        end = dt.datetime.combine(hi + dt.timedelta(days=2), dt.time(), dt.UTC)
        try:
            airflow_runs = fetch_airflow_runs(airflow_session, [s.dag_id for s in steps], start, end)
        except Exception as exc:  # noqa: BLE001 - the page still shows the plan without Airflow's runs
            sources["errors"].append(f"Base Airflow illisible ({type(exc).__name__})")
            airflow_runs = None
    if airflow_runs is not None:
        sources["airflow"] = True
    by_dag: dict[str, list[dict]] = {}
    for run in airflow_runs or []:
        by_dag.setdefault(run["dag_id"], []).append(run)

    # step_runs, keyed by step number.
    step_rows: dict[int, list[dict]] = {}
    if engine is not None:
        try:
            for row in _fetch_step_runs(engine, [s.number for s in steps], lo, hi):
                step_rows.setdefault(row["step"], []).append(row)
            sources["project_db"] = True
        except Exception as exc:  # noqa: BLE001 - idem, without the counts
            sources["errors"].append(f"Base du projet illisible ({type(exc).__name__})")

    out_steps = []
    for step in steps:
        w_start, w_end = windows[step.number]
        occurrences = _occurrences(step, schedule[step.number], plan.region)
        rows_by_run = {r["run_id"]: r for r in step_rows.get(step.number, [])}
        runs: list[dict] = []
        for run in by_dag.get(step.dag_id, []):
            day = run_business_date(run, tz)
            if day is None or not w_start <= day <= w_end:
                continue
            row = rows_by_run.pop(run["run_id"], None)
            awaiting = bool(run.get("awaiting_tasks"))
            state = "awaiting_approval" if awaiting else (run["state"] if run["state"] in _RUN_STATES
                                                          else "running")
            runs.append({
                "source": "airflow", "run_id": run["run_id"], "date": day.isoformat(),
                "sort": (_iso(run["logical_date"]) or "", _iso(run.get("start_date")) or ""),
                "logical_date": _iso(run["logical_date"]), "start_date": _iso(run.get("start_date")),
                "end_date": _iso(run.get("end_date")),
                "dry_run": bool(run.get("dry_run") or (row and row["dry_run"])),
                "state_key": state, "state_label": STATE_LABELS[state], "awaiting_approval": awaiting,
                "failed_tasks": list(run.get("failed_tasks") or []),
                "url": run_url(step.dag_id, run["run_id"], ui_base),
                "counts": _counts(row["summary"]) if row else None,
                "summary": row["summary"] if row else None,
            })
        for row in rows_by_run.values():  # runs recorded by the project only (the CLI, a demo)
            as_of = row["as_of"] if isinstance(row["as_of"], dt.date) else dt.date.fromisoformat(str(row["as_of"]))
            if not w_start <= as_of <= w_end:
                continue
            status = row["status"] if row["status"] in _RUN_STATES else "running"
            runs.append({
                "source": "project", "run_id": row["run_id"], "date": as_of.isoformat(),
                "sort": (as_of.isoformat(), _iso(row["started_at"]) or ""),
                "logical_date": None, "start_date": _iso(row["started_at"]), "end_date": _iso(row["finished_at"]),
                "dry_run": bool(row["dry_run"]), "state_key": status, "state_label": STATE_LABELS[status],
                "awaiting_approval": False, "failed_tasks": [], "url": None,
                "counts": _counts(row["summary"]), "summary": row["summary"],
            })
        runs.sort(key=lambda r: r["sort"])
        approvals = _approvals_of(engine, step, f"{year:04d}-{mon:02d}") if step.needs_approval else None
        for run in runs:
            run.pop("sort")
            summary = run.pop("summary", None)
            run["summary_fr"] = _summary_text(summary, approvals, step)
            target = occurrences[0] if occurrences else None
            for occ in occurrences:
                if occ["planned"] <= run["date"]:
                    target = occ
            if target is not None:
                target["runs"].append(run)

        total = None
        for occ in occurrences:
            main = _pick_main(occ["runs"])
            occ["run"] = main
            occ["state"] = _occurrence_state(occ, today)
            occ["state_label"] = STATE_LABELS[occ["state"]]
            occ["awaiting_approval"] = any(r["awaiting_approval"] for r in occ["runs"] if not r["dry_run"])
            occ["counts"] = main["counts"] if main else None
            occ["summary_fr"] = main["summary_fr"] if main else None
            total = _add_counts(total, occ["counts"])
        states = [o["state"] for o in occurrences] or ["planned"]
        state = min(states, key=_STATE_PRIORITY.index)
        column = "continuous" if step.continuous or step.week is None else f"week-{step.week}"
        out_steps.append({
            "number": step.number, "id": step.id, "dag_id": step.dag_id, "title": step.title,
            "week": step.week, "column": column, "schedule_label": _schedule_label(step),
            "needs_approval": step.needs_approval,
            "occurrences": occurrences,
            "state": state, "state_label": STATE_LABELS[state],
            "awaiting_approval": any(o["awaiting_approval"] for o in occurrences),
            "counts": total,
            "outputs_url": f"{outputs_base.rstrip('/')}/{year:04d}-{mon:02d}/{quote(step.id, safe='')}",
            "outputs_folder": f"{year:04d}-{mon:02d}/{step.number:02d}_{step.id}",
        })

    weeks = sorted({s.week for s in steps if s.week and not s.continuous} | {1, 2, 3, 4})
    columns = [{"key": f"week-{w}", "label": f"Semaine {w}"} for w in weeks]
    columns.append({"key": "continuous", "label": "Au fil de l'eau"})
    py, pm = shift_month(year, mon, -1)
    ny, nm = shift_month(year, mon, 1)
    return {
        "month": f"{year:04d}-{mon:02d}",
        "month_label": month_fr(dt.date(year, mon, 1)),
        "previous_month": f"{py:04d}-{pm:02d}",
        "next_month": f"{ny:04d}-{nm:02d}",
        "today": today.isoformat() if today else None,
        "columns": columns,
        "steps": out_steps,
        "awaiting_approval": [s["number"] for s in out_steps if s["awaiting_approval"]],
        "sources": sources,
        "state_labels": STATE_LABELS,
    }


# --------------------------------------------------------------------------------------------------
# The outputs folder of a step
# --------------------------------------------------------------------------------------------------


def step_output_folder(month: str, step_key: str | int, *, plan=None, base: Path | None = None) -> Path:
    """The step's outputs folder for ``month`` (as ``arrears.orchestration.pipeline.RunSpec.output_dir`` names it)."""
    year, mon = parse_month(month)
    if plan is None:
        from arrears.config.plan import load_plan

        plan = load_plan()
    step = plan.step(step_key)
    if base is None:
        from arrears.core.settings import output_dir

        base = output_dir()
    return Path(base) / f"{year:04d}-{mon:02d}" / f"{step.number:02d}_{step.id}"


def _bucket_step(month: str, step_key: str | int, plan=None):
    """(store, the step's prefix) when the output goes to a bucket (``ARREARS_OUTPUT_URL``), else None."""
    from arrears.core.settings import output_url

    if not output_url():
        return None
    from arrears.core.settings import output_store

    folder = step_output_folder(month, step_key, plan=plan, base=Path("."))
    return output_store(), f"{folder.parent.name}/{folder.name}"


def outputs_listing(month: str, step_key: str | int, *, plan=None, base: Path | None = None) -> dict[str, Any]:
    """The files of a step's outputs folder for ``month`` (relative names, sizes), newest layout first."""
    if base is None and (bucket := _bucket_step(month, step_key, plan)):
        store, prefix = bucket
        files = [{"path": e.key[len(prefix) + 1:], "size": e.size,
                  "modified": e.modified.isoformat() if e.modified else ""} for e in store.list(prefix)]
        return {"folder": prefix.rsplit("/", 1)[1], "month": parse_month_str(month), "exists": bool(files),
                "files": files}
    folder = step_output_folder(month, step_key, plan=plan, base=base)
    files = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                files.append({"path": path.relative_to(folder).as_posix(), "size": stat.st_size,
                              "modified": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat()})
    return {"folder": folder.name, "month": parse_month_str(month), "exists": folder.is_dir(), "files": files}


def parse_month_str(month: str | dt.date) -> str:
    year, mon = parse_month(month)
    return f"{year:04d}-{mon:02d}"


def read_output_file(month: str, step_key: str | int, relative: str, *, plan=None) -> bytes | None:
    """The file ``relative`` of the step's outputs in the bucket, or None (missing, or not a key inside)."""
    from arrears.core.store import check_key

    bucket = _bucket_step(month, step_key, plan)
    if bucket is None:
        return None
    store, prefix = bucket
    try:
        key = check_key(f"{prefix}/{relative}")
    except ValueError:
        return None
    if any(part.startswith(".") for part in relative.split("/")) or not store.exists(key):
        return None
    return store.get(key)


def resolve_output_file(month: str, step_key: str | int, relative: str, *, plan=None,
                        base: Path | None = None) -> Path | None:
    """The file ``relative`` inside the step's outputs folder, or None (missing, or outside the folder)."""
    folder = step_output_folder(month, step_key, plan=plan, base=base).resolve()
    try:
        path = (folder / relative).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(folder) or not path.is_file() or path.name.startswith("."):
        return None
    return path
