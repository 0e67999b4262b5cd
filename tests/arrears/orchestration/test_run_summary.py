"""Run summaries computed from the journal (arrears.orchestration.pipeline.summarize), on SQLite and
PostgreSQL, and failures reported as lease id + reason code, never a tenant's name or address.

On main before this change: a re-run after a crash after recording said "new this run 0 … tasks 0" and
"letters 0" although the month made the letters; PostgreSQL summaries showed ``"actions": -2`` (psycopg's
rowcount -1); a failed letter's message carried the tenant's name into the summary, its XCom and the CLI.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from arrears.core import models as m
from arrears.orchestration import pipeline, run_counts
from arrears.orchestration.runner import format_summary
from factories import Portfolio
from sqlalchemy import func, select

SEP5 = dt.date(2025, 9, 5)
LONG_NAME = "Montmorency-Laval-Lauraguais-Tour-Auvergne"


@pytest.fixture
def portfolio(db_url, monkeypatch, tmp_path):
    """BIG-1 and BIG-2: 4 800 € owed, a convocation unanswered → step 3: formal notice (LRAR) + tasks."""
    from arrears.core.db import make_engine

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))   # this test's files only
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    p = Portfolio(engine)
    for lease_id in ("BIG-1", "BIG-2"):
        p.lease(lease_id, start_on="2024-01-01")
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-05", 600_00)
        p.action(lease_id, "2025-08-01", "convocation", outcome="no_show")
    p.commit()
    yield engine
    engine.dispose()


def run(spec, *, stop_after: str | None = None) -> dict | None:
    """The step's tasks in order, as the DAG runs them; ``stop_after`` ends the run there (a crash)."""
    parts = {"cohort": pipeline.select_cohort(spec)}
    pipeline.decide(spec)
    reservation = pipeline.reserve_actions(spec)
    for chunk in reservation["chunks"]:
        pipeline.render_documents(spec, chunk)
    parts["batches"] = pipeline.assemble_batches(spec)
    parts["worklists"] = pipeline.write_worklists(spec)
    parts["record"] = pipeline.record_actions(spec)
    if stop_after == "record":
        return None
    return pipeline.summarize(spec, parts)


def db_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {"actions": conn.execute(select(func.count()).select_from(m.Action)
                                        .where(m.Action.step == 3)).scalar_one(),
                "tasks": conn.execute(select(func.count()).select_from(m.Task)).scalar_one()}


def test_first_run_counts_from_the_database(portfolio):
    summary = run(pipeline.make_spec(3, SEP5, run_id="run-1"))
    counts = db_counts(portfolio)
    assert counts["actions"] >= 2 and counts["tasks"] >= 2
    assert summary["letters_by_type"] == {"formal_notice": 2}
    assert summary["registered_letters"] == 2
    assert summary["taken_by_this_run"] == 2
    assert sum(summary["tasks_by_officer"].values()) == counts["tasks"]
    assert summary["recorded"]["actions"] == counts["actions"]     # never psycopg's -1
    assert summary["recorded"]["tasks"] == counts["tasks"]
    assert summary["period_totals"]["letters"] == 2


def test_rerun_after_a_crash_after_recording(portfolio):
    assert run(pipeline.make_spec(3, SEP5, run_id="crashed"), stop_after="record") is None
    summary = run(pipeline.make_spec(3, SEP5, run_id="rerun"))
    # The crashed run left no summary: the re-run's counts what the month made and nobody reported.
    assert summary["letters_by_type"] == {"formal_notice": 2}
    assert summary["registered_letters"] == 2
    assert summary["taken_by_this_run"] == 2
    assert sum(summary["tasks_by_officer"].values()) == db_counts(portfolio)["tasks"]
    assert summary["period_totals"] == {"leases": 2, "recorded": 2, "pending": 0, "letters": 2,
                                        "registered_letters": 2, **db_counts(portfolio)}
    # A third run does nothing new and says so, with the month's totals.
    third = run(pipeline.make_spec(3, SEP5, run_id="third"))
    assert third["letters_by_type"] == {} and third["taken_by_this_run"] == 0
    assert third["tasks_by_officer"] == {} and third["recorded"]["actions"] == 0
    assert third["period_totals"]["letters"] == 2
    text = format_summary(third)
    assert "new this run 0, letters 0" in text
    assert "2025-09 so far for this step: 2 leases done (0 pending), letters 2 (2 registered)" in text
    # Every letter of the month is counted by exactly one stored summary (the month view adds them up).
    with portfolio.connect() as conn:
        stored = [s for (s,) in conn.execute(select(m.StepRun.summary).where(m.StepRun.step == 3))]
    assert sum(sum(s["letters_by_type"].values()) for s in stored) == 2


def test_failure_carries_lease_and_reason_code_not_the_name(portfolio, capsys):
    with portfolio.begin() as conn:
        conn.execute(m.Tenant.__table__.update().where(m.Tenant.tenant_id == "BIG-2-T1")
                     .values(first_name="Marie-Christine", last_name=LONG_NAME))
    summary = run(pipeline.make_spec(3, SEP5, run_id="run-1"))
    assert summary["failures"] == [{"lease_id": "BIG-2", "reason_code": "address_invalid",
                                    "reason": run_counts.FAILURE_REASONS["address_invalid"]}]
    with portfolio.connect() as conn:
        stored = conn.execute(select(m.StepRun.summary)).scalar_one()
    spec = pipeline.make_spec(3, SEP5, run_id="run-1")
    written = (spec.output_dir / "summary_run-1.json").read_text(encoding="utf-8")
    for text in (json.dumps(summary), json.dumps(stored), written, format_summary(summary)):
        assert "Montmorency" not in text and "Marie-Christine" not in text
        assert "BIG-2" in text
    assert "! BIG-2: address_invalid" in format_summary(summary)


@pytest.mark.parametrize("message, code", [
    ("lease L1: every holder is deceased — no letter", "holders_deceased"),
    ("lease L1: field forwarding_address is empty (address-search task instead)", "no_forwarding_address"),
    ("('L1', 'MME NADIA MONTMORENCY-LAVAL', 'name longer than 38 characters')", "address_invalid"),
    ("lease L1: letter template x.html: 'foo' is undefined", "template_error"),
    ("layout failed: boom", "layout_failed"),
    ("something else entirely", "other"),
])
def test_failure_codes(message, code):
    entry = run_counts.failure_entry("L1", message)
    assert entry == {"lease_id": "L1", "reason_code": code, "reason": run_counts.FAILURE_REASONS[code]}


def test_decide_reuses_the_cohort_select_cohort_read_in_the_same_process(portfolio, monkeypatch):
    from arrears.decide.steps import decide_step
    from arrears.select import cohorts

    reads = []
    real = cohorts.cohort_records

    def counted(*args, **kwargs):
        reads.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(cohorts, "cohort_records", counted)
    monkeypatch.setattr("arrears.decide.steps.cohort_records", counted)
    spec = pipeline.make_spec(3, SEP5, run_id="run-1")
    assert pipeline.select_cohort(spec)["cohort"] == 2
    assert pipeline.decide(spec)["decisions"] == 2
    assert reads == [3]  # read once, by select_cohort
    fresh = [d.to_dict() for d in decide_step(portfolio, 3, SEP5)]
    assert reads == [3, 3]
    assert [d.to_dict() for d in pipeline.load_decisions(spec)] == fresh
    # Another run (or a process where select_cohort did not run) reads the cohort itself.
    pipeline.decide(pipeline.make_spec(3, SEP5, run_id="run-2"))
    assert reads == [3, 3, 3]


def test_the_summary_keeps_the_seconds_of_each_phase(portfolio):
    summary = run(pipeline.make_spec(3, SEP5, run_id="run-1"))
    assert set(summary["phase_seconds"]) == {"positions", "cohorts", "decisions", "reserve", "rendering",
                                             "batches", "worklists", "recording"}
    assert all(isinstance(v, float) and v >= 0 for v in summary["phase_seconds"].values())
