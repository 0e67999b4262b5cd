-- Shared CTE, included by name: every lease's occupancy at D (DATA.md):
-- 'departed' (end_on <= D), 'in_place' (start_on <= D, not departed), null (not yet in force).
leases_at as (
    select
        lease_id,
        agency_id,
        stage,
        case
            when end_on is not null and end_on <= :as_of then 'departed'
            when start_on <= :as_of then 'in_place'
        end as status
    from leases
),
