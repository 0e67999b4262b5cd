-- Step 6 — Fin de GP (PLAN.md): the transfer proposals step 11 recorded for proposal_period (last month).
-- arrears.cohorts keeps those still in step 11's cohort at D (and recomputes step 11's cohort at its
-- planned date of last month when step 11 did not run then). The manager's approval is applied later.
with

proposals as (
    select
        lease_id,
        proposal_id,
        proposed_on,
        status as proposal_status
    from transfer_proposals
    where period = :proposal_period
),

final as (
    select * from proposals
)

select * from final order by lease_id
