"""Small builders for hand-built portfolios in tests: a reader sees every row that matters.

    p = Portfolio(engine)
    lease = p.lease("L1", rent=500_00, charges=100_00, start_on="2024-01-01")
    p.charge(lease, "2025-08-01", 600_00)          # rent + charges due on the 1st
    p.pay(lease, "2025-08-05", 600_00)
    p.commit()

Dates may be given as ISO strings. Amounts are cents. Everything not given gets a plain default.
"""

from __future__ import annotations

import datetime as dt
import itertools

from arrears.core import models as m
from sqlalchemy.orm import Session


def d(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


class Portfolio:
    def __init__(self, engine):
        self.session = Session(engine)
        self._ids = itertools.count(1)
        self.session.add(m.Agency(agency_id="A1", name="Agence Centre", address_line1="10 rue de la République",
                                  postcode="69002", city="Lyon", phone="04 72 00 00 01"))
        self.session.add(m.Staff(staff_id="S1", agency_id="A1", role="recovery_officer", first_name="Claire",
                                 last_name="Martin", phone="04 72 00 00 11", email="c.martin@example.org"))
        self.session.add(m.Staff(staff_id="C1", agency_id="A1", role="social_counsellor", first_name="Samia",
                                 last_name="Benali", phone="04 72 00 00 21"))
        self.session.flush()

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):05d}"

    def lease(self, lease_id: str, *, rent=500_00, charges=100_00, benefit=0, benefit_to_landlord=False,
              start_on="2020-01-01", end_on=None, stage="precontentieux", payment_method="transfer",
              mandate_active=False, income=None, sls_status="none", postcode="69003", city="Lyon",
              address_line1="12 rue Paul Bert", address_line2=None, address_line3=None, officer_id="S1",
              counsellor_id="C1", forwarding=None, tenants=1, deceased=False, **extra) -> str:
        fwd = forwarding or {}
        self.session.add(m.Lease(
            lease_id=lease_id, agency_id="A1", officer_id=officer_id, counsellor_id=counsellor_id,
            start_on=d(start_on), end_on=d(end_on), stage=stage, address_line1=address_line1,
            address_line2=address_line2, address_line3=address_line3, postcode=postcode, city=city,
            rent_cents=rent, charges_cents=charges, benefit_cents=benefit,
            benefit_to_landlord=benefit_to_landlord, payment_method=payment_method,
            mandate_active=mandate_active, income_cents=income, sls_status=sls_status,
            forwarding_address_line1=fwd.get("line1"), forwarding_address_line2=fwd.get("line2"),
            forwarding_postcode=fwd.get("postcode"), forwarding_city=fwd.get("city"),
            forwarding_country=fwd.get("country"), **extra,
        ))
        for i in range(tenants):
            self.session.add(m.Tenant(
                tenant_id=f"{lease_id}-T{i + 1}", lease_id=lease_id, is_holder=True, civility="Mme",
                first_name="Nadia", last_name=f"Durand{'' if i == 0 else i + 1}",
                phone_mobile="06 12 34 56 78", is_deceased=deceased,
            ))
        self.session.flush()
        return lease_id

    def entry(self, lease_id, kind, posted_on, amount, due_on=None, label=None) -> str:
        entry_id = self._id("E")
        self.session.add(m.LedgerEntry(entry_id=entry_id, lease_id=lease_id, posted_on=d(posted_on),
                                       due_on=d(due_on), kind=kind, amount_cents=amount, label=label))
        return entry_id

    def charge(self, lease_id, due_on, amount, *, kind="rent", posted_on=None) -> str:
        """A charge owed by the tenant, due on ``due_on`` (posted the same day unless said)."""
        return self.entry(lease_id, kind, posted_on or due_on, amount, due_on=due_on)

    def monthly(self, lease_id, first_month: str, months: int, rent=500_00, charges=100_00, day=1) -> None:
        """Rent and charges due on ``day`` of each month from ``first_month`` (``YYYY-MM``)."""
        year, month = map(int, first_month.split("-"))
        for _ in range(months):
            due = dt.date(year, month, day)
            self.charge(lease_id, due, rent, kind="rent")
            if charges:
                self.charge(lease_id, due, charges, kind="charges")
            month += 1
            if month == 13:
                year, month = year + 1, 1

    def pay(self, lease_id, posted_on, amount, *, kind="payment") -> str:
        """A payment (given as a positive amount, stored negative)."""
        return self.entry(lease_id, kind, posted_on, -abs(amount))

    def plan(self, lease_id, *, kind="amicable", agreed_on, debt, status="active", closed_on=None,
             installments=()) -> str:
        plan_id = self._id("P")
        self.session.add(m.Plan(plan_id=plan_id, lease_id=lease_id, kind=kind, agreed_on=d(agreed_on),
                                debt_cents=debt, status=status, closed_on=d(closed_on)))
        self.session.flush()
        for due_on, amount in installments:
            self.session.add(m.PlanInstallment(plan_id=plan_id, due_on=d(due_on), amount_cents=amount))
        return plan_id

    def reject(self, lease_id, rejected_on, amount, code="AM04") -> str:
        reject_id = self._id("R")
        self.session.add(m.DdReject(reject_id=reject_id, lease_id=lease_id, rejected_on=d(rejected_on),
                                    amount_cents=amount, reason_code=code))
        return reject_id

    def action(self, lease_id, done_on, kind, outcome=None, step=None, period=None) -> str:
        action_id = self._id("ACT")
        self.session.add(m.Action(action_id=action_id, lease_id=lease_id, done_on=d(done_on), kind=kind,
                                  outcome=outcome, staff_id="S1", step=step, period=period))
        return action_id

    def support(self, lease_id, supported_on, domain="budget", reinforced=False, qualified=True) -> str:
        support_id = self._id("SUP")
        self.session.add(m.SocialSupport(support_id=support_id, lease_id=lease_id, counsellor_id="C1",
                                         supported_on=d(supported_on), domain=domain,
                                         is_reinforced=reinforced, is_qualified=qualified))
        return support_id

    def commit(self) -> None:
        self.session.commit()
        self.session.close()


def three_large_balances(engine) -> None:
    """Three leases with 9 months unpaid since January 2025 (step 3's cohort on 5 September 2025), two of
    them after a missed convocation; postcodes in three postal zones."""
    p = Portfolio(engine)
    for lease_id, postcode in (("BIG-1", "69003"), ("BIG-2", "69100"), ("BIG-3", "69008")):
        p.lease(lease_id, start_on="2024-01-01", postcode=postcode)
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-05", 600_00)
        if lease_id != "BIG-3":
            p.action(lease_id, "2025-08-01", "convocation", outcome="no_show")
    p.commit()


def debtor(p: Portfolio, lease_id: str, **kw) -> str:
    """A lease owing 3 150,00 € on 5 September 2025: 600 € due on the 1st since Aug 2024, 600 € paid until
    Dec 2024, 450 € Jan–May 2025, nothing since."""
    p.lease(lease_id, **kw)
    p.monthly(lease_id, "2024-08", 14)
    for month in range(8, 13):
        p.pay(lease_id, f"2024-{month:02d}-05", 600_00)
    for month in range(1, 6):
        p.pay(lease_id, f"2025-{month:02d}-06", 450_00)
    return lease_id


def one_letter_of_each_type(p: Portfolio, as_of: dt.date) -> list:
    """A debtor (``debtor``) per letter type, ``L000``, ``L001``…, with what its letter needs (a forwarding
    address, a reject, a plan), and the decisions that send them (registered letters: the formal and last
    notices; steps 1, 2…; profiles P1…P4, P0 in turn). Commits."""
    from arrears.decide.decision import LETTER_TYPES, Decision, LetterOrder

    decisions = []
    for i, letter_type in enumerate(LETTER_TYPES):
        lease_id, extra = f"L{i:03d}", {}
        order = {"registered": letter_type in ("formal_notice", "last_notice"), "deadline_days": 8}
        if letter_type == "departed_tenant":
            extra = {"end_on": "2025-03-31",
                     "forwarding": {"line1": "5 place du Capitole", "postcode": "31000", "city": "Toulouse"}}
            order.update(to_forwarding_address=True, out_of_departement=True)
        if letter_type == "dd_reject":
            order["variant"] = "new_payment_means"
        debtor(p, lease_id, address_line2="Appartement 34", **extra)
        if letter_type == "dd_reject":
            p.reject(lease_id, "2025-09-03", 600_00, code="AC04")
        if letter_type == "broken_plan_reminder":
            p.plan(lease_id, agreed_on="2025-05-10", debt=900_00,
                   installments=[("2025-06-10", 100_00), ("2025-07-10", 100_00)])
        decisions.append(Decision(lease_id=lease_id, step=i + 1, step_id="test", period=f"{as_of:%Y-%m}",
                                  as_of=as_of, profile=["P1", "P2", "P3", "P4", "P0"][i % 5],
                                  letter=LetterOrder(letter_type=letter_type, **order)))
    p.commit()
    return decisions
