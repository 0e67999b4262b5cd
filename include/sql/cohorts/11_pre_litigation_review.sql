-- Step 11 — Préparation fin de GP (PLAN.md).
-- Cohort: in place, pre-litigation stage,
--   balance >= min_months_due x monthly due, or (arrears start <= long_since (D - 90 days) and
--   balance >= long_min_balance_cents),
--   and a formal notice with done_on between the arrears start and notice_until (D - 15 days), both included,
--   and no respected plan, and not protected by an overindebtedness procedure.
with

positions as (
    select lease_id, balance_cents, monthly_due_cents, arrears_start, plan_respected, is_protected
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

notices as (
    select p.lease_id, max(a.done_on) as formal_notice_on
    from positions as p
    inner join actions as a on a.lease_id = p.lease_id
    where a.kind = 'formal_notice'
      and p.arrears_start is not null
      and a.done_on >= p.arrears_start
      and a.done_on <= :notice_until
    group by p.lease_id
),

final as (
    select
        l.lease_id,
        n.formal_notice_on
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    inner join notices as n on n.lease_id = l.lease_id
    where (
            p.balance_cents >= :min_months_due * p.monthly_due_cents
            or (p.arrears_start <= :long_since and p.balance_cents >= :long_min_balance_cents)
          )
      and (p.plan_respected is null or not p.plan_respected)
      and not p.is_protected
)

select * from final order by lease_id
