"""One run per (step, period) at a time (arrears.orchestration.runlock), on SQLite and PostgreSQL.

On main before this change a second ``arrears run`` of the same step and date started anyway: ``dag.test``
deleted the first run's DagRun and the first died in Airflow tracebacks.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from arrears.core import models as m
from arrears.orchestration import runlock
from sqlalchemy import func, select

SEP5 = dt.date(2025, 9, 5)


def test_second_run_is_refused_with_the_holder(engine):
    runlock.acquire(engine, 3, "2025-09", "manual__first")
    with pytest.raises(runlock.AlreadyRunning) as info:
        runlock.acquire(engine, 3, "2025-09", "manual__second")
    assert info.value.holder.run_id == "manual__first"
    # another step, or another period, is free
    runlock.acquire(engine, 4, "2025-09", "manual__other-step")
    runlock.acquire(engine, 3, "2025-10", "manual__other-period")
    runlock.release(engine, 3, "2025-09", "manual__first")
    runlock.acquire(engine, 3, "2025-09", "manual__second")
    with engine.connect() as conn:
        assert conn.execute(select(m.RunLock.run_id).where(m.RunLock.step == 3, m.RunLock.period == "2025-09")
                            ).scalar_one() == "manual__second"


def test_release_by_another_run_leaves_the_lock(engine):
    runlock.acquire(engine, 3, "2025-09", "manual__first")
    runlock.release(engine, 3, "2025-09", "manual__second")
    with pytest.raises(runlock.AlreadyRunning):
        runlock.acquire(engine, 3, "2025-09", "manual__third")


def test_lock_of_a_dead_process_is_taken_over(engine):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    with engine.begin() as conn:
        conn.execute(m.RunLock.__table__.insert().values(
            step=3, period="2025-09", run_id="manual__killed", host=socket.gethostname(),
            pid=int(dead.stdout), started_at=dt.datetime(2025, 9, 5, 5, 2)))
    runlock.acquire(engine, 3, "2025-09", "manual__rerun")
    with engine.connect() as conn:
        assert conn.execute(select(m.RunLock.run_id)).scalars().all() == ["manual__rerun"]


def test_message():
    holder = runlock.Holder(step=3, period="2025-09", run_id="manual__2025-09-05T05:00:00+00:00",
                            started_at=dt.datetime(2025, 9, 5, 5, 2), host="h", pid=1)
    assert holder.message(today=SEP5).startswith(
        "step 3 for 2025-09 is already running since 07:02, run id manual__2025-09-05T05:00:00+00:00")
    assert "since 2025-09-05 07:02" in holder.message(today=dt.date(2025, 9, 6))


def test_cli_run_exits_75_in_one_line_and_records_nothing(db_url, monkeypatch, capsys):
    from arrears.core.db import make_engine
    from arrears.orchestration.runner import run_step
    from factories import Portfolio

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    engine = make_engine(db_url)
    p = Portfolio(engine)
    p.lease("BIG-1", start_on="2024-01-01")
    p.monthly("BIG-1", "2025-01", 9)
    p.commit()
    with engine.begin() as conn:  # a live run of step 3 (this test's parent process holds it)
        conn.execute(m.RunLock.__table__.insert().values(
            step=3, period="2025-09", run_id="manual__2025-09-05T05:00:00+00:00", host=socket.gethostname(),
            pid=os.getppid(), started_at=dt.datetime(2025, 9, 5, 5, 2)))
    assert run_step(3, SEP5) == 75
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("step 3 for 2025-09 is already running since")
    assert "run id manual__2025-09-05T05:00:00+00:00" in err[0]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.JournalEntry)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(m.StepRun)).scalar_one() == 0
    engine.dispose()
