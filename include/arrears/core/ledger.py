"""DATA.md's ledger formulas in Python, defined once (the SQL twins live in include/sql/).

An entry is a dict with ``amount_cents``, ``posted_on`` and ``due_on`` (None for credits and undated
charges), as ``documents/`` reads it from ``ledger_entries``.

- **effective date**: a charge (amount > 0) counts from coalesce(due_on, posted_on), a credit (amount < 0)
  from posted_on.
- **balance** at D: the sum of the amounts whose effective date is ≤ D.
- **arrears start** at D: the latest day ≤ D at which the balance went above the tolerance and stayed
  above it since (None when the balance at D is within the tolerance).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Entry = dict[str, Any]


def effective_on(entry: Entry) -> dt.date:
    """DATA.md balance rule: a charge counts from its due date, a credit from its posting date."""
    if entry["amount_cents"] > 0:
        return entry["due_on"] or entry["posted_on"]
    return entry["posted_on"]


def balance_at(entries: list[Entry], day: dt.date) -> int:
    """DATA.md balance at ``day``: charges by coalesce(due_on, posted_on) ≤ day, credits by posted_on ≤ day."""
    return sum(e["amount_cents"] for e in entries if effective_on(e) <= day)


def crossing_date(entries: list[Entry], as_of: dt.date, threshold: int, *, strict: bool) -> dt.date | None:
    """The latest day t ≤ D at which the balance went from below to above ``threshold`` and stayed there.

    ``strict``: above means > threshold (arrears start uses the tolerance), else ≥ threshold (R824-1).
    """
    def above(value: int) -> bool:
        return value > threshold if strict else value >= threshold

    moves: dict[dt.date, int] = {}
    for e in entries:
        day = effective_on(e)
        if day <= as_of:
            moves[day] = moves.get(day, 0) + e["amount_cents"]
    balance = 0
    crossed: dt.date | None = None
    for day in sorted(moves):
        before = balance
        balance += moves[day]
        if above(balance) and not above(before):
            crossed = day
        elif not above(balance):
            crossed = None
    return crossed if above(balance) else None


def arrears_start_of(entries: list[Entry], as_of: dt.date, tolerance_cents: int) -> dt.date | None:
    """DATA.md arrears start at D with the plan's tolerance."""
    return crossing_date(entries, as_of, tolerance_cents, strict=True)


def div_round(num: int, den: int) -> int:
    """``num ÷ den`` rounded to the nearest integer, halves away from zero (never truncated like ``//``)."""
    if not den:
        raise ZeroDivisionError("div_round by zero")
    q, r = divmod(abs(int(num)), abs(int(den)))
    if 2 * r >= abs(int(den)):
        q += 1
    return q if (num >= 0) == (den > 0) else -q


def average_cents(total_cents: int, count: int) -> int | None:
    """The average of ``count`` amounts totalling ``total_cents``, to the cent (half away from zero)."""
    return div_round(total_cents, count) if count else None
