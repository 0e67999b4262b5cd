"""How fast the read-only commands answer, as a user runs them: ``./dev cohort``, ``positions``, ``history``.

    uv run python bench/bench_commands.py                  # the demo portfolio (5 000 leases), 7 calls each
    uv run python bench/bench_commands.py --leases 67 --runs 11
    uv run python bench/bench_commands.py --direct         # .venv/bin/arrears instead of ./dev

Builds the demo portfolio in a temporary folder (SQLite), computes the date's positions once, then times
each command N times, each call a fresh process (``./dev …``), and prints min / median per command beside
its first call after an import (the positions cache emptied: what the first command of a date pays), and
``./dev --help`` as the floor of any call. ``uptime`` is printed before and after: figures taken on a loaded
machine are slower; compare the columns of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return seconds


def build(db_url: str, work: Path, leases: int, as_of: dt.date) -> str:
    """The demo portfolio imported into ``db_url``, the positions of ``as_of`` stored; a lease with history."""
    from arrears.core.db import make_engine, migrate
    from arrears.demo.seed import seed_demo
    from arrears.select.positions import ensure_positions

    migrate(db_url)
    engine = make_engine(db_url)
    started = time.perf_counter()
    seed_demo(engine, leases=leases, seed=2025, workdir=work / "csv", echo=False)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    rows = ensure_positions(engine, as_of)
    print(f"portfolio: {leases} leases seeded in {seeded:.1f} s; positions of {as_of}: {rows} rows in "
          f"{time.perf_counter() - started:.2f} s (in process)")
    with engine.connect() as conn:
        lease_id = conn.exec_driver_sql(
            "select lease_id from ledger group by lease_id order by count(*) desc, lease_id limit 1").scalar_one()
    engine.dispose()
    return lease_id


def forget_positions(db_url: str) -> None:
    """The cache as an import leaves it: no date fresh."""
    from arrears.core.db import make_engine

    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("delete from positions_stamps")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=5000, help="portfolio size (default: the demo's 5 000)")
    parser.add_argument("--runs", type=int, default=7, help="calls per command (default 7)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 9, 5))
    parser.add_argument("--step", default="3", help="the cohort's step (default 3)")
    parser.add_argument("--direct", action="store_true", help="call .venv/bin/arrears, not ./dev")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    print(f"before: {uptime()}")
    work = Path(tempfile.mkdtemp(prefix="bench-commands-"))
    db_url = f"sqlite:///{work / 'arrears.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARREARS_DB_URL", "AIRFLOW_CONN_ARREARS"))}
    env["ARREARS_VAR_DIR"] = str(work / "var")
    try:
        lease_id = build(db_url, work, args.leases, args.as_of)
        prefix = [str(ROOT / ".venv" / "bin" / "arrears")] if args.direct else ["./dev"]
        day = args.as_of.isoformat()
        commands = {
            f"cohort {args.step}": [*prefix, "--db-url", db_url, "cohort", args.step, "--as-of", day],
            "positions": [*prefix, "--db-url", db_url, "positions", "--as-of", day],
            "history": [*prefix, "--db-url", db_url, "history", lease_id],
            "--help": [*prefix, "--help"],
        }
        timed(commands["--help"], env)  # ./dev's one-time set-up (bytecode) is not a command's time
        first: dict[str, float] = {}
        for name in ("positions", f"cohort {args.step}"):
            forget_positions(db_url)
            first[name] = timed(commands[name], env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved: a burst of load weighs on every command alike
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    how = "direct .venv/bin/arrears" if args.direct else "./dev"
    print(f"\n{how}, {args.runs} calls each (fresh processes), {args.leases} leases, as of {args.as_of}")
    print(f"{'command':<12} {'first call':>11} {'min':>7} {'median':>7} {'max':>7}  first/median")
    for name, values in times.items():
        median = statistics.median(values)
        head = f"{first[name]:>9.2f} s" if name in first else f"{'-':>11}"
        ratio = f"{first[name] / median:>8.1f}x" if name in first else ""
        print(f"{name:<12} {head} {min(values):>5.2f} s {median:>5.2f} s {max(values):>5.2f} s  {ratio}")
    print("first call: the first command of a date after an import (computes and stores the positions)")
    print(f"after: {uptime()}")


if __name__ == "__main__":
    main()
