"""Safe starts (arrears.ingest.freshness): no run on an import older than max_import_age_days before D,
no run for a date with no data; nothing recorded. On SQLite and PostgreSQL.

On main before this change a step ran on whatever the database held, however old.
"""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core import models as m
from arrears.ingest.freshness import NotRunnable, check_portfolio
from factories import Portfolio
from sqlalchemy import func, select

SEP5 = dt.date(2025, 9, 5)


def _portfolio(engine, imported_at=None):
    p = Portfolio(engine)
    p.lease("BIG-1", start_on="2024-01-01")
    p.monthly("BIG-1", "2025-01", 9)
    p.commit()
    if imported_at:
        with engine.begin() as conn:
            conn.execute(m.ImportRun.__table__.insert().values(imported_at=imported_at, files=1, loaded=1,
                                                               quarantined=0))


@pytest.mark.parametrize("imported_at, runnable", [
    (dt.datetime(2025, 9, 2, 0, 0), True),      # D - 3 days: still fresh (inclusive)
    (dt.datetime(2025, 9, 1, 23, 59), False),   # older than D - 3 days
    (dt.datetime(2025, 9, 5, 6, 0), True),
    (dt.datetime(2026, 11, 29, 8, 0), True),    # imported after D (a month replayed)
])
def test_stale_import(engine, imported_at, runnable):
    _portfolio(engine, imported_at)
    if runnable:
        check_portfolio(engine, 3, SEP5, max_age_days=3)
    else:
        with pytest.raises(NotRunnable, match=r"latest import \(2025-09-01 23:59 UTC\) is older than 3 days"):
            check_portfolio(engine, 3, SEP5, max_age_days=3)
        check_portfolio(engine, 3, SEP5, max_age_days=3, dry_run=True)  # a preview sends nothing


def test_setting_comes_from_the_plan(engine):
    from arrears.config.plan import load_plan

    assert load_plan().max_import_age_days == 3
    _portfolio(engine, dt.datetime(2025, 8, 20))
    with pytest.raises(NotRunnable):
        check_portfolio(engine, 3, SEP5)
    check_portfolio(engine, 3, SEP5, max_age_days=20)


def test_no_data_for_the_date(engine):
    with pytest.raises(NotRunnable, match="no data for 2025-09-05"):
        check_portfolio(engine, 3, SEP5, dry_run=True)
    _portfolio(engine)
    with pytest.raises(NotRunnable, match="no data for 2023-12-31"):
        check_portfolio(engine, 3, dt.date(2023, 12, 31))
    check_portfolio(engine, 3, SEP5)  # no import recorded (data fed otherwise): no age to check


def test_import_records_when(engine, tmp_path):
    from arrears.ingest.importer import import_dir

    (tmp_path / "agencies.csv").write_text("agency_id;name;address_line1;postcode;city\n"
                                           "A1;Agence;1 rue X;69003;Lyon\n", encoding="utf-8")
    import_dir(engine, tmp_path)
    with engine.connect() as conn:
        row = conn.execute(select(m.ImportRun.files, m.ImportRun.loaded)).one()
    assert tuple(row) == (1, 1)


def test_cli_refuses_a_stale_run_and_records_nothing(db_url, monkeypatch, capsys):
    from arrears.core.db import make_engine
    from arrears.orchestration.runner import run_step

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    engine = make_engine(db_url)
    _portfolio(engine, dt.datetime(2025, 8, 1, 9, 0))
    assert run_step(3, SEP5) == 1
    err = capsys.readouterr().err
    assert "step 3 refuses to run for 2025-09-05" in err and "2025-08-01 09:00 UTC" in err
    with engine.connect() as conn:
        for table in (m.JournalEntry, m.StepRun, m.RunLock, m.Action, m.Task):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
    engine.dispose()
