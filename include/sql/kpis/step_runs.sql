-- The runs of the plan steps for period (YYYY-MM), oldest first; the summary JSON is read in Python.
select
    step,
    as_of,
    run_id,
    dry_run,
    status,
    summary,
    started_at
from step_runs
where period = :period
order by step, started_at, step_run_id
