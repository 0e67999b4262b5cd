"""Foundation benchmark: generate a portfolio, import it through the real importer, compute positions.

    uv run python bench/bench_foundation.py                 # 33 500 leases (Lyon Métropole Habitat's size)
    uv run python bench/bench_foundation.py --leases 5000 --db-url postgresql+psycopg://postgres@127.0.0.1/test

Each phase runs in its own process and prints its seconds and peak memory (max RSS). Figures, not
assertions: tests never time anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _phases import emit, run_phase

AS_OF = dt.date(2025, 9, 5)


def phase(name: str, args) -> None:
    from arrears.core.db import make_engine, migrate

    work = Path(args.work)
    started = time.perf_counter()
    if name == "generate":
        from arrears.demo.csv_files import write_demo_csv

        counts = write_demo_csv(work / "csv", leases=args.leases, seed=2025)
        emit(seconds=round(time.perf_counter() - started, 2), rows=sum(counts.values()),
             ledger_rows=counts.get("ledger.csv", counts.get("ledger", 0)))
    elif name == "import":
        migrate(args.db_url)
        from arrears.ingest.importer import import_dir

        report = import_dir(make_engine(args.db_url), work / "csv")
        emit(seconds=round(time.perf_counter() - started, 2), loaded=report.loaded,
             quarantined=report.quarantined)
    elif name == "positions":
        from arrears.select.positions import compute_positions

        with make_engine(args.db_url).connect() as conn:
            frame = compute_positions(conn, AS_OF)
        emit(seconds=round(time.perf_counter() - started, 2), leases=len(frame),
             in_debt=int((frame["balance_cents"] > 0).sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=33500)
    parser.add_argument("--db-url", default=None, help="default: a SQLite file in a temp folder")
    parser.add_argument("--phase", default=None)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-foundation-") as work:
        db_url = args.db_url or f"sqlite:///{work}/bench.db"
        common = ["--leases", str(args.leases), "--work", work, "--db-url", db_url]
        print(f"foundation benchmark: {args.leases} leases, database {db_url.split('://')[0]}")
        print(f"{'phase':<12}{'seconds':>10}{'peak MB':>10}  detail")
        for name in ("generate", "import", "positions"):
            result = run_phase(Path(__file__), name, *common)
            detail = {k: v for k, v in result.items() if k not in ("seconds", "peak_mb", "wall_s")}
            print(f"{name:<12}{result['seconds']:>10.1f}{result['peak_mb']:>10.0f}  {detail}")


if __name__ == "__main__":
    main()
