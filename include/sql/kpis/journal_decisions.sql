-- The decisions recorded in the action journal for period (YYYY-MM), with the document and registered
-- number each produced; profiles, letters and amounts are read from the decision JSON in Python.
select
    journal_id,
    lease_id,
    step,
    as_of,
    status,
    document_id,
    registered_number,
    decision
from journal
where period = :period
order by lease_id, as_of, journal_id
