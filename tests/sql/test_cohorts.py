"""Each step's cohort on small hand-built portfolios, on SQLite and PostgreSQL.

Every lease is named after why it is in or out. ``p.charge(lease, due_on, amount)`` puts a debt on the
ledger; ``p.monthly`` bills 500 € rent + 100 € charges on the 1st (monthly due 600 €).
"""

from __future__ import annotations

import datetime as dt

from arrears.core.calendar import add_months, successive_months
from arrears.core.models import StepRun, TransferProposal
from arrears.select.cohorts import COHORT_COLUMNS, cohort_frame
from factories import Portfolio
from sqlalchemy.orm import Session


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def cohort(engine, step, as_of) -> list[str]:
    frame = cohort_frame(engine, step, day(as_of) if isinstance(as_of, str) else as_of)
    assert list(frame.columns[:1]) == ["lease_id"]
    assert list(frame["lease_id"]) == sorted(frame["lease_id"])
    return list(frame["lease_id"])


def add_step_run(engine, step, period, as_of, status="success", dry_run=False, run_id=None):
    with Session(engine) as s:
        s.add(StepRun(step=step, period=period, as_of=day(as_of), run_id=run_id or f"run-{step}-{as_of}-{dry_run}",
                      dry_run=dry_run, status=status, summary={}, started_at=dt.datetime(2025, 1, 1)))
        s.commit()


def test_add_months_clamps_to_month_end():
    assert add_months(day("2025-08-31"), -6) == day("2025-02-28")
    assert add_months(day("2024-02-29"), 12) == day("2025-02-28")
    assert add_months(day("2025-09-10"), -12) == day("2024-09-10")


def test_successive_months():
    assert successive_months({10, 11, 12}, 12) == 3
    assert successive_months({9, 11, 12}, 12) == 2


def test_step_1_small_balances(engine):
    p = Portfolio(engine)
    for lease, amount in (("in_9999", 99_99), ("out_10000", 100_00), ("out_zero", 0), ("out_one_cent", 1),
                          ("out_at_tolerance", 10_00), ("in_above_tolerance", 10_01)):
        p.lease(lease)
        if amount:
            p.charge(lease, "2025-08-01", amount)
    p.lease("out_active_plan")                  # 50 € but an active plan
    p.charge("out_active_plan", "2025-08-01", 50_00)
    p.plan("out_active_plan", agreed_on="2025-08-10", debt=50_00, installments=[("2025-10-05", 50_00)])
    p.lease("out_contentieux", stage="contentieux")
    p.charge("out_contentieux", "2025-08-01", 50_00)
    p.lease("out_not_started", start_on="2025-09-02")   # starts after D: no cohort at all
    p.charge("out_not_started", "2025-08-01", 50_00)
    p.lease("out_ended_day_before", end_on="2025-08-31")  # departed the day before D
    p.charge("out_ended_day_before", "2025-08-01", 50_00)
    p.lease("in_ends_day_after", end_on="2025-09-02")     # still in place at D
    p.charge("in_ends_day_after", "2025-08-01", 50_00)
    p.commit()
    # Arrears age (revision 5): 15 days is enough, 14 is not; the quittance falling due on D is not a residual.
    p.lease("in_age_15_days")
    p.charge("in_age_15_days", "2025-08-17", 50_00)
    p.lease("out_age_14_days")
    p.charge("out_age_14_days", "2025-08-18", 50_00)
    p.lease("out_due_today", rent=80_00, charges=0)
    p.charge("out_due_today", "2025-09-01", 80_00)
    p.commit()
    assert cohort(engine, 1, "2025-09-01") == ["in_9999", "in_above_tolerance", "in_age_15_days",
                                               "in_ends_day_after"]
    frame = cohort_frame(engine, "small_balances", day("2025-09-01"))
    assert tuple(frame.columns[: len(COHORT_COLUMNS)]) == COHORT_COLUMNS
    row = frame.set_index("lease_id").loc["in_9999"]
    assert row["balance_cents"] == 99_99 and row["officer_id"] == "S1" and row["phones"] == "06 12 34 56 78"


def test_step_2_cleared_files(engine):
    p = Portfolio(engine)
    p.lease("in_debt_at_month_end")             # owed 600 € on Aug 31, paid on Sep 2
    p.charge("in_debt_at_month_end", "2025-08-01", 600_00)
    p.pay("in_debt_at_month_end", "2025-09-02", 600_00)
    p.lease("in_pipeline_action_90_days")       # a step-1 letter on D − 90 days (2025-06-07), included
    p.action("in_pipeline_action_90_days", "2025-06-07", "letter", step=1, period="2025-06")
    p.lease("out_pipeline_action_91_days")
    p.action("out_pipeline_action_91_days", "2025-06-06", "letter", step=1, period="2025-06")
    p.lease("out_imported_action")              # an imported action carries no step
    p.action("out_imported_action", "2025-08-20", "phone_call")
    p.lease("out_step_13_action")               # steps 13-15 do not open an arrears file
    p.action("out_step_13_action", "2025-08-20", "refund", step=13, period="2025-08")
    p.lease("out_still_owes")                   # debt at the month end, still 1 € now
    p.charge("out_still_owes", "2025-08-01", 600_00)
    p.pay("out_still_owes", "2025-09-02", 599_00)
    p.lease("out_contentieux", stage="contentieux")
    p.charge("out_contentieux", "2025-08-01", 600_00)
    p.pay("out_contentieux", "2025-09-02", 600_00)
    p.commit()
    assert cohort(engine, 2, "2025-09-05") == ["in_debt_at_month_end", "in_pipeline_action_90_days"]


def test_step_3_large_balances(engine):
    p = Portfolio(engine)
    for lease, amount, stage in (("in_1500", 1500_00, "precontentieux"), ("out_1499_99", 1499_99, "precontentieux"),
                                 ("in_2000", 2000_00, "precontentieux"), ("out_ctx", 2000_00, "contentieux")):
        p.lease(lease, stage=stage)
        p.charge(lease, "2025-06-01", amount)
    p.commit()
    assert cohort(engine, 3, "2025-09-05") == ["in_1500", "in_2000"]


def test_step_4_broken_plans_tolerance(engine):
    # D = 2025-09-15: installments due on or before D − 10 days = 2025-09-05 count. The plan covers
    # 1 000 €, 3 × 200 € are due by then: 400 € remain scheduled; tolerance 10 €.
    p = Portfolio(engine)
    installments = [("2025-07-05", 200_00), ("2025-08-05", 200_00), ("2025-09-05", 200_00), ("2025-10-05", 200_00)]
    for lease, balance in (("out_within_tolerance", 410_00), ("in_past_tolerance", 410_01)):
        p.lease(lease)
        p.charge(lease, "2025-06-01", balance)
        p.plan(lease, agreed_on="2025-06-20", debt=1000_00, installments=installments)
    p.lease("out_installment_in_grace")         # Sep 6 instalment is still within the grace period
    p.charge("out_installment_in_grace", "2025-06-01", 1000_00)
    p.plan("out_installment_in_grace", agreed_on="2025-06-20", debt=1000_00,
           installments=[("2025-09-06", 200_00)])
    p.lease("out_plan_agreed_after_d")
    p.charge("out_plan_agreed_after_d", "2025-06-01", 1000_00)
    p.plan("out_plan_agreed_after_d", agreed_on="2025-09-16", debt=1000_00, installments=installments)
    p.lease("in_overindebtedness_plan")         # any kind of plan: the LRAR is decided later
    p.charge("in_overindebtedness_plan", "2025-06-01", 1000_00)
    p.plan("in_overindebtedness_plan", kind="overindebtedness", agreed_on="2025-06-20", debt=1000_00,
           installments=installments)
    p.commit()
    assert cohort(engine, 4, "2025-09-15") == ["in_overindebtedness_plan", "in_past_tolerance"]
    frame = cohort_frame(engine, 4, day("2025-09-15")).set_index("lease_id")
    assert frame.loc["in_overindebtedness_plan", "plan_kind"] == "overindebtedness"


def test_step_5_files_without_action(engine):
    # D = 2025-09-25; D − 30 days = 2025-08-26.
    p = Portfolio(engine)
    p.lease("in_age_31")
    p.charge("in_age_31", "2025-08-25", 600_00)
    p.lease("out_age_30")
    p.charge("out_age_30", "2025-08-26", 600_00)
    p.lease("out_action_on_d_minus_30")
    p.charge("out_action_on_d_minus_30", "2025-08-01", 600_00)
    p.action("out_action_on_d_minus_30", "2025-08-26", "note")
    p.lease("in_action_on_d_minus_31")
    p.charge("in_action_on_d_minus_31", "2025-08-01", 600_00)
    p.action("in_action_on_d_minus_31", "2025-08-25", "phone_call", outcome="reached")
    p.lease("out_respected_plan")
    p.charge("out_respected_plan", "2025-08-01", 600_00)
    p.plan("out_respected_plan", agreed_on="2025-08-05", debt=600_00, installments=[("2025-10-05", 600_00)])
    p.lease("in_plan_not_respected")
    p.charge("in_plan_not_respected", "2025-07-01", 600_00)
    p.plan("in_plan_not_respected", agreed_on="2025-07-05", debt=600_00, installments=[("2025-08-05", 600_00)])
    # Revision 5: a letter recorded on D by step 11 (same run date) does not change step 5's cohort — the
    # same whichever step runs first; an imported action on D does.
    p.lease("in_pipeline_letter_on_d")
    p.charge("in_pipeline_letter_on_d", "2025-08-01", 600_00)
    p.action("in_pipeline_letter_on_d", "2025-09-25", "letter", step=11, period="2025-09")
    p.lease("out_imported_call_on_d")
    p.charge("out_imported_call_on_d", "2025-08-01", 600_00)
    p.action("out_imported_call_on_d", "2025-09-25", "phone_call")
    p.commit()
    assert cohort(engine, 5, "2025-09-25") == ["in_action_on_d_minus_31", "in_age_31", "in_pipeline_letter_on_d",
                                               "in_plan_not_respected"]


def test_step_7_new_tenants(engine):
    # D = 2025-09-10: start_on >= 2024-09-10; arrears age > 15 days (start before 2025-08-26).
    p = Portfolio(engine)
    for lease, start, due in (("in_start_12_months_ago", "2024-09-10", "2025-08-20"),
                              ("out_start_12_months_and_a_day", "2024-09-09", "2025-08-20"),
                              ("out_age_15", "2025-01-01", "2025-08-26"),
                              ("in_age_16", "2025-01-01", "2025-08-25")):
        p.lease(lease, start_on=start)
        p.charge(lease, due, 600_00)
    p.commit()
    assert cohort(engine, 7, "2025-09-10") == ["in_age_16", "in_start_12_months_ago"]


def test_step_8_repeat_debtors(engine):
    # D = 2025-09-20: the episode window's month ends run from 2024-08-31 to 2025-08-31.
    p = Portfolio(engine)
    p.lease("in_two_closed_episodes")
    for due, paid in (("2024-10-15", "2024-11-10"), ("2025-02-10", "2025-03-05")):
        p.charge("in_two_closed_episodes", due, 600_00)
        p.pay("in_two_closed_episodes", paid, 600_00)
    p.charge("in_two_closed_episodes", "2025-09-01", 600_00)
    p.lease("out_one_closed_episode")
    p.charge("out_one_closed_episode", "2024-10-15", 600_00)
    p.pay("out_one_closed_episode", "2024-11-10", 600_00)
    p.charge("out_one_closed_episode", "2025-09-01", 600_00)
    p.lease("in_plan_broken_24_months_ago")
    p.charge("in_plan_broken_24_months_ago", "2025-09-01", 600_00)
    p.plan("in_plan_broken_24_months_ago", agreed_on="2023-01-10", debt=900_00, status="broken",
           closed_on="2023-09-20")
    p.lease("out_plan_broken_earlier")
    p.charge("out_plan_broken_earlier", "2025-09-01", 600_00)
    p.plan("out_plan_broken_earlier", agreed_on="2023-01-10", debt=900_00, status="broken", closed_on="2023-09-19")
    p.lease("out_no_debt_now")
    for due, paid in (("2024-10-15", "2024-11-10"), ("2025-02-10", "2025-03-05")):
        p.charge("out_no_debt_now", due, 600_00)
        p.pay("out_no_debt_now", paid, 600_00)
    p.commit()
    assert cohort(engine, 8, "2025-09-20") == ["in_plan_broken_24_months_ago", "in_two_closed_episodes"]


def test_step_9_late_payers(engine):
    # D = 2025-09-25: March-August 2025 are the six months; 600 € due on the 1st, half is 300 €.
    p = Portfolio(engine)
    for lease, late_months in (("in_late_twice", {3, 4}), ("out_late_once", {3}), ("in_late_six", set(range(3, 9)))):
        p.lease(lease)
        p.monthly(lease, "2025-03", 7)
        for month in range(3, 9):
            p.pay(lease, f"2025-{month:02d}-{20 if month in late_months else 1:02d}", 600_00)
    p.lease("out_more_than_monthly_due")
    p.monthly("out_more_than_monthly_due", "2025-03", 7)
    for month in range(3, 9):
        p.pay("out_more_than_monthly_due", f"2025-{month:02d}-20", 600_00)
    p.charge("out_more_than_monthly_due", "2025-09-02", 1, kind="fee")
    p.commit()
    assert cohort(engine, 9, "2025-09-25") == ["in_late_six", "in_late_twice"]


def test_step_10_reject_window_without_previous_run(engine):
    # D = 2025-09-10, no previous run: (2025-08-10, 2025-09-10].
    p = Portfolio(engine)
    for lease, on in (("out_on_d_minus_1_month", "2025-08-10"), ("in_day_after", "2025-08-11"),
                      ("in_on_d", "2025-09-10"), ("out_after_d", "2025-09-11")):
        p.lease(lease, payment_method="direct_debit", mandate_active=True)
        p.reject(lease, on, 600_00)
    p.lease("in_three_successive", payment_method="direct_debit", mandate_active=True)
    for on in ("2025-07-05", "2025-08-05", "2025-09-05"):
        p.reject("in_three_successive", on, 600_00)
    p.lease("in_two_successive_only", payment_method="direct_debit", mandate_active=True)
    for on in ("2025-06-05", "2025-08-05", "2025-09-05"):
        p.reject("in_two_successive_only", on, 600_00)
    p.commit()
    frame = cohort_frame(engine, 10, day("2025-09-10")).set_index("lease_id")
    assert list(frame.index) == ["in_day_after", "in_on_d", "in_three_successive", "in_two_successive_only"]
    assert bool(frame.loc["in_three_successive", "is_successive_rejects"]) is True
    assert bool(frame.loc["in_two_successive_only", "is_successive_rejects"]) is False
    assert frame.loc["in_three_successive", "rejected_on"] == day("2025-09-05")


def test_step_10_window_starts_after_previous_run(engine):
    p = Portfolio(engine)
    for lease, on in (("out_before_previous_run", "2025-08-20"), ("in_after_previous_run", "2025-08-26")):
        p.lease(lease, payment_method="direct_debit", mandate_active=True)
        p.reject(lease, on, 600_00)
    p.commit()
    add_step_run(engine, 10, "2025-08", "2025-08-25")
    add_step_run(engine, 10, "2025-09", "2025-09-01", dry_run=True)     # dry runs do not count
    add_step_run(engine, 10, "2025-09", "2025-09-02", status="failed")  # nor failed ones
    assert cohort(engine, 10, "2025-09-10") == ["in_after_previous_run"]


def _step_11_lease(p, lease, *, balance=1800_00, due="2025-05-01", notice="2025-06-01", **kw):
    p.lease(lease, **kw)
    p.charge(lease, due, balance)
    if notice:
        p.action(lease, notice, "formal_notice")


def test_step_11_pre_litigation_review(engine):
    # D = 2025-09-25: formal notice by D − 15 days = 2025-09-10; arrears start <= D − 90 days = 2025-06-27.
    p = Portfolio(engine)
    _step_11_lease(p, "in_three_months_due", balance=1800_00, notice="2025-09-10")
    _step_11_lease(p, "out_notice_too_recent", notice="2025-09-11")
    _step_11_lease(p, "out_notice_before_arrears", notice="2025-04-30")
    _step_11_lease(p, "out_no_notice", notice=None)
    _step_11_lease(p, "in_long_arrears_500", balance=500_00, due="2025-06-27", notice="2025-07-01")
    _step_11_lease(p, "out_long_arrears_too_recent", balance=500_00, due="2025-06-28", notice="2025-07-01")
    _step_11_lease(p, "out_long_arrears_499_99", balance=499_99, due="2025-05-01")
    _step_11_lease(p, "out_protected")
    p.plan("out_protected", kind="moratorium", agreed_on="2025-07-01", debt=1800_00,
           installments=[("2026-01-05", 1800_00)])
    _step_11_lease(p, "out_respected_plan")
    p.plan("out_respected_plan", agreed_on="2025-07-01", debt=1800_00, installments=[("2025-12-05", 1800_00)])
    _step_11_lease(p, "out_contentieux", stage="contentieux")
    p.commit()
    assert cohort(engine, 11, "2025-09-25") == ["in_long_arrears_500", "in_three_months_due"]


def test_step_6_reads_last_months_proposals(engine):
    p = Portfolio(engine)
    _step_11_lease(p, "in_proposed_still_qualifies")
    _step_11_lease(p, "out_proposed_paid_since")
    p.pay("out_proposed_paid_since", "2025-08-28", 1800_00)
    _step_11_lease(p, "out_qualifies_not_proposed")
    p.commit()
    add_step_run(engine, 11, "2025-08", "2025-08-25")
    with Session(engine) as s:
        for lease in ("in_proposed_still_qualifies", "out_proposed_paid_since"):
            s.add(TransferProposal(lease_id=lease, period="2025-08", proposed_on=day("2025-08-25")))
        s.commit()
    frame = cohort_frame(engine, 6, day("2025-09-01"))
    assert list(frame["lease_id"]) == ["in_proposed_still_qualifies"]
    assert frame["proposal_source"].tolist() == ["step_11_run"]


def test_step_6_recomputes_step_11_when_it_did_not_run(engine):
    # Step 11 did not run in August: its cohort is recomputed on its planned date, Monday 2025-08-25.
    p = Portfolio(engine)
    _step_11_lease(p, "in_qualified_then_and_now")
    _step_11_lease(p, "out_not_yet_noticed_then", notice="2025-08-20")   # notice < 15 days old on Aug 25
    p.commit()
    add_step_run(engine, 11, "2025-08", "2025-08-25", dry_run=True)     # a dry run is not a run
    frame = cohort_frame(engine, 6, day("2025-09-01"))
    assert list(frame["lease_id"]) == ["in_qualified_then_and_now"]
    assert frame["proposed_on"].tolist() == [day("2025-08-25")]


def test_step_12_sls_sanction(engine):
    p = Portfolio(engine)
    p.lease("in_sanction", sls_status="sanction")
    p.charge("in_sanction", "2025-09-01", 100_00)
    p.lease("out_sanction_no_debt", sls_status="sanction")
    p.lease("out_answered", sls_status="answered")
    p.charge("out_answered", "2025-09-01", 100_00)
    p.commit()
    assert cohort(engine, 12, "2025-09-15") == ["in_sanction"]


def test_step_13_credit_balances(engine):
    # D = 2025-09-01; monthly due 600 €.
    p = Portfolio(engine)
    p.lease("in_departed_credit_1_cent", end_on="2025-06-30")
    p.pay("in_departed_credit_1_cent", "2025-06-15", 1)
    p.lease("out_departed_zero", end_on="2025-06-30")
    p.lease("in_departed_contentieux", end_on="2025-06-30", stage="contentieux")   # any stage
    p.pay("in_departed_contentieux", "2025-06-15", 50_00)
    p.lease("in_place_credit_above_due")
    p.pay("in_place_credit_above_due", "2025-08-15", 600_01)
    p.lease("out_place_credit_one_due")
    p.pay("out_place_credit_one_due", "2025-08-15", 600_00)
    p.lease("in_departed_long_ago", end_on="2022-08-31")
    p.pay("in_departed_long_ago", "2022-08-15", 20_00)
    p.commit()
    frame = cohort_frame(engine, 13, day("2025-09-01")).set_index("lease_id")
    assert list(frame.index) == ["in_departed_contentieux", "in_departed_credit_1_cent", "in_departed_long_ago",
                                 "in_place_credit_above_due"]
    assert bool(frame.loc["in_departed_long_ago", "is_exceptional_income"]) is True
    assert bool(frame.loc["in_departed_credit_1_cent", "is_exceptional_income"]) is False
    assert frame.loc["in_place_credit_above_due", "credit_cents"] == 600_01


def test_step_14_write_offs(engine):
    # D = 2025-09-01: end_on <= 2024-09-01; no payment posted in (2025-03-01, 2025-09-01].
    p = Portfolio(engine)
    fwd = {"line1": "3 rue Neuve", "postcode": "69001", "city": "Lyon"}
    p.lease("in_small_balance", end_on="2024-09-01", forwarding=fwd)
    p.charge("in_small_balance", "2024-08-01", 299_99)
    p.lease("out_left_too_recently", end_on="2024-09-02", forwarding=fwd)
    p.charge("out_left_too_recently", "2024-08-01", 299_99)
    p.lease("out_300_with_address", end_on="2024-06-30", forwarding=fwd)
    p.charge("out_300_with_address", "2024-06-01", 300_00)
    p.lease("in_300_no_address", end_on="2024-06-30")
    p.charge("in_300_no_address", "2024-06-01", 300_00)
    p.lease("out_paid_recently", end_on="2024-06-30")
    p.charge("out_paid_recently", "2024-06-01", 400_00)
    p.pay("out_paid_recently", "2025-03-02", 10_00)
    p.lease("in_paid_on_d_minus_6_months", end_on="2024-06-30")
    p.charge("in_paid_on_d_minus_6_months", "2024-06-01", 400_00)
    p.pay("in_paid_on_d_minus_6_months", "2025-03-01", 10_00)
    p.lease("in_debt_erased", end_on="2024-06-30", forwarding=fwd)
    p.charge("in_debt_erased", "2024-06-01", 2000_00)
    p.plan("in_debt_erased", kind="overindebtedness", agreed_on="2024-01-01", debt=2000_00, status="erased",
           closed_on="2025-01-15")
    p.commit()
    assert cohort(engine, 14, "2025-09-01") == ["in_300_no_address", "in_debt_erased",
                                                 "in_paid_on_d_minus_6_months", "in_small_balance"]


def test_step_15_departed_debtors(engine):
    p = Portfolio(engine)
    fwd = {"line1": "3 rue Neuve", "postcode": "69001", "city": "Lyon"}
    p.lease("in_departed_debtor", end_on="2025-06-30", forwarding=fwd)
    p.charge("in_departed_debtor", "2025-06-01", 400_00)
    p.lease("in_left_on_d", end_on="2025-09-01")          # end_on <= D: departed
    p.charge("in_left_on_d", "2025-06-01", 400_00)
    p.lease("out_contentieux", end_on="2025-06-30", stage="contentieux")
    p.charge("out_contentieux", "2025-06-01", 400_00)
    p.lease("out_write_off_entry", end_on="2025-06-30")
    p.charge("out_write_off_entry", "2025-06-01", 400_00)
    p.entry("out_write_off_entry", "write_off", "2025-08-01", -100_00)
    p.lease("out_write_off_action", end_on="2025-06-30")
    p.charge("out_write_off_action", "2025-06-01", 400_00)
    p.action("out_write_off_action", "2025-08-01", "write_off")
    p.lease("out_erased", end_on="2025-06-30")
    p.charge("out_erased", "2025-06-01", 400_00)
    p.plan("out_erased", kind="overindebtedness", agreed_on="2024-01-01", debt=400_00, status="erased",
           closed_on="2025-07-15")
    p.lease("out_in_place", end_on="2025-09-02")
    p.charge("out_in_place", "2025-06-01", 400_00)
    p.commit()
    assert cohort(engine, 15, "2025-09-01") == ["in_departed_debtor", "in_left_on_d"]


def test_cohort_frame_stores_positions_once(engine):
    from arrears.core.models import LeasePosition
    from sqlalchemy import func, select

    p = Portfolio(engine)
    p.lease("L1")
    p.charge("L1", "2025-08-01", 50_00)
    p.commit()
    assert cohort(engine, 1, "2025-09-01") == ["L1"]
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(LeasePosition)
                         .where(LeasePosition.as_of == day("2025-09-01"))).scalar_one()
    assert n == 1
