"""Through Airflow (``dag.test``): a weekly step run twice in a month keeps both runs' lists, and after a
run the officers and the mailroom receive their messages from a local SMTP server started by the test."""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core import models as m
from openpyxl import load_workbook
from smtp_server import smtp_connection
from sqlalchemy import select

SEP5 = dt.date(2025, 9, 5)
CONN_ID = "smtp_delivery_test"


@pytest.fixture
def smtp(monkeypatch):
    with smtp_connection(monkeypatch, CONN_ID) as server:
        yield server


@pytest.fixture
def db(db_url, monkeypatch, tmp_path):
    from arrears.core.db import make_engine

    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def credit_lease(p, lease_id: str) -> None:
    """A tenant who left in June with 150 € paid too much: step 13's refund task."""
    p.lease(lease_id, start_on="2024-01-01", end_on="2025-06-30")
    p.charge(lease_id, "2025-06-01", 600_00)
    p.pay(lease_id, "2025-06-03", 750_00)
    p.commit()


def test_weekly_step_twice_in_a_month_keeps_both_runs_lists(db):
    from arrears.core.settings import output_dir
    from arrears.orchestration.runner import run_step
    from factories import Portfolio

    p = Portfolio(db)
    credit_lease(p, "CR-1")
    assert run_step(13, dt.date(2025, 9, 8), quiet=True) == 0
    # a second credit appears before the next weekly run
    p.lease("CR-2", start_on="2024-01-01", end_on="2025-07-31")
    p.charge("CR-2", "2025-07-01", 600_00)
    p.pay("CR-2", "2025-07-02", 800_00)
    p.commit()
    assert run_step(13, dt.date(2025, 9, 15), quiet=True) == 0

    folder = output_dir() / "2025-09" / "13_credit_balances" / "worklists"
    names = sorted(x.name for x in folder.glob("worklist_*"))
    assert names == ["worklist_credit_balances_2025-09-08_S1.pdf", "worklist_credit_balances_2025-09-08_S1.xlsx",
                     "worklist_credit_balances_2025-09-15_S1.pdf", "worklist_credit_balances_2025-09-15_S1.xlsx"]

    def leases(name):
        ws = load_workbook(folder / name).active
        header = [c.value for c in ws[1]]
        return [ws.cell(r, header.index("Bail") + 1).value for r in range(2, ws.max_row + 1)]

    assert leases("worklist_credit_balances_2025-09-08_S1.xlsx") == ["CR-1"]     # intact after the second run
    assert leases("worklist_credit_balances_2025-09-15_S1.xlsx") == ["CR-2"]
    index = (output_dir() / "2025-09" / "worklists_2025-09_S1.html").read_text(encoding="utf-8")
    assert index.index("worklist_credit_balances_2025-09-08_S1.xlsx") < index.index(
        "worklist_credit_balances_2025-09-15_S1.xlsx")
    with db.connect() as conn:
        summaries = [s for (s,) in conn.execute(select(m.StepRun.summary).where(m.StepRun.step == 13)
                                                .order_by(m.StepRun.as_of))]
    assert [len(s["worklists"]) for s in summaries] == [2, 2]
    assert summaries[1]["worklist_index"][0].endswith("worklists_2025-09_S1.html")


def test_officers_and_mailroom_receive_their_messages(db, smtp):
    from arrears.orchestration.runner import run_step
    from factories import Portfolio

    p = Portfolio(db)
    for lease_id, postcode in (("BIG-1", "69008"), ("BIG-2", "69003")):
        p.lease(lease_id, start_on="2024-01-01", postcode=postcode)
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-05", 600_00)
        p.action(lease_id, "2025-08-01", "convocation", outcome="no_show")
    p.commit()

    assert run_step(3, SEP5, dry_run=True, quiet=True) == 0
    assert smtp.messages == []                     # a dry run sends nothing
    assert run_step(3, SEP5, quiet=True) == 0
    mails = {tuple(x["to"]): x for x in smtp.mails(squash_spaces=True)}
    assert set(mails) == {("<c.martin@example.org>",), ("<courrier@rhone-lumiere-habitat.example>",)}

    officer = mails[("<c.martin@example.org>",)]
    assert officer["subject"].startswith("[Plan impayés] Votre liste de travail — étape 3")
    assert "2 dossiers" in officer["subject"] and "Bonjour Claire Martin" in officer["body"]
    assert sorted(officer["files"]) == ["worklist_large_balances_2025-09-05_S1.pdf",
                                        "worklist_large_balances_2025-09-05_S1.xlsx"]
    assert officer["files"]["worklist_large_balances_2025-09-05_S1.pdf"][:4] == b"%PDF"
    assert "Durand" not in officer["body"] and "Paul Bert" not in officer["body"]

    with db.connect() as conn:
        numbers = list(conn.execute(select(m.RegisteredNumber.number).order_by(m.RegisteredNumber.number)).scalars())
        summary = conn.execute(select(m.StepRun.summary).where(m.StepRun.step == 3, m.StepRun.dry_run.is_(False))
                               ).scalar_one()
    mailroom = mails[("<courrier@rhone-lumiere-habitat.example>",)]
    assert mailroom["files"] == {}
    assert mailroom["subject"] == "[Plan impayés] Courrier — étape 3 — 05/09/2025 : 1 lot, 2 courriers, " + \
        f"{summary['batches'][0]['sheets']} feuilles"
    assert "2025-09-S03-20250905-registered" in mailroom["body"]
    assert f"du n° {numbers[0]} au n° {numbers[1]}" in mailroom["body"]
    assert "aucun numéro absent" in mailroom["body"]
    assert "Durand" not in mailroom["body"] and "PAUL BERT" not in mailroom["body"]

    deliveries = summary["deliveries"]
    assert deliveries["sent"] == 2
    assert {(x["kind"], x["to"], x["sent"]) for x in deliveries["messages"]} == {
        ("worklist", "c.martin@example.org", True), ("mailroom", "courrier@rhone-lumiere-habitat.example", True)}
    officer_row = next(x for x in deliveries["messages"] if x["kind"] == "worklist")
    assert officer_row["rows"] == 2 and officer_row["overdue"] == 0
