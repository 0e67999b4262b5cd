"""What the steps decide for each lease, and the cross-step rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from arrears.core.models import Approval, JournalEntry, StepRun, Tenant, TransferProposal
from arrears.decide.decision import Decision
from arrears.decide.rules import GUARD_REASON, crossing_date, departement
from arrears.decide.steps import decide_step
from factories import Portfolio
from sqlalchemy import update
from sqlalchemy.orm import Session


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def decide(engine, step, as_of) -> dict[str, Decision]:
    decisions = decide_step(engine, step, day(as_of))
    for decision in decisions:  # every decision survives the JSON journal
        assert Decision.from_dict(json.loads(json.dumps(decision.to_dict()))) == decision
    return {d.lease_id: d for d in decisions}


def kinds(decision: Decision) -> list[str]:
    return [t.kind for t in decision.tasks]


def test_departement_and_crossing_date():
    assert departement("69003") == "69" and departement("97411") == "974" and departement("2A004") == "2A"
    entries = [(day("2025-06-01"), 500_00), (day("2025-07-01"), 500_00), (day("2025-07-10"), -300_00),
               (day("2025-08-01"), 500_00)]
    # 500, 1 000 (crosses 800 on Jul 1), 700 (below), 1 200 (crosses again on Aug 1)
    assert crossing_date(entries, 800_00, day("2025-09-05")) == day("2025-08-01")
    assert crossing_date(entries, 800_00, day("2025-07-05")) == day("2025-07-01")
    assert crossing_date(entries, 2000_00, day("2025-09-05")) is None


def test_overindebtedness_guard(engine):
    p = Portfolio(engine)
    # Step 3: 2 000 € owed, no contact: a convocation would go, but a moratorium protects the debt.
    p.lease("protected")
    p.charge("protected", "2025-05-01", 2000_00)
    p.plan("protected", kind="moratorium", agreed_on="2025-06-01", debt=2000_00,
           installments=[("2026-06-01", 2000_00)])
    p.lease("not_protected")
    p.charge("not_protected", "2025-05-01", 2000_00)
    p.commit()
    out = decide(engine, 3, "2025-09-05")
    assert out["not_protected"].letter.letter_type == "convocation"
    assert out["protected"].letter is None
    assert GUARD_REASON in out["protected"].reasons
    assert kinds(out["protected"]) == ["call"]           # officer tasks remain


def test_step_4_overindebtedness_lrar_passes_the_guard_and_consecutive_breaches(engine):
    # D = 2025-09-15; last month's step-4 date is Friday 2025-08-15 (a holiday) → Monday 2025-08-18.
    p = Portfolio(engine)
    inst = [("2025-07-05", 200_00), ("2025-08-05", 200_00), ("2025-09-05", 200_00)]
    p.lease("surendettement")
    p.charge("surendettement", "2025-06-01", 1000_00)
    p.plan("surendettement", kind="overindebtedness", agreed_on="2025-06-20", debt=1000_00, installments=inst)
    p.lease("first_breach")                 # respected in August (paid 200 € on Aug 5), not in September
    p.charge("first_breach", "2025-06-01", 1000_00)
    p.pay("first_breach", "2025-07-05", 200_00)
    p.pay("first_breach", "2025-08-05", 200_00)
    p.plan("first_breach", agreed_on="2025-06-20", debt=1000_00, installments=inst)
    p.lease("second_breach")                # nothing paid: not respected on Aug 18 either
    p.charge("second_breach", "2025-06-01", 1000_00)
    plan_id = p.plan("second_breach", agreed_on="2025-06-20", debt=1000_00, installments=inst)
    p.commit()
    out = decide(engine, 4, "2025-09-15")
    lrar = out["surendettement"].letter
    assert lrar.registered and lrar.letter_type == "broken_plan_reminder" and lrar.variant == "overindebtedness"
    assert out["first_breach"].letter.letter_type == "broken_plan_reminder"
    assert not out["first_breach"].letter.registered and out["first_breach"].changes == ()
    second = out["second_breach"]
    assert second.letter.letter_type == "formal_notice" and second.letter.registered
    assert second.letter.deadline_days == 8
    assert [(c.kind, c.ref) for c in second.changes] == [("plan_broken", plan_id)]


def test_deceased_holders(engine):
    p = Portfolio(engine)
    p.lease("all_deceased", deceased=True)
    p.charge("all_deceased", "2025-08-01", 50_00)
    p.lease("one_of_two_deceased", tenants=2)
    p.charge("one_of_two_deceased", "2025-08-01", 50_00)
    p.commit()
    with Session(engine) as s:
        s.execute(update(Tenant).where(Tenant.tenant_id == "one_of_two_deceased-T1").values(is_deceased=True))
        s.commit()
    out = decide(engine, 1, "2025-09-01")
    assert out["all_deceased"].letter is None and kinds(out["all_deceased"]) == ["succession"]
    assert out["one_of_two_deceased"].letter.letter_type == "friendly_reminder"
    assert out["one_of_two_deceased"].figures["living_holders"] == 1


def _caf_lease(p, lease, *, to_landlord):
    # rent 500 + charges 100, benefit 200 €: threshold 2 × 400 = 800 € (tiers payant) or 2 × 600 = 1 200 €.
    p.lease(lease, benefit=200_00, benefit_to_landlord=to_landlord)
    for due in ("2025-06-01", "2025-07-01", "2025-08-01"):
        p.charge(lease, due, 550_00)


def test_caf_report_task_and_deadline(engine):
    p = Portfolio(engine)
    _caf_lease(p, "net_threshold", to_landlord=True)       # 550, 1 100 on Jul 1 ≥ 800: deadline Sep 1
    _caf_lease(p, "gross_threshold", to_landlord=False)    # 1 100 < 1 200, 1 650 on Aug 1: deadline Oct 1
    _caf_lease(p, "already_reported", to_landlord=True)
    p.action("already_reported", "2025-07-15", "caf_report")
    p.commit()
    out = decide(engine, 3, "2025-09-05")
    caf = {k: [t for t in d.tasks if t.kind == "caf_report"] for k, d in out.items()}
    assert caf["net_threshold"][0].due_on == day("2025-09-01")
    assert caf["gross_threshold"][0].due_on == day("2025-10-01")
    assert caf["already_reported"] == []
    assert out["net_threshold"].figures["caf_crossed_on"] == "2025-07-01"


def test_step_3_convocation_then_formal_notice(engine):
    p = Portfolio(engine)
    for lease in ("no_contact", "convocation_16_days", "convocation_14_days", "reached_recently"):
        p.lease(lease)
        p.charge(lease, "2025-05-01", 2000_00)
    p.action("convocation_16_days", "2025-08-20", "convocation")
    p.action("convocation_14_days", "2025-08-22", "convocation")
    p.action("reached_recently", "2025-08-20", "phone_call", outcome="reached")
    p.commit()
    out = decide(engine, 3, "2025-09-05")
    assert out["no_contact"].letter.letter_type == "convocation"
    notice = out["convocation_16_days"].letter
    assert notice.letter_type == "formal_notice" and notice.registered
    assert out["convocation_14_days"].letter is None       # waits for an answer
    assert out["reached_recently"].letter is None
    assert out["no_contact"].tasks[0].priority == 1


def test_pre_transfer_checklist_and_approval(engine):
    p = Portfolio(engine)
    # In step 11 at 2025-08-25 and 2025-09-01: 1 800 € owed since May, formal notice in June.
    p.lease("L1", payment_method="direct_debit", mandate_active=True, benefit=100_00)
    p.charge("L1", "2025-05-01", 1800_00)
    p.action("L1", "2025-06-01", "formal_notice")
    plan_id = p.plan("L1", agreed_on="2025-06-10", debt=1800_00, installments=[("2025-07-01", 900_00)])
    reject_id = p.reject("L1", "2025-07-05", 600_00, code="MD07")
    p.lease("L2")
    p.charge("L2", "2025-05-01", 1800_00)
    p.action("L2", "2025-06-01", "formal_notice")
    p.action("L2", "2025-06-15", "social_referral")
    p.commit()
    with Session(engine) as s:
        s.add(StepRun(step=11, period="2025-08", as_of=day("2025-08-25"), run_id="r11", dry_run=False,
                      status="success", summary={}, started_at=dt.datetime(2025, 8, 25, 7)))
        for lease in ("L1", "L2"):
            s.add(TransferProposal(lease_id=lease, period="2025-08", proposed_on=day("2025-08-25")))
        s.add(Approval(lease_id="L1", step=6, period="2025-09", approved=True, author="manager",
                       decided_at=dt.datetime(2025, 9, 1, 9)))
        s.commit()
    out = decide(engine, 6, "2025-09-01")
    # Revision 5: the CAF report is due and not made, a legal prerequisite: L1 is held back, stays at
    # precontentieux, and its officer gets a dated task.
    held = out["L1"]
    assert held.changes == () and held.figures["held_back"] is True
    assert held.figures["held_back_reasons"] == ["Signalement CAF (vaut saisine CCAPEX) : dû et non fait"]
    caf_task = next(t for t in held.tasks if t.kind == "caf_report")
    assert caf_task.due_on == day(held.figures["missing_legal_items"][0]["due_on"]) and caf_task.priority == 1
    with Session(engine) as s:
        from arrears.core.models import Action
        s.add(Action(action_id="CAF1", lease_id="L1", done_on=day("2025-08-28"), kind="caf_report"))
        s.commit()
    out = decide(engine, 6, "2025-09-01")
    l1 = out["L1"]
    states = {item.label: item.state for item in l1.tasks[0].checklist}
    assert states == {
        "Plans d'apurement non respectés clôturés": "done_by_run",
        "Prélèvements annulés (rejet décès MD07, compte soldé AC04, ou 3 rejets successifs)": "done_by_run",
        "Signalement CAF fait": "done",
        "Mise en demeure envoyée": "done",
        "Contact du conseiller social tenté": "missing",
    }
    assert [(c.kind, c.ref) for c in l1.changes] == [("plan_broken", plan_id), ("mandate_cancelled", reject_id),
                                                    ("stage_contentieux", None)]
    assert l1.approved is True and out["L2"].approved is None
    l2_states = {item.label: item.state for item in out["L2"].tasks[0].checklist}
    assert set(l2_states.values()) == {"done"}


def test_step_10_reject_codes(engine):
    p = Portfolio(engine)
    for lease, code in (("md07", "MD07"), ("ac04", "AC04"), ("am04", "AM04")):
        p.lease(lease, payment_method="direct_debit", mandate_active=True)
        p.reject(lease, "2025-09-03", 600_00, code=code)
    p.lease("three_months", payment_method="direct_debit", mandate_active=True)
    for on in ("2025-07-03", "2025-08-03", "2025-09-03"):
        p.reject("three_months", on, 600_00)
    p.commit()
    out = decide(engine, 10, "2025-09-10")
    assert out["md07"].letter is None and kinds(out["md07"]) == ["succession"]
    assert out["md07"].changes[0].kind == "mandate_cancelled"
    assert out["ac04"].letter.variant == "new_payment_means" and out["ac04"].changes[0].kind == "mandate_cancelled"
    assert out["am04"].letter.variant == "pay_rejected_amount" and out["am04"].changes == ()
    assert out["three_months"].letter.variant == "successive_rejects"
    assert out["three_months"].changes[0].kind == "mandate_cancelled"


def test_step_15_forwarding_addresses(engine):
    # The agency is in Lyon (69002).
    p = Portfolio(engine)
    for lease, fwd in (("same_departement", {"line1": "1 rue A", "postcode": "69100", "city": "Villeurbanne"}),
                       ("other_departement", {"line1": "1 rue B", "postcode": "38000", "city": "Grenoble"}),
                       ("abroad", {"line1": "1 rue C", "postcode": "1000", "city": "Bruxelles",
                                   "country": "Belgique"}),
                       ("no_address", None)):
        p.lease(lease, end_on="2025-06-30", forwarding=fwd)
        p.charge(lease, "2025-06-01", 300_00)
    p.commit()
    out = decide(engine, 15, "2025-09-01")
    assert out["same_departement"].letter.out_of_departement is False
    assert out["same_departement"].letter.to_forwarding_address is True
    assert out["other_departement"].letter.out_of_departement is True
    assert out["other_departement"].letter.variant == "out_of_departement"
    assert out["abroad"].letter.out_of_departement is True
    assert out["no_address"].letter is None and kinds(out["no_address"]) == ["address_search"]


def test_one_letter_per_step_and_month(engine):
    p = Portfolio(engine)
    for lease in ("recorded", "reserved_only"):
        p.lease(lease)
        p.charge(lease, "2025-08-01", 50_00)
    p.commit()
    with Session(engine) as s:
        s.add(JournalEntry(lease_id="recorded", step=1, period="2025-09", as_of=day("2025-09-01"),
                           status="recorded", decision={}))
        s.add(JournalEntry(lease_id="reserved_only", step=1, period="2025-09", as_of=day("2025-09-01"),
                           status="reserved", decision={}))
        s.commit()
    out = decide(engine, 1, "2025-09-02")
    assert out["recorded"].letter is None
    assert out["reserved_only"].letter is not None


def test_steps_2_7_and_profile(engine):
    p = Portfolio(engine)
    p.lease("cleared")
    p.charge("cleared", "2025-08-01", 600_00)
    p.pay("cleared", "2025-09-02", 600_00)
    plan_id = p.plan("cleared", agreed_on="2025-08-10", debt=600_00, installments=[("2025-09-05", 600_00)])
    p.lease("newcomer", start_on="2025-03-01", income=1000_00)   # effort rate 600 / 1 000 = 60 %
    p.charge("newcomer", "2025-08-01", 600_00)
    p.commit()
    out = decide(engine, 2, "2025-09-05")
    assert [(c.kind, c.ref) for c in out["cleared"].changes] == [("file_closed", None), ("plan_completed", plan_id)]
    assert out["cleared"].profile is None                      # no debt, no profile
    new = decide(engine, 7, "2025-09-10")["newcomer"]
    assert new.letter.letter_type == "new_tenant"
    assert kinds(new) == ["call", "social_referral"] and new.tasks[1].staff_id == "C1"
    assert ("social_referral", None) in [(c.kind, c.ref) for c in new.changes]
    assert new.profile == "P2"
    assert new.profile_reasons == ("Taux d'effort 60 % à l'entrée, bail signé il y a 6 mois",)
