"""The business date of a run: the date D it works for (its ``as_of``), whatever its logical date.

Every reader of runs (month view, watchdog, approvals) files a run under this date's period, so a catch-up run
triggered today with ``as_of`` in a past month belongs to that past month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo


def conf_as_of(conf: Any) -> str | None:
    """The ``as_of`` a run was triggered with (ISO date), or None when absent or not a date."""
    value = conf.get("as_of") if isinstance(conf, dict) else None
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        return None


def run_business_date(run: dict, tz: ZoneInfo | str = "Europe/Paris") -> dt.date | None:
    """The date D a run works for: its ``as_of`` (conf), else its logical date (or run_after) in ``tz``.

    Every reader of runs (month view, watchdog, approvals) files a run under this date's period, so a
    catch-up run triggered today with ``as_of`` in a past month belongs to that past month.
    """
    if run.get("as_of"):
        return dt.date.fromisoformat(run["as_of"])
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    instant = run.get("logical_date")
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(tz).date()
