"""What a plan step does for each lease of its cohort (PLAN.md, "what the run produces").

    decisions = decide_step(engine, 3, dt.date(2025, 9, 5))     # list[Decision], sorted by lease_id

Each step's builder proposes a letter, tasks and state changes; the cross-step rules (``arrears.decide.rules``)
then remove what the law or the journal forbids (overindebtedness guard, deceased holders, one letter per
step and month) and add the CAF report task. Every decision carries the suggested debtor profile and
reasons in French an officer understands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from arrears.config.plan import Plan, load_plan
from arrears.core.calendar import period_of
from arrears.core.fmt import date_fr
from arrears.core.sqlfiles import run_sql
from arrears.decide.builders import BUILDERS, FIGURE_KEYS, Context, Proposal
from arrears.decide.contact_policy import (
    HOLD_RULES_FR,
    ContactPolicy,
    SentLetter,
    earlier_letters,
    episode_start,
    label_fr,
    plans_agreed,
)
from arrears.decide.decision import Decision
from arrears.decide.profiles import profiles_for
from arrears.decide.rules import (
    ALREADY_SENT_REASON,
    DECEASED_REASON,
    GUARD_REASON,
    all_holders_deceased,
    caf_status,
    caf_task,
    guard_allows_letter,
    succession_task,
)
from arrears.select.cohorts import cohort_records


def _plain(value: Any) -> Any:
    """Figures are stored as JSON in the journal: dates as ISO text, ratios as floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _figures(r: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(r.get(key)) for key in FIGURE_KEYS}


def _apply_rules(ctx: Context, r: dict[str, Any], p: Proposal, already_sent: set[str]) -> Proposal:
    n = ctx.step.number
    if p.letter is not None and all_holders_deceased(r):
        p.letter = None
        p.reasons.append(DECEASED_REASON)
        if not any(t.kind == "succession" for t in p.tasks):
            p.tasks.append(succession_task(r))
    elif all_holders_deceased(r) and not any(t.kind == "succession" for t in p.tasks) and n <= 12:
        p.tasks.append(succession_task(r))
        p.reasons.append("Tous les titulaires du bail sont décédés : tâche succession")
    if p.letter is not None and not guard_allows_letter(n, p.letter, r):
        p.letter = None
        p.reasons.append(GUARD_REASON)
    if p.letter is not None and r["lease_id"] in already_sent:
        p.letter = None
        p.reasons.append(ALREADY_SENT_REASON)
    caf = ctx.caf.get(r["lease_id"])
    if caf is not None and not p.caf_checked and n <= 12:
        todo = caf_task(r, caf)
        if todo and not any(t.kind == "caf_report" for t in p.tasks):
            p.tasks.append(todo)
            p.reasons.append(f"Signalement CAF à faire avant le {date_fr(caf.deadline)} (seuil atteint le "
                             f"{date_fr(caf.crossed_on)})" if caf.deadline and caf.crossed_on
                             else "Signalement CAF à faire")
    return p


def _apply_contact_policy(policy: ContactPolicy, ctx: Context, r: dict[str, Any], p: Proposal,
                          earlier: list[SentLetter], plan_agreed_on: dt.date | None) -> None:
    """PLAN.md revision 5, one voice per tenant: hold back a letter that steps back on the ladder, comes
    within the spacing without escalating, or would be a second letter on the day (an officer task instead)."""
    letter = p.letter
    if letter is None:
        return
    level = policy.level(letter.letter_type, letter.registered)
    p.figures["letter_level"] = level
    start = episode_start(r, plan_agreed_on)
    hold = policy.check(letter, ctx.as_of, earlier, start)
    if hold is None:
        if level is not None:
            p.reasons.append(f"Politique de contact respectée : courrier de niveau {level}"
                             + (f", épisode d'impayé depuis le {date_fr(start)}" if start else ""))
        return
    p.letter = None
    # A checklist item this run was to do by its letter (step 3's convocation or formal notice) is not done.
    p.tasks = [replace(t, checklist=tuple(replace(c, state="missing") if c.state == "done_by_run" else c
                                          for c in t.checklist)) for t in p.tasks]
    p.tasks.append(hold.task(letter, r.get("officer_id"), ctx.as_of))
    p.figures.update(hold.figures(letter))
    p.reasons.append(f"Envoi retenu — {label_fr(letter.letter_type, letter.registered)} (règle : "
                     f"{HOLD_RULES_FR[hold.rule]}), tâche pour le chargé de recouvrement : {hold.reason}")


def decide_step(engine: Engine, step: int | str, as_of: dt.date, plan: Plan | None = None, *,
                records: list[dict[str, Any]] | None = None) -> list[Decision]:
    """The decisions of ``step`` (number or id) at D = ``as_of``: one per lease of its cohort, sorted by
    lease_id. Step 6 and step 14 decisions say whether a manager approved the lease (``approved``).
    ``records``: the cohort at D (``cohort_records``) when the caller has just read it; else read here."""
    plan = plan or load_plan()
    spec = plan.step(step)
    if records is None:
        records = cohort_records(engine, spec.number, as_of, plan)
    if not records:
        return []
    period = period_of(as_of)
    ids = [r["lease_id"] for r in records]
    with engine.connect() as conn:
        history = {h["lease_id"]: h for h in run_sql(conn, "cohorts/support/action_history", {"as_of": as_of}, ids)}
        profiles = profiles_for(conn, as_of, records, history)
        rejects: dict[str, list[dict[str, Any]]] = {}
        if spec.number in (6, 10, 11):
            for x in run_sql(conn, "cohorts/support/rejects_history", {"as_of": as_of}, ids):
                rejects.setdefault(x["lease_id"], []).append(x)
        caf_ids = [r["lease_id"] for r in records if (r.get("benefit_cents") or 0) > 0
                   and (r.get("balance_cents") or 0) > 0 and r.get("is_in_place")]
        entries: dict[str, list[tuple[dt.date, int]]] = {}
        for e in run_sql(conn, "cohorts/support/ledger_entries", {"as_of": as_of}, caf_ids) if caf_ids else []:
            entries.setdefault(e["lease_id"], []).append((e["effective_on"], int(e["amount_cents"])))
        approvals = {a["lease_id"]: bool(a["approved"])
                     for a in run_sql(conn, "cohorts/support/approvals", {"step": spec.number, "period": period})}
        already_sent = {x["lease_id"] for x in run_sql(conn, "cohorts/support/already_sent",
                                                       {"step": spec.number, "period": period})}
    with_letters = ids if any(spec.letters.values()) else []
    sent_before = earlier_letters(engine, plan, spec.number, as_of, period, with_letters, decide_step)
    with engine.connect() as conn:
        agreed = plans_agreed(conn, with_letters, as_of) if with_letters else {}
    policy = ContactPolicy.from_plan(plan)
    by_id = {r["lease_id"]: r for r in records}
    caf = {
        lease_id: caf_status(by_id[lease_id], history.get(lease_id, {}), entries.get(lease_id, []), as_of,
                             multiplier=plan.caf_threshold_multiplier,
                             deadline_months=plan.caf_report_deadline_months)
        for lease_id in caf_ids
    }
    departed: dict[str, dict[str, Any]] = {}
    if spec.number == 14:
        with engine.connect() as conn:
            for c in run_sql(conn, "cohorts/support/contact_details", {}, ids):
                departed[c["lease_id"]] = {**c, "attempts": []}
            for a in run_sql(conn, "cohorts/support/contact_attempts", {"as_of": as_of}, ids):
                departed.setdefault(a["lease_id"], {"attempts": []})["attempts"].append(a)
    ctx = Context(engine=engine, plan=plan, step=spec, as_of=as_of, period=period, history=history, caf=caf,
                  rejects=rejects, profiles=profiles, departed=departed)
    decisions = []
    for r in records:
        proposal = _apply_rules(ctx, r, BUILDERS[spec.number](ctx, r), already_sent)
        _apply_contact_policy(policy, ctx, r, proposal, sent_before.get(r["lease_id"], []),
                              agreed.get(r["lease_id"]))
        code, profile_reasons = profiles.get(r["lease_id"], (None, ()))
        figures = {**_figures(r), **proposal.figures}
        status = caf.get(r["lease_id"])
        if status is not None and status.due:
            figures.update(caf_threshold_cents=status.threshold_cents, caf_crossed_on=status.crossed_on,
                           caf_deadline=status.deadline, caf_report_done=status.done)
        figures = {k: _plain(v) for k, v in figures.items()}
        decision = Decision(
            lease_id=r["lease_id"], step=spec.number, step_id=spec.id, period=period, as_of=as_of,
            profile=code, profile_reasons=tuple(profile_reasons), letter=proposal.letter,
            tasks=tuple(proposal.tasks), changes=tuple(proposal.changes), reasons=tuple(proposal.reasons),
            figures=figures,
        )
        if spec.needs_approval and r["lease_id"] in approvals:
            decision = replace(decision, approved=approvals[r["lease_id"]])
        decisions.append(decision)
    return decisions
