-- Balance (DATA.md) of one lease at at.
select coalesce(sum(amount_cents), 0) as balance_cents
from ledger
where lease_id = :lease_id
  and ((amount_cents > 0 and coalesce(due_on, posted_on) <= :at)
       or (amount_cents < 0 and posted_on <= :at))
