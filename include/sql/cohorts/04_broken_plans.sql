-- Step 4 — Suivi des plans d'apurement non respectés (PLAN.md).
-- Cohort: in place, pre-litigation stage, an active plan (status active, agreed_on <= D) not respected at D
-- (DATA.md "plan respected", computed in lease_positions). Any plan kind: an overindebtedness plan or a
-- moratorium gets its own registered letter.
with

positions as (
    select lease_id, active_plan_id, plan_respected
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

final as (
    select
        l.lease_id,
        pl.plan_id,
        pl.kind as plan_kind,
        pl.agreed_on as plan_agreed_on,
        pl.debt_cents as plan_debt_cents
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    inner join plans as pl on pl.plan_id = p.active_plan_id
    where p.plan_respected is not null
      and not p.plan_respected
)

select * from final order by lease_id
