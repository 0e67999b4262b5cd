"""Contact policy (PLAN.md revision 5): the letter ladder, spacing, one letter a day, and the same outcome
whichever step of a shared run date starts first — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.config.plan import load_plan
from arrears.core.models import Base, JournalEntry, Plan, Task
from arrears.decide.contact_policy import ContactPolicy, SentLetter
from arrears.decide.decision import LetterOrder
from arrears.decide.steps import decide_step
from factories import Portfolio
from sqlalchemy import select
from sqlalchemy.orm import Session

D = dt.date(2025, 9, 10)


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@pytest.fixture(scope="module")
def policy() -> ContactPolicy:
    return ContactPolicy.from_plan(load_plan())


def sent(on: str, letter_type: str, registered: bool = False) -> SentLetter:
    return SentLetter("L1", day(on), letter_type, registered, None)


def test_ladder_levels_from_the_plan(policy):
    assert policy.level("friendly_reminder") == 1 and policy.level("new_tenant") == 1
    assert policy.level("convocation") == 2 and policy.level("repeat_debtor") == 2
    assert policy.level("broken_plan_reminder") == 2
    assert policy.level("broken_plan_reminder", registered=True) == 3   # step 4's LRAR
    assert policy.level("formal_notice", registered=True) == 3 and policy.level("last_notice") == 4
    assert policy.level("dd_reject") is None and policy.level("sls_sanction") is None


def test_no_step_back_within_the_episode(policy):
    hold = policy.check(LetterOrder("repeat_debtor"), day("2025-09-22"),
                        [sent("2025-09-05", "convocation"), sent("2025-09-15", "formal_notice", True)],
                        episode_start=day("2025-06-02"))
    assert hold.rule == "step_back" and hold.by.letter_type == "formal_notice"
    assert "15/09/2025" in hold.reason
    # Before the episode: the old formal notice does not count.
    assert policy.check(LetterOrder("repeat_debtor"), day("2025-09-22"),
                        [sent("2025-03-15", "formal_notice", True)], episode_start=day("2025-06-02")) is None


@pytest.mark.parametrize(("last_on", "held"), [("2025-09-01", True), ("2025-08-31", False)])
def test_spacing_of_ten_days_unless_escalating(policy, last_on, held):
    # 2025-09-01 → 2025-09-10 is within 10 days; 2025-08-31 is 10 days before: allowed.
    hold = policy.check(LetterOrder("new_tenant"), D, [sent(last_on, "friendly_reminder")], day("2025-08-01"))
    assert (hold is not None and hold.rule == "spacing") is held
    # Escalation goes on: a convocation two days after a reminder is sent.
    assert policy.check(LetterOrder("convocation"), D, [sent("2025-09-08", "friendly_reminder")],
                        day("2025-08-01")) is None


def test_never_two_letters_on_one_day_event_letters_included(policy):
    hold = policy.check(LetterOrder("formal_notice", registered=True), D, [sent("2025-09-10", "dd_reject")],
                        day("2025-08-01"))
    assert hold.rule == "same_day" and hold.by.letter_type == "dd_reject"
    # An event letter is outside the ladder: it follows a formal notice sent earlier.
    assert policy.check(LetterOrder("dd_reject"), D, [sent("2025-09-05", "formal_notice", True)],
                        day("2025-08-01")) is None


def test_a_plan_agreed_after_a_letter_starts_the_ladder_again(engine):
    p = Portfolio(engine)
    p.lease("L1", start_on="2025-03-01")
    p.monthly("L1", "2025-03", 7)
    for month in range(3, 8):
        p.pay("L1", f"2025-{month:02d}-05", 600_00)
    p.action("L1", "2025-08-12", "formal_notice")          # imported formal notice in the episode
    p.commit()
    held = decide_step(engine, 7, D)[0]
    assert held.letter is None
    assert [t.kind for t in held.tasks].count("letter_held_back") == 1
    task = next(t for t in held.tasks if t.kind == "letter_held_back")
    assert "courrier nouvel entrant" in task.title and "mise en demeure" in task.title and "12/08/2025" in task.title
    assert held.figures["held_back_rule"] == "step_back"
    with Session(engine) as s:
        s.add(Plan(plan_id="PL1", lease_id="L1", kind="amicable", agreed_on=day("2025-08-20"), debt_cents=600_00,
                   status="broken", closed_on=day("2025-09-01")))
        s.commit()
    again = decide_step(engine, 7, D)[0]
    assert again.letter is not None and again.letter.letter_type == "new_tenant"


# --------------------------------------------------------------------------------------------------
# Steps sharing a run date: the same outcome in both orders
# --------------------------------------------------------------------------------------------------


def _portfolio(engine):
    p = Portfolio(engine)
    # New tenant in arrears with a direct debit rejected on 2 September: step 7 (welcome letter) and
    # step 10 (rejected amount letter) both on the 10th.
    p.lease("BOTH", start_on="2025-03-01", payment_method="direct_debit", mandate_active=True)
    p.monthly("BOTH", "2025-03", 7)
    for month in range(3, 9):
        p.pay("BOTH", f"2025-{month:02d}-02", 600_00, kind="direct_debit")
    p.pay("BOTH", "2025-09-02", 600_00, kind="direct_debit")
    p.entry("BOTH", "direct_debit_reject", "2025-09-02", 600_00)
    p.reject("BOTH", "2025-09-02", 600_00, code="AM04")
    p.charge("BOTH", "2025-08-15", 300_00, kind="adjustment")     # in arrears since mid-August
    # Only step 7.
    p.lease("ONLY7", start_on="2025-03-01")
    p.monthly("ONLY7", "2025-03", 7)
    for month in range(3, 8):
        p.pay("ONLY7", f"2025-{month:02d}-05", 600_00)
    p.commit()


def _run(engine, step: int, as_of: dt.date) -> None:
    """One step's run through the task functions of its DAG, in their order (letters rendered, recorded)."""
    from arrears.orchestration import pipeline

    spec = pipeline.RunSpec(step=step, step_id=load_plan().step(step).id, as_of=as_of.isoformat(),
                            run_id=f"order-test-{step}", db_url=engine.url.render_as_string(hide_password=False))
    parts = {"cohort": pipeline.select_cohort(spec), "decide": pipeline.decide(spec)}
    reservation = pipeline.reserve_actions(spec)
    for chunk in reservation["chunks"]:
        pipeline.render_documents(spec, chunk)
    parts["batches"] = pipeline.assemble_batches(spec)
    parts["record"] = pipeline.record_actions(spec)
    pipeline.summarize(spec, parts)


def _outcome(engine) -> dict:
    with engine.connect() as conn:
        letters = {(r.lease_id, r.step): (r.decision.get("letter") or {}).get("letter_type")
                   for r in conn.execute(select(JournalEntry.lease_id, JournalEntry.step, JournalEntry.decision))}
        tasks = sorted((r.lease_id, r.step, r.kind) for r in conn.execute(select(Task.lease_id, Task.step, Task.kind)))
    return {"letters": letters, "tasks": tasks}


def _empty(engine):
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_steps_7_and_10_same_outcome_in_both_orders(engine):
    outcomes = []
    for order in ((7, 10), (10, 7)):
        _empty(engine)
        _portfolio(engine)
        for step in order:
            _run(engine, step, D)
        outcomes.append(_outcome(engine))
    assert outcomes[0] == outcomes[1]
    letters = outcomes[0]["letters"]
    # The plan orders step 10 before step 7 on the 10th: the rejected-amount letter goes, the welcome
    # letter is held back as a task for the officer.
    assert letters[("BOTH", 10)] == "dd_reject"
    assert letters[("BOTH", 7)] is None
    assert letters[("ONLY7", 7)] == "new_tenant"
    assert ("BOTH", 7, "letter_held_back") in outcomes[0]["tasks"]
