-- Shared CTE, included by name: the leases in place at D in the pre-litigation stage ("in place" is
-- the figure lease_positions stores, computed once in positions/lease_positions.sql).
in_place_leases as (
    select l.lease_id, l.start_on, l.sls_status
    from leases as l
    inner join lease_positions as lp on lp.lease_id = l.lease_id
    where lp.as_of = :as_of
      and lp.is_in_place
      and l.stage = 'precontentieux'
),
