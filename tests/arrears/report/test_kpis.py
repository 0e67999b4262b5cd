"""The monthly KPIs (arrears.report.kpis) against hand-computed figures, on SQLite and PostgreSQL.

The portfolio, month 2025-09 (D = 2025-09-30); test_report.py reuses ``build`` and ``record_pipeline``.

12-month window: 2024-10-01 … 2025-09-30. Every lease bills 500 € rent + 100 € charges on the 1st.

| lease | agency | status at D        | stage | billed in window | receipts in window          | balance at D | debt since |
|-------|--------|--------------------|-------|------------------|-----------------------------|--------------|------------|
| L1    | A1     | in place           | pré   | 12 × 600 = 7 200 | 11 × 600 = 6 600            | 620 (+20 fee)| 2025-09-01 |
| L2    | A1     | in place           | pré   | 7 200            | 12 × (400 + 200 APL) = 7 200 | 0            | —          |
| L3    | A1     | in place           | ctx   | 7 200            | 600+600+600−600 rej = 1 200  | 6 000        | 2024-12-12 |
| L4    | A1     | departed 2025-06-30| pré   | 9 × 600 = 5 400  | 6 × 600 = 3 600              | 1 800        | 2025-04-01 |
| L5    | A2     | in place (2025-03) | pré   | 7 × 600 = 4 200  | 7 × 600 + 100 = 4 300        | −100         | —          |
| L6    | A1     | not yet (2025-10)  | pré   | 0                | 0                            | 0            | —          |
| L7    | A1     | departed 2023-12-31| ctx   | 0                | 0                            | 300          | 2023-06-01 |

Totals: billed 31 200 €, receipts 22 900 €, debt 620 + 6 000 + 1 800 + 300 = 8 720 €,
in place L1 L2 L3 L5 = 4, of which in debt L1 L3 = 2.
"""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core import models as m
from arrears.report.kpis import compute_kpis
from factories import Portfolio


def build(engine) -> None:
    p = Portfolio(engine)
    p.session.add(m.Agency(agency_id="A2", name="Agence Est", address_line1="1 place Bellecour",
                           postcode="69500", city="Bron"))
    p.session.flush()

    # L1: one month unpaid (September) + a 20 € fee; history before the window and a bill due after D.
    p.lease("L1", start_on="2020-01-01")
    p.monthly("L1", "2024-09", 13)                     # Sep 2024 … Sep 2025
    p.pay("L1", "2024-09-03", 600_00)                  # before the window: not a receipt of the window
    for month in range(11):                            # Oct 2024 … Aug 2025, paid on the 5th
        y, mo = (2024, 10 + month) if month < 3 else (2025, month - 2)
        p.pay("L1", dt.date(y, mo, 5), 600_00)
    p.entry("L1", "fee", "2025-09-15", 20_00)
    p.charge("L1", "2025-10-01", 500_00, posted_on="2025-09-25")  # billed in advance, due after D

    # L2: housing benefit paid to the landlord, tenant pays the rest: always up to date.
    p.lease("L2", start_on="2019-05-01", benefit=200_00, benefit_to_landlord=True)
    p.monthly("L2", "2024-10", 12)
    for month in range(12):
        y, mo = (2024, 10 + month) if month < 3 else (2025, month - 2)
        p.entry("L2", "benefit", dt.date(y, mo, 5), -200_00)
        p.pay("L2", dt.date(y, mo, 5), 400_00)

    # L3: litigation stage; paid Oct, Nov, a direct debit in Dec that was rejected, then nothing.
    p.lease("L3", start_on="2018-01-01", stage="contentieux")
    p.monthly("L3", "2024-10", 12)
    p.pay("L3", "2024-10-05", 600_00)
    p.pay("L3", "2024-11-05", 600_00)
    p.pay("L3", "2024-12-05", 600_00, kind="direct_debit")
    p.entry("L3", "direct_debit_reject", "2024-12-12", 600_00)

    # L4: left on 2025-06-30 owing 3 months (April, May, June).
    p.lease("L4", start_on="2015-01-01", end_on="2025-06-30")
    p.monthly("L4", "2024-10", 9)                      # Oct 2024 … Jun 2025
    for month in range(6):                             # Oct 2024 … Mar 2025
        y, mo = (2024, 10 + month) if month < 3 else (2025, month - 2)
        p.pay("L4", dt.date(y, mo, 5), 600_00)

    # L5 (agency A2): entered 2025-03-01, pays every month and 100 € extra: credit balance.
    p.lease("L5", start_on="2025-03-01")
    p.session.get(m.Lease, "L5").agency_id = "A2"
    p.monthly("L5", "2025-03", 7)
    for mo in range(3, 10):
        p.pay("L5", dt.date(2025, mo, 5), 600_00)
    p.pay("L5", "2025-09-10", 100_00)

    # L6: not yet in force at D.
    p.lease("L6", start_on="2025-10-01")

    # L7: departed long ago, litigation stage, 300 € unpaid since June 2023.
    p.lease("L7", start_on="2010-01-01", end_on="2023-12-31", stage="contentieux")
    p.charge("L7", "2023-06-01", 300_00)

    # Social supports.
    p.support("L1", "2025-09-10", domain="budget", qualified=True)
    p.support("L1", "2025-03-01", domain="access_to_rights", qualified=False, reinforced=True)
    p.support("L3", "2025-09-20", domain="budget", qualified=True, reinforced=True)
    p.support("L5", "2025-09-02", domain="housing_pathway", qualified=True)
    p.support("L2", "2024-12-15", domain="health", qualified=True)  # last year: outside the year to date
    p.commit()


def record_pipeline(engine) -> None:
    """What the plan steps recorded for 2025-09 (and one journal row of 2025-08 that must not count)."""
    from sqlalchemy.orm import Session

    now = dt.datetime(2025, 9, 30, 12, 0)
    with Session(engine) as s:
        def journal(lease, step, as_of, profile, balance, period="2025-09"):
            s.add(m.JournalEntry(lease_id=lease, step=step, period=period, as_of=as_of, run_id="r",
                                 status="recorded",
                                 decision={"lease_id": lease, "step": step, "profile": profile,
                                           "figures": {"balance_cents": balance}}))

        journal("L1", 1, dt.date(2025, 9, 1), "P4", 60_000)
        journal("L1", 9, dt.date(2025, 9, 25), "P1", 62_000)   # L1's latest decision: P1
        journal("L3", 3, dt.date(2025, 9, 5), "P3", 600_000)
        journal("L4", 15, dt.date(2025, 9, 5), None, 180_000)  # no profile (departed)
        journal("L2", 2, dt.date(2025, 9, 5), None, 0)
        journal("L3", 3, dt.date(2025, 8, 5), "P2", 540_000, period="2025-08")
        s.add(m.Document(document_id="D1", lease_id="L1", step=1, period="2025-09", doc_type="friendly_reminder",
                         letter_class="simple", created_at=now))
        s.add(m.Document(document_id="D2", lease_id="L1", step=9, period="2025-09", doc_type="late_payment",
                         letter_class=None, created_at=now))                 # a letter without a class
        s.add(m.Document(document_id="D3", lease_id="L3", step=3, period="2025-09", doc_type="formal_notice",
                         letter_class="registered", registered_number="1A00000000017", created_at=now))
        s.add(m.Document(document_id="D4", lease_id="L7", step=14, period="2025-09", doc_type="write_off_form",
                         created_at=now))
        s.add(m.Document(document_id="D5", lease_id="L1", step=1, period="2025-08", doc_type="friendly_reminder",
                         letter_class="simple", created_at=now))             # last month: not counted
        s.add(m.Task(lease_id="L3", step=3, period="2025-09", kind="call", title="Appeler"))
        s.add(m.Task(lease_id="L3", step=3, period="2025-09", kind="caf_report", title="Signaler à la CAF"))
        s.add(m.Task(lease_id="L4", step=15, period="2025-09", kind="address_search", title="Rechercher"))
        s.add(m.Action(action_id="X1", lease_id="L2", done_on=dt.date(2025, 9, 5), kind="file_closed", step=2,
                       period="2025-09"))
        s.add(m.Action(action_id="X2", lease_id="L3", done_on=dt.date(2025, 9, 2), kind="transfer_litigation",
                       step=6, period="2025-09"))
        s.add(m.Action(action_id="X3", lease_id="L7", done_on=dt.date(2025, 9, 29), kind="write_off", step=14,
                       period="2025-09"))
        s.add(m.Action(action_id="X4", lease_id="L3", done_on=dt.date(2025, 9, 2), kind="phone_call"))  # imported
        s.add(m.TransferProposal(lease_id="L3", period="2025-09", proposed_on=dt.date(2025, 9, 25)))
        s.add(m.StepRun(step=1, period="2025-09", as_of=dt.date(2025, 9, 1), run_id="r1", status="success",
                        summary={"cohort_size": 3, "letters": 1}, started_at=now))
        s.add(m.StepRun(step=5, period="2025-09", as_of=dt.date(2025, 9, 25), run_id="dry", dry_run=True,
                        status="success", summary={"cohort_size": 7}, started_at=now))  # a dry run: ignored
        # A recorded step-7 decision with a letter whose document row is not (yet) in `documents`.
        s.add(m.JournalEntry(lease_id="L5", step=7, period="2025-09", as_of=dt.date(2025, 9, 10), run_id="r",
                             status="recorded", document_id="D9", registered_number=None,
                             decision={"lease_id": "L5", "step": 7, "profile": "P2",
                                       "letter": {"letter_type": "new_tenant", "registered": False},
                                       "figures": {"balance_cents": 0}}))
        s.add(m.JournalEntry(lease_id="L7", step=14, period="2025-09", as_of=dt.date(2025, 9, 29), run_id="r",
                             status="recorded",
                             decision={"lease_id": "L7", "step": 14, "profile": None,
                                       "changes": [{"kind": "write_off_proposed", "ref": None}],
                                       "figures": {"balance_cents": 30_000}}))
        s.commit()


# --------------------------------------------------------------------------------------------------


@pytest.fixture
def kpis(engine):
    build(engine)
    record_pipeline(engine)
    return compute_kpis(engine, "2025-09")


def test_period(kpis):
    assert kpis.period_end == dt.date(2025, 9, 30)
    assert kpis.window_start == dt.date(2024, 10, 1)
    assert kpis.year_start == dt.date(2025, 1, 1)


def test_headline_rates(kpis):
    t = kpis.total
    # billed: L1 7 200 + L2 7 200 + L3 7 200 + L4 5 400 + L5 4 200 = 31 200 € (L1's Sep 2024 and Oct 2025 out)
    assert t.billed_cents == 3_120_000
    # receipts: L1 6 600 + L2 7 200 (benefit included) + L3 1 200 (reject deducted) + L4 3 600 + L5 4 300
    assert t.receipts_cents == 2_290_000
    # debt: L1 620 + L3 6 000 + L4 1 800 + L7 300 = 8 720 € (L5's credit is not netted)
    assert t.debt_cents == 872_000
    assert t.in_place_leases == 4          # L1 L2 L3 L5 (L6 not yet in force, L4 L7 departed)
    assert t.in_place_in_debt == 2         # L1 L3
    assert t.arrears_rate == pytest.approx(8720 / 31200)      # 27,95 %
    assert t.recovery_rate == pytest.approx(22900 / 31200)    # 73,40 %
    assert t.share_in_debt == pytest.approx(0.5)


def test_per_agency(kpis):
    by_id = {a.agency_id: a for a in kpis.agencies}
    a1, a2 = by_id["A1"], by_id["A2"]
    assert (a1.debt_cents, a1.billed_cents, a1.receipts_cents) == (872_000, 2_700_000, 1_860_000)
    assert (a1.in_place_leases, a1.in_place_in_debt) == (3, 2)
    assert (a2.debt_cents, a2.billed_cents, a2.receipts_cents) == (0, 420_000, 430_000)
    assert a2.arrears_rate == 0
    assert a2.recovery_rate == pytest.approx(4300 / 4200)
    assert a2.share_in_debt == 0


def test_trend(kpis):
    assert [p.month for p in kpis.trend] == [f"2024-{m}" for m in ("10", "11", "12")] + [
        f"2025-{m:02d}" for m in range(1, 10)]
    last, aug = kpis.trend[-1].figures, kpis.trend[-2].figures
    assert last.arrears_rate == pytest.approx(kpis.total.arrears_rate)
    # At 2025-08-31, window 2024-09-01 … 2025-08-31:
    # billed L1 12 × 600 (Sep 2024 … Aug 2025) + L2 11 × 600 + L3 11 × 600 + L4 9 × 600 + L5 6 × 600 = 29 400 €
    assert aug.billed_cents == 2_940_000
    # debt: L1 0 (Sep rent not yet due), L3 6 600 + 600 − 1 800 = 5 400, L4 1 800, L7 300 = 7 500 €
    assert aug.debt_cents == 750_000
    # receipts: L1 12 × 600 (Sep 2024 payment now inside) + L2 11 × 600 + L3 1 200 + L4 3 600 + L5 6 × 600
    assert aug.receipts_cents == 720_000 + 660_000 + 120_000 + 360_000 + 360_000
    # in place at 2025-08-31: L1 L2 L3 L5; in debt: L3 only
    assert aug.share_in_debt == pytest.approx(0.25)
    # October 2024: L4 not departed yet (in place), L5 not in force.
    oct_ = kpis.trend[0].figures
    assert oct_.in_place_leases == 4     # L1 L2 L3 L4


def test_debt_by_status(kpis):
    lines = {(x.status, x.stage): (x.debtors, x.debt_cents) for x in kpis.debt_by_status}
    assert lines == {
        ("in_place", "precontentieux"): (1, 62_000),    # L1
        ("in_place", "contentieux"): (1, 600_000),      # L3
        ("departed", "precontentieux"): (1, 180_000),   # L4
        ("departed", "contentieux"): (1, 30_000),       # L7
    }
    a1 = next(a for a in kpis.debt_by_agency if a.agency_id == "A1")
    a2 = next(a for a in kpis.debt_by_agency if a.agency_id == "A2")
    assert a1.debt_cents == 872_000 and a1.debtors == 4
    assert a1.amount("in_place") == 662_000 and a1.amount("departed", "contentieux") == 30_000
    assert a2.debt_cents == 0


def test_debt_age_buckets(kpis):
    buckets = {b.key: (b.in_place_debtors, b.in_place_debt_cents, b.departed_debtors, b.departed_debt_cents)
               for b in kpis.age_buckets}
    assert buckets == {
        "lt_1m": (1, 62_000, 0, 0),       # L1: credits 7 200 settle Sep 2024 … Aug 2025; debt since 2025-09-01
        "1m_3m": (0, 0, 0, 0),
        "3m_6m": (0, 0, 1, 180_000),      # L4: credits 3 600 settle Oct … Mar; debt since 2025-04-01 (M − 5)
        "6m_12m": (1, 600_000, 0, 0),     # L3: the reject takes back the December direct debit, so
                                          #     credits are 1 800 − 600 = 1 200: Oct and Nov settled,
                                          #     debt since 2024-12-01 (M − 9)
        "ge_12m": (0, 0, 1, 30_000),      # L7: since 2023-06-01
    }


@pytest.mark.parametrize(("since", "bucket"), [
    ("2025-09-01", "lt_1m"), ("2025-09-30", "lt_1m"), ("2025-08-31", "1m_3m"), ("2025-07-01", "1m_3m"),
    ("2025-06-30", "3m_6m"), ("2025-04-01", "3m_6m"), ("2025-03-31", "6m_12m"), ("2024-10-01", "6m_12m"),
    ("2024-09-30", "ge_12m"),
])
def test_debt_age_edges(sqlite_engine, since, bucket):
    # One lease owing one charge due on `since`: its debt since is that date; buckets go by its month.
    p = Portfolio(sqlite_engine)
    p.lease("L1")
    p.charge("L1", since, 100_00)
    p.commit()
    kpis = compute_kpis(sqlite_engine, "2025-09")
    assert {b.key: b.debtors for b in kpis.age_buckets if b.debtors} == {bucket: 1}


def test_steps(kpis):
    steps = {s.step: s for s in kpis.steps}
    assert sorted(steps) == list(range(1, 16))
    # Step 1: one journal row, but the run summary says 3 leases in the cohort; one simple letter (D1).
    assert (steps[1].cohort, steps[1].letters, steps[1].registered_letters, steps[1].runs) == (3, 1, 0, 1)
    assert steps[1].last_as_of == dt.date(2025, 9, 1)
    assert steps[1].debt_cents == 60_000
    # Step 2: one file closed.
    assert (steps[2].cohort, steps[2].files_closed) == (1, 1)
    # Step 3: one registered letter, two tasks; the August row does not count.
    assert (steps[3].cohort, steps[3].registered_letters, steps[3].tasks) == (1, 1, 2)
    assert steps[3].debt_cents == 600_000
    assert steps[6].transfers == 1
    assert steps[7].letters == 1                     # from the journal (no document row)
    assert steps[9].letters == 1                     # D2: a letter type without a class
    assert steps[11].transfer_proposals == 1
    assert (steps[14].write_offs, steps[14].write_off_proposals, steps[14].other_documents) == (1, 1, 1)
    assert steps[15].tasks == 1
    # Step 5 only had a dry run: nothing counts.
    assert (steps[5].runs, steps[5].cohort) == (0, 0) and not steps[5].ran
    assert not steps[12].ran and steps[12].letters == 0


def test_profiles(kpis):
    counts = {p.code: (p.leases, p.debt_cents) for p in kpis.profiles}
    # L1's latest decision (step 9, 25 Sep) says P1; L3 P3; L5 P2; L2 L4 L7 have none.
    assert counts == {"P1": (1, 62_000), "P2": (1, 0), "P3": (1, 600_000), "P4": (0, 0), "P0": (0, 0)}


def test_social_supports(kpis):
    month = {s.agency_id: s for s in kpis.supports_month}
    ytd = {s.agency_id: s for s in kpis.supports_ytd}
    # September: A1 L1 (budget, qualified) + L3 (budget, qualified, reinforced); A2 L5 (qualified)
    assert (month["A1"].supports, month["A1"].qualified, month["A1"].reinforced, month["A1"].households) == (2, 2, 1, 2)
    assert (month["A2"].supports, month["A2"].qualified) == (1, 1)
    # Since 1 January: A1 adds L1's March support (not qualified, reinforced): 2 qualified of 3
    assert (ytd["A1"].supports, ytd["A1"].qualified, ytd["A1"].reinforced, ytd["A1"].households) == (3, 2, 2, 2)
    assert ytd["A1"].qualified_share == pytest.approx(2 / 3) and ytd["A1"].meets_target is False
    assert ytd["A2"].meets_target is True
    assert ytd["A1"].households_share == pytest.approx(2 / 3)     # 2 households of 3 in-place leases
    total = kpis.supports_total("ytd")
    assert (total.supports, total.qualified, total.households) == (4, 3, 3)
    domains = {d.domain: (d.supports, d.households, d.reinforced) for d in kpis.domains_ytd}
    # L2's December 2024 support is last year
    assert domains == {"budget": (2, 2, 1), "access_to_rights": (1, 1, 1), "housing_pathway": (1, 1, 0)}


def test_empty_database(engine):
    kpis = compute_kpis(engine, "2025-09")
    assert kpis.total.arrears_rate is None and kpis.total.share_in_debt is None
    assert all(not s.ran for s in kpis.steps) and len(kpis.steps) == 15
    assert kpis.agencies == []


def test_bad_month(sqlite_engine):
    with pytest.raises(ValueError, match="YYYY-MM"):
        compute_kpis(sqlite_engine, "2025-13")


def test_debt_age_agrees_with_lease_positions(engine):
    # The report's buckets and the officers' worklists read the same FIFO debt since (a reject or a refund
    # takes back a credit, it is not a new charge): bucket arrears.select.positions' debt_since the same way.
    from arrears.core.calendar import month_end, shift_month
    from arrears.select.positions import positions_frame
    from sqlalchemy.orm import Session

    build(engine)
    with Session(engine) as s:  # L2's payment of 5 September taken back: a reject, not a new charge
        s.add(m.LedgerEntry(entry_id="REJ1", lease_id="L2", posted_on=dt.date(2025, 9, 8),
                            kind="direct_debit_reject", amount_cents=400_00))
        s.commit()
    kpis = compute_kpis(engine, "2025-09")
    with engine.connect() as conn:
        frame = positions_frame(conn, dt.date(2025, 9, 30))
    cuts = [month_end(dt.date(*shift_month(2025, 9, -n), 1)) for n in (1, 3, 6, 12)]
    keys = ["lt_1m", "1m_3m", "3m_6m", "6m_12m", "ge_12m"]
    expected = dict.fromkeys(keys, 0)
    for row in frame.itertuples():
        if row.balance_cents > 0 and (row.is_in_place or row.is_departed):
            since = row.debt_since if isinstance(row.debt_since, dt.date) else dt.date.fromisoformat(str(row.debt_since))
            expected[keys[sum(since <= cut for cut in cuts)]] += 1
    assert {b.key: b.debtors for b in kpis.age_buckets} == expected
    assert expected["lt_1m"] == 2        # L1 and now L2 (its September rent is unpaid again)
