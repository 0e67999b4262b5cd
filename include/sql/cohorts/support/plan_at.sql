-- A plan's debt and the installments due on or before due_until (for "respected at an earlier date").
select
    pl.plan_id,
    pl.kind,
    pl.agreed_on,
    pl.debt_cents,
    pl.status,
    pl.closed_on,
    coalesce((select sum(i.amount_cents) from plan_installments as i
              where i.plan_id = pl.plan_id and i.due_on <= :due_until), 0) as installments_due_cents
from plans as pl
where pl.plan_id = :plan_id
