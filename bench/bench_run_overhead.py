"""What one step run costs around its work: Airflow's ``dag.test`` per run, on an almost empty run.

    uv run python bench/bench_run_overhead.py              # 60-lease demo portfolio, step 13 on 5 dates

Seeds the demo portfolio (``--leases``) in a temporary folder, then runs one step (``--step``, default 13:
a handful of leases, no letters) on the Mondays of September 2025 through ``runner.run_dag`` in this one
process, as the demo does, and prints the wall and CPU seconds (this process and its children) of each
run. The first run carries the set-up (Airflow's metadata database, imports, the first DAG parse); the
others are the per-run overhead the demo month pays 27 times. CPU is the figure to compare on a shared
machine; the load average is printed beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=60)
    parser.add_argument("--step", type=int, default=13)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-overhead-")
    os.environ.update(ARREARS_VAR_DIR=f"{work}/var", ARREARS_OUTPUT_DIR=f"{work}/output",
                      AIRFLOW_HOME=f"{work}/airflow", ARREARS_RETRY_DELAY_SECONDS="10")
    os.environ.pop("ARREARS_DB_URL", None)
    print(f"load average before: {_load()}", flush=True)
    from arrears.config.plan import load_plan
    from arrears.demo.month import demo_database, run_demo
    from arrears.orchestration.runner import run_dag

    if run_demo(leases=args.leases, steps_only=True) != 0:
        sys.exit("demo portfolio not seeded")
    url = f"sqlite:///{demo_database()[0]}"
    step = load_plan().step(args.step)
    per_run = []
    for index, day in enumerate(dt.date(2025, 9, d) for d in (1, 8, 15, 22, 29)):
        wall, cpu = time.perf_counter(), _cpu()
        dag_run = run_dag(step.id, day, {"as_of": day.isoformat(), "dry_run": False, "db_url": url},
                          hour=step.schedule.hour)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        state = str(getattr(dag_run.state, "value", dag_run.state))
        print(f"run {index + 1} {day} step {step.number} {state}: wall {wall:.1f} s, cpu {cpu:.1f} s"
              + (" (first run: set-up included)" if index == 0 else ""), flush=True)
        if index:
            per_run.append((wall, cpu))
    shutil.rmtree(work, ignore_errors=True)
    print(f"per run after the first: wall {sum(w for w, _ in per_run) / len(per_run):.1f} s, "
          f"cpu {sum(c for _, c in per_run) / len(per_run):.1f} s; load average after: {_load()}")


if __name__ == "__main__":
    main()
