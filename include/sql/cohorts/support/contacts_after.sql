-- Contacts (see action_history.sql) of one lease with done_on in [since, as_of]: did a convocation get
-- an answer?
select count(*) as contacts
from actions as a
where a.lease_id = :lease_id
  and a.done_on >= :since
  and a.done_on <= :as_of
  and (
        a.outcome in ('reached', 'promise', 'refused')
        or (a.kind in ('appointment', 'home_visit', 'plan_agreed')
            and coalesce(a.outcome, '') not in ('no_answer', 'no_show', 'scheduled'))
      )
