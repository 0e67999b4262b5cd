"""The demo's departed-tenant archetypes (steps 13, 14 and 15) and the plan completed long ago."""

from __future__ import annotations

import datetime as dt

from arrears.core.calendar import add_months
from arrears.demo import words as W
from arrears.demo.archetypes import (
    _erased,
)
from arrears.demo.builder import (
    DAY,
    Builder,
    business_day_in_month,
)
from arrears.demo.people import (
    _line2,
    _street,
)


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
