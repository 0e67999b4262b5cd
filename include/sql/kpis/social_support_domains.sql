-- Social supports with supported_on in [from_on, to_on] by domain: supports, households, reinforced.
with

supports as (
    select
        domain,
        support_id,
        lease_id,
        case when is_reinforced then 1 else 0 end as is_reinforced
    from social_supports
    where supported_on >= :from_on
        and supported_on <= :to_on
),

final as (
    select
        domain,
        count(*) as supports,
        count(distinct lease_id) as households,
        sum(is_reinforced) as reinforced
    from supports
    group by domain
)

select * from final
order by supports desc, domain
