"""PostgreSQL plans the positions and cohort queries from its statistics: the bulk writes refresh them.

Without them a freshly imported portfolio was planned as the empty tables it was, and the positions query
nested loops over every lease (bench/bench_scale.py at 20 000 leases: over 5 minutes instead of 17 s). Each
test first analyzes the empty table (``reltuples`` 0), then checks that the write left the real row count.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _reltuples(engine, table: str) -> float:
    with engine.connect() as conn:
        return conn.execute(text("select reltuples from pg_class where relname = :t"), {"t": table}).scalar_one()


def _analyze_empty(engine, *tables: str) -> None:
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'analyze "{table}"'))
    for table in tables:
        assert _reltuples(engine, table) <= 0, table  # nothing counted yet: the state after a fresh install


def _rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f'select count(*) from "{table}"')).scalar_one()


@ON_POSTGRESQL
def test_an_import_leaves_postgresql_statistics_of_the_loaded_tables(engine, tmp_path):
    from arrears.ingest.importer import import_dir

    _analyze_empty(engine, "leases", "ledger", "tenants")
    folder = tmp_path / "csv"
    shutil.copytree(FIXTURES / "good_comma", folder)
    import_dir(engine, folder)
    for table in ("leases", "ledger", "tenants"):
        assert _rows(engine, table) > 0
        assert _reltuples(engine, table) == _rows(engine, table), table


@ON_POSTGRESQL
def test_stored_positions_leave_postgresql_statistics_for_the_cohort_queries(engine):
    from arrears.select.positions import store_positions
    from factories import Portfolio

    p = Portfolio(engine)
    for i in range(3):
        p.lease(f"L-{i}", start_on="2025-01-01")
        p.monthly(f"L-{i}", "2025-01", 9)
    p.commit()
    _analyze_empty(engine, "lease_positions")
    with engine.begin() as conn:
        written = store_positions(conn, dt.date(2025, 9, 5))
    assert written == 3
    assert _reltuples(engine, "lease_positions") == 3


def test_sqlite_needs_no_statistics(sqlite_engine):
    from arrears.core.db import refresh_statistics

    with sqlite_engine.begin() as conn:
        refresh_statistics(conn, ["leases"])  # no statement sent: SQLite has no "analyze <table>" need
        assert conn.execute(text("select count(*) from sqlite_master where name = 'sqlite_stat1'")).scalar_one() == 0


@ON_POSTGRESQL
def test_the_positions_query_runs_without_nested_loops_and_restores_the_setting(engine):
    """PostgreSQL misestimates the grouped CTEs of the positions query and nested loops "months paid late"
    against every lease (quadratic: hours at 200 000 leases); the query runs with hash joins only."""
    from arrears.select.positions import position_rows
    from factories import Portfolio
    from sqlalchemy import event

    p = Portfolio(engine)
    p.lease("L-1", start_on="2025-01-01")
    p.monthly("L-1", "2025-01", 9)
    p.commit()
    seen: list[str] = []

    def setting(conn, cursor, statement, parameters, context, executemany):
        if "lease_positions" in statement or "Derived figures" in statement:
            seen.append(cursor.connection.execute("show enable_nestloop").fetchone()[0])

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", setting)
        assert [r["lease_id"] for r in position_rows(conn, dt.date(2025, 9, 5))] == ["L-1"]
        assert seen == ["off"]
        assert conn.execute(text("show enable_nestloop")).scalar_one() == "on"  # later queries plan freely
