-- The holders (signatories) of the given leases, with their phone numbers and whether they are deceased.
-- Names are not selected: worklists get them from the documents layer, never from logs.
with

final as (
    select
        t.lease_id,
        t.tenant_id,
        t.phone_mobile,
        t.phone_home,
        t.phone_work,
        t.is_deceased
    from tenants as t
    where t.is_holder
      and t.lease_id in :lease_ids
)

select * from final order by lease_id, tenant_id
