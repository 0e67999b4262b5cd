-- The installments of one plan, oldest first (step 4: each missed installment of an overindebtedness plan
-- or a moratorium, PLAN.md revision 5).
select i.due_on, i.amount_cents
from plan_installments as i
where i.plan_id = :plan_id
order by i.due_on
