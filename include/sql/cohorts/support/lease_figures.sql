-- The figures every cohort row carries (worklists, letters): the lease, its staff, its derived figures at
-- D (lease_positions) and its addresses, for the given lease ids only (chunked by run_sql):
-- arrears.cohorts merges it onto a step's rows. Reading every lease's figures to keep a cohort's made each
-- cohort cost the whole portfolio (200 000 rows fetched for a cohort of 5 000).
with

positions as (
    select *
    from lease_positions
    where as_of = :as_of
),

final as (
    select
        l.lease_id,
        l.agency_id,
        l.officer_id,
        l.counsellor_id,
        l.stage,
        l.start_on,
        l.end_on,
        p.is_in_place,
        p.is_departed,
        p.balance_cents,
        p.monthly_due_cents,
        p.months_in_arrears,
        p.debt_since,
        p.debt_age_days,
        p.arrears_start,
        p.arrears_age_days,
        p.last_payment_on,
        p.last_payment_cents,
        p.last_action_on,
        p.last_action_kind,
        p.balance_prev_month_end_cents,
        p.episodes_started_12m,
        p.episodes_closed_12m,
        p.months_paid_late_6m,
        p.active_plan_id,
        p.active_plan_kind,
        p.plan_respected,
        p.is_protected,
        p.is_debt_erased,
        p.effort_rate,
        p.has_forwarding_address,
        l.rent_cents,
        l.charges_cents,
        l.benefit_cents,
        l.benefit_to_landlord,
        l.payment_method,
        l.mandate_active,
        l.income_cents,
        l.sls_status,
        l.postcode,
        l.city,
        a.postcode as agency_postcode,
        l.forwarding_address_line1,
        l.forwarding_postcode,
        l.forwarding_city,
        l.forwarding_country
    from leases as l
    inner join positions as p on p.lease_id = l.lease_id
    inner join agencies as a on a.agency_id = l.agency_id
    where l.lease_id in :lease_ids
)

select * from final order by lease_id
