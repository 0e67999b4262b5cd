"""The demo's in-place archetypes: one function per case of PLAN.md's steps (see ``demo.portfolio``'s
docstring for the list), each writing one lease's history through a ``Builder``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from arrears.core.calendar import add_months, next_business_day
from arrears.demo.builder import (
    DAY,
    Builder,
    PlanDraft,
    add_business_days,
    business_day_in_month,
)
from arrears.demo.people import (
    _phone,
    _tenant,
)

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
