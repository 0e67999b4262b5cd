"""One database, resolved in one place (``arrears.core.settings.database_url``) and passed down:
``--db-url`` > ``ARREARS_DB_URL`` > the ``arrears_db`` Airflow connection > ``var/arrears.db``; every command
honours the flag, ``run`` included (the URL reaches the DAG run's tasks through the run conf / RunSpec)."""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.cli import main
from arrears.core import models as m
from arrears.core.db import make_engine, migrate
from arrears.core.settings import database_url, var_dir
from factories import Portfolio
from sqlalchemy import func, select

SEP1 = dt.date(2025, 9, 1)


def test_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("ARREARS_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ARREARS_DB", raising=False)
    assert database_url() == f"sqlite:///{var_dir() / 'arrears.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_ARREARS_DB", f"sqlite:///{tmp_path / 'conn.db'}")
    assert database_url().endswith("conn.db")
    monkeypatch.setenv("ARREARS_DB_URL", "sqlite:///env.db")
    assert database_url() == "sqlite:///env.db"
    assert database_url("sqlite:///flag.db") == "sqlite:///flag.db"


@pytest.fixture
def two_databases(tmp_path, monkeypatch):
    """A portfolio in the database the flag names; an empty, migrated one in ARREARS_DB_URL."""
    flag, env = f"sqlite:///{tmp_path / 'flag.db'}", f"sqlite:///{tmp_path / 'env.db'}"
    for url in (flag, env):
        migrate(url)
    monkeypatch.setenv("ARREARS_DB_URL", env)
    # This test's letters and run folders stay out of the session's output/ (other tests count files there).
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(flag)
    p = Portfolio(engine)
    p.lease("SMALL", start_on="2025-06-01")
    p.monthly("SMALL", "2025-06", 4)
    # 50 € left from August's quittance: a residual older than 15 days on 1 September (step 1, revision 5)
    for day, amount in (("2025-06-03", 600_00), ("2025-07-03", 600_00), ("2025-08-03", 550_00),
                        ("2025-09-01", 600_00)):
        p.pay("SMALL", day, amount)
    p.commit()
    return flag, env


def rows(url: str, table) -> int:
    with make_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_read_commands_honour_the_flag(two_databases, capsys):
    flag, _ = two_databases
    assert main(["--db-url", flag, "positions", "--as-of", "2025-09-01"]) == 0
    assert "SMALL," in capsys.readouterr().out
    assert main(["--db-url", flag, "cohort", "1", "--as-of", "2025-09-01"]) == 0
    assert "SMALL," in capsys.readouterr().out
    assert main(["positions", "--as-of", "2025-09-01"]) == 1  # no flag: ARREARS_DB_URL, which is empty
    out, err = capsys.readouterr()
    assert "SMALL" not in out and err.startswith("no data:") and "env.db" in err


def test_run_honours_the_flag(two_databases, capsys, tmp_path):
    flag, env = two_databases
    assert main(["--db-url", flag, "run", "1", "--as-of", SEP1.isoformat()]) == 0
    assert "letters 1" in capsys.readouterr().out
    assert rows(flag, m.StepRun) == 1 and rows(flag, m.JournalEntry) == 1 and rows(flag, m.Document) == 1
    assert rows(env, m.StepRun) == 0 and rows(env, m.JournalEntry) == 0
    assert len(list((tmp_path / "output" / "2025-09").rglob("letters/*.pdf"))) == 1
