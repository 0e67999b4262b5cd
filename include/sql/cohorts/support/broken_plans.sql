-- Plans of the given leases, for the decisions (checklist: plans to close, broken plans).
select plan_id, lease_id, kind, agreed_on, debt_cents, status, closed_on
from plans
where lease_id in :lease_ids
order by lease_id, agreed_on, plan_id
