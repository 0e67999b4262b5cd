"""The demo's building blocks: its calendar (run dates moved to business days), a lease draft and
the ``Builder`` that writes one lease's rows (charges, payments, plans, rejects, actions).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from arrears.core.calendar import add_months, is_business_day, next_business_day

DAY = dt.timedelta(days=1)
DEFAULT_AS_OF = dt.date(2025, 9, 30)

# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


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
