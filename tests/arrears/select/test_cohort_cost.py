"""A cohort costs its own leases, not the portfolio's: the figures of a cohort's leases are read for those
leases only (at 200 000 leases, reading every lease's figures made each of the month's cohorts fetch and
convert 200 000 rows, bench/bench_scale.py). Counted in rows the query returns, on both back-ends."""

from __future__ import annotations

import datetime as dt

from arrears.select import cohorts
from factories import Portfolio

D = dt.date(2025, 9, 5)


def test_lease_figures_fetch_the_asked_leases_only(engine, monkeypatch):
    p = Portfolio(engine)
    for i in range(40):
        p.lease(f"L-{i:02d}", start_on="2025-01-01")
        p.monthly(f"L-{i:02d}", "2025-01", 9)
    p.commit()
    cohorts.ensure_positions(engine, D)
    fetched: dict[str, int] = {}
    real_run_sql = cohorts.run_sql

    def counting_run_sql(conn, name, params, lease_ids=None):
        rows = real_run_sql(conn, name, params, lease_ids)
        fetched[name] = fetched.get(name, 0) + len(rows)
        return rows

    monkeypatch.setattr(cohorts, "run_sql", counting_run_sql)
    with engine.connect() as conn:
        figures = cohorts.lease_figures(conn, D, ["L-03", "L-17"])
    assert sorted(figures) == ["L-03", "L-17"]
    assert figures["L-17"]["balance_cents"] > 0  # the figures themselves, as before
    assert fetched["cohorts/support/lease_figures"] == 2, fetched
