"""One run per (step, period) at a time: a row in ``run_locks``, taken before any work.

The lock lives in the project's database, so it holds across processes and machines (SQLite and
PostgreSQL alike: the primary key refuses a second row). A row left behind by a process that died (a kill,
a crash) on this host is taken over by the next run; a holder on another host is trusted until it ends.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from arrears.core import models as m

EX_TEMPFAIL = 75  # sysexits.h: "try again later"


@dataclass(frozen=True)
class Holder:
    step: int
    period: str
    run_id: str
    started_at: dt.datetime  # UTC, naive
    host: str
    pid: int

    def message(self, today: dt.date | None = None) -> str:
        """``step 3 for 2025-09 is already running since 07:02, run id …`` (Paris time)."""
        from zoneinfo import ZoneInfo

        local = self.started_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Paris"))
        today = today or dt.datetime.now(ZoneInfo("Europe/Paris")).date()
        since = local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
        return (f"step {self.step} for {self.period} is already running since {since}, run id {self.run_id}"
                f" (pid {self.pid} on {self.host})")


class AlreadyRunning(Exception):
    def __init__(self, holder: Holder):
        self.holder = holder
        super().__init__(holder.message())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(engine: Engine, step: int, period: str) -> Holder | None:
    t = m.RunLock.__table__
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.step == step, t.c.period == period)).first()
    return Holder(**row._mapping) if row else None


def acquire(engine: Engine, step: int, period: str, run_id: str) -> None:
    """Take the lock of (step, period) for ``run_id``, or raise :class:`AlreadyRunning`."""
    host, pid = socket.gethostname(), os.getpid()
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                conn.execute(m.RunLock.__table__.insert().values(
                    step=step, period=period, run_id=run_id, host=host, pid=pid,
                    started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
            return
        except IntegrityError:
            holder = _holder(engine, step, period)
            if holder is None:
                continue  # released in between: try again
            if holder.host == host and not _alive(holder.pid):
                # left behind by a process that died (a kill, a crash): take it over
                with engine.begin() as conn:
                    conn.execute(delete(m.RunLock).where(m.RunLock.step == step, m.RunLock.period == period,
                                                         m.RunLock.run_id == holder.run_id,
                                                         m.RunLock.pid == holder.pid))
                continue
            raise AlreadyRunning(holder) from None
    holder = _holder(engine, step, period)
    if holder is not None:
        raise AlreadyRunning(holder)
    raise RuntimeError(f"could not take the run lock of step {step} for {period}")  # pragma: no cover


def release(engine: Engine, step: int, period: str, run_id: str) -> None:
    """Give the lock back (only if ``run_id`` holds it)."""
    with engine.begin() as conn:
        conn.execute(delete(m.RunLock).where(m.RunLock.step == step, m.RunLock.period == period,
                                             m.RunLock.run_id == run_id))


@contextmanager
def run_lock(engine: Engine, step: int, period: str, run_id: str):
    acquire(engine, step, period, run_id)
    try:
        yield
    finally:
        release(engine, step, period, run_id)
