-- Debt at as_of by agency, occupancy status (in place / departed) and stage (precontentieux / contentieux):
-- number of debtors (balance > 0) and their debt. Leases not yet in force belong to no status.
with

leases_at as (
    select
        lease_id,
        agency_id,
        stage,
        case
            when end_on is not null and end_on <= :as_of then 'departed'
            when start_on <= :as_of then 'in_place'
        end as status
    from leases
),

balances as (
    select
        lease_id,
        sum(case
            when amount_cents > 0 and coalesce(due_on, posted_on) <= :as_of then amount_cents
            when amount_cents < 0 and posted_on <= :as_of then amount_cents
            else 0
        end) as balance_cents
    from ledger
    group by lease_id
),

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
