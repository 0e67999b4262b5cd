-- Step 7 — Nouveaux entrants (PLAN.md).
-- Cohort: in place, pre-litigation stage, start_on >= new_since (D - 12 months), arrears age > min_arrears_age_days.
with

positions as (
    select lease_id, arrears_age_days
    from lease_positions
    where as_of = :as_of
),

-- include: shared/in_place_leases

final as (
    select l.lease_id
    from in_place_leases as l
    inner join positions as p on p.lease_id = l.lease_id
    where l.start_on >= :new_since
      and p.arrears_age_days > :min_arrears_age_days
)

select * from final order by lease_id
