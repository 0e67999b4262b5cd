-- The stored figures of D (lease_positions), as arrears positions prints them; sorted in Python (code-point
-- order on both back-ends).
select
    as_of,
    lease_id,
    agency_id,
    stage,
    is_in_place,
    is_departed,
    balance_cents,
    monthly_due_cents,
    months_in_arrears,
    debt_since,
    debt_age_days,
    arrears_start,
    arrears_age_days,
    last_payment_on,
    last_payment_cents,
    last_action_on,
    last_action_kind,
    balance_prev_month_end_cents,
    episodes_started_12m,
    episodes_closed_12m,
    months_paid_late_6m,
    active_plan_id,
    active_plan_kind,
    plan_respected,
    is_protected,
    is_debt_erased,
    effort_rate,
    has_forwarding_address
from lease_positions
where as_of = :as_of
