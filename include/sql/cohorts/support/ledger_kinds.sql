-- Ledger entries of the given leases in force at D, each on its effective day, with whether it is a rent
-- charge (step 9: the months paid late and the day each was paid, for the late-payment letter).
select
    lease_id,
    case when amount_cents > 0 then coalesce(due_on, posted_on) else posted_on end as effective_on,
    amount_cents,
    kind = 'rent' as is_rent
from ledger
where lease_id in :lease_ids
  and ((amount_cents > 0 and coalesce(due_on, posted_on) <= :as_of)
       or (amount_cents <= 0 and posted_on <= :as_of))
order by lease_id, effective_on
