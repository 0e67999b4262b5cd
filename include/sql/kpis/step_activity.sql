-- What each plan step recorded for period (YYYY-MM): one row per (step, source, kind) with a count.
-- Sources: the action journal (leases decided), documents by letter class, officer tasks, the actions the
-- pipeline appended (by kind), and step 11's transfer proposals.
with

journal_rows as (
    select step, 'journal' as source, '' as kind, count(*) as n
    from journal
    where period = :period
    group by step
),

document_classes as (
    select
        step,
        case
            when letter_class = 'registered' or registered_number is not null then 'registered'
            when letter_class is not null or doc_type in :letter_types then 'simple'
            else 'other'
        end as kind
    from documents
    where period = :period
),

document_rows as (
    select step, 'documents' as source, kind, count(*) as n
    from document_classes
    group by step, kind
),

task_rows as (
    select step, 'tasks' as source, '' as kind, count(*) as n
    from tasks
    where period = :period
    group by step
),

action_rows as (
    select step, 'actions' as source, kind, count(*) as n
    from actions
    where period = :period
        and step is not null
    group by step, kind
),

proposal_rows as (
    select 11 as step, 'proposals' as source, '' as kind, count(*) as n
    from transfer_proposals
    where period = :period
),

final as (
    select * from journal_rows
    union all
    select * from document_rows
    union all
    select * from task_rows
    union all
    select * from action_rows
    union all
    select * from proposal_rows
)

select * from final
where n > 0
order by step, source, kind
