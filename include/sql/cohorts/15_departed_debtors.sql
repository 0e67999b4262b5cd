-- Step 15 — Locataires sortants débiteurs (PLAN.md).
-- Cohort: departed (end_on <= D), balance > 0, stage precontentieux, no write_off ledger entry posted <= D
-- and no write_off action done <= D, debt not erased.
with

positions as (
    select lease_id, balance_cents, is_debt_erased
    from lease_positions
    where as_of = :as_of
),

departed_leases as (
    select lease_id
    from leases
    where lease_id in (  -- departed at D: the stored DATA.md figure (positions/lease_positions.sql)
        select lease_id from lease_positions where as_of = :as_of and is_departed
    )
      and stage = 'precontentieux'
),

written_off as (
    select lease_id from ledger where kind = 'write_off' and posted_on <= :as_of
    union
    select lease_id from actions where kind = 'write_off' and done_on <= :as_of
),

final as (
    select l.lease_id
    from departed_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    left join written_off as w on w.lease_id = l.lease_id
    where p.balance_cents > 0
      and w.lease_id is null
      and not p.is_debt_erased
)

select * from final order by lease_id
