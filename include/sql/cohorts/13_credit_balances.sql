-- Step 13 — Soldes créditeurs (PLAN.md), any stage.
-- Cohort: departed leases (end_on <= D) with balance < 0; in-place leases whose credit is strictly more
-- than one monthly due. Credits of tenants departed before exceptional_before (more than 3 years ago)
-- go to a "fiche produits exceptionnels" instead of a refund.
with

positions as (
    select lease_id, balance_cents, monthly_due_cents
    from lease_positions
    where as_of = :as_of
),

started_leases as (
    select lease_id, end_on
    from leases
    where start_on <= :as_of
),

final as (
    select
        l.lease_id,
        -p.balance_cents as credit_cents,
        (l.end_on is not null and l.end_on < :exceptional_before) as is_exceptional_income
    from started_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where (l.end_on is not null and l.end_on <= :as_of and p.balance_cents < 0)
       or ((l.end_on is null or l.end_on > :as_of) and -p.balance_cents > p.monthly_due_cents)
)

select * from final order by lease_id
