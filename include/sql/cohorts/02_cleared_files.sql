-- Step 2 — RZ, dossiers remis à zéro (PLAN.md).
-- Cohort: in place, pre-litigation stage, balance <= 0 now, and an open arrears file: balance > 0 on the
-- last day of the month before D's month, or an action recorded by steps 1-12 of this pipeline with
-- done_on in [recent_since, as_of] (imported actions carry no step).
with

positions as (
    select lease_id, balance_cents, balance_prev_month_end_cents
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

recent_pipeline_actions as (
    select lease_id, max(done_on) as last_pipeline_action_on
    from actions
    where step between 1 and 12
      and done_on >= :recent_since
      and done_on <= :as_of
    group by lease_id
),

final as (
    select
        l.lease_id,
        p.balance_prev_month_end_cents > 0 as had_debt_prev_month_end,
        r.last_pipeline_action_on
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    left join recent_pipeline_actions as r on r.lease_id = l.lease_id
    where p.balance_cents <= 0
      and (p.balance_prev_month_end_cents > 0 or r.lease_id is not null)
)

select * from final order by lease_id
