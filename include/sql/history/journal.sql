-- One lease's journal rows up to D: what each step decided (letter, tasks, reasons), with the registered
-- number of its letter.
select journal_id, step, period, as_of, status, decision, document_id, registered_number
from journal
where lease_id = :lease_id
  and (:as_of is null or as_of <= :as_of)
order by as_of, step
