-- Direct-debit rejects of the given leases with rejected_on <= D (3 successive months, pre-transfer checklist).
select lease_id, reject_id, rejected_on, amount_cents, reason_code
from dd_rejects
where lease_id in :lease_ids
  and rejected_on <= :as_of
order by lease_id, rejected_on, reject_id
