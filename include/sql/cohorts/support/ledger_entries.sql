-- Ledger entries of the given leases that count at D, with the date each one counts from (DATA.md balance:
-- charges from coalesce(due_on, posted_on), credits from posted_on). Used to date a threshold crossing.
select
    lease_id,
    case when amount_cents > 0 then coalesce(due_on, posted_on) else posted_on end as effective_on,
    amount_cents
from ledger
where lease_id in :lease_ids
  and ((amount_cents > 0 and coalesce(due_on, posted_on) <= :as_of)
       or (amount_cents <= 0 and posted_on <= :as_of))
order by lease_id, effective_on
