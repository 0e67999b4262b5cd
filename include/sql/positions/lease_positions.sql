-- The derived figures of DATA.md ("Derived figures, at a date D") for every lease, at D = as_of.
-- One row per lease of the scope; arrears/positions.py finishes the day counts and the rounding.
--
-- Bind parameters (all computed in Python, so the query runs unchanged on SQLite and PostgreSQL):
--   as_of               D
--   tolerance_cents     the tolerance (10 € by default)
--   grace_cutoff        D − grace days: plan installments due on or before it count as due
--   me00 … me12        the 13 month ends of the episode window, oldest first; me12 is the last day of
--                        the month before D's month, me00 the month end before the 12 months of the window
--   mb0 … mb6          first days of the 6 calendar months before D's month (mb0 the oldest) and of
--                        D's month (mb6): the months of "month paid late"
--   days0 … days5      the lengths of those 6 months (days)
--   late_grace_days     the payment grace of "month paid late" (10 days by default)
--   all_leases          true: every lease; false: only the leases in lease_ids (expanding)
--
-- The balance at a date t counts the charges due on or before t and the credits posted on or before t,
-- so every ledger entry takes effect on one "effective" day; the balance only moves on those days.

with

scope as (
    select
        lease_id,
        agency_id,
        stage,
        start_on,
        end_on,
        rent_cents,
        charges_cents,
        coalesce(benefit_cents, 0) as benefit_cents,
        rent_cents + charges_cents
            - case when benefit_to_landlord then coalesce(benefit_cents, 0) else 0 end
            as monthly_due_cents,
        income_cents,
        forwarding_address_line1,
        forwarding_city
    from leases
    where :all_leases or lease_id in :lease_ids
),

-- Ledger entries in force at D, each on its effective day. With all leases, a plain scan of the ledger.
entries as (
    select
        g.lease_id,
        g.kind,
        g.amount_cents,
        case when g.amount_cents > 0 then coalesce(g.due_on, g.posted_on) else g.posted_on end
            as effective_on
    from ledger as g
    where (:all_leases or g.lease_id in :lease_ids)
      and (
          (g.amount_cents > 0 and coalesce(g.due_on, g.posted_on) <= :as_of)
          or (g.amount_cents < 0 and g.posted_on <= :as_of)
      )
),

-- One row per lease and effective day: the net movement, and apart what FIFO, "month paid late" and
-- "last payment" need. For FIFO a direct-debit reject or a refund takes back money the tenant had paid
-- (it reverses a credit): it is not a new charge. The day's sums are cast to integer because PostgreSQL
-- sums a bigint into a (slow) numeric, and sums of integers into bigint; one lease's movement in one day
-- fits in 32 bits (± 21 million €).
daily as (
    select
        lease_id,
        effective_on,
        cast(sum(amount_cents) as integer) as net_cents,
        cast(sum(
            case
                when amount_cents > 0 and kind not in ('direct_debit_reject', 'refund') then amount_cents
                else 0
            end
        ) as integer) as charged_cents,
        cast(-sum(
            case
                when amount_cents < 0 or kind in ('direct_debit_reject', 'refund') then amount_cents
                else 0
            end
        ) as integer) as credited_cents,
        sum(case when kind = 'rent' and amount_cents > 0 then 1 else 0 end) as rent_entries,
        sum(case when kind in ('payment', 'direct_debit') then 1 else 0 end) as payment_entries,
        cast(-sum(case when kind in ('payment', 'direct_debit') then amount_cents else 0 end) as integer)
            as paid_cents
    from entries
    group by lease_id, effective_on
),

-- The balance at the end of each effective day (it only moves on those days), and the charges to date.
running as (
    select
        lease_id,
        effective_on,
        net_cents,
        charged_cents,
        credited_cents,
        rent_entries,
        payment_entries,
        paid_cents,
        sum(net_cents) over to_date as balance_cents,
        sum(charged_cents) over to_date as charged_to_date_cents
    from daily
    window to_date as (
        partition by lease_id order by effective_on rows between unbounded preceding and current row
    )
),

-- Per lease: balance at D, credits, last payment day, and the balance at the 13 month ends of the window.
balances as (
    select
        lease_id,
        sum(net_cents) as balance_cents,
        sum(credited_cents) as credited_cents,
        max(case when payment_entries > 0 then effective_on end) as last_payment_on,
        sum(case when effective_on <= :me00 then net_cents else 0 end) as me00,
        sum(case when effective_on <= :me01 then net_cents else 0 end) as me01,
        sum(case when effective_on <= :me02 then net_cents else 0 end) as me02,
        sum(case when effective_on <= :me03 then net_cents else 0 end) as me03,
        sum(case when effective_on <= :me04 then net_cents else 0 end) as me04,
        sum(case when effective_on <= :me05 then net_cents else 0 end) as me05,
        sum(case when effective_on <= :me06 then net_cents else 0 end) as me06,
        sum(case when effective_on <= :me07 then net_cents else 0 end) as me07,
        sum(case when effective_on <= :me08 then net_cents else 0 end) as me08,
        sum(case when effective_on <= :me09 then net_cents else 0 end) as me09,
        sum(case when effective_on <= :me10 then net_cents else 0 end) as me10,
        sum(case when effective_on <= :me11 then net_cents else 0 end) as me11,
        sum(case when effective_on <= :me12 then net_cents else 0 end) as me12
    from running
    group by lease_id
),

-- An episode starts at a month end with balance > 0 that follows one with balance <= 0.
episode_starts as (
    select
        lease_id,
        me12,
        case when me01 > 0 and me00 <= 0 then 1 else 0 end
        + case when me02 > 0 and me01 <= 0 then 1 else 0 end
        + case when me03 > 0 and me02 <= 0 then 1 else 0 end
        + case when me04 > 0 and me03 <= 0 then 1 else 0 end
        + case when me05 > 0 and me04 <= 0 then 1 else 0 end
        + case when me06 > 0 and me05 <= 0 then 1 else 0 end
        + case when me07 > 0 and me06 <= 0 then 1 else 0 end
        + case when me08 > 0 and me07 <= 0 then 1 else 0 end
        + case when me09 > 0 and me08 <= 0 then 1 else 0 end
        + case when me10 > 0 and me09 <= 0 then 1 else 0 end
        + case when me11 > 0 and me10 <= 0 then 1 else 0 end
        + case when me12 > 0 and me11 <= 0 then 1 else 0 end
            as episodes_started
    from balances
),

-- Every episode started in the window is closed, except the one still open at the last month end.
episodes as (
    select
        lease_id,
        me12 as balance_prev_month_end_cents,
        episodes_started,
        episodes_started - case when me12 > 0 and episodes_started > 0 then 1 else 0 end
            as episodes_closed
    from episode_starts
),

-- Arrears start: the latest day whose balance went from <= tolerance (the day before) to > tolerance.
arrears_starts as (
    select lease_id, max(effective_on) as arrears_start
    from running
    where balance_cents - net_cents <= :tolerance_cents
      and balance_cents > :tolerance_cents
    group by lease_id
),

-- FIFO debt since: credits settle the oldest charges first, so the oldest charge not fully settled is
-- on the first day whose charges to date exceed all the credits.
debts_since as (
    select r.lease_id, min(r.effective_on) as debt_since
    from running as r
    inner join balances as b on b.lease_id = r.lease_id
    where r.charged_cents > 0
      and r.charged_to_date_cents > b.credited_cents
    group by r.lease_id
),

-- Month paid late (DATA.md, revision 5): the due date d of month m is the earliest due date of its rent
-- entries; month_start / next_month_start bound m, month_days is its length.
rent_months as (
    select
        lease_id,
        min(effective_on) as due_on,
        case
            when min(effective_on) < :mb1 then :mb0
            when min(effective_on) < :mb2 then :mb1
            when min(effective_on) < :mb3 then :mb2
            when min(effective_on) < :mb4 then :mb3
            when min(effective_on) < :mb5 then :mb4
            else :mb5
        end as month_start,
        case
            when min(effective_on) < :mb1 then :mb1
            when min(effective_on) < :mb2 then :mb2
            when min(effective_on) < :mb3 then :mb3
            when min(effective_on) < :mb4 then :mb4
            when min(effective_on) < :mb5 then :mb5
            else :mb6
        end as next_month_start,
        case
            when min(effective_on) < :mb1 then :days0
            when min(effective_on) < :mb2 then :days1
            when min(effective_on) < :mb3 then :days2
            when min(effective_on) < :mb4 then :days3
            when min(effective_on) < :mb5 then :days4
            else :days5
        end as month_days
    from running
    where rent_entries > 0
      and effective_on >= :mb0
      and effective_on < :mb6
    group by
        lease_id,
        case
            when effective_on < :mb1 then 1
            when effective_on < :mb2 then 2
            when effective_on < :mb3 then 3
            when effective_on < :mb4 then 4
            when effective_on < :mb5 then 5
            else 6
        end
),

-- The day of the month of the due date (ISO text on both back-ends, so the day is characters 9-10) and
-- the grace day d + grace: a grace date past the month's last day means the month cannot be late.
rent_month_days as (
    select
        lease_id,
        due_on,
        next_month_start,
        cast(substr(cast(due_on as varchar(10)), 9, 2) as integer) + :late_grace_days as grace_day,
        month_days
    from rent_months
),

-- The last effective day of month m on or before its grace date, and the last one of the month (both
-- exist: the due date is one).
month_marks as (
    select
        m.lease_id,
        m.due_on,
        max(
            case
                when cast(substr(cast(r.effective_on as varchar(10)), 9, 2) as integer) <= m.grace_day
                    then r.effective_on
            end
        ) as grace_mark_on,
        max(r.effective_on) as month_end_mark_on
    from rent_month_days as m
    inner join running as r
        on r.lease_id = m.lease_id
        and r.effective_on >= m.due_on
        and r.effective_on < m.next_month_start
    where m.grace_day <= m.month_days
    group by m.lease_id, m.due_on
),

-- Late when unpaid(grace date) > monthly due ÷ 2 (compared doubled, in integers) and unpaid(last day of
-- m) <= tolerance, with unpaid(t) = balance(t) − max(balance(d − 1 day), 0). The due date is an
-- effective day, so balance(d − 1 day) = its balance minus its net.
late_months as (
    select mk.lease_id, count(*) as months_paid_late
    from month_marks as mk
    inner join running as d on d.lease_id = mk.lease_id and d.effective_on = mk.due_on
    inner join running as g on g.lease_id = mk.lease_id and g.effective_on = mk.grace_mark_on
    inner join running as e on e.lease_id = mk.lease_id and e.effective_on = mk.month_end_mark_on
    inner join scope as s on s.lease_id = mk.lease_id
    where 2 * (
        g.balance_cents
        - case when d.balance_cents - d.net_cents > 0 then d.balance_cents - d.net_cents else 0 end
    ) > s.monthly_due_cents
      and e.balance_cents
        - case when d.balance_cents - d.net_cents > 0 then d.balance_cents - d.net_cents else 0 end
        <= :tolerance_cents
    group by mk.lease_id
),

-- Last payment: the payments and direct debits of the last day one was posted (several count together).
last_payments as (
    select b.lease_id, r.effective_on as last_payment_on, r.paid_cents as last_payment_cents
    from balances as b
    inner join running as r on r.lease_id = b.lease_id and r.effective_on = b.last_payment_on
),

ranked_actions as (
    select
        lease_id,
        done_on,
        kind,
        row_number() over (partition by lease_id order by done_on desc, action_id desc) as rank_no
    from actions
    where done_on <= :as_of
      and lease_id in (select lease_id from scope)
),

-- The CTEs joined to the leases at the end are grouped by lease_id (one row per lease): SQLite then
-- indexes them for the join instead of scanning them once per lease.
last_actions as (
    select
        lease_id,
        max(done_on) as last_action_on,
        max(case when rank_no = 1 then kind end) as last_action_kind
    from ranked_actions
    group by lease_id
),

active_plans as (
    select
        plan_id,
        lease_id,
        kind,
        debt_cents,
        row_number() over (partition by lease_id order by agreed_on desc, plan_id desc) as rank_no
    from plans
    where status = 'active'
      and agreed_on <= :as_of
      and lease_id in (select lease_id from scope)
),

-- Each lease's current active plan and what remains scheduled: the debt less the installments due on or
-- before D − grace (inclusive).
current_plans as (
    select
        p.lease_id,
        max(p.plan_id) as active_plan_id,
        max(p.kind) as active_plan_kind,
        max(p.debt_cents)
        - coalesce(sum(case when i.due_on <= :grace_cutoff then i.amount_cents else 0 end), 0)
            as scheduled_remaining_cents
    from active_plans as p
    left join plan_installments as i on i.plan_id = p.plan_id
    where p.rank_no = 1
    group by p.lease_id
),

protections as (
    select distinct lease_id
    from active_plans
    where kind in ('overindebtedness', 'moratorium')
),

erasures as (
    select distinct lease_id
    from plans
    where kind = 'overindebtedness'
      and status = 'erased'
      and closed_on <= :as_of
      and lease_id in (select lease_id from scope)
),

final as (
    select
        s.lease_id,
        s.agency_id,
        s.stage,
        s.start_on <= :as_of and (s.end_on is null or s.end_on > :as_of) as is_in_place,
        s.start_on <= :as_of and s.end_on is not null and s.end_on <= :as_of as is_departed,
        coalesce(b.balance_cents, 0) as balance_cents,
        s.monthly_due_cents,
        s.rent_cents + s.charges_cents as gross_due_cents,
        s.rent_cents + s.charges_cents - s.benefit_cents as effort_numerator_cents,
        s.income_cents,
        ds.debt_since,
        a.arrears_start,
        lp.last_payment_on,
        lp.last_payment_cents,
        la.last_action_on,
        la.last_action_kind,
        coalesce(ep.balance_prev_month_end_cents, 0) as balance_prev_month_end_cents,
        coalesce(ep.episodes_started, 0) as episodes_started_12m,
        coalesce(ep.episodes_closed, 0) as episodes_closed_12m,
        coalesce(lm.months_paid_late, 0) as months_paid_late_6m,
        cp.active_plan_id,
        cp.active_plan_kind,
        cp.scheduled_remaining_cents,
        pr.lease_id is not null as is_protected,
        er.lease_id is not null as is_debt_erased,
        trim(coalesce(s.forwarding_address_line1, '')) <> ''
            and trim(coalesce(s.forwarding_city, '')) <> '' as has_forwarding_address
    from scope as s
    left join balances as b on b.lease_id = s.lease_id
    left join episodes as ep on ep.lease_id = s.lease_id
    left join arrears_starts as a on a.lease_id = s.lease_id
    left join debts_since as ds on ds.lease_id = s.lease_id
    left join late_months as lm on lm.lease_id = s.lease_id
    left join last_payments as lp on lp.lease_id = s.lease_id
    left join last_actions as la on la.lease_id = s.lease_id
    left join current_plans as cp on cp.lease_id = s.lease_id
    left join protections as pr on pr.lease_id = s.lease_id
    left join erasures as er on er.lease_id = s.lease_id
)

select * from final
