"""The cohort of each plan step at a date D: the leases that meet the step's criteria (PLAN.md's table).

One SQL file per step in ``include/sql/cohorts/`` selects the lease ids (and what is particular to the
step: the reject of step 10, the plan of step 4…); every row then gets the figures worklists and letters
need (``support/lease_figures.sql``: staff, balance, monthly due, months in arrears, debt since and age,
arrears start and age, last payment, last action…) and the holders' phone numbers.

    frame = cohort_frame(engine, 3, dt.date(2025, 9, 5))    # one row per lease, sorted by lease_id

The queries read ``lease_positions`` at D; :func:`ensure_positions` stores them first when they are not
there. Dates the SQL needs (D − 90 days, D − 12 months…) are computed here and passed as parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from arrears.config.plan import Plan, StepSpec, load_plan
from arrears.core.calendar import add_months, month_index, period_of, planned_date_clamped, successive_months
from arrears.core.models import Lease, LeasePosition
from arrears.core.sqlfiles import run_sql

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection

STEP_FILES = {  # include/sql/<name>.sql of each step's cohort query
    1: "cohorts/01_small_balances", 2: "cohorts/02_cleared_files", 3: "cohorts/03_large_balances",
    4: "cohorts/04_broken_plans", 5: "cohorts/05_files_without_action", 6: "cohorts/06_end_of_pre_litigation",
    7: "cohorts/07_new_tenants", 8: "cohorts/08_repeat_debtors", 9: "cohorts/09_late_payers",
    10: "cohorts/10_direct_debit_rejects", 11: "cohorts/11_pre_litigation_review", 12: "cohorts/12_sls_sanction",
    13: "cohorts/13_credit_balances", 14: "cohorts/14_write_offs", 15: "cohorts/15_departed_debtors",
}


# --------------------------------------------------------------------------------------------------
# Positions at D
# --------------------------------------------------------------------------------------------------


def ensure_positions(engine: Engine, as_of: dt.date, plan: Plan | None = None) -> int:
    """Store ``lease_positions`` for ``as_of`` when they are not there (or do not cover every lease), in
    their own transaction. Returns the number of rows written (0 when they were already there)."""
    from arrears.select.positions import store_positions

    plan = plan or load_plan()
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(LeasePosition)
                              .where(LeasePosition.as_of == as_of)).scalar_one()
        leases = conn.execute(select(func.count()).select_from(Lease)).scalar_one()
    if stored and stored == leases:
        return 0
    with engine.begin() as conn:
        return store_positions(conn, as_of, tolerance_cents=plan.tolerance_cents,
                               grace_days=plan.plan_grace_days, late_grace_days=plan.late_payment_grace_days)


# --------------------------------------------------------------------------------------------------
# Parameters of each step's query
# --------------------------------------------------------------------------------------------------


def step_parameters(conn: Connection, plan: Plan, step: StepSpec, as_of: dt.date) -> dict[str, Any]:
    """The bind parameters of ``step``'s cohort query at D (thresholds from the plan, dates computed here)."""
    t = step.thresholds
    params: dict[str, Any] = {"as_of": as_of}
    n = step.number
    if n == 1:
        params["max_balance_cents"] = int(t["max_balance_cents"])
        params["tolerance_cents"] = int(plan.tolerance_cents)
        params["min_arrears_age_days"] = int(t["min_arrears_age_days"])
    elif n == 2:
        params["recent_since"] = as_of - dt.timedelta(days=int(t["recent_action_days"]))
    elif n == 3:
        params["min_balance_cents"] = int(t["min_balance_cents"])
    elif n == 5:
        params["min_arrears_age_days"] = int(t["min_arrears_age_days"])
        params["no_action_since"] = as_of - dt.timedelta(days=int(t["no_action_days"]))
    elif n == 6:
        params["proposal_period"] = period_of(add_months(as_of.replace(day=1), -1))
    elif n == 7:
        params["new_since"] = add_months(as_of, -int(t["new_tenant_months"]))
        params["min_arrears_age_days"] = int(t["min_arrears_age_days"])
    elif n == 8:
        params["min_closed_episodes"] = int(t["min_closed_episodes"])
        params["broken_since"] = add_months(as_of, -int(t["broken_plan_months"]))
    elif n == 9:
        params["min_months_paid_late"] = int(t["min_months_paid_late"])
    elif n == 10:
        params["since"] = previous_run_as_of(conn, 10, as_of) or add_months(as_of, -1)
    elif n == 11:
        params["min_months_due"] = int(t["min_months_due"])
        params["long_since"] = as_of - dt.timedelta(days=int(t["long_arrears_days"]))
        params["long_min_balance_cents"] = int(t["long_arrears_min_balance_cents"])
        params["notice_until"] = as_of - dt.timedelta(days=int(t["notice_min_age_days"]))
    elif n == 13:
        params["exceptional_before"] = add_months(as_of, -12 * int(t["exceptional_income_years"]))
    elif n == 14:
        params["departed_before"] = add_months(as_of, -int(t["departed_months"]))
        params["no_payment_since"] = add_months(as_of, -int(t["no_payment_months"]))
        params["max_balance_cents"] = int(t["max_balance_cents"])
    return params


def previous_run_as_of(conn: Connection, step: int, as_of: dt.date) -> dt.date | None:
    """The date of ``step``'s latest successful, non-dry run before D (None when it never ran)."""
    rows = run_sql(conn, "cohorts/support/previous_step_run", {"step": step, "as_of": as_of})
    value = rows[0]["previous_as_of"] if rows else None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value


def step_ran(conn: Connection, step: int, period: str) -> bool:
    """Whether ``step`` has a successful, non-dry run for ``period``."""
    return run_sql(conn, "cohorts/support/step_ran", {"step": step, "period": period})[0]["runs"] > 0


# --------------------------------------------------------------------------------------------------
# Cohorts
# --------------------------------------------------------------------------------------------------


def _step_rows(engine: Engine, plan: Plan, step: StepSpec, as_of: dt.date) -> list[dict[str, Any]]:
    """The rows of ``step``'s own query at D (lease ids and what is particular to the step)."""
    if step.number == 6:
        return _step6_rows(engine, plan, as_of)
    with engine.connect() as conn:
        params = step_parameters(conn, plan, step, as_of)
        rows = run_sql(conn, STEP_FILES[step.number], params)
        if step.number == 10 and rows:
            _add_successive_rejects(conn, rows, as_of, params["since"], int(step.threshold("successive_months")))
    return rows


def _step6_rows(engine: Engine, plan: Plan, as_of: dt.date) -> list[dict[str, Any]]:
    """Step 6: last month's transfer proposals of step 11 that are still in step 11's cohort at D.

    Last month's proposals are read from ``transfer_proposals`` when step 11 ran then (a successful,
    non-dry run of that period); otherwise step 11's cohort is recomputed at its planned date of last month.
    """
    step11 = plan.step(11)
    previous = add_months(as_of.replace(day=1), -1)
    with engine.connect() as conn:
        ran = step_ran(conn, 11, period_of(previous))
        proposals = run_sql(conn, STEP_FILES[6], {"proposal_period": period_of(previous)}) if ran else []
    if ran:
        candidates = {r["lease_id"]: {**r, "proposal_source": "step_11_run"} for r in proposals}
    else:
        proposed_on = planned_date_clamped(previous.year, previous.month, step11.day or 1, plan.region)
        proposed_on = min(proposed_on, as_of)  # a step-11 date moved past D cannot be read from the future
        ensure_positions(engine, proposed_on, plan)
        candidates = {
            r["lease_id"]: {"lease_id": r["lease_id"], "proposal_id": None, "proposed_on": proposed_on,
                            "proposal_status": None, "proposal_source": "recomputed"}
            for r in _step_rows(engine, plan, step11, proposed_on)
        }
    still = {r["lease_id"]: r for r in _step_rows(engine, plan, step11, as_of)}
    return [{**candidates[k], "formal_notice_on": still[k]["formal_notice_on"]}
            for k in sorted(candidates) if k in still]


def _add_successive_rejects(conn: Connection, rows: list[dict[str, Any]], as_of: dt.date, since: dt.date,
                            needed: int) -> None:
    """Step 10: "3 successive" = rejects (any code) in 3 consecutive calendar months, the last of which holds
    a reject of this run's window (since, D]."""
    history = run_sql(conn, "cohorts/support/rejects_history", {"as_of": as_of}, [r["lease_id"] for r in rows])
    months: dict[str, set[int]] = {}
    window: dict[str, set[int]] = {}
    for r in history:
        months.setdefault(r["lease_id"], set()).add(month_index(r["rejected_on"]))
        if r["rejected_on"] > since:
            window.setdefault(r["lease_id"], set()).add(month_index(r["rejected_on"]))
    for row in rows:
        lease_months = months.get(row["lease_id"], set())
        best = max((successive_months(lease_months, m) for m in window.get(row["lease_id"], ())), default=0)
        row["reject_window_since"] = since
        row["successive_reject_months"] = best
        row["is_successive_rejects"] = best >= needed


def lease_figures(conn: Connection, as_of: dt.date, lease_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The figures of ``lease_ids`` at D (support/lease_figures.sql), with the holders' phone numbers."""
    if not lease_ids:
        return {}
    wanted = set(lease_ids)
    figures = {r["lease_id"]: r
               for r in run_sql(conn, "cohorts/support/lease_figures", {"as_of": as_of}, list(wanted))}
    holders: dict[str, list[dict[str, Any]]] = {}
    for h in run_sql(conn, "cohorts/support/holders", {}, list(wanted)):
        holders.setdefault(h["lease_id"], []).append(h)
    for lease_id, row in figures.items():
        hs = holders.get(lease_id, [])
        living = [h for h in hs if not h["is_deceased"]]
        phones: list[str] = []
        for h in living:
            for key in ("phone_mobile", "phone_home", "phone_work"):
                number = (h[key] or "").strip()
                if number and number not in phones:
                    phones.append(number)
        row["holders"] = len(hs)
        row["living_holders"] = len(living)
        row["phones"] = " / ".join(phones) or None
        row["employer_phones"] = " / ".join(
            dict.fromkeys((h["phone_work"] or "").strip() for h in living if (h["phone_work"] or "").strip())
        ) or None
    return figures


def cohort_records(engine: Engine, step: int | str, as_of: dt.date, plan: Plan | None = None
                   ) -> list[dict[str, Any]]:
    """The cohort of ``step`` at D as dicts: one per lease, sorted by lease_id, lease_id first, with the
    lease's figures and the step's own columns."""
    plan = plan or load_plan()
    spec = plan.step(step)
    ensure_positions(engine, as_of, plan)
    rows = _step_rows(engine, plan, spec, as_of)
    with engine.connect() as conn:
        figures = lease_figures(conn, as_of, [r["lease_id"] for r in rows])
    records = []
    for row in sorted(rows, key=lambda r: r["lease_id"]):
        base = figures.get(row["lease_id"], {"lease_id": row["lease_id"]})
        extra = {k: v for k, v in row.items() if k not in base}
        records.append({**base, **extra})
    return records


COHORT_COLUMNS = (
    "lease_id", "agency_id", "officer_id", "counsellor_id", "stage", "start_on", "end_on", "is_in_place",
    "is_departed", "balance_cents", "monthly_due_cents", "months_in_arrears", "debt_since", "debt_age_days",
    "arrears_start", "arrears_age_days", "last_payment_on", "last_payment_cents", "last_action_on",
    "last_action_kind", "balance_prev_month_end_cents", "episodes_started_12m", "episodes_closed_12m",
    "months_paid_late_6m", "active_plan_id", "active_plan_kind", "plan_respected", "is_protected",
    "is_debt_erased", "effort_rate", "has_forwarding_address", "rent_cents", "charges_cents",
    "benefit_cents", "benefit_to_landlord", "payment_method", "mandate_active", "income_cents",
    "sls_status", "postcode", "city", "agency_postcode", "forwarding_address_line1", "forwarding_postcode",
    "forwarding_city", "forwarding_country", "holders", "living_holders", "phones", "employer_phones",
)


def cohort_frame(engine: Engine, step: int | str, as_of: dt.date, plan: Plan | None = None) -> pd.DataFrame:
    """The cohort of ``step`` (number or id) at D = ``as_of``: one row per lease sorted by lease_id,
    lease_id first, then the figures documents and worklists need and the step's own columns.

    Stores the positions of ``as_of`` first if they are not there (in their own transaction)."""
    import pandas as pd

    records = cohort_records(engine, step, as_of, plan)
    extra: list[str] = []
    for record in records:
        extra.extend(k for k in record if k not in COHORT_COLUMNS and k not in extra)
    return pd.DataFrame.from_records(records, columns=[*COHORT_COLUMNS, *extra])
