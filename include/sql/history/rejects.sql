-- One lease's direct-debit rejects up to D.
select reject_id, rejected_on, amount_cents, reason_code
from dd_rejects
where lease_id = :lease_id
  and (:as_of is null or rejected_on <= :as_of)
order by rejected_on, reject_id
