-- One lease's officer tasks, with the date of the run that created them (its journal row).
select t.step, t.period, t.kind, t.title, t.staff_id, t.priority, t.due_on, t.status, j.as_of
from tasks as t
left join journal as j on j.lease_id = t.lease_id and j.step = t.step and j.period = t.period
where t.lease_id = :lease_id
  and (:as_of is null or j.as_of is null or j.as_of <= :as_of)
order by t.period, t.step, t.kind
