"""French formatting, defined once: amounts, numbers, percentages, dates and month names.

Every module that shows a figure to a French reader imports from here: the Jinja filters of
``documents/render.py`` (letters, worklists, reports), the reasons the steps give officers
(``decide/``), the alert mails (``orchestration/``) and the demo portfolio's CSV files. Numbers and
dates go through Babel's ``fr_FR`` locale; thousands are grouped with a no-break space (``NBSP``) in
documents and with a narrow no-break space (``NNBSP``) in officers' reasons.

Rounding is commercial (half up), as a French reader computes it by hand: ``0.345`` → ``34,5 %``,
``0.3450`` at 0 decimals → ``35 %``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_date, get_month_names
from babel.numbers import format_decimal

__all__ = [
    "LOCALE",
    "MONTHS_FR",
    "NBSP",
    "NNBSP",
    "amount_fr",
    "date_fr",
    "eur",
    "euros",
    "month_fr",
    "number_fr",
    "percent_fr",
    "short_month_fr",
    "weekday_date_fr",
    "whole_percent_fr",
]

LOCALE = "fr_FR"
NBSP = "\u00a0"
NNBSP = "\u202f"
MONTHS_FR: tuple[str, ...] = tuple(get_month_names("wide", locale=LOCALE)[m] for m in range(1, 13))


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value if len(value) > 7 else value + "-01")
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def number_fr(value: Any, decimals: int = 2, *, group: str = NBSP) -> str:
    """``1 234,56`` — French decimal comma, thousands grouped with ``group`` (rounded half up)."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(rounded, format=pattern, locale=LOCALE).replace(NNBSP, group)


def amount_fr(cents: int, *, group: str = NBSP) -> str:
    """Cents → ``1 234,56`` (no currency sign): the amount columns of French CSV files."""
    return number_fr(Decimal(int(cents)) / 100, 2, group=group)


def eur(cents: int | None, *, sign: bool = False) -> str:
    """Cents → ``1 234,56 €`` with no-break spaces, as French typesetting wants (letters, documents)."""
    if cents is None:
        raise ValueError("amount is missing")
    text = amount_fr(cents)
    if sign and cents > 0:
        text = "+" + text
    return f"{text}{NBSP}€"


def euros(cents: int) -> str:
    """Cents → ``1 234,56 €`` for the reasons shown to officers (narrow no-break grouping, plain space)."""
    return f"{amount_fr(cents, group=NNBSP)} €"


def percent_fr(value: Any, decimals: int = 1, *, space: str = NBSP) -> str:
    """``19,6 %`` from a ratio (0.196)."""
    return f"{number_fr(Decimal(str(value)) * 100, decimals)}{space}%"


def date_fr(value: dt.date | str | None, fmt: str = "long") -> str:
    """A date for French readers: ``1er septembre 2025``, ``17 septembre 2025``, or ``17/09/2025`` (short)."""
    if value is None:
        raise ValueError("date is missing")
    value = _as_date(value)
    if fmt == "short":
        return value.strftime("%d/%m/%Y")
    text = format_date(value, format="d MMMM y", locale=LOCALE)
    if value.day == 1:
        text = "1er" + text[1:]
    return text


def weekday_date_fr(value: dt.date | str) -> str:
    """``lundi 1er septembre`` (the month view's day labels)."""
    day = _as_date(value)
    text = format_date(day, format="EEEE d MMMM", locale=LOCALE)
    if day.day == 1:
        text = text.replace(" 1 ", " 1er ", 1)
    return text


def short_month_fr(value: dt.date | str) -> str:
    """``sept. 25`` (chart labels)."""
    return format_date(_as_date(value), format="MMM yy", locale=LOCALE)


def month_fr(value: dt.date | str) -> str:
    """``septembre 2025`` (from a date, ``2025-09`` or ``2025-09-01``)."""
    return format_date(_as_date(value), format="MMMM y", locale=LOCALE)


def whole_percent_fr(value: Any) -> str:
    """``35 %`` — a whole percentage with a plain space, as the reasons shown to officers quote a rate."""
    return percent_fr(value, 0, space=" ")

def nbsp(value: Any) -> str:
    """Spaces → no-break spaces: a date, a phone number, an amount or a legal reference never splits."""
    return str(value).replace(" ", NBSP)


def phone_fr(value: str | None) -> str:
    """``04 72 00 00 11`` that never breaks across lines."""
    return nbsp((value or "").strip())


def months_fr(value: Any) -> str:
    """``7 mois``, ``7,5 mois`` (one decimal, none when whole)."""
    tenths = int((Decimal(str(value)) * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10},{tenths % 10}"
    return f"{text}{NBSP}mois"


def day_fr(value: dt.date) -> str:
    """``mardi 16 septembre 2025`` (no-break spaces)."""
    return nbsp(f"{format_date(value, format='EEEE', locale=LOCALE)} {date_fr(value)}")
