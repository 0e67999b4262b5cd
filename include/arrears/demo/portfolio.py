"""The demo portfolio: a synthetic social landlord of a Lyon-like metropolis, written as DATA.md CSV files.

    counts = write_demo_csv(Path("var/demo-csv"), leases=5000, seed=2025)      # file name -> rows
    figures = seed_demo(engine, leases=5000)                                     # write + import + figures

Same seed and size give byte-identical files. ``ledger``, ``leases`` and the other files are written in the
plain convention (``,``, UTF-8, ``*_cents``, ISO dates); ``tenants.csv`` and ``plans.csv`` in the French ERP
convention (``;``, Windows-1252, CRLF, ``*_eur`` with a decimal comma and no-break-space thousands,
``dd/mm/yyyy``, ``oui/non``), so a demo import exercises both conventions of the importer.

The portfolio
-------------
About 90 % in place and 10 % departed leases in 7 agencies (Lyon Centre, Lyon 8e-9e, Villeurbanne,
Vénissieux, Vaulx-en-Velin, Bron - Saint-Priest, Rillieux-la-Pape, with their real postcodes), recovery
officers, customer officers, social counsellors (CESF) and a manager per agency, litigation officers at
head office (staff of AG01). Rents 300-800 €, charges 50-200 €, housing benefit for about half of the
households (mostly paid to the landlord, tiers payant, and then credited on the quittance on the 1st),
incomes, ~40 % direct debit. Rent and charges fall due on the 1st (``due_on`` = ``posted_on`` = the 1st).
History runs from 1 January of the year that holds the month 20 months before ``as_of`` (2024-01-01 for
the default ``as_of``) to ``as_of``; older debts and credits arrive as an opening ``adjustment`` that day.
Ledger: one row per rent, charges, benefit and payment a month, plus what an archetype needs.

"On time" means what DATA.md says: paid on or before the due date (direct debit on the 1st, transfers a few
days before the 1st); a tenant paying on the 5th is "late" in DATA.md's sense, so late-paying ordinary
tenants never carry a residual debt (they would belong to step 9).

Archetypes (counts per 5 000 leases, each at least 1, scaled with the size; the dates are those of a
September run, and every date is computed from ``as_of``'s month, moved to business days):

- ``normal`` — everybody else: pays on time (DD on the 1st, or a transfer in advance) or a few days after
  the 1st; some had one short episode in the past, an old direct-debit reject paid again, an answered SLS.
- ``small_balance`` (step 1, Mon 1 Sep) — pays by direct debit on the 1st but left a charges regularisation
  of 11-95 € unpaid for months: tolerance < balance < 100 €, arrears age >= 15 days on the 1st, no plan. ``small_balance_plan``: the same below 100 € but with an active
  plan (out of step 1). ``small_balance_deceased``: the sole holder has died (succession task).
- ``cleared_in_august`` (step 2, Fri 5 Sep) — owed 1-3 months at 31 Aug, cleared everything on 2-4 Sep (a
  lump sum, an FSL grant, a transfer after an August direct-debit reject, or the rest of an active plan).
- ``debt_1500_*`` (step 3, Fri 5 Sep) — balance ≥ 1 500 €: ``convocation`` (a convocation 16-30 days old,
  no-show, nothing since: formal notice), ``no_contact`` (nothing for more than 30 days: convocation),
  ``caf`` (housing benefit, debt ≥ 2 × monthly due, no ``caf_report``: CAF task), ``caf_reported`` (the
  report exists), ``recent_contact`` (a promise a few days ago). Some carry an employer's phone.
- ``non_payer`` (profile 3) — no payment for 4-7 months, effort rate ≤ 25 %, no social support, calls
  unanswered and a convocation missed.
- ``litigation_ready`` (step 11 on Mon 25 Aug AND Thu 25 Sep, so step 6 on Mon 1 Sep) — balance ≥ 3 ×
  monthly due, a formal notice in Jun-10 Aug after the arrears start, no respected plan, not protected;
  variants: a broken plan, an active plan not respected, an AC04-rejected mandate still active, housing
  benefit without CAF report, a social referral. ``litigation_sep_only`` (formal notice 11 Aug-10 Sep:
  step 11 in September only), ``litigation_paid_down`` (qualified on 25 Aug, paid everything on 28 Aug:
  out of step 6), ``litigation_protected`` (an overindebtedness plan or moratorium since July: out of step
  11), ``litigation_alt_threshold`` (pays 75 % of the due every month since January: below 3 × due but
  ≥ 500 € and arrears start ≥ 90 days old).
- ``contentieux`` — stage ``contentieux`` (out of steps 1-12), transferred in 2024-2025, some with an
  active court plan; ``departed_contentieux`` the same after departure (out of step 15).
- ``new_entrant`` / ``new_entrant_fragile`` (step 7, Wed 10 Sep) — start_on ≥ D − 12 months (the first
  one exactly on it), unpaid since a month ≤ August (arrears age > 15 days); fragile: effort rate > 35 %.
- ``repeat_debtor`` (step 8, Mon 22 Sep) — two or three one-month episodes closed in the 12-month window
  and a new debt since August; ``repeat_broken_plan`` — an amicable plan broken in the last 24 months and a
  balance > 0.
- ``plan_respected`` (out of step 4; some pay on the 12th, inside the 10-day grace), ``plan_breach_first``
  (respected on 15 Aug, not on 15 Sep), ``plan_breach_second`` (not respected on 15 Aug nor 15 Sep),
  ``overindebtedness_respected`` / ``overindebtedness_breach``, ``moratorium_respected`` /
  ``moratorium_breach`` (no instalments: the current rent must be paid) — step 4 on Mon 15 Sep;
  overindebtedness plans and moratoria protect.
- ``erased_in_place`` — a personal recovery procedure erased the debt (plan ``erased`` + ``write_off``).
- ``dd_reject_md07`` (holder deceased; some couples with one holder deceased), ``dd_reject_ac04``,
  ``_ac01``, ``_md01``, ``_am04`` (two of them debited on the 10th, rejected in August), ``_ms02``,
  ``dd_reject_3_months`` (rejects in Jul, Aug and Sep), ``dd_reject_2_months`` (Aug and Sep) — step 10
  on Wed 10 Sep (rejects in (10 Aug, 10 Sep]).
- ``late_payer`` (step 9, Thu 25 Sep) — pays the whole due on the 20th-28th every month, September's after
  the 25th: 0 < balance ≤ monthly due, 6 late months of 6.
- ``sls_sanction`` (step 12, Mon 15 Sep) — SLS survey not returned: a provisional SLS billed monthly since
  a few months and left unpaid.
- ``no_action`` (step 5, Thu 25 Sep) — 1-3 months missed in the spring, paying the current due since,
  no action for more than 30 days (or never). ``first_arrears`` — paid until July, nothing since August
  (profile 4); half were called in September.
- ``deceased_all`` — every holder deceased, payments stopped; ``deceased_one_of_two`` — a couple, one
  holder deceased, payments halved.
- ``in_place_credit`` (step 13) — a CAF back-payment, a charges refund or a double payment: credit > one
  monthly due.
- ``departed_debt_rhone`` / ``_outside`` (another département, one 974) / ``_abroad`` /
  ``_no_address`` (step 15) — left in the last 14 months with debts; ``departed_writeoff_small`` (left
  > 12 months ago, < 300 €, no payment in 6 months) and ``departed_writeoff_no_address`` (step 14 and 15);
  ``departed_erased`` (debt erased by a PRP, some arrears after it: step 14, not 15); ``departed_written_off``
  (written off: balance 0); ``departed_credit`` (deposit larger than what was owed: step 13);
  ``departed_credit_old`` (left more than 3 years ago with a credit: "produits exceptionnels");
  ``departed_settled`` (balance 0).
- ``recovered_plan`` — an amicable plan completed in early 2025, nothing owed.
- ``future_lease`` — signed, starting the day after ``as_of``: in no cohort.

Addresses: ``address_line1`` = number and street, ``address_line2`` = apartment/staircase/floor,
``address_line3`` = building and residence (NF Z10-011 order: name, line 2, line 3, line 1, postcode town).
Social supports by the lease's counsellor (domains, ~20 % reinforced, 85-95 % qualified by agency).
Nothing printed or logged names a person.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import os
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from arrears.demo import words as W

DAY = dt.timedelta(days=1)
DEFAULT_AS_OF = dt.date(2025, 9, 30)

# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` shifted by ``months`` calendar months (the day clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.France(years=year))


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    while not is_business_day(day):
        day += DAY
    return day


def add_business_days(day: dt.date, n: int) -> dt.date:
    for _ in range(n):
        day = next_business_day(day + DAY)
    return day


def business_day_in_month(first: dt.date, day: int) -> dt.date:
    """``day`` of ``first``'s month (clamped), moved to the next business day, or to the previous one
    when the next would fall in the following month (a bank transfer of "the 28th" stays in its month)."""
    last = calendar.monthrange(first.year, first.month)[1]
    target = first.replace(day=min(max(day, 1), last))
    forward = next_business_day(target)
    if forward.month == target.month:
        return forward
    while not is_business_day(target):
        target -= DAY
    return target


@dataclass(frozen=True)
class DemoCalendar:
    """The run dates of the demo month (PLAN.md's defaults, moved to business days)."""

    as_of: dt.date
    month: dt.date  # first day of as_of's month
    history_start: dt.date
    d1: dt.date  # steps 1, 6, 13-15
    d5: dt.date  # steps 2, 3
    d10: dt.date  # steps 7, 10
    d15: dt.date  # steps 4, 12
    d20: dt.date  # step 8
    d25: dt.date  # steps 5, 9, 11
    prev_d25: dt.date  # step 11 of the previous month (step 6's proposals)

    @classmethod
    def for_as_of(cls, as_of: dt.date) -> DemoCalendar:
        month = as_of.replace(day=1)
        prev = add_months(month, -1)
        history = dt.date(add_months(month, -20).year, 1, 1)
        return cls(as_of=as_of, month=month, history_start=history,
                   d1=next_business_day(month), d5=next_business_day(month.replace(day=5)),
                   d10=next_business_day(month.replace(day=10)), d15=next_business_day(month.replace(day=15)),
                   d20=next_business_day(month.replace(day=20)), d25=next_business_day(month.replace(day=25)),
                   prev_d25=next_business_day(prev.replace(day=25)))

    def m(self, k: int) -> dt.date:
        """First day of the month ``k`` months from the demo month (``m(-1)`` = the previous month)."""
        return add_months(self.month, k)


# --------------------------------------------------------------------------------------------------
# One lease and its rows
# --------------------------------------------------------------------------------------------------

Entry = tuple[dt.date, "dt.date | None", str, int, str]  # posted_on, due_on, kind, amount_cents, label


@dataclass
class PlanDraft:
    kind: str
    agreed_on: dt.date
    debt_cents: int
    status: str
    closed_on: dt.date | None = None
    installments: list[tuple[dt.date, int]] = field(default_factory=list)
    plan_id: str = ""


@dataclass
class LeaseDraft:
    """A generated lease with every row that belongs to it (before ids are given to child rows)."""

    lease_id: str
    archetype: str
    agency_id: str
    officer_id: str
    counsellor_id: str | None
    start_on: dt.date
    end_on: dt.date | None = None
    stage: str = "precontentieux"
    address_line1: str = ""
    address_line2: str | None = None
    address_line3: str | None = None
    postcode: str = ""
    city: str = ""
    rent_cents: int = 0
    charges_cents: int = 0
    benefit_cents: int = 0
    benefit_to_landlord: bool = False
    payment_method: str = "transfer"
    mandate_active: bool = False
    income_cents: int | None = None
    sls_status: str = "none"
    forwarding: tuple[str | None, str | None, str | None, str | None, str | None] = (None,) * 5
    tenants: list[dict[str, Any]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    plans: list[PlanDraft] = field(default_factory=list)
    rejects: list[tuple[dt.date, int, str]] = field(default_factory=list)
    actions: list[tuple[dt.date, str, str | None, str | None, str | None]] = field(default_factory=list)
    supports: list[tuple[dt.date, str, bool, bool]] = field(default_factory=list)

    @property
    def monthly_due(self) -> int:
        """DATA.md's monthly due (quittance nette)."""
        benefit = self.benefit_cents if self.benefit_to_landlord else 0
        return self.rent_cents + self.charges_cents - benefit

    def balance(self, day: dt.date) -> int:
        """DATA.md's balance at ``day``."""
        total = 0
        for posted, due, _kind, amount, _label in self.entries:
            effective = (due or posted) if amount > 0 else posted
            if effective <= day:
                total += amount
        return total


_METHOD_LABEL = {"direct_debit": "Prélèvement", "transfer": "Virement", "cheque": "Chèque",
                 "cash": "Espèces", "card": "Carte bancaire", "other": "Mandat cash"}


class Builder:
    """Writes a lease's ledger month by month: bills, payments, plans, rejects, actions."""

    def __init__(self, draft: LeaseDraft, cal: DemoCalendar, rng: random.Random, officer_ids: list[str]):
        self.d = draft
        self.c = cal
        self.r = rng
        self.officers = officer_ids
        self.mode = "after"  # dd1 | dd | advance | after | late
        self.payday = 5
        self.sls_cents = 0
        self.sls_from: dt.date | None = None
        self.billed: dict[dt.date, int] = {}
        self.billed_sls: dict[dt.date, int] = {}

    # -- set-up ----------------------------------------------------------------------------------

    def set_method(self, method: str, mode: str, payday: int = 5) -> None:
        self.d.payment_method = method
        self.d.mandate_active = method == "direct_debit"
        self.mode, self.payday = mode, payday

    def non_dd(self, payday: int | None = None) -> None:
        method = self.r.choices(("transfer", "cheque", "cash", "card"), (6, 2, 1, 2))[0]
        self.set_method(method, "after", payday or self.r.randint(2, 10))

    def dd1(self) -> None:
        self.set_method("direct_debit", "dd1", 1)

    @property
    def first_month(self) -> dt.date | None:
        return min(self.billed) if self.billed else None

    def months(self, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
        return [m for m in sorted(self.billed) if (start is None or m >= start) and (end is None or m <= end)]

    def started_in_history(self) -> bool:
        return self.d.start_on >= self.c.history_start

    # -- rows ------------------------------------------------------------------------------------

    def entry(self, posted: dt.date, kind: str, amount: int, label: str, due: dt.date | None = None) -> None:
        if amount:
            self.d.entries.append((posted, due, kind, amount, label))

    def rebill(self) -> None:
        """Bill again after a change of amounts or dates (drops every row written so far)."""
        self.d.entries.clear()
        self.billed.clear()
        self.billed_sls.clear()
        self.bill_all()

    def bill_all(self) -> None:
        """Rent, charges (and benefit, SLS) due on the 1st of each month of the lease within the history."""
        d, c = self.d, self.c
        if d.start_on > c.as_of:
            return
        first = max(c.history_start, d.start_on)
        last = min(d.end_on or c.as_of, c.as_of)
        if last < first:
            return
        m = first.replace(day=1)
        while m <= last:
            days = calendar.monthrange(m.year, m.month)[1]
            due = max(m, d.start_on)
            until = d.end_on.day if d.end_on and d.end_on.replace(day=1) == m else days
            frac = (until - due.day + 1) / days
            tag = f"{m.month:02d}/{m.year}"
            rent, charges = round(d.rent_cents * frac), round(d.charges_cents * frac)
            benefit = round(d.benefit_cents * frac) if d.benefit_to_landlord else 0
            self.entry(due, "rent", rent, f"Loyer {tag}", due)
            self.entry(due, "charges", charges, f"Provisions pour charges {tag}", due)
            self.entry(due, "benefit", -benefit, f"APL tiers payant {tag}")
            self.billed[m] = rent + charges - benefit
            if self.sls_cents and self.sls_from and m >= self.sls_from:
                sls = round(self.sls_cents * frac)
                label = "SLS forfaitaire (enquête non retournée)" if d.sls_status == "sanction" else "SLS"
                self.entry(due, "sls", sls, f"{label} {tag}", due)
                self.billed_sls[m] = sls
            m = add_months(m, 1)

    def payment_date(self, m: dt.date, mode: str | None = None, day: int | None = None) -> tuple[dt.date, str]:
        mode = mode or self.mode
        day = day or self.payday
        if m == self.d.start_on.replace(day=1) and self.started_in_history():
            return self.d.start_on, "payment"  # the first quittance is paid when the lease is signed
        if mode == "dd1":
            return m, "direct_debit"
        if mode == "dd":
            return business_day_in_month(m, day), "direct_debit"
        if mode == "advance":
            when = business_day_in_month(add_months(m, -1), day)
            return max(when, self.d.start_on), "payment"
        if mode == "late" and m == self.c.month:
            when = business_day_in_month(m, max(day, 26))
            if when <= self.c.d25:
                when = next_business_day(self.c.d25 + DAY)
            return when, "payment"
        return business_day_in_month(m, day), "payment"

    def pay(self, when: dt.date, amount: int, kind: str = "payment", label: str | None = None) -> None:
        if amount <= 0:
            return
        if label is None:
            method = "direct_debit" if kind == "direct_debit" else self.d.payment_method
            if kind != "direct_debit" and method == "direct_debit":
                method = "transfer"
            label = _METHOD_LABEL[method]
        self.entry(when, kind, -amount, label)

    def pay_month(self, m: dt.date, frac: float = 1.0, *, mode: str | None = None, day: int | None = None,
                  extra: int = 0, sls: bool = True, when: dt.date | None = None) -> None:
        """Pay (a share of) month ``m``'s quittance, the way this tenant pays."""
        if m not in self.billed:
            return
        amount = round(self.billed[m] * frac) + (self.billed_sls.get(m, 0) if sls else 0) + extra
        date, kind = self.payment_date(m, mode, day)
        if when is not None:
            date = when
        tag = f"échéance {m.month:02d}/{m.year}"
        method = "direct_debit" if kind == "direct_debit" else self.d.payment_method
        if kind != "direct_debit" and method == "direct_debit":
            method = "transfer"
        self.pay(date, amount, kind, f"{_METHOD_LABEL[method]} {tag}")

    def regular(self, start: dt.date | None = None, end: dt.date | None = None, skip: tuple = (),
                frac: float = 1.0, sls: bool = True) -> None:
        """Pay every month in [start, end] the usual way (late payers on a different day each month)."""
        for m in self.months(start, end):
            if m in skip:
                continue
            day = self.r.randint(20, 28) if self.mode == "late" else None
            self.pay_month(m, frac, day=day, sls=sls)
        in_place = self.d.end_on is None or self.d.end_on > self.c.as_of
        if self.mode == "advance" and end is None and in_place and self.billed:
            # next month's quittance, paid in advance at the end of the demo month
            when = business_day_in_month(self.c.month, self.payday)
            if when <= self.c.as_of:
                nxt = add_months(self.c.month, 1)
                self.pay(when, self.d.monthly_due + (self.sls_cents if self.sls_from else 0), "payment",
                         f"Virement échéance {nxt.month:02d}/{nxt.year}")

    def opening(self, amount: int, label: str | None = None) -> None:
        """An opening balance carried from before the history (or from a former lease for late starts)."""
        when = max(self.c.history_start, self.d.start_on)
        if label is None:
            label = ("Reprise de solde au " + (self.c.history_start - DAY).strftime("%d/%m/%Y")
                     if self.d.start_on < self.c.history_start else "Dette de l'ancien logement (mutation)")
        self.entry(when, "adjustment", amount, label, when if amount > 0 else None)

    def ensure_balance(self, day: dt.date, minimum: int) -> None:
        short = minimum - self.d.balance(day)
        if short > 0:
            self.opening(short + self.r.randint(0, 200) * 100)

    def reject(self, m: dt.date, code: str, delay: int | None = None) -> int:
        """Reject the direct debit of month ``m``: a dd_rejects row and a ledger entry reversing it."""
        for posted, _due, kind, amount, _label in self.d.entries:
            if kind == "direct_debit" and posted.replace(day=1) == m:
                when = add_business_days(posted, delay or self.r.randint(2, 4))
                self.d.rejects.append((when, -amount, code))
                self.entry(when, "direct_debit_reject", -amount, f"Rejet de prélèvement {code}")
                return -amount
        return 0

    def act(self, when: dt.date, kind: str, outcome: str | None = None, comment: str | None = None,
            staff: str | None = None) -> None:
        if when <= self.c.as_of:
            self.d.actions.append((when, kind, outcome, comment, staff or self.d.officer_id))

    def plan(self, kind: str, agreed_on: dt.date, debt: int, status: str = "active",
             closed_on: dt.date | None = None, n: int = 0, first_due: dt.date | None = None,
             day: int = 10) -> PlanDraft:
        """A plan covering ``debt``, with ``n`` monthly instalments due on ``day`` from ``first_due``."""
        installments = []
        if n:
            each = math.ceil(debt / n / 100) * 100
            left = debt
            m = (first_due or add_months(agreed_on.replace(day=1), 1)).replace(day=1)
            while left > 0:
                amount = min(each, left)
                installments.append((m.replace(day=min(day, 28)), amount))
                left -= amount
                m = add_months(m, 1)
        plan = PlanDraft(kind, agreed_on, debt, status, closed_on, installments)
        self.d.plans.append(plan)
        return plan

    def installment(self, plan: PlanDraft, m: dt.date) -> int:
        return sum(a for due, a in plan.installments if due.replace(day=1) == m)

    def support(self, when: dt.date, domain: str, qualified_rate: float) -> None:
        if when <= self.c.as_of and self.d.counsellor_id:
            self.d.supports.append((when, domain, self.r.random() < 0.2, self.r.random() < qualified_rate))

    def day_in(self, m: dt.date, lo: int = 1, hi: int = 28) -> dt.date:
        return business_day_in_month(m, self.r.randint(lo, hi))


# --------------------------------------------------------------------------------------------------
# Archetypes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    name: str
    per_5000: int
    build: Callable[[Builder, int], None]
    departed: bool = False
    expect: tuple[tuple[int, str, bool], ...] = ()
    """(step, run-date attribute of DemoCalendar, member?) that every lease of the archetype satisfies."""


def _miss_months(b: Builder, start: dt.date, frac_choices=(0.0,)) -> None:
    """Pays regularly before ``start``; from ``start`` on pays nothing or a share of each month."""
    b.regular(end=add_months(start, -1))
    for m in b.months(start):
        frac = b.r.choice(frac_choices)
        if frac:
            b.pay_month(m, frac, sls=False)


def _months_needed(b: Builder, target: int, share_paid: float = 0.0) -> int:
    return max(1, math.ceil(target / max(1, b.d.monthly_due * (1 - share_paid))))


def a_normal(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    if b.mode == "after" and r.random() < 0.12:  # one short episode in the past, caught up next month
        months = b.months(end=c.m(-3))
        if len(months) > 3:
            miss = r.choice(months[1:-1])
            nxt = add_months(miss, 1)
            b.regular(skip=(miss, nxt))
            b.pay_month(nxt, extra=b.billed[miss] + b.billed_sls.get(miss, 0))
            if r.random() < 0.5:
                b.act(b.day_in(miss, 12, 25), "phone_call", "promise", "Promesse de régularisation")
            return
    b.regular()
    if b.mode in ("dd1", "dd") and r.random() < 0.05:  # an old reject, paid again by transfer
        months = b.months(end=c.m(-3))
        if len(months) > 2:
            m = r.choice(months[1:])
            amount = b.reject(m, r.choice(("AM04", "AM04", "MS03")))
            if amount:
                b.pay(add_business_days(m, r.randint(7, 12)), amount, "payment", "Virement régularisation rejet")


def a_small_balance(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    # Revision 5: step 1 wants a residual at least 15 days old above the tolerance on the 1st. A tenant
    # paying in advance has a credit until the quittance of the 1st falls due (arrears age 0), so these
    # tenants pay by direct debit on the 1st (the draw for the advance day is kept: same random stream).
    if i % 2 == 1:
        r.randint(24, 28)
    b.dd1()
    b.regular()
    amount = r.randint(1100, 1999) if i % 7 == 3 else r.randint(1500, 9500)  # a few just above the tolerance
    when = b.day_in(c.m(-r.randint(2, 4)), 5, 20)
    b.entry(when, "adjustment", amount, f"Régularisation des charges {c.month.year - 1}", when)
    if i % 3 == 1:
        b.act(add_months(when, 1), "letter", None, "Avis de régularisation de charges")


def a_small_balance_plan(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.dd1()
    b.regular()
    reg_month = c.m(-8)
    when = business_day_in_month(reg_month, 10)
    debt = r.randint(180, 440) * 100
    b.entry(when, "adjustment", debt, f"Régularisation des charges {c.month.year - 1}", when)
    plan = b.plan("amicable", business_day_in_month(reg_month, 20), debt, n=9, first_due=c.m(-7))
    b.act(plan.agreed_on, "plan_agreed", "reached", "Échéancier régularisation de charges")
    for due, amount in plan.installments:
        if due <= c.as_of:
            b.pay(business_day_in_month(due.replace(day=1), 6), amount, "payment", "Virement échéancier")


def a_small_balance_deceased(b: Builder, i: int) -> None:
    a_small_balance(b, 0)
    _decease(b, all_holders=True)


def a_cleared_in_august(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    variant = i % 4
    if variant == 2:  # direct debit rejected in August, paid by transfer on 2-4 September
        b.dd1()
        b.regular()
        amount = b.reject(c.m(-1), "AM04", 2)
        b.pay(business_day_in_month(c.month, r.randint(2, 4)), amount, "payment", "Virement régularisation rejet")
        return
    b.non_dd(r.randint(2, 8))
    if variant == 3:  # an active plan paid off in one go
        miss = (c.m(-5), c.m(-4))
        b.regular(end=c.m(-4), skip=miss)
        agreed = business_day_in_month(c.m(-4), 18)
        plan = b.plan("amicable", agreed, b.d.balance(agreed), n=6)
        b.act(agreed, "plan_agreed", "reached", "Plan d'apurement amiable signé")
        for m in b.months(c.m(-3), c.m(-1)):
            b.pay_month(m, extra=b.installment(plan, m) // 2)
    else:
        first_missed = c.m(-r.randint(1, 3))
        b.regular(end=add_months(first_missed, -1))
        b.act(b.day_in(c.m(-1), 5, 20), "phone_call", "promise", "Promesse de règlement début septembre")
    pay_on = business_day_in_month(c.month, r.randint(2, 4))
    owed = b.d.balance(pay_on)
    if variant == 1:  # an FSL grant covers the arrears, the tenant pays September
        b.act(b.day_in(c.m(-2), 5, 25), "fsl_request", None, "Demande FSL maintien")
        sept = b.billed[c.month]
        b.pay(pay_on, owed - sept, "payment", "Aide FSL maintien dans les lieux")
        b.pay(pay_on, sept, "payment", "Virement échéance 09")
    else:
        b.pay(pay_on, owed, "payment", "Virement solde de la dette")


def _debt_1500(b: Builder, i: int, minimum: int = 150_000) -> None:
    r, c = b.r, b.c
    b.non_dd()
    share = r.choice((0.0, 0.0, 0.2, 0.35))
    k = min(18, _months_needed(b, minimum + 15_000, share) + r.randint(0, 2))
    start = c.m(-k + 1)
    _miss_months(b, start, (share,))
    b.ensure_balance(c.d5, minimum + r.randint(50, 300) * 100)
    b.act(b.day_in(add_months(start, 1), 5, 15), "letter", None, "Relance amiable")
    if r.random() < 0.4:
        b.d.tenants[0]["phone_work"] = _phone(r, "work")


def a_debt_1500_convocation(b: Builder, i: int) -> None:
    _debt_1500(b, i)
    c = b.c
    b.act(c.d5 - dt.timedelta(days=b.r.randint(40, 60)), "phone_call", "no_answer", "Appel sans réponse")
    b.act(c.d5 - dt.timedelta(days=b.r.randint(16, 30)), "convocation", "no_show", "Convocation à l'agence")


def a_debt_1500_no_contact(b: Builder, i: int) -> None:
    _debt_1500(b, i)
    b.d.actions.clear()
    if i % 2:
        b.act(b.c.d5 - dt.timedelta(days=b.r.randint(35, 90)), "letter", None, "Relance amiable")


def _with_benefit(b: Builder) -> None:
    d = b.d
    if not d.benefit_cents:
        d.benefit_cents = min(d.rent_cents + d.charges_cents - 15_000, b.r.randint(150, 350) * 100)
        d.benefit_to_landlord = b.r.random() < 0.7
        d.income_cents = b.r.randint(850, 1400) * 100
    b.rebill()


def a_debt_1500_caf(b: Builder, i: int, reported: bool = False) -> None:
    _with_benefit(b)
    d = b.d
    base = d.monthly_due if d.benefit_to_landlord else d.rent_cents + d.charges_cents
    _debt_1500(b, i, max(150_000, 2 * base + 5_000))
    b.act(b.c.d5 - dt.timedelta(days=b.r.randint(5, 25)), "phone_call", "reached", "Point sur la dette")
    if reported:
        b.act(add_months(b.c.d5, -1) - dt.timedelta(days=b.r.randint(0, 20)), "caf_report", None,
              "Signalement impayé CAF (vaut saisine CCAPEX)")


def a_debt_1500_caf_reported(b: Builder, i: int) -> None:
    a_debt_1500_caf(b, i, reported=True)


def a_debt_1500_recent_contact(b: Builder, i: int) -> None:
    _debt_1500(b, i)
    b.act(b.c.d5 - dt.timedelta(days=b.r.randint(2, 20)), "phone_call", "promise", "Promesse de versement")


def a_non_payer(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    d.benefit_cents, d.benefit_to_landlord = 0, False
    d.income_cents = r.randint(45, 60) * d.monthly_due // 10
    b.rebill()
    b.non_dd()
    start = c.m(-r.randint(4, 7))
    _miss_months(b, start)
    b.act(b.day_in(add_months(start, 1), 3, 12), "letter", None, "Relance amiable")
    b.act(b.day_in(add_months(start, 1), 14, 25), "phone_call", "no_answer", "Appel sans réponse")
    b.act(b.day_in(add_months(start, 2), 5, 20), "phone_call", "no_answer", "Appel sans réponse")
    b.act(b.day_in(add_months(start, 3), 1, 10), "convocation", "no_show", "Convocation à l'agence")


def _litigation(b: Builder, i: int, notice: tuple[dt.date, dt.date] | None = None) -> dt.date:
    """Unpaid since the winter/spring, letters, calls, a convocation, a formal notice in [notice]."""
    r, c = b.r, b.c
    b.non_dd()
    start = c.m(-r.randint(5, 8))
    _miss_months(b, start, (0.0, 0.0, 0.1, 0.25))
    b.ensure_balance(c.prev_d25, 3 * b.d.monthly_due + 10_000)
    lo, hi = notice or (max(add_months(start, 2), c.m(-3)), c.prev_d25 - dt.timedelta(days=15))
    b.act(b.day_in(add_months(start, 1), 3, 10), "letter", None, "Relance amiable")
    b.act(b.day_in(add_months(start, 1), 12, 25), "phone_call", "no_answer", "Appel sans réponse")
    b.act(b.day_in(add_months(start, 2), 1, 10), "convocation", "no_show", "Convocation à l'agence")
    fn = lo + dt.timedelta(days=r.randint(0, (hi - lo).days))
    b.act(fn, "formal_notice", None, "Mise en demeure LRAR")
    return start


def a_litigation_ready(b: Builder, i: int) -> None:
    c, d = b.c, b.d
    variant = i % 6
    if variant == 4:
        _with_benefit(b)
        d.benefit_to_landlord = True
    if variant == 3:  # mandate rejected AC04 in May, still active
        b.dd1()
        start = c.m(-4)
        b.regular(end=start)
        b.reject(start, "AC04")
        b.ensure_balance(c.prev_d25, 3 * d.monthly_due + 10_000)
        b.act(b.day_in(add_months(start, 1), 3, 10), "letter", None, "Relance amiable")
        b.act(b.day_in(add_months(start, 1), 12, 25), "phone_call", "no_answer", "Appel sans réponse")
        b.act(b.day_in(c.m(-2), 1, 20), "formal_notice", None, "Mise en demeure LRAR")
        return
    start = _litigation(b, i)
    if variant == 1:  # a broken amicable plan
        agreed = business_day_in_month(add_months(start, 1), 15)
        closed = business_day_in_month(add_months(start, 3), 20)
        b.plan("amicable", agreed, d.balance(agreed), "broken", closed, n=8)
        b.act(agreed, "plan_agreed", "reached", "Plan d'apurement amiable")
    elif variant == 2:  # an active plan never honoured
        agreed = business_day_in_month(add_months(start, 1), 15)
        b.plan("amicable", agreed, d.balance(agreed), n=10)
        b.act(agreed, "plan_agreed", "reached", "Plan d'apurement amiable")
    elif variant == 5:
        b.act(b.day_in(add_months(start, 2), 12, 25), "social_referral", None, "Orientation vers la CESF")
        b.support(b.day_in(add_months(start, 3), 1, 25), "budget", 0.9)


def a_litigation_sep_only(b: Builder, i: int) -> None:
    c = b.c
    _litigation(b, i, (c.prev_d25 - dt.timedelta(days=14), c.d25 - dt.timedelta(days=15)))


def a_litigation_paid_down(b: Builder, i: int) -> None:
    c = b.c
    _litigation(b, i)
    when = add_business_days(c.prev_d25, 3)
    b.pay(when, b.d.balance(when), "payment", "Virement solde (aide familiale et FSL)")
    b.pay(business_day_in_month(c.month, 5), b.billed[c.month], "payment", "Virement échéance 09")


def a_litigation_protected(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    b.non_dd()
    start = c.m(-r.randint(6, 8))
    b.regular(end=add_months(start, -1))
    b.ensure_balance(c.m(-2), 3 * d.monthly_due + 10_000)
    b.act(b.day_in(add_months(start, 2), 1, 10), "formal_notice", None, "Mise en demeure LRAR")
    agreed = business_day_in_month(c.m(-2), 15)
    kind = "moratorium" if i % 2 else "overindebtedness"
    plan = b.plan(kind, agreed, d.balance(agreed), n=0 if kind == "moratorium" else 48,
                  first_due=c.m(2))
    b.act(agreed, "note", None, "Dossier de surendettement recevable")
    for m in b.months(c.m(-1)):
        b.pay_month(m, extra=b.installment(plan, m))


def a_litigation_alt_threshold(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    d.benefit_cents, d.benefit_to_landlord = 0, False
    d.rent_cents = max(d.rent_cents, r.randint(520, 700) * 100)
    d.charges_cents = max(d.charges_cents, 12_000)
    b.rebill()
    b.non_dd()
    start = c.m(-8)
    _miss_months(b, start, (0.75,))
    b.act(b.day_in(c.m(-6), 3, 20), "letter", None, "Relance amiable")
    b.act(b.day_in(c.m(-3), 1, 25), "formal_notice", None, "Mise en demeure LRAR")


def a_contentieux(b: Builder, i: int, departed: bool = False) -> None:
    r, c, d = b.r, b.c, b.d
    d.stage = "contentieux"
    b.non_dd()
    start = c.m(-r.randint(9, 14))
    _miss_months(b, start, (0.0, 0.4, 0.6))
    b.ensure_balance(c.m(-1), r.randint(1200, 4000) * 100)
    transfer = business_day_in_month(add_months(start, 6), r.randint(3, 12))
    b.act(add_months(transfer, -2), "formal_notice", None, "Mise en demeure LRAR")
    b.act(transfer, "transfer_litigation", None, "Transmis au service contentieux")
    b.act(add_months(transfer, 1), "note", None, "Commandement de payer signifié")
    if not departed and i % 3 == 0 and add_months(transfer, 3) < c.m(-1):
        agreed = business_day_in_month(add_months(transfer, 3), 12)
        plan = b.plan("court", agreed, d.balance(agreed), n=36)
        for m in b.months(add_months(agreed.replace(day=1), 1)):
            b.pay_month(m, extra=b.installment(plan, m))


def _new_entrant(b: Builder, i: int, fragile: bool) -> None:
    r, c, d = b.r, b.c, b.d
    earliest = add_months(c.d10, -12)
    latest = c.m(-2)
    d.start_on = earliest if i == 0 else earliest + dt.timedelta(days=r.randint(0, (latest - earliest).days))
    if fragile:
        d.income_cents = round((d.rent_cents + d.charges_cents - d.benefit_cents) / r.uniform(0.36, 0.6))
    elif d.income_cents:
        d.income_cents = max(d.income_cents, round((d.rent_cents + d.charges_cents - d.benefit_cents) / 0.3))
    b.non_dd()
    b.rebill()
    first = add_months(d.start_on.replace(day=1), 1)
    start = add_months(first, r.randint(0, max(0, (c.m(-1).year - first.year) * 12 + c.m(-1).month
                                                 - first.month)))
    _miss_months(b, start, (0.0, 0.5))
    if i % 2:
        b.act(b.day_in(add_months(start, 1), 1, 5) if add_months(start, 1) <= c.month else c.d5,
              "phone_call", "no_answer", "Appel de bienvenue sans réponse")
    if fragile and i % 3 == 0:
        b.support(b.day_in(c.m(-1), 1, 25), "access_to_rights", 0.9)


def a_new_entrant(b: Builder, i: int) -> None:
    _new_entrant(b, i, fragile=False)


def a_new_entrant_fragile(b: Builder, i: int) -> None:
    _new_entrant(b, i, fragile=True)


def a_repeat_debtor(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd(r.randint(2, 10))
    misses = [c.m(-r.randint(10, 12)), c.m(-r.randint(6, 8))]
    if i % 3 == 0:
        misses.append(c.m(-4))
    skip = set()
    for miss in misses:
        skip |= {miss, add_months(miss, 1)}
    b.regular(end=c.m(-2), skip=tuple(skip))
    for miss in misses:
        b.pay_month(add_months(miss, 1), extra=b.billed.get(miss, 0))
        b.act(b.day_in(miss, 10, 25), "phone_call", "promise", "Promesse de régularisation")
    if r.random() < 0.5:
        b.pay_month(c.month, 0.4)


def a_repeat_broken_plan(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    b.non_dd(r.randint(2, 8))
    missed = (c.m(-18), c.m(-17), c.m(-16))
    b.regular(skip=missed)
    agreed = business_day_in_month(c.m(-15), 15)
    plan = b.plan("amicable", agreed, d.balance(agreed), "broken", business_day_in_month(c.m(-10), 20), n=10)
    b.act(agreed, "plan_agreed", "reached", "Plan d'apurement amiable")
    for due, amount in plan.installments[:3]:
        b.pay(business_day_in_month(due.replace(day=1), 8), amount, "payment", "Virement échéancier")
    if d.balance(c.d20) >= 150_000:  # keep it a repeat debtor below step 3's threshold
        b.pay(business_day_in_month(c.m(-2), 12), d.balance(c.d20) - r.randint(300, 1200) * 100)


def _plan_case(b: Builder, i: int, kind: str, agreed_k: int, stop: dt.date | None, n: int,
               only_due_after_stop: bool = True, late_day: bool = False,
               nothing_from: dt.date | None = None) -> PlanDraft:
    """Debt from missed months before the agreement; then pays due + instalment each month until
    ``stop`` (exclusive) and only the due (or nothing) from ``stop`` on."""
    r, c, d = b.r, b.c, b.d
    b.non_dd(r.randint(11, 12) if late_day else r.randint(2, 7))
    agreed_m = c.m(-agreed_k)
    missed = tuple(add_months(agreed_m, -k) for k in range(1, r.randint(3, 5)))
    b.regular(end=agreed_m, skip=missed)
    b.ensure_balance(agreed_m, 40_000 if kind == "amicable" else 120_000)
    agreed = business_day_in_month(agreed_m, 15)
    debt = d.balance(agreed)
    plan = b.plan(kind, agreed, debt, n=min(n, max(1, debt // 5000)) if n else 0)  # instalments ≥ 50 €
    b.act(agreed, "plan_agreed", "reached", "Plan signé" if kind == "amicable" else "Plan de la commission")
    for m in b.months(add_months(agreed_m, 1)):
        if nothing_from is not None and m >= nothing_from:
            continue
        if stop is None or m < stop:
            b.pay_month(m, extra=b.installment(plan, m))
        elif only_due_after_stop:
            b.pay_month(m)
    return plan


def a_plan_respected(b: Builder, i: int) -> None:
    _plan_case(b, i, "amicable", b.r.randint(2, 6), None, b.r.randint(10, 24), late_day=i % 4 == 1)


def a_plan_breach_first(b: Builder, i: int) -> None:
    # August: only the due (respected on 15 Aug, the instalment of the 10th is still in its grace);
    # September: only the due, or nothing at all
    _plan_case(b, i, "amicable", b.r.randint(3, 6), b.c.m(-1), 12, nothing_from=b.c.month if i % 2 else None)


def a_plan_breach_second(b: Builder, i: int) -> None:
    _plan_case(b, i, "amicable", b.r.randint(4, 7), b.c.m(-2), 12)
    b.act(business_day_in_month(b.c.m(-1), 18), "letter", None, "Relance : échéancier non respecté")


def a_overindebtedness_respected(b: Builder, i: int) -> None:
    _plan_case(b, i, "overindebtedness", b.r.randint(9, 18), None, b.r.randint(24, 60))


def a_overindebtedness_breach(b: Builder, i: int) -> None:
    _plan_case(b, i, "overindebtedness", b.r.randint(9, 16), b.c.m(-b.r.randint(1, 3)), 48,
               only_due_after_stop=i % 2 == 0)


def a_moratorium_respected(b: Builder, i: int) -> None:
    _plan_case(b, i, "moratorium", b.r.randint(3, 8), None, 0)


def a_moratorium_breach(b: Builder, i: int) -> None:
    _plan_case(b, i, "moratorium", b.r.randint(4, 8), b.c.m(-1), 0, only_due_after_stop=False)


def _erased(b: Builder, agreed_m: dt.date, erased_m: dt.date) -> None:
    d = b.d
    agreed = business_day_in_month(agreed_m, 12)
    closed = business_day_in_month(erased_m, 16)
    debt = d.balance(agreed)
    b.plan("overindebtedness", agreed, debt, "erased", closed)
    b.act(agreed, "note", None, "Dossier de surendettement recevable")
    b.entry(closed, "write_off", -debt, "Effacement de dette (rétablissement personnel)")
    b.act(closed, "write_off", None, "Effacement de la dette (PRP)")


def a_erased_in_place(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd()
    agreed_m = c.m(-r.randint(12, 16))
    missed = tuple(add_months(agreed_m, -k) for k in range(4))
    b.regular(skip=missed)
    b.ensure_balance(agreed_m, 120_000)
    _erased(b, agreed_m, c.m(-r.randint(2, 7)))


def _decease(b: Builder, all_holders: bool) -> None:
    holders = [t for t in b.d.tenants if t["is_holder"]]
    if not all_holders and len(holders) < 2:
        b.d.tenants.insert(1, _tenant(b.r, b.d.lease_id, holders[0]["last_name"], True))
        holders = [t for t in b.d.tenants if t["is_holder"]]
    for t in holders if all_holders else holders[:1]:
        t["is_deceased"] = True


def _dd_reject(b: Builder, i: int, code: str, months: tuple[int, ...] = (0,), pays_after: bool = True) -> None:
    r, c = b.r, b.c
    if code == "AM04" and len(months) == 1 and i in (1, 2):  # debited on the 10th: rejected in August
        b.set_method("direct_debit", "dd", 10)
        months = (-1,)
    else:
        b.dd1()
    b.regular()
    amount = 0
    for k in months:
        amount = b.reject(c.m(k), code if len(months) == 1 else r.choice(("AM04", "AM04", "MS03", code)))
    if pays_after and i % 2 == 0 and amount:
        b.pay(business_day_in_month(c.month, r.randint(15, 22)), amount, "payment", "Virement suite rejet")


def a_dd_reject_md07(b: Builder, i: int) -> None:
    _decease(b, all_holders=i % 3 != 2)
    _dd_reject(b, i, "MD07", pays_after=False)


def _reject_builder(code: str, months: tuple[int, ...] = (0,), pays_after: bool = True):
    def build(b: Builder, i: int) -> None:
        _dd_reject(b, i, code, months, pays_after)
    return build


def a_late_payer(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.set_method(r.choice(("transfer", "transfer", "cheque", "cash")), "late", 26)
    b.regular(end=c.m(-1))
    if i % 3 == 2:  # part of September paid before the 25th
        b.pay_month(c.month, 0.4, when=business_day_in_month(c.month, 15))
        b.pay_month(c.month, 0.6, when=next_business_day(c.d25 + DAY))
    else:
        b.pay_month(c.month, day=r.randint(26, 29))


def a_sls_sanction(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    d.benefit_cents, d.benefit_to_landlord = 0, False
    d.income_cents = r.randint(3200, 4800) * 100
    d.sls_status = "sanction"
    b.sls_cents = r.randint(150, 400) * 100
    b.sls_from = c.m(-r.randint(2, 5))
    b.rebill()
    if i % 2:
        b.dd1()
    else:
        b.non_dd()
    b.regular(sls=False)
    b.act(b.sls_from + dt.timedelta(days=20), "letter", None, "Relance enquête SLS")


def a_no_action(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    if i % 3 == 0:
        b.dd1()
    else:
        b.non_dd(r.randint(2, 9))
    first = c.m(-r.randint(4, 8))
    missed = tuple(add_months(first, k) for k in range(r.randint(2, 3)))
    if b.mode == "dd1":
        b.regular()
        for m in missed:
            b.reject(m, "AM04")
    else:
        b.regular(skip=missed)
    if i % 2:
        b.act(b.day_in(add_months(missed[-1], 1), 1, 20), "letter", None, "Relance amiable")


def a_first_arrears(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd(r.randint(2, 9))
    b.d.start_on = min(b.d.start_on, c.m(-30))
    b.rebill()
    b.regular(end=c.m(-2))
    if i % 2:
        b.act(c.d25 - dt.timedelta(days=r.randint(5, 20)), "phone_call", "reached", "Perte d'emploi, promesse")


def a_deceased_all(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    _decease(b, all_holders=True)
    b.non_dd()
    _miss_months(b, c.m(-r.randint(2, 5)))
    b.act(b.day_in(c.m(-1), 1, 20), "note", None, "Décès du titulaire signalé par la famille")


def a_deceased_one_of_two(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    _decease(b, all_holders=False)
    b.non_dd()
    _miss_months(b, c.m(-r.randint(2, 6)), (0.5,))


def a_in_place_credit(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    if i % 3 == 0:
        b.dd1()
    else:
        b.non_dd()
    b.regular()
    due = d.monthly_due
    when = business_day_in_month(c.m(-1), r.randint(10, 22))
    extra = round(due * (r.uniform(1.3, 3.0) if b.mode == "dd1" else r.uniform(2.2, 3.5)))
    if i % 3 == 1 and d.benefit_cents and d.benefit_to_landlord:
        b.entry(when, "benefit", -extra, "Rappel APL (régularisation CAF)")
    elif i % 3 == 2:
        b.entry(when, "adjustment", -extra, f"Régularisation des charges {c.month.year - 1} (trop-perçu)")
    else:
        b.pay(when, extra, "payment", "Virement en double")


def _departure(b: Builder, end_from: dt.date, end_to: dt.date) -> None:
    r, d = b.r, b.d
    d.end_on = end_from + dt.timedelta(days=r.randint(0, max(0, (end_to - end_from).days)))
    d.start_on = min(d.start_on, add_months(d.end_on, -r.randint(14, 120)))
    d.mandate_active = False
    b.rebill()


def _forwarding(b: Builder, where: str) -> None:
    r = b.r
    street = _street(r)
    if where == "rhone":
        postcode, city = r.choice(W.FORWARDING_RHONE)
        b.d.forwarding = (street, None, postcode, city, None)
    elif where == "outside":
        postcode, city = r.choice(W.FORWARDING_OTHER)
        b.d.forwarding = (street, _line2(r) if r.random() < 0.3 else None, postcode, city,
                          "France" if r.random() < 0.2 else None)
    elif where == "abroad":
        country, postcode, city, line = r.choice(W.FORWARDING_ABROAD)
        b.d.forwarding = (line, None, postcode, city, country)
    else:
        b.d.forwarding = (None,) * 5


def _exit_settlement(b: Builder, leave_debt: bool) -> None:
    """Unpaid last months, repairs and the deposit kept against the debt."""
    r, d = b.r, b.d
    end = d.end_on
    months = b.months()
    unpaid = tuple(months[-r.randint(1, 3):]) if leave_debt and months else ()
    b.regular(skip=unpaid)
    if end >= b.c.history_start:
        settle = end + dt.timedelta(days=r.randint(20, 45))
        if leave_debt or r.random() < 0.5:
            b.entry(settle, "fee", r.randint(80, 900) * 100, "Réparations locatives (état des lieux de sortie)",
                    settle)
        b.entry(settle, "adjustment", -d.rent_cents, "Imputation du dépôt de garantie")


def _departed_debt(b: Builder, i: int, where: str) -> None:
    r, c = b.r, b.c
    b.non_dd()
    _departure(b, c.m(-14), c.m(-1) - DAY)
    _forwarding(b, where)
    _exit_settlement(b, True)
    b.ensure_balance(c.as_of, 30_000)
    if i % 3 == 1:
        b.pay(b.day_in(c.m(-1), 1, 25), r.randint(30, 150) * 100, "payment", "Virement suite relance")


def _departed_builder(where: str):
    def build(b: Builder, i: int) -> None:
        _departed_debt(b, i, where if not (where == "outside" and i == 0) else "outside974")
        if where == "outside" and i == 0:
            b.d.forwarding = (_street(b.r), None, "97400", "Saint-Denis", None)
    return build


def _departed_old(b: Builder, i: int, amount: int, where: str) -> None:
    c = b.c
    b.non_dd()
    _departure(b, dt.date(c.month.year - 4, 1, 1), add_months(c.d1, -13))
    _forwarding(b, where)
    if b.d.end_on < c.history_start:
        b.opening(amount, "Reprise de solde au " + (c.history_start - DAY).strftime("%d/%m/%Y"))
    else:
        _exit_settlement(b, True)
        short = amount - b.d.balance(c.as_of)
        b.entry(b.d.end_on + dt.timedelta(days=40), "fee" if short > 0 else "adjustment", short,
                "Réparations locatives (état des lieux de sortie)" if short > 0 else "Remise gracieuse",
                b.d.end_on + dt.timedelta(days=40) if short > 0 else None)


def a_departed_writeoff_small(b: Builder, i: int) -> None:
    _departed_old(b, i, b.r.randint(25, 299) * 100 - b.r.randint(0, 99), "rhone" if i % 2 else "outside")


def a_departed_writeoff_no_address(b: Builder, i: int) -> None:
    _departed_old(b, i, b.r.randint(300, 2500) * 100, "none")


def a_departed_written_off(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    _departed_old(b, i, r.randint(150, 1500) * 100, "none" if i % 2 else "rhone")
    when = business_day_in_month(c.m(-r.randint(2, 8)), 15)
    b.entry(when, "write_off", -b.d.balance(when), "Admission en non-valeur")
    b.act(when, "write_off", None, "Passage en pertes validé")


def a_departed_erased(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd()
    _departure(b, c.m(-16), add_months(c.d1, -13))
    _forwarding(b, "rhone" if i % 2 == 0 else "outside")
    months = b.months()
    agreed_m = months[max(0, len(months) - 7)]
    missed = tuple(add_months(agreed_m, -k) for k in range(3))
    last_two = tuple(months[-2:])
    b.regular(skip=missed + last_two)
    b.ensure_balance(agreed_m, 100_000)
    _erased(b, agreed_m, add_months(agreed_m, 3))
    short = 30_000 + r.randint(0, 600) * 100 - b.d.balance(c.as_of)
    if short > 0:
        settle = b.d.end_on + dt.timedelta(days=30)
        b.entry(settle, "fee", short, "Réparations locatives (état des lieux de sortie)", settle)


def a_departed_contentieux(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd()
    _departure(b, c.m(-15), c.m(-3))
    _forwarding(b, "rhone")
    b.d.stage = "contentieux"
    _exit_settlement(b, True)
    b.ensure_balance(c.as_of, r.randint(1500, 5000) * 100)
    b.act(business_day_in_month(add_months(b.d.end_on.replace(day=1), -3), 10), "transfer_litigation",
          None, "Transmis au service contentieux")


def a_departed_credit(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd()
    _departure(b, c.m(-20), c.m(-2) - DAY)
    _forwarding(b, "rhone" if i % 3 else "outside")
    b.regular()
    settle = b.d.end_on + dt.timedelta(days=r.randint(20, 45))
    b.entry(settle, "fee", r.randint(0, 200) * 100, "Réparations locatives (état des lieux de sortie)", settle)
    b.entry(settle, "adjustment", -b.d.rent_cents, "Dépôt de garantie à restituer")


def a_departed_credit_old(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    b.non_dd()
    _departure(b, dt.date(c.month.year - 9, 1, 1), add_months(c.d1, -37))
    _forwarding(b, "none" if i % 2 else "rhone")
    b.opening(-r.randint(15, 450) * 100, "Reprise de solde créditeur au "
              + (c.history_start - DAY).strftime("%d/%m/%Y"))


def a_departed_settled(b: Builder, i: int) -> None:
    r, c = b.r, b.c
    _departure(b, dt.date(c.month.year - 5, 1, 1), c.m(-1) - DAY)
    _forwarding(b, r.choice(("rhone", "rhone", "outside", "none")))
    b.regular()
    if b.d.end_on >= c.history_start:
        settle = b.d.end_on + dt.timedelta(days=r.randint(20, 45))
        if settle + dt.timedelta(days=7) <= c.as_of:
            b.entry(settle, "adjustment", -b.d.rent_cents, "Dépôt de garantie à restituer")
            b.entry(settle + dt.timedelta(days=7), "refund", b.d.rent_cents, "Remboursement du dépôt de garantie",
                    settle + dt.timedelta(days=7))


def a_recovered_plan(b: Builder, i: int) -> None:
    r, c, d = b.r, b.c, b.d
    b.non_dd(r.randint(2, 8))
    missed = (c.m(-18), c.m(-17))
    agreed_m = c.m(-16)
    b.regular(end=agreed_m, skip=missed)
    agreed = business_day_in_month(agreed_m, 15)
    plan = b.plan("amicable", agreed, d.balance(agreed), "completed", n=8)
    plan.closed_on = plan.installments[-1][0] + dt.timedelta(days=5)
    b.act(agreed, "plan_agreed", "reached", "Plan d'apurement amiable")
    for m in b.months(add_months(agreed_m, 1)):
        b.pay_month(m, extra=b.installment(plan, m))


def a_future_lease(b: Builder, i: int) -> None:
    b.d.start_on = b.c.as_of + DAY
    b.d.entries.clear()
    b.billed.clear()
    b.dd1()


def _step(step: int, attr: str, member: bool = True) -> tuple[int, str, bool]:
    return (step, attr, member)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("small_balance", 120, a_small_balance, expect=(_step(1, "d1"),)),
    Archetype("small_balance_plan", 8, a_small_balance_plan, expect=(_step(1, "d1", False),)),
    Archetype("small_balance_deceased", 3, a_small_balance_deceased, expect=(_step(1, "d1"),)),
    Archetype("cleared_in_august", 40, a_cleared_in_august, expect=(_step(2, "d5"),)),
    Archetype("debt_1500_convocation", 25, a_debt_1500_convocation, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_no_contact", 25, a_debt_1500_no_contact, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_caf", 20, a_debt_1500_caf, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_caf_reported", 10, a_debt_1500_caf_reported, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_recent_contact", 20, a_debt_1500_recent_contact, expect=(_step(3, "d5"),)),
    Archetype("non_payer", 15, a_non_payer, expect=(_step(5, "d25"),)),
    Archetype("litigation_ready", 30, a_litigation_ready,
              expect=(_step(11, "prev_d25"), _step(11, "d25"), _step(6, "d1"))),
    Archetype("litigation_sep_only", 12, a_litigation_sep_only,
              expect=(_step(11, "prev_d25", False), _step(11, "d25"))),
    Archetype("litigation_paid_down", 10, a_litigation_paid_down,
              expect=(_step(11, "prev_d25"), _step(6, "d1", False))),
    Archetype("litigation_protected", 10, a_litigation_protected,
              expect=(_step(11, "prev_d25", False), _step(11, "d25", False))),
    Archetype("litigation_alt_threshold", 10, a_litigation_alt_threshold,
              expect=(_step(11, "prev_d25"), _step(11, "d25"))),
    Archetype("contentieux", 60, a_contentieux,
              expect=tuple(_step(s, a, False) for s, a in ((1, "d1"), (3, "d5"), (5, "d25"), (11, "d25")))),
    Archetype("new_entrant", 25, a_new_entrant, expect=(_step(7, "d10"),)),
    Archetype("new_entrant_fragile", 20, a_new_entrant_fragile, expect=(_step(7, "d10"),)),
    Archetype("repeat_debtor", 40, a_repeat_debtor, expect=(_step(8, "d20"),)),
    Archetype("repeat_broken_plan", 20, a_repeat_broken_plan, expect=(_step(8, "d20"),)),
    Archetype("plan_respected", 50, a_plan_respected, expect=(_step(4, "d15", False),)),
    Archetype("plan_breach_first", 15, a_plan_breach_first, expect=(_step(4, "d15"),)),
    Archetype("plan_breach_second", 15, a_plan_breach_second, expect=(_step(4, "d15"),)),
    Archetype("overindebtedness_respected", 20, a_overindebtedness_respected, expect=(_step(4, "d15", False),)),
    Archetype("overindebtedness_breach", 10, a_overindebtedness_breach, expect=(_step(4, "d15"),)),
    Archetype("moratorium_respected", 10, a_moratorium_respected, expect=(_step(4, "d15", False),)),
    Archetype("moratorium_breach", 10, a_moratorium_breach, expect=(_step(4, "d15"),)),
    Archetype("erased_in_place", 10, a_erased_in_place),
    Archetype("dd_reject_md07", 10, a_dd_reject_md07, expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ac04", 12, _reject_builder("AC04"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ac01", 10, _reject_builder("AC01"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_md01", 10, _reject_builder("MD01"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_am04", 20, _reject_builder("AM04"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ms02", 10, _reject_builder("MS02", pays_after=False), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_3_months", 12, _reject_builder("AM04", (-2, -1, 0)), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_2_months", 12, _reject_builder("AM04", (-1, 0)), expect=(_step(10, "d10"),)),
    Archetype("late_payer", 100, a_late_payer, expect=(_step(9, "d25"),)),
    Archetype("sls_sanction", 20, a_sls_sanction, expect=(_step(12, "d15"),)),
    Archetype("no_action", 60, a_no_action, expect=(_step(5, "d25"),)),
    Archetype("first_arrears", 50, a_first_arrears),
    Archetype("deceased_all", 10, a_deceased_all),
    Archetype("deceased_one_of_two", 10, a_deceased_one_of_two),
    Archetype("in_place_credit", 40, a_in_place_credit, expect=(_step(13, "d1"),)),
    Archetype("departed_debt_rhone", 60, _departed_builder("rhone"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_outside", 30, _departed_builder("outside"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_abroad", 5, _departed_builder("abroad"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_no_address", 30, _departed_builder("none"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_writeoff_small", 30, a_departed_writeoff_small, True,
              expect=(_step(14, "d1"), _step(15, "d1"))),
    Archetype("departed_writeoff_no_address", 20, a_departed_writeoff_no_address, True,
              expect=(_step(14, "d1"), _step(15, "d1"))),
    Archetype("departed_erased", 5, a_departed_erased, True, expect=(_step(14, "d1"), _step(15, "d1", False))),
    Archetype("departed_written_off", 15, a_departed_written_off, True,
              expect=(_step(14, "d1", False), _step(15, "d1", False))),
    Archetype("departed_contentieux", 10, a_departed_contentieux, True,
              expect=(_step(15, "d1", False),)),
    Archetype("departed_credit", 50, a_departed_credit, True, expect=(_step(13, "d1"),)),
    Archetype("departed_credit_old", 20, a_departed_credit_old, True, expect=(_step(13, "d1"),)),
    Archetype("departed_settled", 150, a_departed_settled, True),
    Archetype("recovered_plan", 40, a_recovered_plan),
    Archetype("future_lease", 3, a_future_lease),
)
NORMAL = Archetype("normal", 0, a_normal)
BY_NAME = {a.name: a for a in (*ARCHETYPES, NORMAL)}


def archetype_counts(leases: int) -> dict[str, int]:
    """How many leases of each archetype a portfolio of ``leases`` holds (the rest are ``normal``)."""
    counts = {a.name: max(1, round(a.per_5000 * leases / 5000)) for a in ARCHETYPES}
    while sum(counts.values()) > leases:  # tiny portfolios: trim the largest first
        largest = max(counts, key=lambda k: (counts[k], k))
        if counts[largest] == 0:
            break
        counts[largest] -= 1
    counts["normal"] = leases - sum(counts.values())
    return counts


# --------------------------------------------------------------------------------------------------
# People, addresses, amounts
# --------------------------------------------------------------------------------------------------


def _digits(r: random.Random, n: int) -> str:
    return " ".join(f"{r.randint(0, 99):02d}" for _ in range(n))


def _phone(r: random.Random, kind: str) -> str:
    if kind == "mobile":
        return f"06 39 98 {_digits(r, 2)}" if r.random() < 0.7 else f"07 {_digits(r, 4)}"
    return f"04 65 71 {_digits(r, 2)}"


def _street(r: random.Random) -> str:
    kinds = [k for k, _ in W.STREET_TYPES_WEIGHTED]
    weights = [w for _, w in W.STREET_TYPES_WEIGHTED]
    number = r.randint(1, 180)
    suffix = " bis" if r.random() < 0.04 else (" ter" if r.random() < 0.01 else "")
    return f"{number}{suffix} {r.choices(kinds, weights)[0]} {r.choice(W.STREET_NAMES)}"


def _line2(r: random.Random) -> str:
    flat = f"Appartement {r.randint(1, 12)}{r.randint(0, 2)}{r.randint(1, 9)}"
    parts = [flat]
    if r.random() < 0.5:
        parts.append(f"escalier {r.randint(1, 6)}")
    if r.random() < 0.4:
        floor = r.randint(1, 14)
        parts.append("1er étage" if floor == 1 else f"{floor}e étage")
    return ", ".join(parts)


def _line3(r: random.Random) -> str | None:
    residence = r.choice(W.RESIDENCES)
    roll = r.random()
    if roll < 0.35:
        return f"Bâtiment {r.choice(W.BUILDINGS)} - {residence}"
    if roll < 0.7:
        return residence
    return f"Bâtiment {r.choice(W.BUILDINGS)}"


def _email(r: random.Random, first: str, last: str) -> str:
    import unicodedata

    def ascii_(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    return f"{ascii_(first)}.{ascii_(last)}{r.randint(1, 99)}@{r.choice(W.EMAIL_DOMAINS)}"


def _tenant(r: random.Random, lease_id: str, last_name: str | None, is_holder: bool,
            sex: str | None = None) -> dict[str, Any]:
    sex = sex or r.choice("FM")
    first = r.choice(W.FIRST_NAMES_F if sex == "F" else W.FIRST_NAMES_M)
    last = last_name or r.choice(W.LAST_NAMES)
    return {
        "lease_id": lease_id, "is_holder": is_holder, "civility": W.CIVILITY[sex], "first_name": first,
        "last_name": last, "phone_mobile": _phone(r, "mobile") if r.random() < 0.9 else None,
        "phone_home": _phone(r, "home") if r.random() < 0.2 else None,
        "phone_work": _phone(r, "work") if is_holder and r.random() < 0.15 else None,
        "email": _email(r, first, last) if r.random() < 0.55 else None, "is_deceased": False,
    }


def _household(r: random.Random, lease_id: str) -> list[dict[str, Any]]:
    first = _tenant(r, lease_id, None, True)
    people = [first]
    if r.random() < 0.4:  # a couple; most share a name
        sex = "M" if first["civility"] == "Mme" else "F"
        people.append(_tenant(r, lease_id, first["last_name"] if r.random() < 0.7 else None, True, sex))
    if r.random() < 0.12:  # an adult child living there, not a signatory
        people.append(_tenant(r, lease_id, first["last_name"], False))
    return people


_ANY_START = ("normal", "new_entrant", "new_entrant_fragile", "future_lease")


def _base_lease(r: random.Random, cal: DemoCalendar, lease_id: str, agency: tuple, archetype: str,
                staff: dict[str, dict[str, list[str]]]) -> tuple[LeaseDraft, Builder]:
    agency_id = agency[0]
    postcode, city = r.choice(agency[7])
    rooms = r.choices((1, 2, 3, 4, 5), (12, 25, 33, 22, 8))[0]
    rent = r.randint(*((300, 420), (360, 520), (430, 650), (500, 760), (580, 800))[rooms - 1]) * 100
    charges = r.randint(50 + 20 * (rooms - 1), 110 + 22 * (rooms - 1)) * 100
    years_back = min(30.0, r.expovariate(1 / 7))
    start = cal.month + dt.timedelta(days=14) - dt.timedelta(days=int(years_back * 365.25))
    if archetype not in _ANY_START and start > cal.m(-20):  # archetypes need a history behind them
        start = cal.m(-20) - dt.timedelta(days=r.randint(0, 4000))
    start = start.replace(day=1) if r.random() < 0.6 else start
    income = round(r.triangular(700, 3400, 1100)) * 100
    p_benefit = 0.9 if income < 140_000 else (0.5 if income < 200_000 else (0.2 if income < 260_000 else 0.03))
    benefit, to_landlord = 0, False
    if r.random() < p_benefit:
        benefit = min(r.randint(120, 420) * 100, rent + charges - 12_000)
        to_landlord = r.random() < 0.85
    officers = staff[agency_id]["recovery_officer"]
    counsellors = staff[agency_id]["social_counsellor"]
    d = LeaseDraft(
        lease_id=lease_id, archetype=archetype, agency_id=agency_id, officer_id=r.choice(officers),
        counsellor_id=r.choice(counsellors), start_on=start, address_line1=_street(r),
        address_line2=_line2(r) if r.random() < 0.75 else None,
        address_line3=_line3(r) if r.random() < 0.7 else None, postcode=postcode, city=city,
        rent_cents=rent, charges_cents=charges, benefit_cents=benefit, benefit_to_landlord=to_landlord,
        income_cents=None if r.random() < 0.05 else income,
    )
    d.tenants = _household(r, lease_id)
    b = Builder(d, cal, r, officers)
    method = r.choices(("direct_debit", "transfer", "cheque", "cash", "card", "other"), (50, 30, 6, 3, 9, 2))[0]
    if method == "direct_debit":
        if r.random() < 0.85:
            b.set_method(method, "dd1", 1)
        else:
            b.set_method(method, "dd", r.choice((5, 10)))
    elif method == "transfer" and r.random() < 0.55:
        b.set_method(method, "advance", r.randint(24, 28))
    elif method == "card":
        b.set_method(method, "after", r.randint(1, 6))
    else:
        b.set_method(method, "after", r.randint(2, 12))
    if archetype == "normal" and benefit == 0 and income > 230_000 and r.random() < 0.3:
        d.sls_status = "answered"
        b.sls_cents = r.randint(10, 90) * 100
        b.sls_from = cal.history_start
    b.bill_all()
    return d, b


# --------------------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------------------


@dataclass
class Portfolio:
    calendar: DemoCalendar
    agencies: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    counts: dict[str, int]
    leases: Iterator[LeaseDraft]


def _staff_for(r: random.Random, agency_leases: dict[str, int]) -> tuple[list[dict[str, Any]], dict]:
    rows: list[dict[str, Any]] = []
    by_agency: dict[str, dict[str, list[str]]] = {}
    used: set[tuple[str, str]] = set()

    def person(agency_id: str, role: str, code: str, n: int) -> str:
        while True:
            sex = r.choice("FM")
            first = r.choice(W.FIRST_NAMES_F if sex == "F" else W.FIRST_NAMES_M)
            last = r.choice(W.LAST_NAMES[:110])
            if (first, last) not in used:
                used.add((first, last))
                break
        staff_id = f"{agency_id}-{code}{n}"
        rows.append({"staff_id": staff_id, "agency_id": agency_id, "role": role, "first_name": first,
                     "last_name": last, "phone": f"04 65 71 {r.randint(20, 99)} {r.randint(0, 99):02d}",
                     "email": _email(random.Random(staff_id), first, last).split("@")[0] + "@bailleur-demo.example"})
        by_agency.setdefault(agency_id, {}).setdefault(role, []).append(staff_id)
        return staff_id

    for agency in W.AGENCIES:
        agency_id = agency[0]
        n = agency_leases.get(agency_id, 0)
        for role, code, per in (("manager", "DIR", 10**9), ("recovery_officer", "CR", 700),
                                ("customer_officer", "CC", 2000), ("social_counsellor", "CESF", 1500)):
            for k in range(1, max(1, round(n / per)) + 1):
                person(agency_id, role, code, k)
    total = sum(agency_leases.values())
    for k in range(1, max(1, round(total / 12000)) + 2):
        person("AG01", "litigation_officer", "CTX", k)
    return rows, by_agency


def generate(leases: int = 5000, seed: int = 2025, as_of: dt.date = DEFAULT_AS_OF) -> Portfolio:
    """The demo portfolio as drafts (leases are produced lazily, one at a time)."""
    if leases < 1:
        raise ValueError("leases must be at least 1")
    cal = DemoCalendar.for_as_of(as_of)
    master = random.Random(f"arrears-demo:{seed}")
    counts = archetype_counts(leases)
    names = [name for name, n in counts.items() for _ in range(n)]
    master.shuffle(names)
    weights = [a[6] for a in W.AGENCIES]
    agency_of = master.choices(range(len(W.AGENCIES)), weights, k=leases)
    for k in range(min(leases, len(W.AGENCIES))):  # every agency has leases, even in tiny portfolios
        agency_of[k] = k
    per_agency = Counter(W.AGENCIES[k][0] for k in agency_of)
    staff_rows, staff = _staff_for(random.Random(f"arrears-demo-staff:{seed}"), per_agency)
    litigation = staff["AG01"]["litigation_officer"]
    agencies = [{"agency_id": a[0], "name": a[1], "address_line1": a[2], "address_line2": None,
                 "postcode": a[3], "city": a[4], "phone": a[5],
                 "email": f"agence.{a[0].lower()}@bailleur-demo.example"} for a in W.AGENCIES]

    def drafts() -> Iterator[LeaseDraft]:
        seen: Counter = Counter()
        for index, name in enumerate(names):
            r = random.Random(f"arrears-demo:{seed}:{index}")
            lease_id = f"L-{index + 1:06d}"
            draft, builder = _base_lease(r, cal, lease_id, W.AGENCIES[agency_of[index]], name, staff)
            archetype = BY_NAME[name]
            archetype.build(builder, seen[name])
            seen[name] += 1
            if draft.stage == "contentieux":
                draft.officer_id = r.choice(litigation)
            _add_supports(builder, name)
            _finish(draft, cal)
            yield draft

    return Portfolio(cal, agencies, staff_rows, counts, drafts())


_SUPPORT_DEBT = ("budget", "budget", "access_to_rights", "housing_pathway", "health")
_SUPPORT_OTHER = ("neighbourhood", "health", "ageing", "ageing", "access_to_rights", "other", "housing_pathway")


def _add_supports(b: Builder, name: str) -> None:
    r, c = b.r, b.c
    if name in ("non_payer", "future_lease") or name.startswith("departed"):
        return
    rate = W.QUALIFIED_RATE[b.d.agency_id]
    in_debt = b.d.balance(c.as_of) > 0
    p = 0.3 if in_debt else 0.04
    if name.startswith("deceased"):
        p = 0.5
    if r.random() < p and not b.d.supports:
        domains = _SUPPORT_DEBT if in_debt else _SUPPORT_OTHER
        when = b.day_in(c.m(-r.randint(0, 14)), 1, 28)
        b.support(min(when, c.as_of), r.choice(domains), rate)
        if r.random() < 0.3:
            b.support(min(add_months(when, 2), c.as_of), r.choice(domains), rate)


def _finish(d: LeaseDraft, cal: DemoCalendar) -> None:
    """Keep what happened by ``as_of``; order rows by date; number the plans."""
    kept = []
    for entry in d.entries:
        posted, due, _kind, amount, _label = entry
        if posted <= cal.as_of and (amount < 0 or (due or posted) <= cal.as_of):
            kept.append(entry)
    order = {"rent": 0, "charges": 1, "sls": 2, "benefit": 3}
    kept.sort(key=lambda e: (e[0], order.get(e[2], 9)))
    d.entries = kept
    d.plans = [p for p in d.plans if p.agreed_on <= cal.as_of]
    for k, plan in enumerate(d.plans, 1):
        plan.plan_id = f"PA-{d.lease_id[2:]}-{k}"
    d.rejects = sorted(r for r in d.rejects if r[0] <= cal.as_of)
    d.actions = sorted((a for a in d.actions if a[0] <= cal.as_of), key=lambda a: (a[0], a[1]))
    d.supports = sorted(s for s in d.supports if s[0] <= cal.as_of)


# --------------------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------------------

PLAIN = {"delimiter": ",", "lineterminator": "\n", "encoding": "utf-8"}
FRENCH = {"delimiter": ";", "lineterminator": "\r\n", "encoding": "cp1252"}

HEADERS: dict[str, tuple[str, ...]] = {
    "agencies": ("agency_id", "name", "address_line1", "address_line2", "postcode", "city", "phone", "email"),
    "staff": ("staff_id", "agency_id", "role", "first_name", "last_name", "phone", "email"),
    "leases": ("lease_id", "agency_id", "officer_id", "counsellor_id", "start_on", "end_on", "stage",
               "address_line1", "address_line2", "address_line3", "postcode", "city", "rent_cents",
               "charges_cents", "benefit_cents", "benefit_to_landlord", "payment_method", "mandate_active",
               "income_cents", "sls_status", "forwarding_address_line1", "forwarding_address_line2",
               "forwarding_postcode", "forwarding_city", "forwarding_country"),
    "tenants": ("tenant_id", "lease_id", "is_holder", "civility", "first_name", "last_name", "phone_mobile",
                "phone_home", "phone_work", "email", "is_deceased"),
    "ledger": ("entry_id", "lease_id", "posted_on", "due_on", "kind", "amount_cents", "label"),
    "plans": ("plan_id", "lease_id", "kind", "agreed_on", "debt_eur", "status", "closed_on"),
    "plan_installments": ("plan_id", "due_on", "amount_cents"),
    "dd_rejects": ("reject_id", "lease_id", "rejected_on", "amount_cents", "reason_code"),
    "actions": ("action_id", "lease_id", "done_on", "kind", "outcome", "staff_id", "comment"),
    "social_supports": ("support_id", "lease_id", "counsellor_id", "supported_on", "domain", "is_reinforced",
                        "is_qualified"),
}
FRENCH_FILES = ("tenants", "plans")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _french(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def euros_fr(cents: int) -> str:
    """``123456`` → ``1 234,56`` (no-break space between thousands, decimal comma)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}".replace(",", "\u00a0") + f",{rest:02d}"


class _Files:
    """The ten CSV files, written to temp names in ``out`` and renamed into place together at the end."""

    def __init__(self, out: Path):
        self.out = out
        self.handles: dict[str, tuple[Any, Any, str]] = {}
        self.rows: Counter = Counter()
        for name, header in HEADERS.items():
            style = FRENCH if name in FRENCH_FILES else PLAIN
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.csv.", suffix=".tmp")
            os.chmod(tmp, 0o600)
            fh = open(fd, "w", encoding=style["encoding"], newline="")  # noqa: SIM115 - closed in commit()
            writer = csv.writer(fh, delimiter=style["delimiter"], lineterminator=style["lineterminator"])
            writer.writerow(header)
            self.handles[name] = (fh, writer, tmp)

    def write(self, name: str, values: tuple) -> None:
        fmt = _french if name in FRENCH_FILES else _plain
        self.handles[name][1].writerow([fmt(v) for v in values])
        self.rows[name] += 1

    def commit(self) -> None:
        for name, (fh, _writer, tmp) in self.handles.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, self.out / f"{name}.csv")

    def abort(self) -> None:
        for fh, _writer, tmp in self.handles.values():
            fh.close()
            Path(tmp).unlink(missing_ok=True)


def write_portfolio(out: Path, portfolio: Portfolio, on_lease: Callable[[LeaseDraft], None] | None = None
                    ) -> dict[str, int]:
    from arrears.core.files import ensure_dir

    out = ensure_dir(Path(out))  # new folders owner-only, parents included
    files = _Files(out)
    try:
        for a in portfolio.agencies:
            files.write("agencies", tuple(a[h] for h in HEADERS["agencies"]))
        for s in portfolio.staff:
            files.write("staff", tuple(s[h] for h in HEADERS["staff"]))
        entry_no = action_no = tenant_no = reject_no = support_no = 0
        for d in portfolio.leases:
            files.write("leases", (
                d.lease_id, d.agency_id, d.officer_id, d.counsellor_id, d.start_on, d.end_on, d.stage,
                d.address_line1, d.address_line2, d.address_line3, d.postcode, d.city, d.rent_cents,
                d.charges_cents, d.benefit_cents, d.benefit_to_landlord, d.payment_method, d.mandate_active,
                d.income_cents, d.sls_status, *d.forwarding))
            for t in d.tenants:
                tenant_no += 1
                files.write("tenants", (f"T{tenant_no:07d}", d.lease_id, t["is_holder"], t["civility"],
                                        t["first_name"], t["last_name"], t["phone_mobile"], t["phone_home"],
                                        t["phone_work"], t["email"], t["is_deceased"]))
            for posted, due, kind, amount, label in d.entries:
                entry_no += 1
                files.write("ledger", (f"E{entry_no:09d}", d.lease_id, posted, due, kind, amount, label))
            for p in d.plans:
                files.write("plans", (p.plan_id, d.lease_id, p.kind, p.agreed_on, euros_fr(p.debt_cents),
                                      p.status, p.closed_on))
                for due, amount in p.installments:
                    files.write("plan_installments", (p.plan_id, due, amount))
            for rejected_on, amount, code in d.rejects:
                reject_no += 1
                files.write("dd_rejects", (f"R{reject_no:07d}", d.lease_id, rejected_on, amount, code))
            for done_on, kind, outcome, comment, staff_id in d.actions:
                action_no += 1
                files.write("actions", (f"A{action_no:08d}", d.lease_id, done_on, kind, outcome, staff_id,
                                        comment))
            for supported_on, domain, reinforced, qualified in d.supports:
                support_no += 1
                files.write("social_supports", (f"S{support_no:07d}", d.lease_id, d.counsellor_id,
                                                supported_on, domain, reinforced, qualified))
            if on_lease is not None:
                on_lease(d)
        files.commit()
    except BaseException:
        files.abort()
        raise
    return {f"{name}.csv": files.rows[name] for name in HEADERS}


def write_demo_csv(out: Path, leases: int = 5000, seed: int = 2025, as_of: dt.date = DEFAULT_AS_OF
                   ) -> dict[str, int]:
    """Write the demo portfolio's DATA.md CSV files into ``out``; returns file name → data rows."""
    return write_portfolio(Path(out), generate(leases, seed, as_of))


# --------------------------------------------------------------------------------------------------
# Seeding a database
# --------------------------------------------------------------------------------------------------


def seed_demo(engine, leases: int = 5000, seed: int = 2025, workdir: Path | None = None,
              as_of: dt.date = DEFAULT_AS_OF, echo: bool = True) -> dict[str, Any]:
    """Write the demo CSVs into ``workdir`` (default ``var/demo-csv``), import them with the real
    importer, return the portfolio's figures (counts and amounts only, never a name) and print them
    when ``echo``. Raises ``arrears.ingest.importer.ImportError_`` when the import fails as a whole."""
    from arrears.core import settings
    from arrears.ingest.importer import import_dir

    workdir = Path(workdir) if workdir is not None else settings.var_dir() / "demo-csv"
    portfolio = generate(leases, seed, as_of)
    tally = _Tally(as_of)
    rows = write_portfolio(workdir, portfolio, tally.add)
    report = import_dir(engine, workdir)
    quarantined = sum(f.quarantined for f in report.files.values())
    figures: dict[str, Any] = {
        "leases": tally.leases,
        "in place": tally.in_place,
        "departed": tally.departed,
        "in-place share in debt": f"{100 * tally.in_debt / max(1, tally.in_place):.1f} %",
        "total debt": euros_fr(tally.debt) + " €",
        "in-place debt": euros_fr(tally.in_place_debt) + " €",
        "departed debt": euros_fr(tally.departed_debt) + " €",
        "ledger rows": rows["ledger.csv"],
        "quarantined rows": quarantined,
        "csv folder": str(workdir),
        "rows per file": rows,
        "leases per archetype": dict(sorted(tally.archetypes.items())),
    }
    for key, value in figures.items() if echo else ():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, n in value.items():
                print(f"  {name:<32} {n:>8}")
        else:
            print(f"{key}: {value}")
    return figures


class _Tally:
    def __init__(self, as_of: dt.date):
        self.as_of = as_of
        self.leases = self.in_place = self.departed = self.in_debt = 0
        self.debt = self.in_place_debt = self.departed_debt = 0
        self.archetypes: Counter = Counter()

    def add(self, d: LeaseDraft) -> None:
        self.leases += 1
        self.archetypes[d.archetype] += 1
        balance = d.balance(self.as_of)
        if d.start_on > self.as_of:
            return
        if d.end_on is not None and d.end_on <= self.as_of:
            self.departed += 1
            self.departed_debt += max(0, balance)
        else:
            self.in_place += 1
            self.in_debt += balance > 0
            self.in_place_debt += max(0, balance)
        self.debt += max(0, balance)
