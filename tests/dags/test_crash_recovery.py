"""A run killed (SIGKILL) at four points — before reservation, mid-render, after batches, after recording —
then re-run through Airflow (``dag.test``): files on disk = ``documents`` rows = journal, every batch file
complete, deposit lists = registered letters, registered numbers without gap or reuse; on SQLite and
PostgreSQL.

The killed run is a child process doing what the step's tasks do, in their order, holding the run lock
as ``arrears run`` does; it kills itself at the chosen point. The re-run takes over the dead run's lock.

Portfolio (step 3, 5 September 2025, 4 800 € owed each): BIG-1 and BIG-2 had a convocation on 1 August
with no answer → formal notice (registered); BIG-3 had no contact in 30 days → convocation (simple letter).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from arrears.core import models as m
from pypdf import PdfReader
from sqlalchemy import func, select

SEP5 = dt.date(2025, 9, 5)
POINTS = ("before_reservation", "mid_render", "after_batches", "after_recording")

CHILD = r"""
import os, signal, sys
from arrears.orchestration import pipeline, runlock
from arrears.core.db import engine_for

point = sys.argv[1]

def die(here):
    if here == point:
        os.kill(os.getpid(), signal.SIGKILL)

spec = pipeline.make_spec(3, "2025-09-05", run_id="manual__killed")
runlock.acquire(engine_for(), 3, "2025-09", spec.run_id)
parts = {"cohort": pipeline.select_cohort(spec)}
pipeline.decide(spec)
die("before_reservation")
reservation = pipeline.reserve_actions(spec)
for i, chunk in enumerate(reservation["chunks"]):
    pipeline.render_documents(spec, chunk)
    if i == 0:
        die("mid_render")
parts["batches"] = pipeline.assemble_batches(spec)
die("after_batches")
parts["worklists"] = pipeline.write_worklists(spec)
parts["record"] = pipeline.record_actions(spec)
die("after_recording")
raise SystemExit("not killed")
"""


@pytest.fixture
def portfolio(db_url, monkeypatch, tmp_path):
    from arrears.core.db import make_engine
    from factories import three_large_balances

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))   # this test's files only
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    three_large_balances(engine)
    yield engine
    engine.dispose()


def step_dir() -> Path:
    from arrears.core.settings import output_dir

    return next((output_dir() / "2025-09").glob("03_*"))


def kill_at(point: str, db_url: str) -> None:
    env = {**os.environ, "ARREARS_DB_URL": db_url, "ARREARS_RENDER_CHUNK": "1", "ARREARS_RENDER_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, point], env=env, capture_output=True, text=True, check=False,
                          timeout=600)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def test_unkilled_child_reaches_the_end(portfolio, db_url):
    """The child script runs the whole sequence when no point matches (the kill points are real)."""
    env = {**os.environ, "ARREARS_DB_URL": db_url, "ARREARS_RENDER_CHUNK": "1", "ARREARS_RENDER_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, "nowhere"], env=env, capture_output=True, text=True, check=False,
                          timeout=600)
    assert "not killed" in done.stderr


@pytest.mark.parametrize("point", POINTS)
def test_kill_then_rerun_leaves_a_coherent_month(portfolio, db_url, point):
    from arrears.orchestration.runner import last_summary, run_step

    kill_at(point, db_url)
    assert run_step(3, SEP5, quiet=True) == 0   # takes over the dead run's lock, finishes the work

    with portfolio.connect() as conn:
        documents = conn.execute(select(m.Document).where(m.Document.step == 3)).mappings().all()
        journal = conn.execute(select(m.JournalEntry).where(m.JournalEntry.step == 3)).mappings().all()
        numbers = conn.execute(select(m.RegisteredNumber.number, m.RegisteredNumber.lease_id)).all()
        locks = conn.execute(select(func.count()).select_from(m.RunLock)).scalar_one()
    out = step_dir()

    # files on disk = documents rows = journal
    on_disk = sorted(p.name for p in (out / "letters").glob("*.pdf"))
    assert len(on_disk) == 3
    assert sorted(Path(d["path"]).name for d in documents) == on_disk
    assert all(Path(d["path"]).is_file() for d in documents)
    assert {j["status"] for j in journal} == {"recorded"} and len(journal) == 3
    assert sorted(j["document_id"] for j in journal) == sorted(d["document_id"] for d in documents)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    # registered numbers: one per registered letter, none reused
    registered = {d["lease_id"]: d["registered_number"] for d in documents if d["registered_number"]}
    assert set(registered) == {"BIG-1", "BIG-2"}
    assert sorted(n for n, _ in numbers) == sorted(registered.values())
    assert {lease: n for n, lease in numbers} == registered

    # every batch file holds all the letters the documents table assigns to it
    batch_ids = {d["batch_id"] for d in documents}
    assert None not in batch_ids
    for batch_id in batch_ids:
        members = [d for d in documents if d["batch_id"] == batch_id]
        batch = out / "mailroom" / "batches" / f"{batch_id}.pdf"
        expected_pages = 2 + sum(d["pages"] + d["pages"] % 2 for d in members)
        assert len(PdfReader(batch).pages) == expected_pages, batch_id
    # deposit lists = registered letters
    listed = []
    for path in (out / "mailroom" / "batches").glob("*_liste_de_depot.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
        listed += [r[1] for r in rows[1:]]
    assert sorted(listed) == sorted(registered.values())

    # the summary of the re-run counts what the month made and nobody reported
    with portfolio.connect() as conn:
        run_id = conn.execute(select(m.StepRun.run_id).where(m.StepRun.step == 3)).scalar_one()
    summary = last_summary(3, SEP5, run_id)
    assert summary["period_totals"]["letters"] == 3
    assert summary["period_totals"]["registered_letters"] == 2
    assert sum(summary["letters_by_type"].values()) == 3
    assert locks == 0   # the re-run released its lock


os.environ.setdefault("ARREARS_RETRY_DELAY_SECONDS", "2")
