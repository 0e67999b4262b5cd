-- Step 1 — Gestion des soldes < 100 € (PLAN.md revision 5).
-- Cohort: in place, pre-litigation stage, tolerance < balance < max_balance_cents (100,00 € excluded),
-- arrears age >= min_arrears_age_days (a residual carried from an earlier month, not the quittance that
-- falls due today), no active plan.
-- Returns lease_id; arrears.cohorts adds the figures of every lease (support/lease_figures.sql).
with

positions as (
    select lease_id, balance_cents, arrears_age_days, active_plan_id
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where p.balance_cents > :tolerance_cents
      and p.balance_cents < :max_balance_cents
      and p.arrears_age_days >= :min_arrears_age_days
      and p.active_plan_id is null
)

select * from final order by lease_id
