"""The demo month end to end (``arrears demo``): wall time, peak memory and output counts.

    uv run python bench/bench_demo_month.py                  # 5 000 leases
    uv run python bench/bench_demo_month.py --leases 33500   # Lyon Métropole Habitat's size

Runs ``arrears demo`` in a child process (its own var/ and output/ folders in a temp directory), streams
its per-step lines, then prints the wall time, the peak resident memory of the child and its own children
(rendering workers), the count of files it left per kind, and the phase table: per run and summed over the
month, the seconds spent in each phase (positions, cohorts, decisions, reserve, rendering, batches,
worklists, recording, summary — timed by the pipeline's tasks themselves, ``arrears.orchestration.phases``)
and the Airflow overhead (the run's wall time minus its phases: ``dag.test`` set-up, the DAG's small tasks,
task start-up, XCom). The load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=5000)
    parser.add_argument("--month", default="2025-09")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as work:
        env = dict(os.environ, ARREARS_VAR_DIR=f"{work}/var", ARREARS_OUTPUT_DIR=f"{work}/output",
                   AIRFLOW_HOME=f"{work}/airflow", ARREARS_RETRY_DELAY_SECONDS="10")
        env.pop("ARREARS_DB_URL", None)
        print(f"load average before: {_load()}")
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "arrears.cli", "demo", "--leases", str(args.leases),
                                 "--month", args.month], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:
            if line[:4].isdigit() or line.startswith(("month", "  seeded", "demo")):
                print(line.rstrip(), flush=True)
        proc.wait()
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        kinds = Counter(p.parent.name for p in Path(work, "output").rglob("*") if p.is_file())
        print(f"demo month {args.month}, {args.leases} leases: exit {proc.returncode}, wall {wall:.0f} s, "
              f"peak RSS of the largest child process {peak:.0f} MB")
        print("files: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        print(f"load average after: {_load()}")
        timings = Path(work, "var", "demo", "phase_times.json")
        if timings.exists():
            from arrears.orchestration.phases import format_table

            runs = json.loads(timings.read_text(encoding="utf-8"))["runs"]
            print(f"\nphase table (seconds; airflow = run wall minus the phases its tasks timed; "
                  f"{len(runs)} runs, seeding and report not included)")
            print(format_table(runs))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
