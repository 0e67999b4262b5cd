-- One lease's plans (agreed on or before D) and their installments.
select
    p.plan_id,
    p.kind,
    p.agreed_on,
    p.debt_cents,
    p.status,
    p.closed_on,
    i.due_on as installment_due_on,
    i.amount_cents as installment_cents
from plans as p
left join plan_installments as i on i.plan_id = p.plan_id
where p.lease_id = :lease_id
  and (:as_of is null or p.agreed_on <= :as_of)
order by p.agreed_on, p.plan_id, i.due_on
