-- Step 12 — SLS sanction (PLAN.md).
-- Cohort: in place, pre-litigation stage, sls_status = 'sanction' and balance > 0.
with

positions as (
    select lease_id, balance_cents
    from lease_positions
    where as_of = :as_of
),

in_place_leases as (
    select lease_id
    from leases
    where lease_id in (  -- in place at D: the stored DATA.md figure (positions/lease_positions.sql)
        select lease_id from lease_positions where as_of = :as_of and is_in_place
    )
      and stage = 'precontentieux'
      and sls_status = 'sanction'
),

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where p.balance_cents > 0
)

select * from final order by lease_id
