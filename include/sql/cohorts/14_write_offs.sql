-- Step 14 — Passage en pertes locataires sortants (PLAN.md), any stage.
-- Cohort: end_on <= departed_before (D - 12 months), balance > 0, no payment or direct debit posted in
-- (no_payment_since, as_of] (D - 6 months excluded), and (debt erased, or balance < max_balance_cents,
-- or no forwarding address).
with

positions as (
    select lease_id, balance_cents, is_debt_erased, has_forwarding_address
    from lease_positions
    where as_of = :as_of
),

departed_leases as (
    select lease_id
    from leases
    where start_on <= :as_of
      and end_on is not null
      and end_on <= :departed_before
),

recent_payments as (
    select distinct lease_id
    from ledger
    where kind in ('payment', 'direct_debit')
      and posted_on > :no_payment_since
      and posted_on <= :as_of
),

final as (
    select
        l.lease_id,
        p.balance_cents < :max_balance_cents as is_small_balance
    from departed_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    left join recent_payments as r on r.lease_id = l.lease_id
    where p.balance_cents > 0
      and r.lease_id is null
      and (p.is_debt_erased or p.balance_cents < :max_balance_cents or not p.has_forwarding_address)
)

select * from final order by lease_id
