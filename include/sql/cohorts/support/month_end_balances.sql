-- Balance (DATA.md) of the given leases at 13 month ends: me0 (the month end before the 12-month window)
-- to me12 (the last day of the month before D's month). Charges count from coalesce(due_on, posted_on),
-- credits from posted_on.
with

entries as (
    select lease_id, amount_cents,
           case when amount_cents > 0 then coalesce(due_on, posted_on) else posted_on end as effective_on
    from ledger
    where lease_id in :lease_ids
),

final as (
    select
        lease_id,
        sum(case when effective_on <= :me0 then amount_cents else 0 end) as b0,
        sum(case when effective_on <= :me1 then amount_cents else 0 end) as b1,
        sum(case when effective_on <= :me2 then amount_cents else 0 end) as b2,
        sum(case when effective_on <= :me3 then amount_cents else 0 end) as b3,
        sum(case when effective_on <= :me4 then amount_cents else 0 end) as b4,
        sum(case when effective_on <= :me5 then amount_cents else 0 end) as b5,
        sum(case when effective_on <= :me6 then amount_cents else 0 end) as b6,
        sum(case when effective_on <= :me7 then amount_cents else 0 end) as b7,
        sum(case when effective_on <= :me8 then amount_cents else 0 end) as b8,
        sum(case when effective_on <= :me9 then amount_cents else 0 end) as b9,
        sum(case when effective_on <= :me10 then amount_cents else 0 end) as b10,
        sum(case when effective_on <= :me11 then amount_cents else 0 end) as b11,
        sum(case when effective_on <= :me12 then amount_cents else 0 end) as b12
    from entries
    group by lease_id
)

select * from final order by lease_id
