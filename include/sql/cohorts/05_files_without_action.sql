-- Step 5 — Dossiers sans action (PLAN.md).
-- Cohort: in place, pre-litigation stage, arrears age > min_arrears_age_days, no action of any kind with
-- done_on in [no_action_since, as_of], no respected plan.
with

positions as (
    select lease_id, arrears_age_days, plan_respected
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

-- The pipeline's own actions of D (steps 9 and 11 share the 25th) are left out, so the cohort does not
-- depend on which step's run starts first (PLAN.md revision 5).
recent_actions as (
    select distinct lease_id
    from actions
    where done_on >= :no_action_since
      and done_on <= :as_of
      and (step is null or done_on < :as_of)
),

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    left join recent_actions as a on a.lease_id = l.lease_id
    where p.arrears_age_days > :min_arrears_age_days
      and a.lease_id is null
      and (p.plan_respected is null or not p.plan_respected)
)

select * from final order by lease_id
