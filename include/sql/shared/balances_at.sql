-- Shared CTE, included by name: every lease's balance at D (DATA.md):
-- charges count from coalesce(due_on, posted_on), credits from posted_on.
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
