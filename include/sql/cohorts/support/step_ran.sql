-- How many successful, non-dry runs a step has for a period (did step 11 run last month?).
select count(*) as runs
from step_runs
where step = :step
  and period = :period
  and status = 'success'
  and not dry_run
