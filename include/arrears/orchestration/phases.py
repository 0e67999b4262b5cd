"""Where a run's time goes: each pipeline task times its own work, the demo month adds them up.

    with phases.timed(spec, "decisions"):
        ...                                   # -> var/runs/<step>/<D>/<run>/phases/decisions.json

One small JSON file per timed part in the run's work folder (``{"phase", "seconds", "cpu"}``, written
atomically, no tenant data; a mapped rendering task writes one per chunk, and a retried task its last
attempt). :func:`read` sums them per phase; the run summary keeps them in its technical part
(``phase_seconds``); ``arrears demo`` adds each run's wall time and writes ``var/demo/phase_times.json``,
which ``bench/bench_demo_month.py`` prints as the phase table. The Airflow overhead of a run is its wall
time minus the time its tasks spent in the phases (``dag.test`` set-up, the DAG's small tasks, task
start-up, scheduling and XCom).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# In pipeline order; "airflow" is what the run's wall time leaves once the others are taken off.
PHASES = ("positions", "cohorts", "decisions", "reserve", "rendering", "batches", "worklists", "recording",
          "summary")
COLUMNS = ("airflow", *PHASES)


@contextmanager
def timed(spec, phase: str, part: str = "") -> Iterator[None]:
    """Time the block (wall and this process's CPU) into ``phases/<phase>[_<part>].json`` of the run."""
    from arrears.core import settings

    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        record = {"phase": phase, "seconds": round(time.perf_counter() - wall0, 4),
                  "cpu": round(time.process_time() - cpu0, 4)}
        name = f"{phase}_{part}" if part else phase
        # Through the work store, like the run's other work files: on a bucket no host keeps a copy.
        settings.work_store().put(f"{spec.work_prefix}/phases/{name}.json", json.dumps(record), replace=True)


def timed_task(phase: str, per_chunk: bool = False):
    """Decorate a pipeline task ``f(spec, ...)``: the whole call is timed as ``phase`` (a rendering task as
    one part per chunk, named after its first lease id)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(spec, *args, **kwargs):
            ids = args[0] if per_chunk and args else None
            part = _safe(ids[0]) if ids else ""
            with timed(spec, phase, part):
                return func(spec, *args, **kwargs)

        return wrapper

    return decorate


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text))


def read(run) -> dict[str, float]:
    """Seconds per phase of one run (its parts summed), in pipeline order; phases not timed are left out.

    ``run`` is the run's ``RunSpec`` (its files in the work store, local folder or bucket) or a local work
    folder."""
    totals: dict[str, float] = {}
    for text in _records(run):
        record = json.loads(text)
        totals[record["phase"]] = totals.get(record["phase"], 0.0) + float(record["seconds"])
    return {p: round(totals[p], 3) for p in (*PHASES, *sorted(set(totals) - set(PHASES))) if p in totals}


def _records(run) -> list[str]:
    if isinstance(run, (str, Path)):
        folder = Path(run) / "phases"
        return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))] if folder.exists() else []
    from arrears.core import settings

    store = settings.work_store()
    prefix = f"{run.work_prefix}/phases/"
    return [store.get_text(k) for k in sorted(store.keys(prefix.rstrip("/"))) if k.startswith(prefix)
            and k.endswith(".json")]


def run_record(day: str, step: int, wall: float, seconds: dict[str, float]) -> dict[str, Any]:
    """One row of the phase table: the run's wall time, its phases, and the Airflow overhead left over."""
    return {"date": day, "step": step, "wall": round(wall, 3),
            "phases": {"airflow": round(max(0.0, wall - sum(seconds.values())), 3), **seconds}}


def format_table(records: list[dict[str, Any]]) -> str:
    """The phase table: one line per run, then the month's total and share per phase."""
    columns = [c for c in COLUMNS if any(c in r["phases"] for r in records)]
    head = f"{'run':<14}{'wall':>8}" + "".join(f"{c[:10]:>11}" for c in columns)
    lines = [head]
    totals = dict.fromkeys(columns, 0.0)
    wall = 0.0
    for r in records:
        wall += r["wall"]
        for c in columns:
            totals[c] += r["phases"].get(c, 0.0)
        lines.append(f"{r['date']} s{r['step']:>2}  {r['wall']:>7.1f}"
                     + "".join(f"{r['phases'].get(c, 0.0):>11.1f}" for c in columns))
    lines.append(f"{'month':<14}{wall:>8.1f}" + "".join(f"{totals[c]:>11.1f}" for c in columns))
    lines.append(f"{'share':<14}{'100%':>8}" + "".join(
        f"{(100 * totals[c] / wall if wall else 0):>10.0f}%" for c in columns))
    if records:
        lines.append(f"{'per run':<14}{wall / len(records):>8.1f}"
                     + "".join(f"{totals[c] / len(records):>11.1f}" for c in columns))
    return "\n".join(lines)
