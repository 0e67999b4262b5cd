-- Arrears rate, recovery rate and share of tenants in debt, per agency, at as_of (a month end).
-- window_start is the first day of the 12 calendar months ending with as_of's month (computed in Python).
-- Balance (DATA.md): charges count from their due date, credits from their posting date.
with

leases_at as (
    select
        lease_id,
        agency_id,
        case when start_on <= :as_of and (end_on is null or end_on > :as_of) then 1 else 0 end as is_in_place,
        case when end_on is not null and end_on <= :as_of then 1 else 0 end as is_departed
    from leases
),

ledger_sums as (
    select
        lease_id,
        sum(case
            when amount_cents > 0 and coalesce(due_on, posted_on) <= :as_of then amount_cents
            when amount_cents < 0 and posted_on <= :as_of then amount_cents
            else 0
        end) as balance_cents,
        sum(case
            when kind in ('rent', 'charges')
                and coalesce(due_on, posted_on) >= :window_start
                and coalesce(due_on, posted_on) <= :as_of then amount_cents
            else 0
        end) as billed_cents,
        sum(case
            when kind in ('payment', 'direct_debit', 'benefit', 'direct_debit_reject')
                and posted_on >= :window_start
                and posted_on <= :as_of then -amount_cents
            else 0
        end) as receipts_cents
    from ledger
    group by lease_id
),

lease_figures as (
    select
        l.lease_id,
        l.agency_id,
        l.is_in_place,
        l.is_departed,
        coalesce(s.balance_cents, 0) as balance_cents,
        coalesce(s.billed_cents, 0) as billed_cents,
        coalesce(s.receipts_cents, 0) as receipts_cents
    from leases_at as l
    left join ledger_sums as s on s.lease_id = l.lease_id
),

final as (
    select
        a.agency_id,
        a.name as agency_name,
        coalesce(sum(f.is_in_place), 0) as in_place_leases,
        coalesce(sum(case when f.is_in_place = 1 and f.balance_cents > 0 then 1 else 0 end), 0)
            as in_place_in_debt,
        coalesce(sum(case
            when (f.is_in_place = 1 or f.is_departed = 1) and f.balance_cents > 0 then f.balance_cents
            else 0
        end), 0) as debt_cents,
        coalesce(sum(f.billed_cents), 0) as billed_cents,
        coalesce(sum(f.receipts_cents), 0) as receipts_cents
    from agencies as a
    left join lease_figures as f on f.agency_id = a.agency_id
    group by a.agency_id, a.name
)

select * from final
order by agency_name, agency_id
