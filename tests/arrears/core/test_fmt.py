"""French formatting as readers see it, from its one home (arrears.core.fmt)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from arrears.core import fmt

NBSP, NNBSP = "\u00a0", "\u202f"


def test_amounts():
    assert fmt.eur(123456) == f"1{NBSP}234,56{NBSP}€"
    assert fmt.eur(-1250) == f"-12,50{NBSP}€" and fmt.eur(500, sign=True) == f"+5,00{NBSP}€"
    assert fmt.euros(123456) == f"1{NNBSP}234,56 €"          # officers' reasons
    assert fmt.amount_fr(-123456789) == f"-1{NBSP}234{NBSP}567,89"  # French CSV cells
    with pytest.raises(ValueError, match="amount is missing"):
        fmt.eur(None)


def test_percentages_round_half_up():
    assert fmt.percent_fr(0.196) == f"19,6{NBSP}%"
    assert fmt.percent_fr(Decimal("0.19650")) == f"19,7{NBSP}%"
    assert fmt.whole_percent_fr(Decimal("0.345")) == "35 %"


def test_dates_and_months():
    assert fmt.date_fr(dt.date(2025, 9, 1)) == "1er septembre 2025"
    assert fmt.date_fr("2025-09-17") == "17 septembre 2025"
    assert fmt.date_fr(dt.date(2025, 9, 17), "short") == "17/09/2025"
    assert fmt.month_fr("2025-09") == "septembre 2025"
    assert fmt.weekday_date_fr(dt.date(2025, 9, 1)) == "lundi 1er septembre"
    assert fmt.short_month_fr("2025-02") == "févr. 25"
    assert fmt.MONTHS_FR[7] == "août"
