-- Debt age buckets at as_of, by the month of the FIFO "debt since" (DATA.md): credits settle the oldest
-- charges first; debt since = due date of the oldest charge not fully settled. The bucket edges
-- cut_1m, cut_3m, cut_6m, cut_12m are the last days of the months M-1, M-3, M-6, M-12 (computed in Python).
with

-- include: shared/leases_at

-- include: shared/balances_at

-- A direct-debit reject or a refund takes back money the tenant had paid: it reverses a credit, it is not
-- a new charge (the same reading as include/sql/positions/lease_positions.sql, so the report and the
-- worklists agree on each lease's debt since).
credits as (
    select
        lease_id,
        -sum(amount_cents) as credit_cents
    from ledger
    where (amount_cents < 0 and posted_on <= :as_of)
        or (amount_cents > 0 and kind in ('direct_debit_reject', 'refund')
            and coalesce(due_on, posted_on) <= :as_of)
    group by lease_id
),

charges as (
    select
        lease_id,
        coalesce(due_on, posted_on) as due_date,
        sum(amount_cents) over (
            partition by lease_id
            order by coalesce(due_on, posted_on), entry_id
            rows between unbounded preceding and current row
        ) as running_cents
    from ledger
    where amount_cents > 0
        and kind not in ('direct_debit_reject', 'refund')
        and coalesce(due_on, posted_on) <= :as_of
),

debt_since as (
    select
        c.lease_id,
        min(c.due_date) as debt_since
    from charges as c
    left join credits as k on k.lease_id = c.lease_id
    where c.running_cents > coalesce(k.credit_cents, 0)
    group by c.lease_id
),

debtors as (
    select
        l.status,
        b.balance_cents,
        case
            when d.debt_since > :cut_1m then 'lt_1m'
            when d.debt_since > :cut_3m then '1m_3m'
            when d.debt_since > :cut_6m then '3m_6m'
            when d.debt_since > :cut_12m then '6m_12m'
            else 'ge_12m'
        end as bucket
    from leases_at as l
    inner join balances as b on b.lease_id = l.lease_id
    inner join debt_since as d on d.lease_id = l.lease_id
    where l.status is not null
        and b.balance_cents > 0
),

final as (
    select
        bucket,
        status,
        count(*) as debtors,
        sum(balance_cents) as debt_cents
    from debtors
    group by bucket, status
)

select * from final
order by bucket, status
