-- One lease's ledger movements up to D (as_of; NULL = all), each on its effective day (DATA.md balance:
-- charges from coalesce(due_on, posted_on), credits from posted_on); the running balance is added in Python.
with

entries as (
    select
        entry_id,
        kind,
        label,
        amount_cents,
        posted_on,
        case when amount_cents > 0 then coalesce(due_on, posted_on) else posted_on end as effective_on
    from ledger
    where lease_id = :lease_id
),

final as (
    select *
    from entries
    where :as_of is null or effective_on <= :as_of
)

select * from final order by effective_on, amount_cents desc, entry_id
