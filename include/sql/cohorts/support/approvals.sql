-- The manager's answers for a step and period (step 6 transfers, step 14 write-offs).
select lease_id, approved, author
from approvals
where step = :step
  and period = :period
order by lease_id
