"""End to end through Airflow itself (``dag.test``): runs, re-runs and a crash in the middle of rendering.

The portfolio (September 2025, rent 500 € + charges 100 € due on the 1st):
- ``SMALL-A`` (Lyon 69003) and ``SMALL-B`` (Villeurbanne 69100): 4 months billed (Jun–Sep: 2 400 €), paid
  600 + 600 + 550 + 600 → 50 € left unpaid since 3 Aug → step 1 on 1 Sep (10 < 50 < 100, arrears age 29 days,
  no plan): a friendly reminder each.
- ``BIG-1`` and ``BIG-2``: 9 months billed (Jan–Sep: 5 400 €), paid 600 → 4 800 € ≥ 1 500 € on 5 Sep →
  step 3; a convocation on 1 Aug with no answer (≥ 15 days old) → a formal notice by registered mail.
- ``OK``: pays everything on time → in no cohort.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from arrears.core import models as m
from sqlalchemy import func, select

SEP1 = dt.date(2025, 9, 1)
SEP5 = dt.date(2025, 9, 5)


def build_portfolio(engine) -> None:
    from factories import Portfolio

    p = Portfolio(engine)
    for lease_id, postcode, city in (("SMALL-A", "69003", "Lyon"), ("SMALL-B", "69100", "Villeurbanne")):
        p.lease(lease_id, postcode=postcode, city=city, start_on="2025-06-01")
        p.monthly(lease_id, "2025-06", 4)
        for day, amount in (("2025-06-03", 600_00), ("2025-07-03", 600_00), ("2025-08-03", 550_00),
                            ("2025-09-01", 600_00)):
            p.pay(lease_id, day, amount)
    for lease_id in ("BIG-1", "BIG-2"):
        p.lease(lease_id, start_on="2024-01-01")
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-05", 600_00)
        p.action(lease_id, "2025-08-01", "convocation", outcome="no_show")
    p.lease("OK", start_on="2024-01-01")
    p.monthly("OK", "2025-01", 9)
    for month in range(1, 10):
        p.pay("OK", f"2025-{month:02d}-01", 600_00)
    p.commit()


@pytest.fixture
def portfolio(db_url, monkeypatch):
    from arrears.core.db import make_engine

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    engine = make_engine(db_url)
    build_portfolio(engine)
    yield engine
    engine.dispose()


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.__tablename__: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (m.JournalEntry, m.RegisteredNumber, m.Document, m.Task, m.Action)
        }


def letter_files(period_dir) -> list[str]:
    return sorted(p.name for p in period_dir.rglob("letters/*.pdf"))


def test_month_runs_then_rerun_duplicates_nothing(portfolio, tmp_path, monkeypatch):
    from arrears.core.settings import output_dir
    from arrears.orchestration.runner import run_step

    # This test counts the files of its own runs: other tests write September letters too.
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))

    assert run_step(1, SEP1, quiet=True) == 0
    assert run_step(3, SEP5, quiet=True) == 0
    first = counts(portfolio)
    files = letter_files(output_dir() / "2025-09")
    # 2 reminders (step 1) + 2 formal notices (step 3) = 4 letters, 2 registered numbers, 4 journal rows.
    assert first["journal"] == 4
    assert first["documents"] == 4
    assert first["registered_numbers"] == 2
    assert len(files) == 4
    with portfolio.connect() as conn:
        numbers = dict(conn.execute(select(m.RegisteredNumber.lease_id, m.RegisteredNumber.number)).all())
        statuses = set(conn.execute(select(m.JournalEntry.status)).scalars())
        notices = conn.execute(select(func.count()).select_from(m.Action)
                               .where(m.Action.kind == "formal_notice", m.Action.step == 3)).scalar_one()
    assert set(numbers) == {"BIG-1", "BIG-2"}
    assert statuses == {"recorded"}
    assert notices == 2

    # Re-run both steps for the same month: nothing new is sent, numbered, written or recorded.
    assert run_step(1, SEP1, quiet=True) == 0
    assert run_step(3, SEP5, quiet=True) == 0
    assert counts(portfolio) == first
    assert letter_files(output_dir() / "2025-09") == files
    with portfolio.connect() as conn:
        again = dict(conn.execute(select(m.RegisteredNumber.lease_id, m.RegisteredNumber.number)).all())
    assert again == numbers


def test_rerun_after_a_crash_mid_rendering_completes_the_work(portfolio, monkeypatch):
    from arrears.orchestration import pipeline
    from arrears.orchestration.runner import run_step

    # The crashed run: cohort, decisions and reservations done, then only the first chunk (one lease)
    # rendered before the process died — no batch, no worklist, nothing recorded.
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 1)
    spec = pipeline.make_spec(3, SEP5, run_id="crashed-run")
    pipeline.select_cohort(spec)
    pipeline.decide(spec)
    reservation = pipeline.reserve_actions(spec)
    assert reservation["chunks"] == [["BIG-1"], ["BIG-2"]]
    pipeline.render_documents(spec, reservation["chunks"][0])
    with portfolio.connect() as conn:
        crashed_number = conn.execute(select(m.RegisteredNumber.number)
                                      .where(m.RegisteredNumber.lease_id == "BIG-1")).scalar_one()
        statuses = dict(conn.execute(select(m.JournalEntry.lease_id, m.JournalEntry.status)).all())
    assert statuses == {"BIG-1": "rendered", "BIG-2": "reserved"}

    # The re-run through Airflow finishes what was left: both letters, the same number for BIG-1.
    assert run_step(3, SEP5, quiet=True) == 0
    after = counts(portfolio)
    assert after["journal"] == 2 and after["documents"] == 2 and after["registered_numbers"] == 2
    with portfolio.connect() as conn:
        numbers = dict(conn.execute(select(m.RegisteredNumber.lease_id, m.RegisteredNumber.number)).all())
        statuses = set(conn.execute(select(m.JournalEntry.status)).scalars())
        tasks = conn.execute(select(func.count()).select_from(m.Task).where(m.Task.step == 3)).scalar_one()
    assert numbers["BIG-1"] == crashed_number
    assert statuses == {"recorded"}
    assert tasks >= 2  # the officer's call task for each file, once

    # And one more run changes nothing.
    assert run_step(3, SEP5, quiet=True) == 0
    assert counts(portfolio) == after


def test_dry_run_records_nothing_and_renders_a_preview(portfolio):
    from arrears.core.settings import output_dir
    from arrears.orchestration.runner import run_step

    assert run_step(3, SEP5, dry_run=True, quiet=True) == 0
    assert all(n == 0 for k, n in counts(portfolio).items() if k != "actions")
    previews = list((output_dir() / "preview" / "2025-09").rglob("letters/*.pdf"))
    assert {p.name.split("_")[0] for p in previews} == {"BIG-1", "BIG-2"}


def test_concurrent_reservations_take_each_lease_once(portfolio):
    """Two runs of the same step at once: the journal's unique key lets only one take each lease."""
    import threading

    from arrears.act import journal
    from arrears.decide.steps import decide_step

    decisions = decide_step(portfolio, 3, SEP5)
    assert len(decisions) == 2
    barrier = threading.Barrier(2)
    taken = []

    def run(run_id):
        barrier.wait()
        with portfolio.begin() as conn:
            taken.append(journal.reserve(conn, decisions, run_id))

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == [0, 2]
    assert counts(portfolio)["journal"] == 2


os.environ.setdefault("ARREARS_RETRY_DELAY_SECONDS", "2")
