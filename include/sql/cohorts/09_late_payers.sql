-- Step 9 — Retardataires (PLAN.md).
-- Cohort: in place, pre-litigation stage, 0 < balance <= monthly due (only the current month unpaid), and
-- >= min_months_paid_late of the 6 months before D's month paid late (DATA.md, in lease_positions).
with

positions as (
    select lease_id, balance_cents, monthly_due_cents, months_paid_late_6m
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where p.balance_cents > 0
      and p.balance_cents <= p.monthly_due_cents
      and p.months_paid_late_6m >= :min_months_paid_late
)

select * from final order by lease_id
