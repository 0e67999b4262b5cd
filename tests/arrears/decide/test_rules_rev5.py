"""Revision 5 rules of PLAN.md: transfer prerequisites (step 6), write-off coherence (step 14), what step 4
claims under an overindebtedness measure — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from arrears.core.models import Approval, StepRun, Task, Tenant, TransferProposal
from arrears.decide.steps import decide_step
from arrears.orchestration import pipeline
from factories import Portfolio
from sqlalchemy import update
from sqlalchemy.orm import Session


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _proposed_last_month(engine, *leases):
    with Session(engine) as s:
        s.add(StepRun(step=11, period="2025-08", as_of=day("2025-08-25"), run_id="r11", dry_run=False,
                      status="success", summary={}, started_at=dt.datetime(2025, 8, 25, 7)))
        for lease in leases:
            s.add(TransferProposal(lease_id=lease, period="2025-08", proposed_on=day("2025-08-25")))
        s.commit()


def test_step_6_holds_back_a_file_with_a_caf_report_missing_and_the_manager_sees_why(engine, monkeypatch):
    p = Portfolio(engine)
    # Both owe 1 800 € since May with a formal notice in June, and receive housing benefit: the CAF report
    # (also the CCAPEX referral) is due since May 1 (1 800 € >= 2 x 600 €); only READY made it.
    # (Step 6's cohort is step 11's, which already requires a formal notice in the episode.)
    for lease in ("READY", "NO_NOTICE"):
        p.lease(lease, benefit=100_00)
        p.charge(lease, "2025-05-01", 1800_00)
        p.action(lease, "2025-06-01", "formal_notice")
    p.action("READY", "2025-06-20", "caf_report")
    p.commit()
    _proposed_last_month(engine, "READY", "NO_NOTICE")
    decisions = {d.lease_id: d for d in decide_step(engine, 6, day("2025-09-01"))}
    ready, held = decisions["READY"], decisions["NO_NOTICE"]
    assert ("stage_contentieux", None) in [(c.kind, c.ref) for c in ready.changes]
    assert not ready.figures.get("held_back")
    assert held.changes == () and held.figures["held_back"] is True
    reason = "Signalement CAF (vaut saisine CCAPEX) : dû et non fait"
    assert held.figures["held_back_reasons"] == [reason]
    task = next(t for t in held.tasks if t.kind == "caf_report")
    # The legal deadline: 2 months after the threshold was crossed (May 1) — already past, shown as such.
    assert task.due_on == day("2025-07-01") and "1er juillet 2025" in task.title
    assert any("reste en précontentieux" in r for r in held.reasons)

    # The approval request offers READY only and shows NO_NOTICE as held back with the reason.
    spec = pipeline.RunSpec(step=6, step_id="end_of_pre_litigation", as_of="2025-09-01", run_id="t6",
                            db_url=engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(pipeline, "_engine", lambda _spec: engine)
    (spec.work_dir / "decisions.jsonl").write_text(
        "".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in decisions.values()), encoding="utf-8")
    request = pipeline.approval_request(spec)
    assert request["lease_ids"] == ["READY"]
    assert request["held_back"] == [{"lease_id": "NO_NOTICE", "reasons": [reason]}]
    assert "NO_NOTICE" in request["body"] and "Dossiers retenus" in request["body"]
    # Once the manager approved READY, the held-back file's tasks are recorded, and it stays precontentieux.
    with Session(engine) as s:
        s.add(Approval(lease_id="READY", step=6, period="2025-09", approved=True, author="manager",
                       decided_at=dt.datetime(2025, 9, 1, 9)))
        s.commit()
    pipeline.reserve_actions(spec, approved=["READY"])
    from arrears.act import journal
    with engine.begin() as conn:
        journal.record(conn, journal.pending(conn, 6, "2025-09"))
    with engine.connect() as conn:
        stages = dict(conn.execute(pipeline_stage_query()).all())
        tasks = {(r.lease_id, r.kind) for r in conn.execute(Task.__table__.select())}
    assert stages == {"READY": "contentieux", "NO_NOTICE": "precontentieux"}
    assert ("NO_NOTICE", "caf_report") in tasks


def pipeline_stage_query():
    from arrears.core.models import Lease
    from sqlalchemy import select

    return select(Lease.lease_id, Lease.stage)


def test_step_14_write_off_held_back_while_contact_is_possible(engine):
    p = Portfolio(engine)
    leases = ("PHONE_NO_ATTEMPT", "PHONE_ATTEMPTED", "SEARCH_OPEN", "NO_CONTACT_DETAILS")
    for lease in leases:
        p.lease(lease, start_on="2020-01-01", end_on="2024-06-30")
        p.charge(lease, "2024-06-01", 200_00)
    p.action("PHONE_ATTEMPTED", "2024-07-15", "phone_call", outcome="no_answer")
    p.action("PHONE_ATTEMPTED", "2024-09-02", "letter")
    p.action("PHONE_NO_ATTEMPT", "2024-05-02", "phone_call")       # before the departure: does not count
    p.commit()
    with Session(engine) as s:
        s.execute(update(Tenant).where(Tenant.lease_id == "NO_CONTACT_DETAILS").values(phone_mobile=None))
        s.add(Task(lease_id="SEARCH_OPEN", step=15, period="2025-08", kind="address_search", staff_id="S1",
                   priority=2, title="Rechercher l'adresse", checklist=[], status="open"))
        s.add(Task(lease_id="PHONE_ATTEMPTED", step=15, period="2025-07", kind="address_search", staff_id="S1",
                   priority=2, title="Rechercher l'adresse", checklist=[], status="done"))
        s.commit()
    out = {d.lease_id: d for d in decide_step(engine, 14, day("2025-09-08"))}
    assert set(out) == set(leases)
    assert out["PHONE_NO_ATTEMPT"].figures["held_back"] is True
    assert "téléphone au dossier" in out["PHONE_NO_ATTEMPT"].figures["held_back_reasons"][0]
    assert [t.kind for t in out["PHONE_NO_ATTEMPT"].tasks] == ["write_off_held_back"]
    assert out["PHONE_NO_ATTEMPT"].changes == ()
    assert out["SEARCH_OPEN"].figures["held_back"] is True
    assert "recherche d'adresse ouverte" in out["SEARCH_OPEN"].figures["held_back_reasons"][0]
    attempted = out["PHONE_ATTEMPTED"]
    assert not attempted.figures.get("held_back")
    assert [a["done_on"] for a in attempted.figures["recovery_attempts"]] == ["2024-07-15", "2024-09-02"]
    assert attempted.figures["debt_since"] == "2024-06-01"
    assert [c.kind for c in attempted.changes] == ["write_off_proposed"]
    assert not out["NO_CONTACT_DETAILS"].figures.get("held_back")


def test_step_4_overindebtedness_claims_only_what_the_measure_does_not_cover(engine):
    p = Portfolio(engine)
    lease = p.lease("L1", start_on="2020-01-01")
    p.charge(lease, "2025-04-01", 3000_00, kind="adjustment")           # the debt the measure covers
    p.monthly(lease, "2025-05", 5)                                        # May → September, 600 € each
    for month in range(5, 10):
        p.pay(lease, f"2025-{month:02d}-03", 650_00 if month == 6 else 600_00)
    p.plan(lease, kind="overindebtedness", agreed_on="2025-05-01", debt=3000_00,
           installments=[(f"2025-{m:02d}-01", 100_00) for m in range(6, 13)])
    p.commit()
    d = decide_step(engine, 4, day("2025-09-15"))[0]
    assert d.letter.registered and d.letter.variant == "overindebtedness" and d.letter.deadline_days == 15
    f = d.figures
    assert f["balance_cents"] == 2950_00
    # Payments since May 1 (3 050 €) settle the dues first (3 000 €); 50 € goes to the June installment.
    assert f["unpaid_dues_since_measure_cents"] == 0
    assert f["missed_installments"] == [
        {"due_on": "2025-06-01", "amount_cents": 50_00}, {"due_on": "2025-07-01", "amount_cents": 100_00},
        {"due_on": "2025-08-01", "amount_cents": 100_00}, {"due_on": "2025-09-01", "amount_cents": 100_00}]
    assert f["claimed_cents"] == 350_00 and f["measure_began_on"] == "2025-05-01"
    assert f["payment_deadline_text"] == "15 jours à compter de la première présentation de ce courrier"
    assert any("jamais le solde" in r for r in d.reasons)


def test_step_4_overindebtedness_letter_prints_the_claim_and_each_missed_installment(sqlite_engine, tmp_path):
    from arrears.documents.letters import render_letters
    from pypdf import PdfReader

    p = Portfolio(sqlite_engine)
    lease = p.lease("L1", start_on="2020-01-01")
    p.charge(lease, "2025-04-01", 3000_00, kind="adjustment")
    p.monthly(lease, "2025-05", 5)
    for month in range(5, 10):
        p.pay(lease, f"2025-{month:02d}-03", 650_00 if month == 6 else 600_00)
    p.plan(lease, kind="overindebtedness", agreed_on="2025-05-01", debt=3000_00,
           installments=[(f"2025-{m:02d}-01", 100_00) for m in range(6, 13)])
    p.commit()
    decision = decide_step(sqlite_engine, 4, day("2025-09-15"))[0]
    result = render_letters(sqlite_engine, [decision], tmp_path, dry_run=True)
    assert not result.failures
    pdf = result.rendered[0].path
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "350,00 €" in text and "Total réclamé" in text
    for due in ("1er juin 2025", "1er juillet 2025", "1er août 2025", "1er septembre 2025"):
        assert due in text
    assert "50,00 €" in text and "100,00 €" in text
    assert "15 jours à compter de la première présentation" in text
    # The claim is what the measure does not cover; the balance (2 950 €) only appears in the statement.
    assert "régler la somme de 350,00 €" in text
    assert "régler la somme de 2 950,00 €" not in text


def test_step_9_decision_lists_the_months_paid_late_and_when(engine):
    p = Portfolio(engine)
    lease = p.lease("L1")
    p.monthly(lease, "2025-03", 7)                 # 600 € due on the 1st, March → September
    for month in range(3, 9):
        paid = {3: 20, 4: 28, 6: 12}.get(month, 5)   # March, April, June late; May, July, August on time
        p.pay(lease, f"2025-{month:02d}-{paid:02d}", 600_00)
    p.commit()
    d = decide_step(engine, 9, day("2025-09-25"))[0]
    assert [(m["month"], m["paid_on"]) for m in d.figures["late_months"]] == [
        ("2025-03", "2025-03-20"), ("2025-04", "2025-04-28"), ("2025-06", "2025-06-12")]
    assert d.figures["late_months"][0]["grace_on"] == "2025-03-11"
    assert any("1er mars 2025 payée le 20 mars 2025" in r for r in d.reasons)
    assert d.reasons[0].startswith("3 mois payés en retard")      # the SQL count agrees
