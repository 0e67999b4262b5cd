"""Every cohort of a month on a large portfolio: seconds per step (and for the positions), peak memory.

    uv run python bench/bench_cohorts.py                 # 33 500 leases, September 2025, SQLite
    uv run python bench/bench_cohorts.py --leases 5000

The portfolio is generated and imported first (not measured here: see bench_foundation.py). Each step's
cohort is computed at its planned date of the month; positions are stored once per date (the first step of
a date pays for them, reported separately).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _phases import emit, run_phase


def phase(name: str, args) -> None:
    from arrears.core.db import make_engine, migrate

    if name == "seed":
        migrate(args.db_url)
        from arrears.demo.seed import seed_demo

        started = time.perf_counter()
        seed_demo(make_engine(args.db_url), leases=args.leases, seed=2025,
                  workdir=Path(args.work) / "csv", echo=False)
        emit(seconds=round(time.perf_counter() - started, 2))
        return
    import json

    from arrears.demo.month import month_runs
    from arrears.select.cohorts import cohort_frame, ensure_positions

    engine = make_engine(args.db_url)
    rows = []
    continuous_done = set()
    for day, step in month_runs(args.month):
        if step in continuous_done:  # weekly steps: their first run of the month
            continue
        if step in (13, 14, 15):
            continuous_done.add(step)
        started = time.perf_counter()
        ensure_positions(engine, day)
        positions_s = time.perf_counter() - started
        started = time.perf_counter()
        frame = cohort_frame(engine, step, day)
        rows.append({"date": day.isoformat(), "step": step, "cohort": len(frame),
                     "positions_s": round(positions_s, 2), "cohort_s": round(time.perf_counter() - started, 2)})
    print(json.dumps(rows))
    emit(seconds=round(sum(r["positions_s"] + r["cohort_s"] for r in rows), 2), steps=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=33500)
    parser.add_argument("--month", default="2025-09")
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--phase", default=None)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-cohorts-") as work:
        db_url = args.db_url or f"sqlite:///{work}/bench.db"
        common = ["--leases", str(args.leases), "--work", work, "--db-url", db_url, "--month", args.month]
        print(f"cohort benchmark: {args.leases} leases, {args.month}, database {db_url.split('://')[0]}")
        seed = run_phase(Path(__file__), "seed", *common)
        print(f"seed (generate + import): {seed['seconds']:.1f} s, peak {seed['peak_mb']:.0f} MB")
        result = run_phase(Path(__file__), "cohorts", *common)
        print(f"{'date':<12}{'step':>5}{'cohort':>8}{'positions s':>13}{'cohort s':>10}")
        for row in result["steps"]:
            print(f"{row['date']:<12}{row['step']:>5}{row['cohort']:>8}{row['positions_s']:>13.2f}"
                  f"{row['cohort_s']:>10.2f}")
        print(f"all cohorts of the month: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
