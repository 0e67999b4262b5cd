-- Per lease, whether a living holder has a phone number or an e-mail address on file, and whether step 15
-- left an address-search task open (PLAN.md revision 5, write-off coherence).
with

holders as (
    select
        lease_id,
        max(
            case
                when trim(coalesce(phone_mobile, '')) <> '' or trim(coalesce(phone_home, '')) <> ''
                    or trim(coalesce(phone_work, '')) <> '' then 1
                else 0
            end
        ) as has_phone,
        max(case when trim(coalesce(email, '')) <> '' then 1 else 0 end) as has_email
    from tenants
    where is_holder
      and not coalesce(is_deceased, false)
      and lease_id in :lease_ids
    group by lease_id
),

searches as (
    select lease_id, min(period) as search_period
    from tasks
    where step = 15
      and kind = 'address_search'
      and status = 'open'
      and lease_id in :lease_ids
    group by lease_id
),

leases_asked as (
    select lease_id
    from leases
    where lease_id in :lease_ids
),

final as (
    select
        l.lease_id,
        coalesce(h.has_phone, 0) as has_phone,
        coalesce(h.has_email, 0) as has_email,
        s.search_period
    from leases_asked as l
    left join holders as h on h.lease_id = l.lease_id
    left join searches as s on s.lease_id = l.lease_id
)

select * from final order by lease_id
