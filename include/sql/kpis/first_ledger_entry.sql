-- The first ledger entry of the portfolio: its earliest posting date and earliest due date (a charge counts
-- from its due date, DATA.md). A trend point whose 12-month window starts before it rests on less than a
-- year of billing and is marked partial.
select
    min(posted_on) as first_posted_on,
    min(coalesce(due_on, posted_on)) as first_effective_on
from ledger
