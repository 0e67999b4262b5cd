-- Recovery attempts made since the tenant left (PLAN.md revision 5, write-off coherence): calls, SMS,
-- e-mails and letters (imported or the pipeline's) with done_on in [end_on, D], oldest first.
with

departed as (
    select lease_id, end_on
    from leases
    where end_on is not null
      and lease_id in :lease_ids
),

final as (
    select a.lease_id, a.done_on, a.kind, a.outcome, a.step
    from actions as a
    inner join departed as d on d.lease_id = a.lease_id
    where a.done_on >= d.end_on
      and a.done_on <= :as_of
      and a.kind in ('phone_call', 'sms', 'email', 'letter', 'formal_notice', 'convocation')
)

select * from final order by lease_id, done_on, kind
