"""Step 6 (transfer to litigation) through Airflow, with a manager's answers recorded by ``arrears approve``.

Portfolio (rent 500 € + charges 100 € due on the 1st, from January 2025):
- ``T-1`` and ``T-2`` paid only January: on 25 Aug the balance is 8 × 600 − 600 = 4 200 € ≥ 3 × 600; the
  arrears started on 1 Feb; a formal notice on 1 Jun lies between the arrears start and D − 15 days; no plan,
  no overindebtedness → step 11's criteria met on 25 Aug, and still on 1 Sep (4 800 €): step 6's cohort
  (no step-11 run recorded in August, so recomputed).
- ``T-3``: the same debt but no formal notice → not in the cohort.
The manager approves ``T-1`` and rejects ``T-2``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core import models as m
from sqlalchemy import select

SEP1 = dt.date(2025, 9, 1)


@pytest.fixture
def portfolio(db_url, monkeypatch):
    from arrears.core.db import make_engine
    from factories import Portfolio

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    engine = make_engine(db_url)
    p = Portfolio(engine)
    for lease_id in ("T-1", "T-2", "T-3"):
        p.lease(lease_id, start_on="2024-06-01")
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-03", 600_00)
        if lease_id != "T-3":
            p.action(lease_id, "2025-06-01", "formal_notice")
    p.commit()
    yield engine
    engine.dispose()


def test_step6_transfers_only_what_the_manager_approved(portfolio, capsys):
    from arrears.cli import main
    from arrears.core.settings import output_dir
    from arrears.orchestration.runner import run_step

    assert main(["cohort", "6", "--as-of", "2025-09-01"]) == 0
    cohort_csv = capsys.readouterr().out.splitlines()
    assert cohort_csv[0].split(",")[0] == "lease_id"
    assert [line.split(",")[0] for line in cohort_csv[1:]] == ["T-1", "T-2"]

    assert main(["approve", "6", "T-1", "--as-of", "2025-09-01", "--author", "c.durand"]) == 0
    assert main(["approve", "6", "T-2", "--as-of", "2025-09-01", "--reject", "--author", "c.durand"]) == 0
    # A lease that is not waiting for approval is refused with a message, nothing recorded.
    assert main(["approve", "6", "T-3", "--as-of", "2025-09-01"]) == 2
    assert "T-3" in capsys.readouterr().err

    assert run_step(6, SEP1, quiet=True) == 0
    with portfolio.connect() as conn:
        stages = dict(conn.execute(select(m.Lease.lease_id, m.Lease.stage)).all())
        answers = {r.lease_id: (r.approved, r.author) for r in conn.execute(select(m.Approval))}
        transfers = conn.execute(select(m.Action.lease_id).where(m.Action.kind == "transfer_litigation")).scalars()
        transfers = sorted(transfers)
    assert stages == {"T-1": "contentieux", "T-2": "precontentieux", "T-3": "precontentieux"}
    assert answers == {"T-1": (True, "c.durand"), "T-2": (False, "c.durand")}
    assert transfers == ["T-1"]
    files = sorted(p.name for p in (output_dir() / "2025-09").rglob("transfer_files/*.pdf"))
    assert len(files) == 1 and "T-1" in files[0]
    assert list((output_dir() / "2025-09").rglob("worklists/handover_list_*.xlsx"))


def test_step6_waits_for_the_manager_in_airflow_then_applies_the_answer(portfolio):
    """No answer recorded beforehand: the run waits in Airflow's human-in-the-loop task (what the UI's
    Required Actions page shows); the manager answers (here with ``arrears approve`` while the run waits,
    which answers the request as the UI does) and the run goes on with that answer."""
    import _thread
    import threading
    import time

    import sqlalchemy.orm
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from arrears.cli import main
    from arrears.orchestration.runner import _dagbag, run_step

    seen = {}

    def manager():
        try:
            answer()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            seen["error"] = repr(exc)
        if "rc" not in seen:
            _thread.interrupt_main()  # never leave dag.test waiting forever for an answer

    def answer():
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with create_session() as session:
                waiting = session.scalars(select(TaskInstance).where(
                    TaskInstance.dag_id == "end_of_pre_litigation", TaskInstance.task_id == "wait_for_manager",
                    TaskInstance.state == TaskInstanceState.AWAITING_INPUT)).all()
            if waiting:
                time.sleep(2)  # a human takes a moment (an instant answer races the scheduler loop)
                seen["rc"] = main(["approve", "6", "T-2", "--as-of", "2025-09-01", "--author", "m.leroy"])
                return
            time.sleep(1)

    _dagbag()  # Airflow's metadata database is migrated before the manager starts looking at it
    sqlalchemy.orm.configure_mappers()
    thread = threading.Thread(target=manager, daemon=True)
    thread.start()
    assert run_step(6, SEP1, quiet=True) == 0
    thread.join(timeout=5)
    assert seen.get("rc") == 0, seen
    with portfolio.connect() as conn:
        stages = dict(conn.execute(select(m.Lease.lease_id, m.Lease.stage)).all())
        answers = {r.lease_id: r.approved for r in conn.execute(select(m.Approval))}
        authors = set(conn.execute(select(m.Approval.author)).scalars())
    assert stages == {"T-1": "precontentieux", "T-2": "contentieux", "T-3": "precontentieux"}
    assert answers == {"T-1": False, "T-2": True}
    assert all("m.leroy" in a for a in authors)
