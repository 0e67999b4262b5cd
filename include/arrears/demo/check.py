"""An independent, pure-Python reading of DATA.md's figures and PLAN.md's cohorts over demo drafts.

It checks the demo generator (every archetype lands in the cohort it was built for, at the date its step
runs) without going through the database, the importer or the project's SQL: a second opinion written
from the spec, deliberately simple (a lease at a time, no optimisation).

    facts = Facts(draft)
    facts.balance(date(2025, 9, 25)); in_cohort(11, facts, cal.d25, cal)

Simplifications: step 2's "action recorded by steps 1-12 in the last 90 days" branch is ignored (the demo
holds no pipeline actions); step 10's window is (D − 1 month, D] (no previous run).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from itertools import groupby

from arrears.core.calendar import add_months, month_end
from arrears.demo.builder import DemoCalendar, LeaseDraft

TOLERANCE = 1000
GRACE_DAYS = 10
LATE_GRACE_DAYS = 10  # "month paid late": payment grace (plan file late_payment_grace_days)
DAY = dt.timedelta(days=1)


class Facts:
    """The derived figures of one lease (DATA.md), evaluated at any date."""

    def __init__(self, draft: LeaseDraft, tolerance: int = TOLERANCE, grace_days: int = GRACE_DAYS):
        self.d = draft
        self.tol = tolerance
        self.grace = dt.timedelta(days=grace_days)
        self.late_grace = dt.timedelta(days=LATE_GRACE_DAYS)
        events = sorted((((due or posted) if amount > 0 else posted), amount)
                        for posted, due, _k, amount, _l in draft.entries)
        self.dates: list[dt.date] = []
        self.cum: list[int] = []
        total = 0
        for day, group in groupby(events, key=lambda e: e[0]):
            total += sum(a for _, a in group)
            self.dates.append(day)
            self.cum.append(total)

    @property
    def due(self) -> int:
        return self.d.monthly_due

    def balance(self, day: dt.date) -> int:
        i = bisect_right(self.dates, day)
        return self.cum[i - 1] if i else 0

    def in_place(self, day: dt.date) -> bool:
        return self.d.start_on <= day and (self.d.end_on is None or self.d.end_on > day)

    def departed(self, day: dt.date) -> bool:
        return self.d.end_on is not None and self.d.end_on <= day

    def arrears_start(self, day: dt.date) -> dt.date | None:
        if self.balance(day) <= self.tol:
            return None
        i = bisect_right(self.dates, day) - 1
        while i >= 0:
            before = self.cum[i - 1] if i > 0 else 0
            if self.cum[i] > self.tol and before <= self.tol:
                return self.dates[i]
            i -= 1
        return None  # pragma: no cover - balance > tol implies a crossing

    def arrears_age(self, day: dt.date) -> int | None:
        start = self.arrears_start(day)
        return None if start is None else (day - start).days

    def late_months(self, day: dt.date) -> int:
        first = day.replace(day=1)
        late = 0
        for k in range(1, 7):
            m = add_months(first, -k)
            dues = [due for _p, due, kind, _a, _l in self.d.entries
                    if kind == "rent" and due is not None and due.replace(day=1) == m]
            if not dues:
                continue
            due_date = min(dues)
            # Revision 5: more than half the due unpaid at the grace date (within the month), and paid by
            # the month's last day (unpaid part <= tolerance); a month still unpaid is not late.
            grace = due_date + self.late_grace
            last = month_end(m)
            if grace > last:
                continue
            base = max(self.balance(due_date - DAY), 0)
            late += 2 * (self.balance(grace) - base) > self.due and self.balance(last) - base <= self.tol
        return late

    def episodes(self, day: dt.date) -> tuple[int, int]:
        """(episode starts, closed episodes) in the 12-month window before ``day``'s month."""
        first = day.replace(day=1)
        ends = [month_end(add_months(first, -k)) for k in range(13, 0, -1)]
        bal = [self.balance(e) for e in ends]
        starts = [i for i in range(1, 13) if bal[i] > 0 and bal[i - 1] <= 0]
        closed = sum(1 for i in starts if any(b <= 0 for b in bal[i + 1:]))
        return len(starts), closed

    def active_plans(self, day: dt.date):
        return [p for p in self.d.plans if p.status == "active" and p.agreed_on <= day]

    def plan_respected(self, plan, day: dt.date) -> bool:
        paid_due = sum(a for due, a in plan.installments if due <= day - self.grace)
        return self.balance(day) <= plan.debt_cents - paid_due + self.tol

    def has_respected_plan(self, day: dt.date) -> bool:
        return any(self.plan_respected(p, day) for p in self.active_plans(day))

    def protected(self, day: dt.date) -> bool:
        return any(p.kind in ("overindebtedness", "moratorium") for p in self.active_plans(day))

    def erased(self, day: dt.date) -> bool:
        return any(p.kind == "overindebtedness" and p.status == "erased" and p.closed_on is not None
                   and p.closed_on <= day for p in self.d.plans)

    def actions_between(self, lo: dt.date, hi: dt.date, kinds: tuple[str, ...] | None = None) -> list:
        return [a for a in self.d.actions if lo <= a[0] <= hi and (kinds is None or a[1] in kinds)]

    def paid_between(self, lo_excl: dt.date, hi: dt.date) -> bool:
        return any(kind in ("payment", "direct_debit") and lo_excl < posted <= hi
                   for posted, _d, kind, _a, _l in self.d.entries)

    def no_forwarding(self) -> bool:
        line1, _l2, _pc, city, _country = self.d.forwarding
        return not line1 or not city

    def effort_rate(self) -> float | None:
        d = self.d
        if not d.income_cents:
            return None
        return (d.rent_cents + d.charges_cents - d.benefit_cents) / d.income_cents


def in_cohort(step: int, f: Facts, day: dt.date, cal: DemoCalendar) -> bool:
    """PLAN.md's cohort of ``step`` at ``day`` (the stage rule included for steps 1-12)."""
    d = f.d
    if step <= 12 and not (f.in_place(day) and d.stage == "precontentieux"):
        return False
    bal = f.balance(day)
    if step == 1:
        age = f.arrears_age(day)
        return f.tol < bal < 10_000 and age is not None and age >= 15 and not f.active_plans(day)
    if step == 2:
        return bal <= 0 and f.balance(day.replace(day=1) - DAY) > 0
    if step == 3:
        return bal >= 150_000
    if step == 4:
        return any(not f.plan_respected(p, day) for p in f.active_plans(day))
    if step == 5:
        age = f.arrears_age(day)
        return (age is not None and age > 30 and not f.actions_between(day - dt.timedelta(days=30), day)
                and not f.has_respected_plan(day))
    if step == 6:
        prev = add_months(day.replace(day=1), -1)
        prev_run = cal.prev_d25 if prev == add_months(cal.month, -1) else prev.replace(day=25)
        return in_cohort(11, f, prev_run, cal) and in_cohort(11, f, day, cal)
    if step == 7:
        age = f.arrears_age(day)
        return d.start_on >= add_months(day, -12) and age is not None and age > 15
    if step == 8:
        broken = any(p.status == "broken" and p.closed_on is not None and p.closed_on >= add_months(day, -24)
                     for p in d.plans)
        return bal > 0 and (f.episodes(day)[1] >= 2 or broken)
    if step == 9:
        return 0 < bal <= f.due and f.late_months(day) >= 2
    if step == 10:
        return any(add_months(day, -1) < rejected_on <= day for rejected_on, _a, _c in d.rejects)
    if step == 11:
        start = f.arrears_start(day)
        if start is None:
            return False
        big = bal >= 3 * f.due or (start <= day - dt.timedelta(days=90) and bal >= 50_000)
        notice = f.actions_between(start, day - dt.timedelta(days=15), ("formal_notice",))
        return big and bool(notice) and not f.has_respected_plan(day) and not f.protected(day)
    if step == 12:
        return d.sls_status == "sanction" and bal > 0
    if step == 13:
        return (f.departed(day) and bal < 0) or (f.in_place(day) and -bal > f.due)
    if step == 14:
        return (f.departed(day) and d.end_on <= add_months(day, -12) and bal > 0
                and not f.paid_between(add_months(day, -6), day)
                and (f.erased(day) or bal < 30_000 or f.no_forwarding()))
    if step == 15:
        written_off = (any(kind == "write_off" and posted <= day for posted, _d, kind, _a, _l in d.entries)
                       or bool(f.actions_between(dt.date.min, day, ("write_off",))))
        return (f.departed(day) and bal > 0 and d.stage == "precontentieux" and not written_off
                and not f.erased(day))
    raise ValueError(f"unknown step {step}")


STEP_DATES = {1: "d1", 2: "d5", 3: "d5", 4: "d15", 5: "d25", 6: "d1", 7: "d10", 8: "d20", 9: "d25",
              10: "d10", 11: "d25", 12: "d15", 13: "d1", 14: "d1", 15: "d1"}
"""The run date (attribute of DemoCalendar) of each step in the demo month."""
