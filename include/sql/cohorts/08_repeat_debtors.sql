-- Step 8 — Récidivistes (PLAN.md).
-- Cohort: in place, pre-litigation stage, balance > 0, and >= min_closed_episodes earlier (closed) arrears
-- episodes in the 12-month window, or a plan of status broken with closed_on in [broken_since, as_of].
with

positions as (
    select lease_id, balance_cents, episodes_closed_12m
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

broken_plans as (
    select lease_id, max(closed_on) as last_broken_plan_on, count(*) as broken_plans
    from plans
    where status = 'broken'
      and closed_on >= :broken_since
      and closed_on <= :as_of
    group by lease_id
),

final as (
    select
        l.lease_id,
        b.last_broken_plan_on,
        coalesce(b.broken_plans, 0) as broken_plans_24m
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    left join broken_plans as b on b.lease_id = l.lease_id
    where p.balance_cents > 0
      and (p.episodes_closed_12m >= :min_closed_episodes or b.lease_id is not null)
)

select * from final order by lease_id
