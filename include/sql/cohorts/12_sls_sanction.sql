-- Step 12 — SLS sanction (PLAN.md).
-- Cohort: in place, pre-litigation stage, sls_status = 'sanction' and balance > 0.
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
    where l.sls_status = 'sanction'
      and p.balance_cents > 0
)

select * from final order by lease_id
