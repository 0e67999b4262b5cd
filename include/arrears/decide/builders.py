"""Each plan step's builder: what the step proposes for one lease of its cohort (a letter, tasks, state
changes, reasons in French). ``arrears.decide.steps.decide_step`` then applies the cross-step rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from arrears.config.plan import Plan, StepSpec
from arrears.core.calendar import add_months, planned_date_clamped
from arrears.core.fmt import date_fr, euros, whole_percent_fr
from arrears.core.sqlfiles import run_sql
from arrears.decide.decision import ChecklistItem, LetterOrder, StateChange, TaskOrder
from arrears.decide.rules import (
    CafStatus,
    caf_task,
    is_out_of_departement,
    mandate_to_cancel,
    pre_transfer_checklist,
    succession_task,
)

FIGURE_KEYS = (
    "agency_id", "officer_id", "counsellor_id", "balance_cents", "monthly_due_cents", "months_in_arrears",
    "arrears_start", "arrears_age_days", "debt_since", "debt_age_days", "last_payment_on",
    "last_payment_cents", "last_action_on", "last_action_kind", "active_plan_id", "active_plan_kind",
    "effort_rate", "phones", "employer_phones", "living_holders",
)


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
        plan = run_sql(conn, "cohorts/support/plan_at", {"plan_id": r["plan_id"],
                                                 "due_until": at - dt.timedelta(days=ctx.plan.plan_grace_days)})
        balance = run_sql(conn, "cohorts/support/balance_at", {"lease_id": r["lease_id"], "at": at})[0]["balance_cents"]
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
    previous_run = planned_date_clamped(previous.year, previous.month, ctx.step.day or 1, ctx.plan.region)
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
        plan = run_sql(conn, "cohorts/support/plan_at", {"plan_id": r["plan_id"], "due_until": ctx.as_of})[0]
        installments = run_sql(conn, "cohorts/support/plan_installments", {"plan_id": r["plan_id"]})
        entries = run_sql(conn, "cohorts/support/ledger_entries", {"as_of": ctx.as_of}, [r["lease_id"]])
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
        review = planned_date_clamped(ctx.as_of.year, ctx.as_of.month, step11.day or 1, ctx.plan.region)
        if review <= ctx.as_of:
            following = add_months(ctx.as_of.replace(day=1), 1)
            review = planned_date_clamped(following.year, following.month, step11.day or 1, ctx.plan.region)
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
        p.reasons.append(f"Taux d'effort à l'entrée {whole_percent_fr(Decimal(str(rate)))} : orientation vers la "
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
                   for e in run_sql(conn, "cohorts/support/ledger_kinds", {"as_of": ctx.as_of}, [r["lease_id"]])]
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
