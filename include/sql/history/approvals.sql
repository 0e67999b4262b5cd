-- One lease's approvals (manager's answers to steps 6 and 14).
select step, period, approved, author, decided_at
from approvals
where lease_id = :lease_id
order by decided_at, step
