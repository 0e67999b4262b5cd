"""The ``arrears`` command line: schema, import, demo data, positions, cohorts, runs, reports.

Every command is a thin call into the domain package; heavy modules (pandas, Airflow, WeasyPrint,
matplotlib, Alembic) are imported only by the command that needs them, so ``arrears --help`` and the
read-only commands (``positions``, ``cohort``, ``history``) answer at once: they check the schema with one
query instead of Alembic, write their CSV with the standard library, and read a date's positions from the
cache (``lease_positions``, computed once per date and import).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _engine(args):
    from arrears.core.db import make_engine, require_database

    require_database(args.db_url)  # only migrate/import/demo create a database
    return make_engine(args.db_url)


def cmd_migrate(args) -> int:
    from arrears.core.db import migrate

    migrate(args.db_url)
    print(f"schema up to date: {_safe_url(args.db_url)}")
    return 0


def cmd_import(args) -> int:
    from arrears.core import progress
    from arrears.core.db import migrate
    from arrears.ingest.importer import ImportError_, import_dir

    migrate(args.db_url)
    engine = _engine(args)
    try:
        report = import_dir(engine, Path(args.directory), quarantine_dir=args.quarantine_dir,
                            progress=progress.emit)
    except ImportError_ as exc:
        print(f"import failed, nothing loaded: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    from arrears.core.settings import database_url
    from arrears.demo.month import forget_demo_database

    forget_demo_database(args.db_url or database_url())  # imported data: a later demo must not replace it
    return 0


def cmd_demo_data(args) -> int:
    from arrears.demo.csv_files import write_demo_csv

    out = Path(args.out)
    counts = write_demo_csv(out, leases=args.leases, seed=args.seed, as_of=args.as_of)
    for name, n in counts.items():
        print(f"{name:<20} {n:>9} rows")
    print(f"written to {out}")
    return 0


def _print_csv(header: list[str], rows) -> None:
    """CSV to stdout as pandas' ``to_csv(index=False)`` writes it (``,``, minimal quoting, ``\\n``; nothing
    for None, ``True``/``False``, ISO dates, decimals as they are), integers always as integers."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def cmd_positions(args) -> int:
    from arrears.select.positions import ensure_positions, positions_table, stored_position_rows

    engine = _engine(args)
    ensure_positions(engine, args.as_of)  # computed once per date and import, then read from the cache
    with engine.connect() as conn:
        header, rows = positions_table(stored_position_rows(conn, args.as_of))
    _print_csv(header, rows)
    return 0


def cmd_cohort(args) -> int:
    from arrears.select.cohorts import cohort_columns, cohort_records

    engine = _engine(args)
    records = cohort_records(engine, args.step, args.as_of)
    columns = cohort_columns(records)
    _print_csv(columns, ([record.get(name) for name in columns] for record in records))
    return 0


def cmd_decide(args) -> int:
    import json

    from arrears.decide.steps import decide_step

    engine = _engine(args)
    decisions = decide_step(engine, args.step, args.as_of)
    for decision in decisions:
        print(json.dumps(decision.to_dict(), ensure_ascii=False))
    return 0


def cmd_run(args) -> int:
    from arrears.core import progress
    from arrears.orchestration.runner import run_step

    progress.emit(f"step {args.step} at {args.as_of}: running its DAG through Airflow (dag.test); "
                  "a line per rendered chunk follows")
    return run_step(args.step, args.as_of, dry_run=args.dry_run, db_url=args.db_url)


def cmd_approve(args) -> int:
    from arrears.act.approvals import approve_cli
    from arrears.orchestration.pipeline import lists_after_approval

    return approve_cli(args.step, args.as_of, lease_ids=args.lease_ids, approve_all=args.all,
                       reason=getattr(args, "reason", None),
                       reject=args.reject, author=args.author, db_url=args.db_url,
                       after_answers=lambda decisions: lists_after_approval(args.step, args.as_of, decisions,
                                                                            args.db_url))


def cmd_demo(args) -> int:
    from arrears.demo.month import run_demo

    # --db-url names the database to seed; otherwise the default embedded one (var/arrears.db), or
    # var/demo/arrears.db when a database is configured (the demo never touches a configured database).
    return run_demo(leases=args.leases, seed=args.seed, month=args.month, steps_only=args.seed_only,
                    db_url=args.db_url_given)


def cmd_report(args) -> int:
    import time

    from arrears.core import progress
    from arrears.report.monthly import write_report

    started = time.perf_counter()
    progress.emit(f"KPI report {args.month}: computing the figures, then HTML, PDF, CSV and XLSX")
    paths = write_report(_engine(args), args.month, out_dir=args.out)
    for path in paths:
        print(path)
    progress.emit(f"KPI report {args.month}: {len(paths)} files in {progress.duration(time.perf_counter() - started)}")
    return 0


def cmd_history(args) -> int:
    from arrears.act.history import history_cli

    return history_cli(_engine(args), args.lease_id, args.as_of, args.pdf)


def cmd_audit(args) -> int:
    from arrears.act.audit import audit_cli

    return audit_cli(_engine(args), args.month)


def cmd_ui(args) -> int:
    import os

    from arrears.orchestration import airflow_env

    airflow_env.configure()
    airflow_env.ensure_metadata_db()
    print("Airflow UI on http://127.0.0.1:8080 — user admin, password in "
          f"{os.environ['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']} (Ctrl-C stops it)")
    argv = airflow_env.standalone_argv()  # airflow standalone without log servers on 0.0.0.0
    os.execv(argv[0], argv)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arrears", description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default=None,
                        help="SQLAlchemy URL of the project's database (default: ARREARS_DB_URL, the "
                             "arrears_db Airflow connection, or var/arrears.db)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or upgrade the database schema (Alembic)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("import", help="load the CSV exports of DIR (one file per table of DATA.md)")
    p.add_argument("directory")
    p.add_argument("--quarantine-dir", default=None, help="where rejected rows go (default: DIR/quarantine)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo-data", help="write a synthetic demo portfolio as CSV files")
    p.add_argument("--out", default="var/demo-csv")
    p.add_argument("--leases", type=int, default=5000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--as-of", type=_date, default=dt.date(2025, 9, 30),
                   help="last day of the generated history (default 2025-09-30)")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("positions", help="derived figures of every lease at a date (CSV to stdout)")
    p.add_argument("--as-of", type=_date, required=True)
    p.set_defaults(func=cmd_positions)

    for name, func, text in (("cohort", cmd_cohort, "a step's cohort at a date (CSV to stdout)"),
                             ("decide", cmd_decide, "what a step decides for each lease (JSON lines)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("step", help="step number (1-15) or id")
        p.add_argument("--as-of", type=_date, required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("run", help="run a step's DAG through Airflow for a date")
    p.add_argument("step")
    p.add_argument("--as-of", type=_date, required=True)
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("approve", help="approve (or reject) the leases a step waits on")
    p.add_argument("step")
    p.add_argument("lease_ids", nargs="*")
    p.add_argument("--as-of", type=_date, required=True)
    p.add_argument("--all", action="store_true")
    p.add_argument("--reject", action="store_true")
    p.add_argument("--author", default=None, help="who approves (default: the system user)")
    p.add_argument("--reason", default=None, help="the manager's reason (recorded with a rejection)")
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("demo", help="seed the demo portfolio and run the month's plan")
    p.add_argument("--leases", type=int, default=5000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--month", default="2025-09")
    p.add_argument("--seed-only", action="store_true", help="only generate and import the portfolio")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("history", help="one lease's timeline: ledger and balance, plans, rejects, actions, "
                                       "letters, tasks, approvals (text; --pdf for the tenant file)")
    p.add_argument("lease_id")
    p.add_argument("--as-of", type=_date, default=None, help="up to this date (default: everything)")
    p.add_argument("--pdf", default=None, help="also write the timeline as a PDF to this path")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("audit", help="the month's contact-policy audit over the journal (counts; exit 1 if any)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("ui", help="start Airflow locally (airflow standalone) on http://127.0.0.1:8080")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("report", help="the monthly KPI report (HTML, PDF, XLSX)")
    p.add_argument("--month", required=True)
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_report)
    return parser


NO_DATA = "no data: run `./dev demo` or `./dev import DIR`"
# Commands that read the portfolio: on an empty or unmigrated database they stop with NO_DATA.
READS_DATA = {"positions", "cohort", "decide", "run", "approve", "report", "history"}


class UserError(Exception):
    """A condition the product can name: one line saying what to do, no traceback."""


def _require_data(args) -> None:
    """Stop before a command reads a database that has no schema, an old schema, or no leases.

    A handful of cheap queries (the ``alembic_version`` row against the migration files, one lease):
    read-only commands never run Alembic, and never migrate."""
    from sqlalchemy import text

    from arrears.core.db import make_engine, schema_state, sqlite_path

    url = args.db_url
    shown = _safe_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise UserError(f"{NO_DATA} (database {shown} does not exist yet; check --db-url / ARREARS_DB_URL)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            state = schema_state(conn)
            if state == "missing":
                raise UserError(f"{NO_DATA} (database: {shown}, not migrated)")
            if state == "behind":
                raise UserError(f"the schema of {shown} is out of date: run `./dev migrate`")
            if state == "ahead":
                raise UserError(f"the schema of {shown} is newer than this code (migrated by a later "
                                "version): update the code, or point --db-url at another database")
            if conn.execute(text("select 1 from leases limit 1")).first() is None:
                raise UserError(f"{NO_DATA} (database: {shown}, no leases)")
    finally:
        engine.dispose()


def _missing_table(exc: Exception) -> bool:
    """A database error that says a table is missing (SQLite's "no such table", PostgreSQL's 42P01)."""
    orig = getattr(exc, "orig", None)
    return "no such table" in str(orig) or getattr(orig, "sqlstate", None) == "42P01"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import DBAPIError

    from arrears.config.plan import PlanError
    from arrears.core.db import DatabaseNotFound
    args.db_url_given = args.db_url
    if args.func not in (cmd_demo, cmd_demo_data, cmd_ui):
        from arrears.core.settings import database_url

        args.db_url = database_url(args.db_url)  # resolved once here, then passed down to every command
    try:
        if args.command in READS_DATA:
            _require_data(args)
        return args.func(args) or 0
    except (UserError, DatabaseNotFound) as exc:
        print(exc, file=sys.stderr)
        return 1
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        if not _missing_table(exc):
            raise
        print(NO_DATA, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
