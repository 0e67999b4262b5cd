-- Step 10 — Traitement des rejets de prélèvements (PLAN.md).
-- Cohort: in place, pre-litigation stage, a direct-debit reject with rejected_on in (since, as_of]
-- (since = the as_of of this step's previous successful, non-dry run; else D - 1 month).
-- One row per lease: the latest reject of the window, and which reason codes the window holds.
-- "3 successive" (rejects in 3 consecutive calendar months) is computed by arrears.cohorts.
with

-- include: shared/in_place_leases

window_rejects as (
    select
        r.lease_id,
        r.reject_id,
        r.rejected_on,
        r.amount_cents,
        r.reason_code,
        row_number() over (partition by r.lease_id order by r.rejected_on desc, r.reject_id desc) as recency
    from dd_rejects as r
    inner join in_place_leases as l on l.lease_id = r.lease_id
    where r.rejected_on > :since
      and r.rejected_on <= :as_of
),

per_lease as (
    select
        lease_id,
        count(*) as rejects_in_window,
        sum(amount_cents) as rejected_cents,
        max(case when reason_code = 'MD07' then 1 else 0 end) as has_md07,
        max(case when reason_code in ('AC04', 'AC01', 'MD01') then 1 else 0 end) as has_account_reject
    from window_rejects
    group by lease_id
),

final as (
    select
        w.lease_id,
        w.reject_id,
        w.rejected_on,
        w.amount_cents as reject_amount_cents,
        w.reason_code,
        p.rejects_in_window,
        p.rejected_cents,
        p.has_md07,
        p.has_account_reject
    from window_rejects as w
    inner join per_lease as p on p.lease_id = w.lease_id
    where w.recency = 1
)

select * from final order by lease_id
