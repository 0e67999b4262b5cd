"""Debtor profiles (Logeo Seine, PLAN.md "Debtor profiles"): a suggestion with its reasons in French.

Tested in the order 3, 2, 1, 4; the first that matches wins; a lease without debt (balance <= 0) has none;
otherwise "P0" (not enough data). A profile changes the tone of letters and the worklist priority, never a
sanction by itself; the officer can override it.

    facts = profile_facts(conn, as_of, records)          # per lease, from the cohort rows + support SQL
    code, reasons = suggest_profile(facts["L1"])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from arrears.core.calendar import add_months
from arrears.core.fmt import date_fr, whole_percent_fr
from arrears.core.sqlfiles import run_sql

if TYPE_CHECKING:
    from sqlalchemy import Connection

NO_PAYMENT_MONTHS = 3
P3_MAX_EFFORT = Decimal("0.25")
P3_MIN_UNANSWERED = 2
P2_MIN_EFFORT = Decimal("0.35")
P2_LEASE_MONTHS = 24
P1_MIN_LATE_MONTHS = 3
P1_MIN_EPISODES = 3
P4_MONTHS = 6



@dataclass(frozen=True)
class ProfileFacts:
    """What the four profiles look at, for one lease at D."""

    as_of: dt.date
    balance_cents: int
    start_on: dt.date
    last_payment_on: dt.date | None = None      # latest payment or direct debit posted <= D
    effort_rate: Decimal | None = None          # at entry; None when the income is unknown
    has_support: bool = False                   # a social support with supported_on <= D
    unanswered_since_arrears: int = 0           # actions no_answer / no_show since the arrears start
    months_paid_late_6m: int = 0
    episodes_started_12m: int = 0
    arrears_start: dt.date | None = None
    episode_starts: tuple[dt.date, ...] = field(default_factory=tuple)  # month ends where an episode started


def full_months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (15 May → 14 Sep: 3; → 15 Sep: 4)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _months_fr(n: int) -> str:
    return f"{n} mois"


def suggest_profile(f: ProfileFacts) -> tuple[str | None, tuple[str, ...]]:
    """The suggested profile code (``P1``..``P4``, ``P0``, or None without debt) and its reasons."""
    if f.balance_cents <= 0:
        return None, ()
    d = f.as_of

    # 3. Non-paiement sans difficulté apparente.
    no_payment = f.last_payment_on is None or f.last_payment_on <= add_months(d, -NO_PAYMENT_MONTHS)
    if (no_payment and f.effort_rate is not None and f.effort_rate <= P3_MAX_EFFORT and not f.has_support
            and f.unanswered_since_arrears >= P3_MIN_UNANSWERED):
        payment = ("Aucun paiement enregistré" if f.last_payment_on is None else
                   f"Aucun paiement depuis {_months_fr(full_months_between(f.last_payment_on, d))} "
                   f"(dernier le {date_fr(f.last_payment_on)})")
        return "P3", (
            payment,
            f"Taux d'effort {whole_percent_fr(f.effort_rate)} à l'entrée",
            "Aucun accompagnement social",
            (f"{f.unanswered_since_arrears} sollicitations sans réponse ou rendez-vous manqués depuis le "
            f"début de l'impayé"),
        )

    # 2. Fragilité dès l'entrée.
    if (f.effort_rate is not None and f.effort_rate > P2_MIN_EFFORT
            and f.start_on > add_months(d, -P2_LEASE_MONTHS)):
        return "P2", (
            (f"Taux d'effort {whole_percent_fr(f.effort_rate)} à l'entrée, bail signé il y a "
            f"{_months_fr(full_months_between(f.start_on, d))}"),
        )

    # 1. Difficulté de gestion budgétaire.
    reasons = []
    if f.months_paid_late_6m >= P1_MIN_LATE_MONTHS:
        reasons.append(f"{f.months_paid_late_6m} mois payés en retard sur les 6 derniers mois")
    if f.episodes_started_12m >= P1_MIN_EPISODES:
        reasons.append(f"{f.episodes_started_12m} débuts d'impayé sur les 12 derniers mois")
    if reasons:
        return "P1", tuple(reasons)

    # 4. Difficulté passagère: a recent arrears, the first in a year.
    if f.arrears_start is not None and f.arrears_start > add_months(d, -P4_MONTHS):
        earlier = [s for s in f.episode_starts if s < f.arrears_start]
        if not earlier:
            return "P4", (
                f"Impayé depuis le {date_fr(f.arrears_start)} (moins de {P4_MONTHS} mois)",
                "Premier impayé depuis un an",
            )

    return "P0", ("Données insuffisantes pour proposer un profil",)


# --------------------------------------------------------------------------------------------------
# Facts from the database
# --------------------------------------------------------------------------------------------------


def month_ends(as_of: dt.date) -> list[dt.date]:
    """The 13 month ends of the episode window: me0 (before the window) … me12 (end of the month before D's)."""
    first = as_of.replace(day=1)
    return [add_months(first, k - 12) - dt.timedelta(days=1) for k in range(13)]


def episode_starts(balances: list[int], ends: list[dt.date]) -> tuple[dt.date, ...]:
    """Month ends with balance > 0 that follow one with balance <= 0 (DATA.md "arrears episode")."""
    return tuple(ends[k] for k in range(1, len(ends)) if balances[k] > 0 and balances[k - 1] <= 0)


def profile_facts(conn: Connection, as_of: dt.date, records: list[dict[str, Any]],
                  history: dict[str, dict[str, Any]] | None = None) -> dict[str, ProfileFacts]:
    """The profile facts of the cohort rows ``records`` (as returned by ``arrears.select.cohorts``)."""
    ids = [r["lease_id"] for r in records if (r.get("balance_cents") or 0) > 0]
    if not ids:
        return {}
    if history is None:
        history = {h["lease_id"]: h for h in run_sql(conn, "cohorts/support/action_history", {"as_of": as_of}, ids)}
    ends = month_ends(as_of)
    params = {"as_of": as_of, **{f"me{k}": ends[k] for k in range(13)}}
    balances = {r["lease_id"]: [int(r[f"b{k}"] or 0) for k in range(13)]
                for r in run_sql(conn, "cohorts/support/month_end_balances", params, ids)}
    facts = {}
    for r in records:
        if r["lease_id"] not in ids:
            continue
        h = history.get(r["lease_id"], {})
        facts[r["lease_id"]] = ProfileFacts(
            as_of=as_of, balance_cents=int(r["balance_cents"]), start_on=r["start_on"],
            last_payment_on=r.get("last_payment_on"),
            effort_rate=Decimal(str(r["effort_rate"])) if r.get("effort_rate") is not None else None,
            has_support=h.get("last_support_on") is not None,
            unanswered_since_arrears=int(h.get("unanswered_since_debt") or 0),
            months_paid_late_6m=int(r.get("months_paid_late_6m") or 0),
            episodes_started_12m=int(r.get("episodes_started_12m") or 0),
            arrears_start=r.get("arrears_start"),
            episode_starts=episode_starts(balances.get(r["lease_id"], [0] * 13), ends),
        )
    return facts


def profiles_for(conn: Connection, as_of: dt.date, records: list[dict[str, Any]],
                 history: dict[str, dict[str, Any]] | None = None) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """lease_id → (profile code, reasons) for the cohort rows ``records``; leases without debt get (None, ())."""
    facts = profile_facts(conn, as_of, records, history)
    return {r["lease_id"]: suggest_profile(facts[r["lease_id"]]) if r["lease_id"] in facts else (None, ())
            for r in records}
