"""Debtor profiles (PLAN.md): order 3, 2, 1, 4, first match wins, P0 otherwise, none without debt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from arrears.decide.profiles import ProfileFacts, episode_starts, month_ends, profiles_for, suggest_profile
from arrears.select.cohorts import ensure_positions, lease_figures
from factories import Portfolio

D = dt.date(2025, 9, 25)


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def facts(**kw) -> ProfileFacts:
    base = {"as_of": D, "balance_cents": 600_00, "start_on": day("2015-01-01"), "last_payment_on": day("2025-09-05"),
                "effort_rate": Decimal("0.30"), "arrears_start": day("2024-01-10")}
    return ProfileFacts(**{**base, **kw})


P3 = {"last_payment_on": day("2025-06-25"), "effort_rate": Decimal("0.25"), "has_support": False,
          "unanswered_since_arrears": 2}


@pytest.mark.parametrize(("why", "kw", "expected"), [
    ("no debt: no profile", {"balance_cents": 0}, None),
    ("P3: last payment exactly 3 months ago, effort 25 %, 2 unanswered", P3, "P3"),
    ("P3: never paid", {**P3, "last_payment_on": None}, "P3"),
    ("not P3: paid 3 months minus a day ago", {**P3, "last_payment_on": day("2025-06-26")}, "P0"),
    ("not P3: effort 25.01 %", {**P3, "effort_rate": Decimal("0.2501")}, "P0"),
    ("not P3: unknown effort rate", {**P3, "effort_rate": None}, "P0"),
    ("not P3: social support", {**P3, "has_support": True}, "P0"),
    ("not P3: one unanswered only", {**P3, "unanswered_since_arrears": 1}, "P0"),
    ("P2: effort 35.01 %, lease of 23 months", {"effort_rate": Decimal("0.3501"), "start_on": day("2023-10-25")}, "P2"),
    ("not P2: effort exactly 35 %", {"effort_rate": Decimal("0.35"), "start_on": day("2024-10-25")}, "P0"),
    ("not P2: lease signed exactly 24 months ago", {"effort_rate": Decimal("0.40"), "start_on": day("2023-09-25")},
     "P0"),
    ("P1: 3 months paid late", {"months_paid_late_6m": 3}, "P1"),
    ("P1: 3 episode starts", {"episodes_started_12m": 3}, "P1"),
    ("not P1: 2 late months, 2 episodes", {"months_paid_late_6m": 2, "episodes_started_12m": 2}, "P0"),
    ("P4: arrears start 6 months minus a day ago, first in a year", {"arrears_start": day("2025-03-26")}, "P4"),
    ("not P4: arrears start exactly 6 months ago", {"arrears_start": day("2025-03-25")}, "P0"),
    ("not P4: an episode started at an earlier month end",
     {"arrears_start": day("2025-08-10"), "episode_starts": (day("2025-01-31"),)}, "P0"),
    ("P4: the only episode start is the current arrears'",
     {"arrears_start": day("2025-08-10"), "episode_starts": (day("2025-08-31"),)}, "P4"),
    ("P3 wins over P1", {**P3, "months_paid_late_6m": 4}, "P3"),
    ("P2 wins over P1", {"effort_rate": Decimal("0.40"), "start_on": day("2025-01-01"), "months_paid_late_6m": 4}, "P2"),
])
def test_suggest_profile(why, kw, expected):
    code, reasons = suggest_profile(facts(**kw))
    assert code == expected, why
    assert bool(reasons) == (expected is not None)


def test_reasons_in_french():
    code, reasons = suggest_profile(facts(**{**P3, "last_payment_on": day("2025-05-20"), "unanswered_since_arrears": 3}))
    assert code == "P3"
    assert reasons[0] == "Aucun paiement depuis 4 mois (dernier le 20 mai 2025)"
    assert reasons[1] == "Taux d'effort 25 % à l'entrée"
    code, reasons = suggest_profile(facts(effort_rate=Decimal("0.3812"), start_on=day("2025-01-10")))
    assert reasons == ("Taux d'effort 38 % à l'entrée, bail signé il y a 8 mois",)


def test_episode_starts_from_month_ends():
    ends = month_ends(D)
    assert ends[0] == day("2024-08-31") and ends[12] == day("2025-08-31")
    balances = [0, 100, 0, 0, 100, 100, 0, 0, 0, 0, 0, 0, 100]
    assert episode_starts(balances, ends) == (day("2024-09-30"), day("2024-12-31"), day("2025-08-31"))


def test_profiles_from_the_database(engine):
    p = Portfolio(engine)
    # P3: rent 500 + charges 100, income 3 000 € (effort 20 %), nothing paid since May, two missed calls.
    p.lease("P3", income=3000_00)
    p.charge("P3", "2025-05-01", 1800_00)
    p.pay("P3", "2025-05-10", 100_00)
    p.action("P3", "2025-07-01", "phone_call", outcome="no_answer")
    p.action("P3", "2025-08-01", "convocation", outcome="no_show")
    p.action("P3", "2025-04-01", "phone_call", outcome="no_answer")   # before the arrears: not counted
    # Same but a social support on file: P3 no longer holds; arrears since March (not recent): P0.
    p.lease("P0", income=3000_00)
    p.charge("P0", "2025-03-01", 1800_00)
    p.action("P0", "2025-07-01", "phone_call", outcome="no_answer")
    p.action("P0", "2025-08-01", "phone_call", outcome="no_answer")
    p.support("P0", "2024-01-10")
    # P4: first arrears, since August 20.
    p.lease("P4")
    p.charge("P4", "2025-08-20", 600_00)
    # Not P4: an earlier episode started at the end of January 2025 (closed in February).
    p.lease("earlier_episode")
    p.charge("earlier_episode", "2025-01-15", 600_00)
    p.pay("earlier_episode", "2025-02-10", 600_00)
    p.charge("earlier_episode", "2025-08-20", 600_00)
    p.commit()
    ensure_positions(engine, D)
    with engine.connect() as conn:
        records = list(lease_figures(conn, D, ["P3", "P0", "P4", "earlier_episode"]).values())
        out = profiles_for(conn, D, records)
    assert out["P3"][0] == "P3"
    assert "2 sollicitations sans réponse" in out["P3"][1][3]
    assert out["P0"][0] == "P0"
    assert out["P4"][0] == "P4"
    assert out["earlier_episode"][0] == "P0"
