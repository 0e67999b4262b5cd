"""Safe starts: a step does not run on stale data, nor for a date with no data.

Formal notices computed from an old export go to tenants who have paid since: a step refuses to run when
the portfolio's latest import (``import_runs``, written by every successful import) is older than
``max_import_age_days`` (plan file, 3 by default) before the run's date D. A database fed without the
importer (the landlord's own tables, the test factories) has no import date to check; only the "no data"
rule applies to it: no lease in force or departed at D means there is nothing to run on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from arrears.core import models as m


class NotRunnable(Exception):
    """The step must not run for this date; the message says why and what to do (no tenant data)."""


def latest_import(engine: Engine) -> dt.datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(m.ImportRun.imported_at))).scalar_one_or_none()


def check_portfolio(engine: Engine, step: int, as_of: dt.date, *, max_age_days: int | None = None,
                    dry_run: bool = False) -> None:
    """Raise :class:`NotRunnable` when step ``step`` must not run for D = ``as_of``."""
    if max_age_days is None:
        from arrears.config.plan import load_plan

        max_age_days = load_plan().max_import_age_days
    with engine.connect() as conn:
        leases = conn.execute(select(func.count()).select_from(m.Lease)
                              .where(m.Lease.start_on <= as_of)).scalar_one()
    if not leases:
        raise NotRunnable(f"step {step}: no data for {as_of.isoformat()}: no lease had started by that date "
                          "(import the portfolio first: arrears import DIR)")
    if dry_run:
        return  # a preview sends nothing: it may look at old data
    latest = latest_import(engine)
    if latest is None:
        return
    oldest_allowed = as_of - dt.timedelta(days=max_age_days)
    if latest.date() < oldest_allowed:
        raise NotRunnable(
            f"step {step} refuses to run for {as_of.isoformat()}: the portfolio's latest import "
            f"({latest:%Y-%m-%d %H:%M} UTC) is older than {max_age_days} days before that date; import a "
            f"fresh export first (setting max_import_age_days in include/plan.toml). Nothing was recorded.")
