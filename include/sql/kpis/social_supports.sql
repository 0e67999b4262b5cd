-- Social supports with supported_on in [from_on, to_on], per agency of the lease: supports, qualified
-- supports, reinforced supports, households supported (distinct leases).
with

supports as (
    select
        l.agency_id,
        s.support_id,
        s.lease_id,
        case when s.is_qualified then 1 else 0 end as is_qualified,
        case when s.is_reinforced then 1 else 0 end as is_reinforced
    from social_supports as s
    inner join leases as l on l.lease_id = s.lease_id
    where s.supported_on >= :from_on
        and s.supported_on <= :to_on
),

final as (
    select
        a.agency_id,
        a.name as agency_name,
        count(s.support_id) as supports,
        coalesce(sum(s.is_qualified), 0) as qualified,
        coalesce(sum(s.is_reinforced), 0) as reinforced,
        count(distinct s.lease_id) as households
    from agencies as a
    left join supports as s on s.agency_id = a.agency_id
    group by a.agency_id, a.name
)

select * from final
order by agency_name, agency_id
