-- One lease's actions up to D: imported (no step) and the pipeline's (step and period).
select action_id, done_on, kind, outcome, staff_id, step, period, comment, document_id
from actions
where lease_id = :lease_id
  and (:as_of is null or done_on <= :as_of)
order by done_on, action_id
