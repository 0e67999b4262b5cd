"""Scale benchmark: 200 000 leases on PostgreSQL — generate, import, positions, every cohort of the month,
and one heavy step's letters rendered by two Celery workers under Airflow's real scheduler.

    nice -n 5 .venv/bin/python bench/bench_scale.py                       # 200 000 leases, the whole step
    nice -n 5 .venv/bin/python bench/bench_scale.py --leases 20000 --render-limit 300
    .venv/bin/python bench/bench_scale.py --skip-render --keep            # keep the database afterwards

The project's data goes to a fresh, uniquely named PostgreSQL database (``--pg-url`` names the server's admin
database), dropped at the end unless ``--keep``. Every phase runs in its own process and prints its wall time
and peak resident memory:

1. ``generate``  the demo portfolio's CSV files (``arrears.demo.csv_files``) at ``--leases``;
2. ``import``    the real importer (``arrears.ingest.importer.import_dir``) into PostgreSQL;
3. ``positions`` ``lease_positions`` stored at each run date of the month (the first date: the positions phase);
4. ``cohort``    every step's cohort at its (first) planned date of ``--month``, one process per step;
5. ``render``    one step DAG run (``--render-step``, default: the letter step without approval whose cohort is
   largest) under the stack of ``tests/dags/airflow_stack.py``: api-server, scheduler, dag-processor,
   triggerer, two ``airflow celery worker`` (concurrency 1, Redis broker, PostgreSQL metadata and result
   backend). It prints the letters, the rendering time (first render task's start to last one's end),
   letters/s, and how many chunks and letters each worker rendered (task instances' hostnames, render
   results from XCom). ``--render-limit N`` stops once N letters are rendered (the run is not completed;
   the output says so and extrapolates the whole step from the measured rate).

Figures, not assertions: tests never time anything. Print ``uptime`` beside the figures you quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from _phases import emit, run_phase
from scale_render import create_database, database_url, drop_database

PHASES = ("generate", "import", "positions", "cohorts", "render")


# --------------------------------------------------------------------------------------------------
# Child phases (one process each)
# --------------------------------------------------------------------------------------------------


def _clock() -> float:
    return time.perf_counter()


def phase(name: str, args) -> None:
    from arrears.core.db import make_engine, migrate

    work = Path(args.work)
    started = _clock()
    if name == "generate":
        from arrears.demo.csv_files import write_demo_csv

        counts = write_demo_csv(work / "csv", leases=args.leases, seed=2025)
        size = sum(p.stat().st_size for p in (work / "csv").glob("*.csv"))
        emit(seconds=round(_clock() - started, 2), rows=sum(counts.values()), ledger=counts.get("ledger.csv", 0),
             csv_mb=round(size / 2**20))
    elif name == "import":
        migrate(args.db_url)
        from arrears.ingest.importer import import_dir

        report = import_dir(make_engine(args.db_url), work / "csv")
        emit(seconds=round(_clock() - started, 2), loaded=report.loaded, quarantined=report.quarantined)
    elif name == "positions":
        from arrears.select.cohorts import ensure_positions

        rows = ensure_positions(make_engine(args.db_url), dt.date.fromisoformat(args.date))
        emit(seconds=round(_clock() - started, 2), stored=rows)
    elif name == "cohort":
        from arrears.select.cohorts import cohort_frame

        frame = cohort_frame(make_engine(args.db_url), args.step, dt.date.fromisoformat(args.date))
        emit(seconds=round(_clock() - started, 2), cohort=len(frame))
    elif name == "render":
        from scale_render import render_phase

        emit(**render_phase(args, started))
    else:
        raise SystemExit(f"unknown phase {name}")


# --------------------------------------------------------------------------------------------------
# The parent: the database, the phases in order, the table
# --------------------------------------------------------------------------------------------------


def first_runs(month: str) -> list[tuple[dt.date, int]]:
    """Each step's first planned run of the month (weekly steps run again later: same query)."""
    from arrears.demo.month import month_runs

    seen: set[int] = set()
    runs = []
    for day, step in month_runs(month):
        if step not in seen:
            seen.add(step)
            runs.append((day, step))
    return runs


def line(name: str, result: dict, detail: str) -> None:
    print(f"{name:<26}{result['wall_s']:>9.1f}{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}  {detail}",
          flush=True)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=200_000)
    parser.add_argument("--month", default="2025-09")
    parser.add_argument("--steps", default=None,
                        help="comma-separated step numbers: the cohorts phase measures only these")
    parser.add_argument("--render-step", type=int, default=None,
                        help="the step whose letters the Celery workers render (default: the letter step "
                             "without approval whose cohort is largest)")
    parser.add_argument("--render-limit", type=int, default=0,
                        help="stop once this many letters are rendered (0: render the whole step)")
    parser.add_argument("--render-timeout", type=int, default=5400, help="seconds the step run may take")
    parser.add_argument("--keep", action="store_true", help="keep the project's database at the end")
    parser.add_argument("--db", default=None,
                        help="reuse the database NAME a --keep run left (never dropped); with --phases")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, in this order: {','.join(PHASES)} (default: all)")
    parser.add_argument("--work", default=None, help="work folder (default: a temporary folder)")
    parser.add_argument("--phase", default=None)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--date", default=None)
    parser.add_argument("--step", type=int, default=None)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=args.work) as work:
        os.chmod(work, 0o700)
        name = args.db or create_database("arrears_scale")
        db_url = database_url(name)
        try:
            run_all(args, work, db_url)
        finally:
            if args.keep or args.db:
                print(f"database kept: {name}")
            else:
                drop_database(name)


def run_all(args, work: str, db_url: str) -> None:
    from arrears.config.plan import load_plan

    plan = load_plan()
    wanted = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(wanted) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phase(s) {sorted(unknown)}: choose among {', '.join(PHASES)}")
    if args.db is None and wanted[:1] != ["generate"]:
        raise SystemExit("a fresh database starts with the generate phase: pass --db NAME to reuse one")
    common = ["--leases", str(args.leases), "--work", work, "--db-url", db_url]
    script = Path(__file__)
    started = time.perf_counter()
    summary: dict = {"leases": args.leases}
    print(f"scale benchmark: {args.leases} leases, month {args.month}, PostgreSQL database "
          f"{db_url.rsplit('/', 1)[1]}, phases {','.join(wanted)}")
    print(f"load at start: {uptime()}")
    print(f"{'phase':<26}{'wall s':>9}{'work s':>9}{'peak MB':>9}  detail")
    if "generate" in wanted:
        gen = summary["generate"] = run_phase(script, "generate", *common)
        line("1 generate CSV", gen, f"{gen['rows']:,} rows ({gen['ledger']:,} ledger), {gen['csv_mb']} MB of CSV")
    if "import" in wanted:
        imp = summary["import"] = run_phase(script, "import", *common)
        line("2 import", imp, f"{imp['loaded']} loaded, {imp['quarantined']} quarantined")
    runs = first_runs(args.month)
    if "positions" in wanted:
        positions = summary["positions"] = {}
        for i, day in enumerate(sorted({day for day, _ in runs})):
            res = positions[day.isoformat()] = run_phase(script, "positions", *common, "--date", day.isoformat())
            line(f"{'3 positions' if i == 0 else '  positions'} {day:%d/%m}", res, f"{res['stored']:,} rows stored")
    cohorts: dict[int, dict] = {}
    if "cohorts" in wanted:
        only = {int(x) for x in args.steps.split(",")} if args.steps else None
        for day, step in runs:
            if only is not None and step not in only:
                continue
            res = run_phase(script, "cohort", *common, "--date", day.isoformat(), "--step", str(step))
            cohorts[step] = {**res, "date": day.isoformat()}
            line(f"4 cohort step {step:>2} {day:%d/%m}", res, f"{res['cohort']:,} leases ({plan.step(step).id})")
        total = sum(r["seconds"] for r in cohorts.values())
        print(f"{'  every cohort':<26}{'':>9}{total:>9.1f}{max(r['peak_mb'] for r in cohorts.values()):>9.0f}  "
              f"{len(cohorts)} steps" + (f" + positions at {len(summary['positions'])} dates "
                                         f"{sum(r['seconds'] for r in summary['positions'].values()):.1f} s"
                                         if "positions" in summary else ""))
        summary["cohorts"] = cohorts
    if "render" in wanted:
        letter_steps = [s for s in cohorts if "letter" in plan.step(s).documents and not plan.step(s).needs_approval]
        if args.render_step is None and not letter_steps:
            raise SystemExit("the render phase needs --render-step when the cohorts phase does not run")
        step = args.render_step or max(letter_steps, key=lambda s: cohorts[s]["cohort"])
        day = {s: d for d, s in runs}[step]
        res = summary["render"] = run_phase(script, "render", *common, "--date", day.isoformat(), "--step",
                                            str(step), "--render-limit", str(args.render_limit),
                                            "--render-timeout", str(args.render_timeout))
        print_render(res)
    print(f"load at end: {uptime()}")
    print(f"total {time.perf_counter() - started:.0f} s")
    print("json: " + json.dumps(summary))


def print_render(res: dict) -> None:
    letters, seconds = res["letters"], res["render_s"]
    note = "" if res["complete"] else (f" — LIMITED (--render-limit): {res['letters']} of the step's "
                                       f"{res['planned_letters']} letters; the run was stopped, not completed")
    line(f"5 render step {res['step']} {res['date'][8:]}/{res['date'][5:7]}", res,
         f"{letters} letters ({res['failures']} failed) in {seconds:.0f} s = {res['letters_per_s']:.2f} letters/s "
         f"on 2 Celery workers{note}")
    print("  the run's other tasks: " + ", ".join(f"{k} {v:.0f} s" for k, v in res["task_s"].items()))
    print(f"  planned: {res['planned_letters']} letters for {res['planned_leases']} leases in "
          f"{res['planned_chunks']} chunks of {res['chunk_size']}; rendered {res['chunks_done']} chunks")
    for worker, w in sorted(res["workers"].items()):
        print(f"  {worker}: {w['chunks']} chunks, {w['letters']} letters, {w['busy_s']:.0f} s busy, "
              f"peak {w['peak_mb']:.0f} MB (worker process tree)")
    if not res["complete"] and res["letters_per_s"]:
        est = res["planned_letters"] / res["letters_per_s"]
        print(f"  the whole step at that rate: {res['planned_letters']} / {res['letters_per_s']:.2f} = {est:.0f} s")
    if res.get("state"):
        print(f"  run state: {res['state']}")


if __name__ == "__main__":
    main()
