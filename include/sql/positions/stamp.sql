-- The cache stamp of D's positions (positions_stamps, one row or none) beside what decides whether it is
-- still fresh: the portfolio's latest import and its number of leases now. Always one row.
select
    (select max(i.import_id) from import_runs as i) as latest_import_id,
    (select count(*) from leases) as leases_now,
    s.import_id,
    s.settings,
    s.leases
from (select 1 as one) as d
left join positions_stamps as s on s.as_of = :as_of
