-- The as_of of a step's latest successful, non-dry run before D (step 10's reject window starts after it).
select max(as_of) as previous_as_of
from step_runs
where step = :step
  and status = 'success'
  and not dry_run
  and as_of < :as_of
