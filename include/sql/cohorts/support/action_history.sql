-- Per lease, what the actions history says at D (actions with done_on <= D): last contact, convocation,
-- formal notice, CAF report, counts since the start of the current arrears (arrears start, else the FIFO
-- debt since), social counsellor contacts. Contact = the tenant was reached (outcome reached, promise,
-- refused) or met (appointment, home visit, plan agreed, not marked no_answer / no_show; an appointment
-- still `scheduled` - proposed by a convocation, outcome not recorded yet - is not a contact).
with

positions as (
    select lease_id, coalesce(arrears_start, debt_since) as debt_began_on
    from lease_positions
    where as_of = :as_of
      and lease_id in :lease_ids
),

history as (
    select
        a.lease_id,
        a.kind,
        a.outcome,
        a.done_on,
        (a.done_on >= p.debt_began_on) as is_since_debt_began,
        (
            a.outcome in ('reached', 'promise', 'refused')
            or (a.kind in ('appointment', 'home_visit', 'plan_agreed')
                and coalesce(a.outcome, '') not in ('no_answer', 'no_show', 'scheduled'))
        ) as is_contact
    from actions as a
    inner join positions as p on p.lease_id = a.lease_id
    where a.done_on <= :as_of
),

supports as (
    select s.lease_id, max(s.supported_on) as last_support_on,
           max(case when s.supported_on >= p.debt_began_on then s.supported_on end) as support_since_debt_on
    from social_supports as s
    inner join positions as p on p.lease_id = s.lease_id
    where s.supported_on <= :as_of
    group by s.lease_id
),

per_lease as (
    select
        lease_id,
        max(case when is_contact then done_on end) as last_contact_on,
        max(case when kind = 'convocation' then done_on end) as last_convocation_on,
        max(case when kind = 'formal_notice' then done_on end) as last_formal_notice_on,
        max(case when kind = 'formal_notice' and is_since_debt_began then done_on end)
            as formal_notice_since_debt_on,
        max(case when kind = 'caf_report' and is_since_debt_began then done_on end) as caf_report_since_debt_on,
        max(case when kind in ('social_referral', 'home_visit') and is_since_debt_began then done_on end)
            as social_contact_since_debt_on,
        max(case when kind = 'mandate_cancelled' then done_on end) as last_mandate_cancelled_on,
        sum(case when outcome in ('no_answer', 'no_show') and is_since_debt_began then 1 else 0 end)
            as unanswered_since_debt
    from history
    group by lease_id
),

final as (
    select
        p.lease_id,
        p.debt_began_on,
        h.last_contact_on,
        h.last_convocation_on,
        h.last_formal_notice_on,
        h.formal_notice_since_debt_on,
        h.caf_report_since_debt_on,
        h.social_contact_since_debt_on,
        h.last_mandate_cancelled_on,
        coalesce(h.unanswered_since_debt, 0) as unanswered_since_debt,
        s.last_support_on,
        s.support_since_debt_on
    from positions as p
    left join per_lease as h on h.lease_id = p.lease_id
    left join supports as s on s.lease_id = p.lease_id
)

select * from final order by lease_id
