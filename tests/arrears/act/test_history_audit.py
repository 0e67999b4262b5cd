"""``arrears history`` (one lease's timeline) and ``arrears audit`` (the month's contact-policy check over
the journal), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from arrears.act import journal
from arrears.act.audit import audit_month
from arrears.act.history import history_pdf, history_text, lease_history
from arrears.decide.decision import Decision, LetterOrder
from arrears.decide.steps import decide_step
from factories import Portfolio
from pypdf import PdfReader


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _run(engine, step: int, as_of: str) -> None:
    decisions = decide_step(engine, step, day(as_of))
    with engine.begin() as conn:
        journal.reserve(conn, decisions, f"t-{step}-{as_of}")
        journal.record(conn, journal.pending(conn, step, as_of[:7]))


def _reserve(engine, decisions) -> None:
    """Journal rows written as a run without the contact policy would have (to give the audit something
    to find)."""
    with engine.begin() as conn:
        for d in decisions:
            journal.reserve(conn, [d], f"forced-{d.step}")


def test_history_shows_ledger_with_running_balance_plans_actions_and_decisions(engine, tmp_path):
    p = Portfolio(engine)
    lease = p.lease("L1", start_on="2025-03-01")
    p.monthly(lease, "2025-03", 7)
    for month in range(3, 8):
        p.pay(lease, f"2025-{month:02d}-05", 600_00)
    p.reject(lease, "2025-08-04", 600_00, code="AM04")
    p.action(lease, "2025-08-12", "formal_notice")
    p.plan(lease, agreed_on="2025-06-01", debt=100_00, status="completed", closed_on="2025-07-01",
           installments=[("2025-06-15", 100_00)])
    p.commit()
    _run(engine, 7, "2025-09-10")                      # the welcome letter is held back by the formal notice
    events = lease_history(engine, "L1", as_of=day("2025-09-30"))
    ledger = [e for e in events if e.source == "ledger"]
    assert ledger[0].on == day("2025-03-01") and ledger[-1].balance_cents == 1200_00
    assert [e.balance_cents for e in ledger[:4]] == [500_00, 600_00, 0, 500_00]
    sources = {e.source for e in events}
    assert {"ledger", "reject", "plan", "installment", "action", "decision", "task"} <= sources
    decision = next(e for e in events if e.source == "decision")
    assert decision.on == day("2025-09-10") and "courrier nouvel entrant retenu" in decision.what
    assert "mise en demeure" in decision.what                      # the reason names what held it back
    task = next(e for e in events if e.source == "task" and e.ref == "letter_held_back")
    assert "courrier nouvel entrant" in task.what
    # Up to a date: nothing after it.
    assert all(e.on <= day("2025-08-10") for e in lease_history(engine, "L1", as_of=day("2025-08-10")))
    text = history_text("L1", events, day("2025-09-30"))
    assert "Historique du bail L1" in text and "1\u202f200,00 €" in text
    pdf = history_pdf(engine, "L1", events, day("2025-09-30"), tmp_path / "history.pdf")
    pdf_text = " ".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    assert "Historique du bail L1" in pdf_text and "retenu" in pdf_text
    assert (pdf.stat().st_mode & 0o777) == 0o600


def test_audit_counts_what_the_contact_policy_forbids(engine):
    p = Portfolio(engine)
    for lease in ("CLEAN", "STEPBACK", "SAMEDAY"):
        p.lease(lease, start_on="2025-03-01")
        p.monthly(lease, "2025-03", 7)
        for month in range(3, 8):
            p.pay(lease, f"2025-{month:02d}-05", 600_00)
    p.commit()
    _run(engine, 7, "2025-09-10")                       # CLEAN, STEPBACK, SAMEDAY get the welcome letter
    clean = audit_month(engine, "2025-09")
    assert clean.letters == 3 and clean.violations == 0
    # What the policy forbids, written into the journal as a run without it would have:
    as_of = day("2025-09-22")
    _reserve(engine, [
        Decision("STEPBACK", 3, "large_balances", "2025-09", day("2025-09-12"), letter=LetterOrder("formal_notice", registered=True)),
        Decision("STEPBACK", 8, "repeat_debtors", "2025-09", as_of, letter=LetterOrder("repeat_debtor")),
        Decision("SAMEDAY", 10, "direct_debit_rejects", "2025-09", day("2025-09-10"), letter=LetterOrder("dd_reject")),
    ])
    report = audit_month(engine, "2025-09")
    assert report.letters == 6
    assert report.step_backs == ["STEPBACK"]             # repeat debtor (2) after a formal notice (3)
    assert report.spacing == []                          # 12 -> 22 September: 10 days apart
    assert report.same_day == ["SAMEDAY"]                # dd_reject (step 10, ordered first) + new tenant
    assert report.transfers == 0 and report.transfers_missing_legal == []
    lines = report.lines()
    assert lines[1].startswith("ladder step-backs: 1") and "STEPBACK" in lines[1]
    assert lines[3].startswith("two letters on one day: 1")


def test_audit_spacing_and_escalation(engine):
    p = Portfolio(engine)
    for lease in ("TOO_CLOSE", "ESCALATES"):
        p.lease(lease, start_on="2020-01-01")
        p.charge(lease, "2025-06-01", 2000_00)
    p.commit()
    _reserve(engine, [
        Decision("TOO_CLOSE", 3, "large_balances", "2025-09", day("2025-09-05"), letter=LetterOrder("convocation")),
        Decision("TOO_CLOSE", 8, "repeat_debtors", "2025-09", day("2025-09-14"), letter=LetterOrder("repeat_debtor")),
        Decision("ESCALATES", 3, "large_balances", "2025-09", day("2025-09-05"), letter=LetterOrder("convocation")),
        Decision("ESCALATES", 11, "pre_litigation_review", "2025-09", day("2025-09-08"), letter=LetterOrder("last_notice")),
    ])
    report = audit_month(engine, "2025-09")
    assert report.spacing == ["TOO_CLOSE"] and report.step_backs == [] and report.same_day == []
