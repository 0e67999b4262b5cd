-- Step 3 — Dossiers + 1 500 € (PLAN.md).
-- Cohort: in place, pre-litigation stage, balance >= min_balance_cents (1 500,00 € included).
with

positions as (
    select lease_id, balance_cents
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where p.balance_cents >= :min_balance_cents
)

select * from final order by lease_id
