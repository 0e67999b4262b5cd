-- Leases that already got this step's letter this period: a journal row recorded for (lease, step, period),
-- or a letter-like action appended by the pipeline for (step, period).
select lease_id from journal
where step = :step and period = :period and status = 'recorded'
union
select lease_id from actions
where step = :step and period = :period and kind in ('letter', 'formal_notice', 'convocation')
