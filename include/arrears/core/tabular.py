"""Cells of the CSV and XLSX files the product writes, made safe for spreadsheets (formula injection).

A spreadsheet reads a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage
return followed by one of those) as a formula: an agency named ``=HYPERLINK(…)`` or an addressee
``-2+3+CMD|' /C CALC'!A0`` would run as one. Every writer passes its text cells through :func:`safe_cell`,
which prefixes such a value with an apostrophe so it is shown as the text it is (OWASP's advice).

Numbers stay numbers: non-string values pass through untouched, and a string that is only a number as
this product writes it (``-12,50``, ``-1 234,56``, ``-0.05``) is left as it is — it is not a formula, and a
spreadsheet must still read it as a negative amount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain negative number: digits (or thousands grouped by spaces) and one decimal separator. A leading
# "+" is never exempt: "+33 6 12 34 56 78" is a formula to a spreadsheet.
_PLAIN_NUMBER = re.compile(r"-(?:\d+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, or the text prefixed with ``'`` when a spreadsheet would take it for a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` over a row of cells."""
    return [safe_cell(v) for v in values]
