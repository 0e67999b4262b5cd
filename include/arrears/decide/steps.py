"""What a plan step does for each lease of its cohort (PLAN.md, "what the run produces").

    decisions = decide_step(engine, 3, dt.date(2025, 9, 5))     # list[Decision], sorted by lease_id

Each step's builder proposes a letter, tasks and state changes; the cross-step rules (``arrears.decide.rules``)
then remove what the law or the journal forbids (overindebtedness guard, deceased holders, one letter per
step and month) and add the CAF report task. Every decision carries the suggested debtor profile and
reasons in French an officer understands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from arrears.config.plan import Plan, StepSpec, load_plan
from arrears.decide.contact_policy import (
    HOLD_RULES_FR,
    ContactPolicy,
    SentLetter,
    earlier_letters,
    episode_start,
    label_fr,
    plans_agreed,
)
from arrears.decide.decision import ChecklistItem, Decision, LetterOrder, StateChange, TaskOrder
from arrears.decide.profiles import date_fr, percent_fr, profiles_for
from arrears.decide.rules import (
    ALREADY_SENT_REASON,
    DECEASED_REASON,
    GUARD_REASON,
    CafStatus,
    all_holders_deceased,
    caf_status,
    caf_task,
    guard_allows_letter,
    is_out_of_departement,
    mandate_to_cancel,
    pre_transfer_checklist,
    succession_task,
)
from arrears.select.cohorts import add_months, cohort_records, period_of, planned_day, run_sql

FIGURE_KEYS = (
    "agency_id", "officer_id", "counsellor_id", "balance_cents", "monthly_due_cents", "months_in_arrears",
    "arrears_start", "arrears_age_days", "debt_since", "debt_age_days", "last_payment_on",
    "last_payment_cents", "last_action_on", "last_action_kind", "active_plan_id", "active_plan_kind",
    "effort_rate", "phones", "employer_phones", "living_holders",
)


def euros(cents: int) -> str:
    """``123456`` → ``1 234,56 €`` (French grouping, for reasons shown to officers)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units:,}".replace(",", "\u202f") + f",{rest:02d} €"


@dataclass
class Proposal:
    """What a step builder proposes for one lease, before the cross-step rules."""

    letter: LetterOrder | None = None
    tasks: list[TaskOrder] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    caf_checked: bool = False  # the builder already handled the CAF rule (checklists)


@dataclass
class Context:
    engine: Engine
    plan: Plan
    step: StepSpec
    as_of: dt.date
    period: str
    history: dict[str, dict[str, Any]]
    caf: dict[str, CafStatus]
    rejects: dict[str, list[dict[str, Any]]]
    profiles: dict[str, tuple[str | None, tuple[str, ...]]]
    departed: dict[str, dict[str, Any]] = field(default_factory=dict)   # step 14: contacts since departure

    def template(self, role: str, record: dict[str, Any]) -> str:
        return self.step.letter_template(role, self.profiles.get(record["lease_id"], (None,))[0])

    def officer_task(self, record, kind, title, priority=2, due_on=None, checklist=()) -> TaskOrder:
        if self.profiles.get(record["lease_id"], (None,))[0] == "P3":
            priority = max(1, priority - 1)  # no payment without apparent difficulty: chase first
        return TaskOrder(kind=kind, title=title, staff_id=record.get("officer_id"), priority=priority,
                         due_on=due_on, checklist=tuple(checklist))

    def counsellor_task(self, record, kind, title, priority=2, due_on=None) -> TaskOrder:
        return TaskOrder(kind=kind, title=title, staff_id=record.get("counsellor_id") or record.get("officer_id"),
                         priority=priority, due_on=due_on)


# --------------------------------------------------------------------------------------------------
# The step builders
# --------------------------------------------------------------------------------------------------


def _step1(ctx: Context, r: dict[str, Any]) -> Proposal:
    return Proposal(letter=LetterOrder(ctx.template("reminder", r)),
                    reasons=[(f"Solde de {euros(r['balance_cents'])}, au-dessus de la tolérance de "
                              f"{euros(ctx.plan.tolerance_cents)} et inférieur à "
                              f"{euros(ctx.step.threshold('max_balance_cents'))}, impayé depuis le "
                              f"{date_fr(r['arrears_start'])} ({r['arrears_age_days']} jours, au moins "
                              f"{ctx.step.threshold('min_arrears_age_days')}), sans plan d'apurement")])


def _step2(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(changes=[StateChange("file_closed")])
    p.reasons.append(f"Solde soldé ({euros(r['balance_cents'])}) : dossier d'impayé clôturé")
    if r.get("active_plan_id"):
        p.changes.append(StateChange("plan_completed", r["active_plan_id"]))
        p.reasons.append(f"Plan d'apurement {r['active_plan_id']} marqué terminé")
    p.tasks.append(ctx.officer_task(r, "file_closed_info", "Dossier remis à zéro : ne plus relancer", priority=3))
    return p


def _answered_since(h: dict[str, Any], since: dt.date) -> bool:
    return h.get("last_contact_on") is not None and h["last_contact_on"] >= since


def _step3(ctx: Context, r: dict[str, Any]) -> Proposal:
    h = ctx.history.get(r["lease_id"], {})
    d = ctx.as_of
    t = ctx.step.thresholds
    began = h.get("debt_began_on")
    conv = h.get("last_convocation_on")
    if conv is not None and began is not None and conv < began:
        conv = None  # a convocation of an earlier debt does not count
    fn_since_debt = h.get("formal_notice_since_debt_on")
    contact_since = d - dt.timedelta(days=int(t["no_contact_days"]))
    p = Proposal(reasons=[f"Solde de {euros(r['balance_cents'])} (seuil {euros(t['min_balance_cents'])})"])
    conv_unanswered = (conv is not None and conv <= d - dt.timedelta(days=int(t["convocation_answer_days"]))
                       and not _answered_since(h, conv))
    if conv_unanswered and not (h.get("last_formal_notice_on") and h["last_formal_notice_on"] >= conv):
        p.letter = LetterOrder(ctx.template("formal_notice", r), registered=True,
                               deadline_days=ctx.plan.formal_notice_deadline_days)
        p.reasons.append(f"Convocation du {date_fr(conv)} restée sans réponse : mise en demeure en LRAR")
    elif (not _answered_since(h, contact_since) and (conv is None or conv < contact_since)
          and fn_since_debt is None):
        p.letter = LetterOrder(ctx.template("convocation", r))
        p.reasons.append(f"Aucun contact depuis {t['no_contact_days']} jours : convocation")
    elif fn_since_debt is not None:
        p.reasons.append(f"Mise en demeure déjà envoyée le {date_fr(fn_since_debt)}")
    elif conv is not None and not _answered_since(h, conv):
        p.reasons.append(f"Convocation du {date_fr(conv)} en attente de réponse")
    else:
        p.reasons.append(f"Contact avec le locataire le {date_fr(h['last_contact_on'])}")
    letter_type = p.letter.letter_type if p.letter else None
    checklist = [
        ChecklistItem("Appeler tous les numéros, y compris celui de l'employeur",
                      "done" if _answered_since(h, contact_since) else "missing"),
        ChecklistItem("Contacter les partenaires sociaux (MDM ou CCAS)",
                      "done" if h.get("social_contact_since_debt_on") or h.get("support_since_debt_on")
                      else "missing"),
        ChecklistItem("Convoquer le locataire par courrier",
                      "done_by_run" if letter_type == "convocation" and not p.letter.registered
                      else "done" if conv else "missing"),
        ChecklistItem("Mise en demeure en LRAR si la convocation reste sans réponse",
                      "done_by_run" if p.letter and p.letter.registered
                      else "done" if fn_since_debt else "missing"),
    ]
    p.tasks.append(ctx.officer_task(
        r, "call", "Dette de plus de 1 500 € : appeler tous les numéros (employeur compris), contacter MDM/CCAS",
        priority=1, checklist=checklist))
    return p


def _respected_at(ctx: Context, r: dict[str, Any], at: dt.date) -> bool | None:
    """Whether the lease's plan was respected at ``at`` (None when it was not active then)."""
    with ctx.engine.connect() as conn:
        plan = run_sql(conn, "support/plan_at", {"plan_id": r["plan_id"],
                                                 "due_until": at - dt.timedelta(days=ctx.plan.plan_grace_days)})
        balance = run_sql(conn, "support/balance_at", {"lease_id": r["lease_id"], "at": at})[0]["balance_cents"]
    if not plan or plan[0]["agreed_on"] > at:
        return None
    remaining = int(plan[0]["debt_cents"]) - int(plan[0]["installments_due_cents"] or 0)
    return int(balance or 0) <= remaining + ctx.plan.tolerance_cents


def _step4(ctx: Context, r: dict[str, Any]) -> Proposal:
    kind = r.get("plan_kind")
    p = Proposal(reasons=[f"Plan {r['plan_id']} ({kind}) non respecté au {date_fr(ctx.as_of)}"])
    p.figures["plan_id"] = r["plan_id"]
    if kind in ("overindebtedness", "moratorium"):
        p.letter = LetterOrder(ctx.template("overindebtedness", r), variant=kind, registered=True,
                               deadline_days=OVERINDEBTEDNESS_DEADLINE_DAYS)
        claim = _measure_claim(ctx, r)
        p.figures.update(claim)
        p.reasons.append("Plan de surendettement ou moratoire non respecté : courrier en LRAR (incontournable)")
        missed = "; ".join(f"{date_fr(dt.date.fromisoformat(i['due_on']))} : {euros(i['amount_cents'])}"
                           for i in claim["missed_installments"]) or "aucune"
        p.reasons.append(
            f"Somme réclamée {euros(claim['claimed_cents'])} (ce que la mesure ne couvre pas, jamais le solde de "
            f"{euros(r['balance_cents'])}) : échéances impayées {euros(claim['missed_installments_cents'])} "
            f"({missed}) et loyers et charges impayés depuis le {date_fr(claim['measure_began_on_date'])} "
            f"{euros(claim['unpaid_dues_since_measure_cents'])} ; délai de 15 jours à compter de la première "
            f"présentation")
        p.figures.pop("measure_began_on_date")
        return p
    previous = add_months(ctx.as_of.replace(day=1), -1)
    previous_run = planned_day(ctx.plan, ctx.step, previous.year, previous.month)
    respected_before = _respected_at(ctx, r, previous_run)
    p.figures["previous_step_date"] = previous_run
    if respected_before is False:
        p.letter = LetterOrder(ctx.template("formal_notice", r), variant="broken_plan", registered=True,
                               deadline_days=ctx.plan.formal_notice_deadline_days)
        p.changes.append(StateChange("plan_broken", r["plan_id"]))
        p.reasons.append(f"Deuxième manquement consécutif (déjà non respecté le {date_fr(previous_run)}) : "
                         f"plan clôturé comme rompu, mise en demeure en LRAR")
    else:
        p.letter = LetterOrder(ctx.template("reminder", r))
        p.reasons.append("Premier manquement : courrier de relance du plan")
    return p


OVERINDEBTEDNESS_DEADLINE_DAYS = 15
OVERINDEBTEDNESS_DEADLINE_TEXT = "15 jours à compter de la première présentation de ce courrier"


def _measure_claim(ctx: Context, r: dict[str, Any]) -> dict[str, Any]:
    """What an overindebtedness plan or moratorium in breach lets the landlord claim (PLAN.md revision 5):
    the dues unpaid since the measure began and the installments missed, never the whole balance.

    Payments since the measure began settle the current dues first (L722-5: the tenant must keep paying
    the rent), then the installments, oldest first; an installment is missed when it falls due on or before
    D − grace and is not covered. The claim never exceeds the balance."""
    with ctx.engine.connect() as conn:
        plan = run_sql(conn, "support/plan_at", {"plan_id": r["plan_id"], "due_until": ctx.as_of})[0]
        installments = run_sql(conn, "support/plan_installments", {"plan_id": r["plan_id"]})
        entries = run_sql(conn, "support/ledger_entries", {"as_of": ctx.as_of}, [r["lease_id"]])
    began = plan["agreed_on"]
    dues = sum(int(e["amount_cents"]) for e in entries if e["effective_on"] >= began and e["amount_cents"] > 0)
    paid = -sum(int(e["amount_cents"]) for e in entries if e["effective_on"] >= began and e["amount_cents"] < 0)
    unpaid_dues = max(dues - paid, 0)
    left = max(paid - dues, 0)
    cutoff = ctx.as_of - dt.timedelta(days=ctx.plan.plan_grace_days)
    missed = []
    for i in installments:
        if i["due_on"] > cutoff:
            continue
        amount = int(i["amount_cents"])
        covered = min(left, amount)
        left -= covered
        if amount - covered > 0:
            missed.append({"due_on": i["due_on"].isoformat(), "amount_cents": amount - covered})
    missed_total = sum(i["amount_cents"] for i in missed)
    claimed = min(unpaid_dues + missed_total, max(int(r["balance_cents"]), 0))
    return {"measure_began_on": began.isoformat(), "measure_began_on_date": began,
            "measure_debt_cents": int(plan["debt_cents"]),
            "unpaid_dues_since_measure_cents": unpaid_dues, "missed_installments": missed,
            "missed_installments_cents": missed_total, "claimed_cents": claimed,
            "payment_deadline_text": OVERINDEBTEDNESS_DEADLINE_TEXT}


def _step5(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(reasons=[
        (f"Impayé depuis le {date_fr(r['arrears_start'])} ({r['arrears_age_days']} jours), "
        f"aucune action depuis {ctx.step.threshold('no_action_days')} jours")])
    old = (r.get("arrears_age_days") or 0) > 90 or (r.get("months_in_arrears") or 0) >= 3
    p.tasks.append(ctx.officer_task(r, "no_action_review", "Dossier sans action : reprendre contact",
                                    priority=1 if old else 2))
    return p


def _step6(ctx: Context, r: dict[str, Any]) -> Proposal:
    h = ctx.history.get(r["lease_id"], {})
    caf = ctx.caf.get(r["lease_id"]) or CafStatus(False, False, None, None, None)
    plan_to_close = r["active_plan_id"] if r.get("active_plan_id") and not r.get("plan_respected") else None
    reject = mandate_to_cancel(r, ctx.rejects.get(r["lease_id"], []),
                               needed=int(ctx.plan.step(10).threshold("successive_months")),
                               cancelled_on=h.get("last_mandate_cancelled_on"))
    p = Proposal(caf_checked=True)
    missing_legal = _missing_legal_items(ctx, r, h, caf)
    if missing_legal:
        return _step6_held_back(ctx, r, h, caf, p, missing_legal, plan_to_close, reject)
    if plan_to_close:
        p.changes.append(StateChange("plan_broken", plan_to_close))
    if reject:
        p.changes.append(StateChange("mandate_cancelled", reject["reject_id"]))
    p.changes.append(StateChange("stage_contentieux"))
    checklist = pre_transfer_checklist(r, h, caf, plan_to_close=plan_to_close, reject_to_cancel=reject, by_run=True)
    p.tasks.append(ctx.officer_task(r, "transfer_review", "Transmission au contentieux : dossier de fin de GP",
                                    priority=1, checklist=checklist))
    proposed = r.get("proposed_on")
    p.reasons.append("Proposé au contentieux par la préparation de fin de GP"
                     + (f" du {date_fr(proposed)}" if proposed else "") + ", toujours éligible")
    missing = [c.label for c in checklist if c.state == "missing"]
    if missing:
        p.reasons.append("Reste à faire avant transmission : " + " ; ".join(missing))
    return p


def _missing_legal_items(ctx: Context, r: dict[str, Any], h: dict[str, Any],
                         caf: CafStatus) -> list[dict[str, Any]]:
    """PLAN.md revision 5, transfer prerequisites: the legal items missing before a file goes to litigation
    (no formal notice in the episode; a CAF report, which is also the CCAPEX referral, due and not made),
    each with its deadline. A formal notice is due early enough to be 15 days old (step 11's setting) at
    this month's review; a CAF report by its legal deadline."""
    items = []
    if not h.get("formal_notice_since_debt_on"):
        step11 = ctx.plan.step(11)
        review = planned_day(ctx.plan, step11, ctx.as_of.year, ctx.as_of.month)
        if review <= ctx.as_of:
            following = add_months(ctx.as_of.replace(day=1), 1)
            review = planned_day(ctx.plan, step11, following.year, following.month)
        due = review - dt.timedelta(days=int(step11.threshold("notice_min_age_days")))
        items.append({"code": "formal_notice", "label": "Mise en demeure (LRAR) dans l'épisode d'impayé : absente",
                      "due_on": max(due, ctx.as_of).isoformat()})
    if caf.due and not caf.done:
        items.append({"code": "caf_report",
                      "label": "Signalement CAF (vaut saisine CCAPEX) : dû et non fait",
                      "due_on": caf.deadline.isoformat() if caf.deadline else ctx.as_of.isoformat()})
    return items


def _step6_held_back(ctx: Context, r: dict[str, Any], h: dict[str, Any], caf: CafStatus, p: Proposal,
                     missing: list[dict[str, Any]], plan_to_close: str | None,
                     reject: dict[str, Any] | None) -> Proposal:
    """A file with a legal item missing stays at precontentieux: not offered for approval, shown to the
    manager as held back with the reasons; the officer gets one task per item with its deadline."""
    checklist = pre_transfer_checklist(r, h, caf, plan_to_close=plan_to_close, reject_to_cancel=reject, by_run=False)
    p.figures["held_back"] = True
    p.figures["held_back_reasons"] = [i["label"] for i in missing]
    p.figures["missing_legal_items"] = missing
    other = [c.label for c in checklist if c.state == "missing" and not c.label.startswith(("Mise en demeure",
                                                                                             "Signalement CAF"))]
    p.figures["missing_other_items"] = other
    p.reasons.append("Transmission au contentieux retenue : prérequis légaux manquants — "
                     + " ; ".join(f"{i['label']} (à faire avant le {date_fr(dt.date.fromisoformat(i['due_on']))})"
                                  for i in missing)
                     + ". Le dossier reste en précontentieux et sera proposé à nouveau le mois prochain")
    if other:
        p.reasons.append("Également à faire (non bloquant) : " + " ; ".join(other))
    for item in missing:
        due = dt.date.fromisoformat(item["due_on"])
        if item["code"] == "formal_notice":
            p.tasks.append(ctx.officer_task(
                r, "transfer_formal_notice",
                f"Transmission au contentieux retenue : envoyer la mise en demeure (LRAR) avant le {date_fr(due)}",
                priority=1, due_on=due))
        else:
            p.tasks.append(ctx.officer_task(
                r, "caf_report",
                f"Transmission au contentieux retenue : faire le signalement CAF (vaut saisine CCAPEX) avant le "
                f"{date_fr(due)}", priority=1, due_on=due))
    p.tasks.append(ctx.officer_task(r, "transfer_review", "Fin de GP retenue : prérequis légaux à compléter",
                                    priority=1, checklist=checklist))
    return p


def _step7(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(letter=LetterOrder(ctx.template("welcome", r)))
    p.reasons.append(f"Bail signé le {date_fr(r['start_on'])}, impayé depuis {r['arrears_age_days']} jours")
    p.tasks.append(ctx.officer_task(r, "call", "Nouvel entrant en impayé : appeler le locataire"))
    rate = r.get("effort_rate")
    if rate is not None and Decimal(str(rate)) > Decimal(str(ctx.step.threshold("referral_effort_rate"))):
        p.tasks.append(ctx.counsellor_task(r, "social_referral",
                                           "Orientation vers la conseillère sociale (taux d'effort élevé)"))
        p.changes.append(StateChange("social_referral"))
        p.reasons.append(f"Taux d'effort à l'entrée {percent_fr(Decimal(str(rate)))} : orientation vers la "
                         f"conseillère sociale")
    return p


def _step8(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(letter=LetterOrder(ctx.template("firm", r)))
    if (r.get("episodes_closed_12m") or 0) >= ctx.step.threshold("min_closed_episodes"):
        p.reasons.append(f"{r['episodes_closed_12m']} épisodes d'impayé déjà soldés sur 12 mois")
    if r.get("last_broken_plan_on"):
        p.reasons.append(f"Plan d'apurement rompu le {date_fr(r['last_broken_plan_on'])}")
    p.tasks.append(ctx.officer_task(r, "call", "Récidiviste : appeler et proposer le prélèvement automatique"))
    return p


def _step9(ctx: Context, r: dict[str, Any]) -> Proposal:
    from arrears.select.positions import late_months

    with ctx.engine.connect() as conn:
        entries = [(e["effective_on"], int(e["amount_cents"]), bool(e["is_rent"]))
                   for e in run_sql(conn, "support/ledger_kinds", {"as_of": ctx.as_of}, [r["lease_id"]])]
    months = late_months(entries, ctx.as_of, monthly_due_cents=int(r["monthly_due_cents"]),
                         tolerance_cents=ctx.plan.tolerance_cents, grace_days=ctx.plan.late_payment_grace_days)
    late = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in m.items()} for m in months]
    p = Proposal(letter=LetterOrder(ctx.template("late_payment", r)), figures={"late_months": late},
                 reasons=[(f"{r['months_paid_late_6m']} mois payés en retard sur les 6 derniers (payés après "
                           f"le {ctx.plan.late_payment_grace_days}e jour suivant l'échéance, avant la fin du "
                           f"mois), solde de {euros(r['balance_cents'])} pour une quittance de "
                           f"{euros(r['monthly_due_cents'])} : proposer une date de prélèvement adaptée")])
    if months:
        p.reasons.append("Échéances réglées après le délai de grâce : " + ", ".join(
            f"{date_fr(m['due_on'])} payée le {date_fr(m['paid_on'])}" for m in months))
    return p


def _step10(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal()
    window = [x for x in ctx.rejects.get(r["lease_id"], []) if x["rejected_on"] > r["reject_window_since"]]
    p.figures.update(reject_id=r["reject_id"], reason_code=r["reason_code"],
                     rejected_cents=int(r["rejected_cents"]), rejected_on=r["rejected_on"])

    def latest(codes):
        hits = [x for x in window if x["reason_code"] in codes]
        return max(hits, key=lambda x: (x["rejected_on"], x["reject_id"])) if hits else None

    md07 = latest({"MD07"})
    account = latest({"AC04", "AC01", "MD01"})
    if md07:
        p.changes.append(StateChange("mandate_cancelled", md07["reject_id"]))
        p.tasks.append(succession_task(r))
        p.reasons.append(f"Rejet MD07 (débiteur décédé) du {date_fr(md07['rejected_on'])} : mandat annulé, "
                         f"aucun courrier, tâche succession")
        p.figures["deceased_reject"] = True
    elif account:
        p.changes.append(StateChange("mandate_cancelled", account["reject_id"]))
        p.letter = LetterOrder(ctx.template("new_payment_means", r), variant="new_payment_means")
        p.reasons.append(f"Rejet {account['reason_code']} du {date_fr(account['rejected_on'])} : mandat annulé, "
                         f"demande d'un nouveau moyen de paiement")
    elif r.get("is_successive_rejects"):
        p.changes.append(StateChange("mandate_cancelled", r["reject_id"]))
        p.letter = LetterOrder(ctx.template("new_payment_means", r), variant="successive_rejects")
        p.reasons.append(f"{r['successive_reject_months']} mois de rejets successifs : mandat annulé, demande "
                         f"d'un nouveau moyen de paiement")
    else:
        p.letter = LetterOrder(ctx.template("pay_rejected_amount", r), variant="pay_rejected_amount")
        p.reasons.append(f"Rejet {r['reason_code']} du {date_fr(r['rejected_on'])} : demande de régler "
                         f"{euros(int(r['rejected_cents']))}")
    return p


def _step11(ctx: Context, r: dict[str, Any]) -> Proposal:
    h = ctx.history.get(r["lease_id"], {})
    caf = ctx.caf.get(r["lease_id"]) or CafStatus(False, False, None, None, None)
    plan_to_close = r["active_plan_id"] if r.get("active_plan_id") and not r.get("plan_respected") else None
    reject = mandate_to_cancel(r, ctx.rejects.get(r["lease_id"], []),
                               needed=int(ctx.plan.step(10).threshold("successive_months")),
                               cancelled_on=h.get("last_mandate_cancelled_on"))
    checklist = pre_transfer_checklist(r, h, caf, plan_to_close=plan_to_close, reject_to_cancel=reject, by_run=False)
    p = Proposal(letter=LetterOrder(ctx.template("last_notice", r)), caf_checked=True,
                 changes=[StateChange("transfer_proposed")])
    p.reasons.append(f"Solde de {euros(r['balance_cents'])} ({r['months_in_arrears']} mois), mise en demeure du "
                     f"{date_fr(r['formal_notice_on'])} sans régularisation : proposé pour la fin de GP")
    missing = [c.label for c in checklist if c.state == "missing"]
    if missing:
        p.reasons.append("Reste à faire avant transmission : " + " ; ".join(missing))
    p.tasks.append(ctx.officer_task(r, "transfer_review", "Revue de fin de GP (comité contentieux mensuel)",
                                    priority=1, checklist=checklist))
    caf_todo = caf_task(r, caf)
    if caf_todo:
        p.tasks.append(caf_todo)
    return p


def _step12(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(letter=LetterOrder(ctx.template("sls", r)))
    p.reasons.append("SLS provisoire (enquête non retournée) et solde débiteur : expliquer le recalcul")
    p.tasks.append(ctx.counsellor_task(r, "home_visit", "Visite à domicile (enquête SLS non retournée)"))
    return p


def _step13(ctx: Context, r: dict[str, Any]) -> Proposal:
    credit = int(r["credit_cents"])
    p = Proposal()
    p.figures["credit_cents"] = credit
    if r.get("is_exceptional_income"):
        p.tasks.append(ctx.officer_task(r, "exceptional_income",
                                        "Fiche produits exceptionnels (locataire parti depuis plus de 3 ans)",
                                        priority=3))
        p.reasons.append(f"Crédit de {euros(credit)}, locataire parti le {date_fr(r['end_on'])} : produits "
                         f"exceptionnels")
    else:
        p.tasks.append(ctx.officer_task(r, "refund", f"Rembourser le crédit de {euros(credit)}", priority=2))
        p.reasons.append(f"Solde créditeur de {euros(credit)}"
                         + (" (locataire parti)" if r.get("is_departed") else " supérieur à une quittance"))
    return p


def _step14(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal(changes=[StateChange("write_off_proposed")])
    why = []
    if r.get("is_debt_erased"):
        why.append("dette effacée (surendettement)")
    if r.get("is_small_balance"):
        why.append(f"solde inférieur à {euros(ctx.step.threshold('max_balance_cents'))}")
    if not r.get("has_forwarding_address"):
        why.append("sans adresse connue")
    p.reasons.append(f"Parti le {date_fr(r['end_on'])}, aucun paiement depuis "
                     f"{ctx.step.threshold('no_payment_months')} mois, " + ", ".join(why))
    facts = ctx.departed.get(r["lease_id"], {})
    attempts = facts.get("attempts", [])
    p.figures["recovery_attempts"] = [{"done_on": a["done_on"].isoformat(), "kind": a["kind"],
                                       "outcome": a["outcome"]} for a in attempts]
    p.figures["last_payment_on"] = r.get("last_payment_on")
    p.figures["debt_since"] = r.get("debt_since")
    holds = []
    if facts.get("search_period"):
        holds.append(f"recherche d'adresse ouverte par l'étape 15 ({facts['search_period']})")
    contact = [w for w, key in (("téléphone", "has_phone"), ("e-mail", "has_email")) if facts.get(key)]
    if contact and not attempts:
        holds.append(f"{' et '.join(contact)} au dossier, aucune tentative de contact (appel, SMS, e-mail, "
                     f"courrier) depuis le départ le {date_fr(r['end_on'])}")
    if holds:
        p.changes = []
        p.figures["held_back"] = True
        p.figures["held_back_reasons"] = holds
        p.reasons.append("Fiche de passage en perte retenue : " + " ; ".join(holds))
        p.tasks.append(ctx.officer_task(
            r, "write_off_held_back",
            "Passage en perte retenu : " + " ; ".join(holds) + " — tenter le recouvrement d'abord", priority=2))
        return p
    if attempts:
        p.reasons.append(f"{len(attempts)} tentative(s) de recouvrement depuis le départ, la dernière le "
                         f"{date_fr(attempts[-1]['done_on'])}")
    p.tasks.append(ctx.officer_task(r, "write_off_review", "Fiche de passage en perte à faire approuver", priority=3))
    return p


def _step15(ctx: Context, r: dict[str, Any]) -> Proposal:
    p = Proposal()
    if not r.get("has_forwarding_address"):
        p.tasks.append(ctx.officer_task(r, "address_search",
                                        "Rechercher l'adresse (dédite, état des lieux de sortie, pages blanches)"))
        p.reasons.append("Locataire parti sans laisser d'adresse : recherche d'adresse")
        return p
    outside = is_out_of_departement(r)
    p.letter = LetterOrder(ctx.template("departed", r), variant="out_of_departement" if outside else "default",
                           to_forwarding_address=True, out_of_departement=outside)
    p.reasons.append(f"Parti le {date_fr(r['end_on'])} avec un solde de {euros(r['balance_cents'])}"
                     + (" ; nouvelle adresse hors du département de l'agence" if outside else ""))
    return p


BUILDERS = {1: _step1, 2: _step2, 3: _step3, 4: _step4, 5: _step5, 6: _step6, 7: _step7, 8: _step8, 9: _step9,
            10: _step10, 11: _step11, 12: _step12, 13: _step13, 14: _step14, 15: _step15}


# --------------------------------------------------------------------------------------------------
# Cross-step rules and assembly
# --------------------------------------------------------------------------------------------------


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


def decide_step(engine: Engine, step: int | str, as_of: dt.date, plan: Plan | None = None) -> list[Decision]:
    """The decisions of ``step`` (number or id) at D = ``as_of``: one per lease of its cohort, sorted by
    lease_id. Step 6 and step 14 decisions say whether a manager approved the lease (``approved``)."""
    plan = plan or load_plan()
    spec = plan.step(step)
    records = cohort_records(engine, spec.number, as_of, plan)
    if not records:
        return []
    period = period_of(as_of)
    ids = [r["lease_id"] for r in records]
    with engine.connect() as conn:
        history = {h["lease_id"]: h for h in run_sql(conn, "support/action_history", {"as_of": as_of}, ids)}
        profiles = profiles_for(conn, as_of, records, history)
        rejects: dict[str, list[dict[str, Any]]] = {}
        if spec.number in (6, 10, 11):
            for x in run_sql(conn, "support/rejects_history", {"as_of": as_of}, ids):
                rejects.setdefault(x["lease_id"], []).append(x)
        caf_ids = [r["lease_id"] for r in records if (r.get("benefit_cents") or 0) > 0
                   and (r.get("balance_cents") or 0) > 0 and r.get("is_in_place")]
        entries: dict[str, list[tuple[dt.date, int]]] = {}
        for e in run_sql(conn, "support/ledger_entries", {"as_of": as_of}, caf_ids) if caf_ids else []:
            entries.setdefault(e["lease_id"], []).append((e["effective_on"], int(e["amount_cents"])))
        approvals = {a["lease_id"]: bool(a["approved"])
                     for a in run_sql(conn, "support/approvals", {"step": spec.number, "period": period})}
        already_sent = {x["lease_id"] for x in run_sql(conn, "support/already_sent",
                                                       {"step": spec.number, "period": period})}
    with_letters = ids if any(spec.letters.values()) else []
    sent_before = earlier_letters(engine, plan, spec.number, as_of, period, with_letters)
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
            for c in run_sql(conn, "support/contact_details", {}, ids):
                departed[c["lease_id"]] = {**c, "attempts": []}
            for a in run_sql(conn, "support/contact_attempts", {"as_of": as_of}, ids):
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
