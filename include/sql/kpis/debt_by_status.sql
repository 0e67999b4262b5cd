-- Debt at as_of by agency, occupancy status (in place / departed) and stage (precontentieux / contentieux):
-- number of debtors (balance > 0) and their debt. Leases not yet in force belong to no status.
with

-- include: shared/leases_at

-- include: shared/balances_at

final as (
    select
        l.agency_id,
        l.status,
        l.stage,
        count(*) as debtors,
        sum(b.balance_cents) as debt_cents
    from leases_at as l
    inner join balances as b on b.lease_id = l.lease_id
    where l.status is not null
        and b.balance_cents > 0
    group by l.agency_id, l.status, l.stage
)

select * from final
order by agency_id, status, stage
