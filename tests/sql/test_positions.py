"""The derived figures of DATA.md on small hand-built ledgers, on SQLite and PostgreSQL.

Unless said otherwise D = 2025-09-25 (a Thursday): the month before D's month is August 2025, the six months
of "month paid late" are March–August 2025, the 13 month ends of the episode window run from 2024-08-31 to
2025-08-31, and the plan grace cut-off is D − 10 days = 2025-09-15. ``p.monthly`` bills 500 € rent + 100 €
charges on the 1st, so the monthly due is 600 € and half of it is 300 €.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from arrears.select.positions import COLUMNS, compute_positions, positions_frame, store_positions
from factories import Portfolio
from sqlalchemy import text

D = dt.date(2025, 9, 25)


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def positions(engine, as_of=D, **options) -> dict[str, dict]:
    with engine.connect() as conn:
        frame = compute_positions(conn, as_of, **options)
    assert list(frame.columns) == list(COLUMNS)
    return {row["lease_id"]: row for row in frame.to_dict("records")}


# --------------------------------------------------------------------------------------------------
# Balance and FIFO debt since
# --------------------------------------------------------------------------------------------------


def test_fifo_across_partial_payments(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.monthly(lease, "2025-06", 4)            # 600 € due Jun 1, Jul 1, Aug 1, Sep 1: 2 400 €
    p.pay(lease, "2025-06-03", 600_00)        # settles June
    p.pay(lease, "2025-07-05", 300_00)        # half of July
    p.pay(lease, "2025-08-05", 300_00)        # the other half of July (FIFO), not August
    p.commit()
    pos = positions(engine)["L1"]
    assert pos["balance_cents"] == 1_200_00   # 2 400 − 1 200
    assert pos["debt_since"] == day("2025-08-01")
    assert pos["debt_age_days"] == 55         # Aug 1 → Sep 25: 31 + 24
    assert pos["months_in_arrears"] == 2.00
    assert pos["last_payment_on"] == day("2025-08-05")
    assert pos["last_payment_cents"] == 300_00


def test_advance_payment_posted_before_the_charge(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.monthly(lease, "2025-08", 2)            # Aug 1 and Sep 1
    p.pay(lease, "2025-08-01", 600_00)
    p.pay(lease, "2025-08-28", 600_00)        # September paid in advance
    p.commit()
    on_aug_31 = positions(engine, day("2025-08-31"))["L1"]
    assert on_aug_31["balance_cents"] == -600_00   # the September charge is not due yet: a credit
    assert on_aug_31["months_in_arrears"] == -1.00
    assert on_aug_31["debt_since"] is None and on_aug_31["arrears_start"] is None
    on_d = positions(engine)["L1"]
    assert on_d["balance_cents"] == 0
    assert on_d["debt_since"] is None and on_d["debt_age_days"] is None


def test_charge_due_after_d_is_not_owed_yet(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.charge(lease, "2025-09-01", 600_00)
    p.charge(lease, "2025-10-01", 600_00, posted_on="2025-09-20")   # billed on the 20th, due Oct 1
    p.commit()
    pos = positions(engine)["L1"]
    assert pos["balance_cents"] == 600_00
    assert pos["debt_since"] == day("2025-09-01")
    assert positions(engine, day("2025-10-01"))["L1"]["balance_cents"] == 1_200_00


def test_rejected_direct_debit_reverses_the_payment(engine):
    p = Portfolio(engine)
    lease = p.lease("L1", payment_method="direct_debit", mandate_active=True)
    p.monthly(lease, "2025-08", 1)                            # 600 € due Aug 1
    p.pay(lease, "2025-08-05", 600_00, kind="direct_debit")   # balance 0 from Aug 5
    p.entry(lease, "direct_debit_reject", "2025-08-12", 600_00)
    p.reject(lease, "2025-08-12", 600_00, code="AM04")
    p.commit()
    pos = positions(engine, day("2025-08-31"))["L1"]
    assert pos["balance_cents"] == 600_00                     # 600 − 600 + 600
    # FIFO: the reject takes the credit back, so August's rent is the unpaid charge.
    assert pos["debt_since"] == day("2025-08-01")
    # Arrears start: the balance was 0 from Aug 5 to Aug 11 and went above the tolerance on Aug 12.
    assert pos["arrears_start"] == day("2025-08-12")
    assert pos["arrears_age_days"] == 19
    # The last payment is the direct debit itself (posted Aug 5), even though it bounced.
    assert (pos["last_payment_on"], pos["last_payment_cents"]) == (day("2025-08-05"), 600_00)


# --------------------------------------------------------------------------------------------------
# Arrears start and the tolerance
# --------------------------------------------------------------------------------------------------


def test_arrears_start_stays_while_paying_late_every_month(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.monthly(lease, "2025-02", 8)            # Feb 1 … Sep 1
    for month in range(3, 10):                # February never paid; 600 € on the 20th from March on
        p.pay(lease, f"2025-{month:02d}-20", 600_00)
    p.commit()
    pos = positions(engine)["L1"]
    # Balance: 600 on Feb 1, then 1 200 on the 1st and 600 on the 20th: never back to <= 10 €.
    assert pos["balance_cents"] == 600_00
    assert pos["arrears_start"] == day("2025-02-01")
    assert pos["arrears_age_days"] == 236     # Feb 1 → Sep 25: 27 + 31 + 30 + 31 + 30 + 31 + 31 + 25
    # FIFO moves on: the 7 payments settle February to August, September is the unpaid charge.
    assert pos["debt_since"] == day("2025-09-01")
    assert pos["debt_age_days"] == 24


def test_arrears_start_resets_when_the_balance_touches_the_tolerance_for_a_day(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.monthly(lease, "2025-05", 5)            # May 1 … Sep 1
    p.pay(lease, "2025-05-20", 600_00)        # balance 0 on May 20 (ends the May arrears)
    p.pay(lease, "2025-06-30", 590_00)        # Jun 1: 600; Jun 30: 10 € = the tolerance, for one day
    p.pay(lease, "2025-07-20", 590_00)        # Jul 1: 610 → arrears start; Jul 20: 20
    p.pay(lease, "2025-08-20", 590_00)        # Aug 1: 620; Aug 20: 30
    p.pay(lease, "2025-09-20", 590_00)        # Sep 1: 630; Sep 20: 40
    p.commit()
    pos = positions(engine)["L1"]
    assert pos["balance_cents"] == 40_00
    assert pos["arrears_start"] == day("2025-07-01")
    assert pos["arrears_age_days"] == 86      # Jul 1 → Sep 25: 30 + 31 + 25


@pytest.mark.parametrize(("balance", "has_arrears_start"), [(10_00, False), (10_01, True)])
def test_balance_exactly_at_the_tolerance_has_no_arrears_start(engine, balance, has_arrears_start):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.charge(lease, "2025-09-01", 600_00)
    p.pay(lease, "2025-09-05", 600_00 - balance)
    p.commit()
    pos = positions(engine)["L1"]
    assert pos["balance_cents"] == balance
    assert pos["debt_since"] == day("2025-09-01")      # FIFO has no tolerance: any debt > 0
    assert (pos["arrears_start"] is not None) is has_arrears_start
    if has_arrears_start:
        # Sep 1: 0 → 600 (crossing); Sep 5: 600 → 10,01 (still above 10 €): the start stays Sep 1.
        assert pos["arrears_start"] == day("2025-09-01")
    # The tolerance is a parameter: with 0 € any debt has an arrears start.
    assert positions(engine, tolerance_cents=0)["L1"]["arrears_start"] == day("2025-09-01")


# --------------------------------------------------------------------------------------------------
# Episodes in the 12-month window (month ends 2024-08-31 … 2025-08-31)
# --------------------------------------------------------------------------------------------------


def test_episodes_two_closed_one_open(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.charge(lease, "2024-10-10", 600_00)
    p.pay(lease, "2024-11-15", 600_00)        # Oct 31 > 0 (start 1), Nov 30 = 0 (closed)
    p.charge(lease, "2025-01-10", 600_00)
    p.pay(lease, "2025-03-05", 600_00)        # Jan 31, Feb 28 > 0 (start 2), Mar 31 = 0 (closed)
    p.charge(lease, "2025-04-10", 600_00)
    p.pay(lease, "2025-04-20", 600_00)        # paid before the month end: no episode
    p.charge(lease, "2025-06-10", 600_00)     # Jun 30 > 0 (start 3), still open on Aug 31
    p.lease("L2")
    p.charge("L2", "2024-06-01", 600_00)      # in debt before the window: Aug 31, 2024 > 0
    p.pay("L2", "2024-12-10", 600_00)         # cleared in December: its start is outside the window
    p.lease("L3")
    p.charge("L3", "2025-09-05", 600_00)      # a debt that has not reached a month end yet
    p.commit()
    pos = positions(engine)
    assert (pos["L1"]["episodes_started_12m"], pos["L1"]["episodes_closed_12m"]) == (3, 2)
    assert pos["L1"]["balance_prev_month_end_cents"] == 600_00
    assert (pos["L2"]["episodes_started_12m"], pos["L2"]["episodes_closed_12m"]) == (0, 0)
    assert (pos["L3"]["episodes_started_12m"], pos["L3"]["episodes_closed_12m"]) == (0, 0)
    assert pos["L3"]["balance_prev_month_end_cents"] == 0
    assert pos["L3"]["balance_cents"] == 600_00


# --------------------------------------------------------------------------------------------------
# Months paid late among March–August 2025
# --------------------------------------------------------------------------------------------------


def test_months_paid_late(engine):
    p = Portfolio(engine)
    for lease in ("LATE20", "ADVANCE", "OLDDEBT", "NEVER", "MIXED"):
        p.lease(lease)
        p.monthly(lease, "2025-02", 8)        # due on the 1st, February → September
    for month in range(2, 10):
        p.pay("LATE20", f"2025-{month:02d}-20", 600_00)        # every month on the 20th: late
        p.pay("ADVANCE", f"2025-{month - 1:02d}-28", 600_00)   # on the 28th of the month before: not late
    # OLDDEBT: 200 € left unpaid in February (< 300 €, half the monthly due), then pays on the due date.
    p.pay("OLDDEBT", "2025-02-01", 400_00)
    for month in range(3, 10):
        p.pay("OLDDEBT", f"2025-{month:02d}-01", 600_00)
    # MIXED: on the due date except April and June, paid on the 28th.
    for month in range(2, 10):
        p.pay("MIXED", f"2025-{month:02d}-{28 if month in (4, 6) else 1:02d}", 600_00)
    p.commit()
    pos = positions(engine)
    assert pos["LATE20"]["months_paid_late_6m"] == 6    # Mar 11: 600 − max(0, 0) = 600 > 300, 0 on the 31st
    assert pos["ADVANCE"]["months_paid_late_6m"] == 0   # on each 11th: 0 − max(−600, 0) = 0
    assert pos["OLDDEBT"]["months_paid_late_6m"] == 0   # on each 11th: 200 − 200 = 0
    assert pos["NEVER"]["months_paid_late_6m"] == 0     # never paid: months unpaid, not late (revision 5)
    assert pos["MIXED"]["months_paid_late_6m"] == 2


def test_month_paid_late_counts_only_months_with_a_rent_entry_and_uses_the_monthly_due(engine):
    p = Portfolio(engine)
    # Tiers payant: monthly due 600 − 250 = 350 €, half 175 €; the benefit is booked with the bill.
    lease = p.lease("L1", start_on="2025-07-01", benefit=250_00, benefit_to_landlord=True)
    p.monthly(lease, "2025-07", 3)            # July, August, September only: March–June have no rent
    for month in (7, 8, 9):
        p.pay(lease, f"2025-{month:02d}-01", 250_00, kind="benefit")
    p.pay(lease, "2025-07-01", 350_00)        # July 11: 600 − 250 − 350 = 0 unpaid → not late
    p.pay(lease, "2025-08-01", 100_00)        # Aug 11: 600 − 250 − 100 = 250 unpaid > 175, 0 on the 31st → late
    p.pay(lease, "2025-08-20", 250_00)
    p.commit()
    pos = positions(engine)["L1"]
    assert pos["monthly_due_cents"] == 350_00
    assert pos["months_paid_late_6m"] == 1
    assert pos["balance_cents"] == 350_00     # September's share not paid yet


@pytest.mark.parametrize(("paid_on", "late"), [
    ("05", False),   # on the 5th for the 1st: on time
    ("11", False),   # on the grace date d + 10 days itself: on time
    ("12", True),    # the day after the grace date
    ("31", True),    # on the month's last day: paid that month, late
    (None, False),   # on the 1st of the next month: the month is unpaid, not late
])
def test_month_paid_late_boundaries_grace_date_and_month_end(engine, paid_on, late):
    """Revision 5: late = more than half the monthly due unpaid at the grace date and paid by the month's
    last day. Only August 2025 is billed, so the count is 0 or 1."""
    p = Portfolio(engine)
    lease = p.lease("L1", start_on="2025-08-01")
    p.monthly(lease, "2025-08", 2)
    p.pay(lease, f"2025-08-{paid_on}" if paid_on else "2025-09-01", 600_00)
    p.commit()
    assert positions(engine)["L1"]["months_paid_late_6m"] == (1 if late else 0)


def test_month_paid_late_grace_past_the_month_end_and_the_grace_setting(engine):
    p = Portfolio(engine)
    # Due on the 25th: the grace date (4 September) is past August's last day → August cannot be late.
    late25 = p.lease("L25", start_on="2025-08-01")
    p.monthly(late25, "2025-08", 1, day=25)
    p.pay(late25, "2025-08-30", 600_00)
    # Due on the 1st, paid on the 8th: on time with 10 days of grace, late with 5.
    paid8 = p.lease("L8", start_on="2025-08-01")
    p.monthly(paid8, "2025-08", 1)
    p.pay(paid8, "2025-08-08", 600_00)
    # Paid by the month's end except 5 € (within the 10 € tolerance): late; 20 € left: unpaid.
    short = p.lease("LSHORT", start_on="2025-08-01")
    p.monthly(short, "2025-08", 1)
    p.pay(short, "2025-08-20", 595_00)
    short20 = p.lease("LSHORT20", start_on="2025-08-01")
    p.monthly(short20, "2025-08", 1)
    p.pay(short20, "2025-08-20", 580_00)
    p.commit()
    pos = positions(engine)
    assert pos["L25"]["months_paid_late_6m"] == 0
    assert pos["L8"]["months_paid_late_6m"] == 0
    assert pos["LSHORT"]["months_paid_late_6m"] == 1
    assert pos["LSHORT20"]["months_paid_late_6m"] == 0
    assert positions(engine, late_grace_days=5)["L8"]["months_paid_late_6m"] == 1


# --------------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("balance", "respected"), [(610_00, True), (610_01, False)])
def test_plan_respected_within_tolerance_and_grace(engine, balance, respected):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.charge(lease, "2025-05-01", balance)
    # Debt 1 200 €; installments due on or before D − 10 = Sep 15 count (3 × 200 = 600), Sep 16 does not.
    plan_id = p.plan(lease, agreed_on="2025-06-01", debt=1_200_00, installments=[
        ("2025-07-15", 200_00), ("2025-08-15", 200_00), ("2025-09-15", 200_00), ("2025-09-16", 200_00),
    ])
    p.commit()
    pos = positions(engine)["L1"]
    # Scheduled remaining = 1 200 − 600 = 600 €; respected when balance <= 600 + 10 €.
    assert pos["active_plan_id"] == plan_id and pos["active_plan_kind"] == "amicable"
    assert pos["plan_respected"] is respected
    assert pos["is_protected"] is False


def test_plan_selection_protection_and_erasure(engine):
    p = Portfolio(engine)
    p.lease("NOPLAN")
    p.lease("TWO")
    p.plan("TWO", agreed_on="2025-01-10", debt=900_00)
    newer = p.plan("TWO", kind="overindebtedness", agreed_on="2025-04-02", debt=900_00)
    p.plan("TWO", agreed_on="2025-10-01", debt=900_00)                    # agreed after D
    p.lease("MORATORIUM")
    p.plan("MORATORIUM", kind="moratorium", agreed_on="2025-03-01", debt=100_00)
    p.lease("DONE")
    p.plan("DONE", agreed_on="2024-03-01", debt=100_00, status="completed", closed_on="2024-09-01")
    p.lease("ERASED")
    p.plan("ERASED", kind="overindebtedness", agreed_on="2023-03-01", debt=3_000_00, status="erased",
           closed_on="2025-09-25")
    p.lease("ERASED_LATER")
    p.plan("ERASED_LATER", kind="overindebtedness", agreed_on="2023-03-01", debt=3_000_00, status="erased",
           closed_on="2025-09-26")
    p.commit()
    pos = positions(engine)
    assert pos["NOPLAN"]["active_plan_id"] is None and pos["NOPLAN"]["plan_respected"] is None
    assert (pos["TWO"]["active_plan_id"], pos["TWO"]["active_plan_kind"]) == (newer, "overindebtedness")
    assert pos["TWO"]["plan_respected"] is True          # balance 0 <= 900 + 10
    assert pos["TWO"]["is_protected"] is True
    assert pos["MORATORIUM"]["is_protected"] is True
    assert pos["DONE"]["active_plan_id"] is None and pos["DONE"]["is_protected"] is False
    assert pos["ERASED"]["is_debt_erased"] is True       # closed_on <= D
    assert pos["ERASED_LATER"]["is_debt_erased"] is False
    assert pos["ERASED"]["active_plan_id"] is None


# --------------------------------------------------------------------------------------------------
# Lease figures: status, monthly due, months in arrears, effort rate, forwarding address, last action
# --------------------------------------------------------------------------------------------------


def test_in_place_and_departed(engine):
    p = Portfolio(engine)
    p.lease("FUTURE", start_on="2025-09-26")
    p.lease("LEFT_YESTERDAY", end_on="2025-09-24")
    p.lease("LEAVES_TODAY", end_on="2025-09-25")
    p.lease("LEAVES_TOMORROW", end_on="2025-09-26")
    p.lease("STARTS_TODAY", start_on="2025-09-25")
    p.commit()
    pos = positions(engine)
    assert list(pos) == sorted(pos)
    status = {lease: (row["is_in_place"], row["is_departed"]) for lease, row in pos.items()}
    assert status == {
        "FUTURE": (False, False),
        "LEFT_YESTERDAY": (False, True),
        "LEAVES_TODAY": (False, True),      # end_on <= D
        "LEAVES_TOMORROW": (True, False),
        "STARTS_TODAY": (True, False),
    }


def test_monthly_due_months_in_arrears_and_effort_rate(engine):
    p = Portfolio(engine)
    # Tiers payant: 500 + 100 − 200 = 400 €; effort rate (600 − 200) / 1 000 = 0.4 either way.
    p.lease("TP", benefit=200_00, benefit_to_landlord=True, income=1_000_00)
    p.lease("NOTP", benefit=200_00, benefit_to_landlord=False, income=1_000_00)
    p.lease("ZERO_INCOME", income=0)
    p.lease("ROUND", income=None)
    p.charge("ROUND", "2025-09-01", 1_005_00)          # 1 005 / 600 = 1.675 → 1.68 (halves away from 0)
    p.lease("CREDIT")
    p.pay("CREDIT", "2025-09-01", 1_005_00)            # −1.675 → −1.68
    p.lease("ALL_BENEFIT", rent=300_00, charges=0, benefit=300_00, benefit_to_landlord=True)
    p.charge("ALL_BENEFIT", "2025-09-01", 150_00)      # monthly due 0: divide by rent + charges, 0.5
    p.commit()
    pos = positions(engine)
    assert pos["TP"]["monthly_due_cents"] == 400_00
    assert pos["NOTP"]["monthly_due_cents"] == 600_00
    assert pos["TP"]["effort_rate"] == pos["NOTP"]["effort_rate"] == 0.4000
    assert pos["ZERO_INCOME"]["effort_rate"] is None
    assert pos["ROUND"]["effort_rate"] is None
    assert pos["ROUND"]["months_in_arrears"] == 1.68
    assert pos["CREDIT"]["months_in_arrears"] == -1.68
    assert pos["ALL_BENEFIT"]["monthly_due_cents"] == 0
    assert pos["ALL_BENEFIT"]["months_in_arrears"] == 0.50


def test_forwarding_address_last_action_and_last_payment(engine):
    p = Portfolio(engine)
    p.lease("FWD", forwarding={"line1": "3 rue Neuve", "postcode": "75011", "city": "Paris"})
    p.lease("NO_CITY", forwarding={"line1": "3 rue Neuve", "postcode": "75011"})
    p.lease("NONE")
    p.action("FWD", "2025-09-02", "phone_call", outcome="no_answer")
    p.action("FWD", "2025-09-10", "letter")
    p.action("FWD", "2025-09-26", "formal_notice")      # after D: ignored
    p.pay("FWD", "2025-09-03", 200_00)
    p.pay("FWD", "2025-09-03", 100_00, kind="direct_debit")   # same day: 300 € paid that day
    p.pay("FWD", "2025-09-04", 50_00, kind="benefit")         # not a payment
    p.pay("FWD", "2025-09-30", 600_00)                        # after D
    p.commit()
    pos = positions(engine)
    assert pos["FWD"]["has_forwarding_address"] is True
    assert pos["NO_CITY"]["has_forwarding_address"] is False
    assert pos["NONE"]["has_forwarding_address"] is False
    assert (pos["FWD"]["last_action_on"], pos["FWD"]["last_action_kind"]) == (day("2025-09-10"), "letter")
    assert (pos["FWD"]["last_payment_on"], pos["FWD"]["last_payment_cents"]) == (day("2025-09-03"), 300_00)
    assert pos["NONE"]["last_action_on"] is None and pos["NONE"]["last_payment_on"] is None


# --------------------------------------------------------------------------------------------------
# Store, subset, CLI frame
# --------------------------------------------------------------------------------------------------


def test_store_positions_replaces_the_rows_of_the_date(engine):
    p = Portfolio(engine)
    for lease in ("L1", "L2", "L3"):
        p.lease(lease)
        p.charge(lease, "2025-09-01", 600_00)
    p.pay("L2", "2025-09-03", 600_00)
    p.commit()
    with engine.begin() as conn:
        assert store_positions(conn, D) == 3
        assert store_positions(conn, D) == 3                    # replaces, no duplicate key
        assert store_positions(conn, day("2025-08-31")) == 3
        assert store_positions(conn, D, ["L2"]) == 1
    with engine.connect() as conn:
        rows = conn.execute(text(
            "select lease_id, balance_cents, months_in_arrears, is_in_place, arrears_start "
            "from lease_positions where as_of = :as_of order by lease_id"), {"as_of": D}).all()
        count = conn.execute(text("select count(*) from lease_positions")).scalar_one()
    assert count == 6
    assert [(r[0], r[1], Decimal(str(r[2]))) for r in rows] == [
        ("L1", 600_00, Decimal("1.00")), ("L2", 0, Decimal("0.00")), ("L3", 600_00, Decimal("1.00"))]
    assert all(bool(r[3]) for r in rows)


def test_subset_of_leases_and_cli_frame(engine):
    p = Portfolio(engine)
    for lease in ("00417", "417", "L-000123"):
        p.lease(lease)
    p.charge("417", "2025-09-01", 600_00)
    p.commit()
    pos = positions(engine, lease_ids=["417", "L-000123"])
    assert list(pos) == ["417", "L-000123"]
    assert pos["417"]["balance_cents"] == 600_00
    with engine.connect() as conn:
        frame = positions_frame(conn, D)
    assert list(frame["lease_id"]) == ["00417", "417", "L-000123"]
    assert frame.columns[0] == "lease_id"
    row = frame.set_index("lease_id").loc["417"]
    assert (row["as_of"], row["debt_since"], row["arrears_start"]) == ("2025-09-25", "2025-09-01", "2025-09-01")
    assert row["months_in_arrears"] == "1.00" and row["balance_cents"] == 600_00


def test_load_sql_reads_named_files_only():
    from arrears.core.sqlfiles import load_sql

    assert "select * from final" in load_sql("positions/lease_positions")
    assert load_sql("positions/lease_positions") is load_sql("positions/lease_positions")   # cached
    with pytest.raises(ValueError):
        load_sql("../arrears/models")
    with pytest.raises(FileNotFoundError):
        load_sql("positions/no_such_query")
