-- Step 1 — Gestion des soldes < 100 € (PLAN.md).
-- Cohort: in place, pre-litigation stage, 0 < balance < max_balance_cents (100,00 € excluded), no active plan.
-- Returns lease_id; arrears.cohorts adds the figures of every lease (support/lease_figures.sql).
with

positions as (
    select lease_id, balance_cents, active_plan_id
    from lease_positions
    where as_of = :as_of
),

in_place_leases as (
    select lease_id
    from leases
    where start_on <= :as_of
      and (end_on is null or end_on > :as_of)
      and stage = 'precontentieux'
),

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where p.balance_cents > 0
      and p.balance_cents < :max_balance_cents
      and p.active_plan_id is null
)

select * from final order by lease_id
