"""Rules that hold across steps (PLAN.md): they change what a lease gets, not whether it is in a cohort.

- stage ``contentieux`` is out of steps 1–12 (applied in the cohort queries);
- overindebtedness guard (Code de la consommation L722-2, L722-5): an active overindebtedness plan or
  moratorium stops reminder letters and formal notices; only step 4's LRAR on a broken plan and officer
  tasks remain;
- no letter to a deceased tenant; when every holder is deceased, a succession task instead;
- CAF report (CCH R824-1, R824-4): benefit paid, debt >= 2 × monthly rent + charges (net of the benefit
  when paid to the landlord, gross otherwise), no ``caf_report`` since the debt began → an officer task due
  2 months after the date the threshold was crossed;
- the pre-transfer checklist (before step 6 hands a file over), each item done / done by this run / missing;
- one letter per lease per step per month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from arrears.core.calendar import add_months, month_index, successive_months
from arrears.decide.decision import ChecklistItem, LetterOrder, TaskOrder

GUARD_REASON = ("Procédure de surendettement en cours (C. consom. L722-2 et L722-5) : ni relance ni mise en "
                "demeure pour la dette couverte")
DECEASED_REASON = "Tous les titulaires du bail sont décédés : aucun courrier, tâche succession à la place"
ALREADY_SENT_REASON = "Courrier de cette étape déjà envoyé ce mois-ci : pas de second courrier"
MANDATE_CANCEL_CODES = ("MD07", "AC04")


# --------------------------------------------------------------------------------------------------
# Deceased holders, overindebtedness guard, one letter per month
# --------------------------------------------------------------------------------------------------


def all_holders_deceased(record: dict[str, Any]) -> bool:
    """Every holder of the lease is deceased (a lease without holders on file is not)."""
    return int(record.get("holders") or 0) > 0 and int(record.get("living_holders") or 0) == 0


def succession_task(record: dict[str, Any], *, due_on: dt.date | None = None) -> TaskOrder:
    return TaskOrder(kind="succession", title="Dossier de succession : identifier les héritiers ou le notaire",
                     staff_id=record.get("officer_id"), priority=2, due_on=due_on)


def guard_allows_letter(step: int, letter: LetterOrder, record: dict[str, Any]) -> bool:
    """Whether the overindebtedness guard lets ``letter`` go to this lease.

    A protected lease (active overindebtedness plan or moratorium) gets no letter, except step 4's registered
    letter on a broken overindebtedness plan or moratorium (an incontournable of the seed).
    """
    if not record.get("is_protected"):
        return True
    return step == 4 and letter.registered and letter.letter_type != "formal_notice" and (
        record.get("plan_kind") in ("overindebtedness", "moratorium")
        or record.get("active_plan_kind") in ("overindebtedness", "moratorium"))


# --------------------------------------------------------------------------------------------------
# CAF report (R824-1, R824-4)
# --------------------------------------------------------------------------------------------------


def caf_threshold_cents(record: dict[str, Any], multiplier: float = 2) -> int | None:
    """The legal arrears threshold of a lease with housing benefit (None when no benefit is paid):
    ``multiplier`` × (rent + charges − benefit when paid to the landlord, rent + charges otherwise)."""
    benefit = int(record.get("benefit_cents") or 0)
    if benefit <= 0:
        return None
    gross = int(record["rent_cents"]) + int(record["charges_cents"])
    monthly = gross - benefit if record.get("benefit_to_landlord") else gross
    return round(multiplier * max(monthly, 0))


def crossing_date(entries: list[tuple[dt.date, int]], threshold: int, as_of: dt.date) -> dt.date | None:
    """The latest date t <= D at which the balance went from < ``threshold`` (day before) to >= it (at t),
    from ledger entries (effective date, amount); None when the balance is below the threshold at D."""
    balance = 0
    crossed: dt.date | None = None
    by_day: dict[dt.date, int] = {}
    for on, amount in entries:
        if on <= as_of:
            by_day[on] = by_day.get(on, 0) + int(amount)
    for on in sorted(by_day):
        before = balance
        balance += by_day[on]
        if before < threshold <= balance:
            crossed = on
        elif balance < threshold:
            crossed = None
    return crossed if balance >= threshold else None


@dataclass(frozen=True)
class CafStatus:
    due: bool                  # benefit paid and the debt at D reaches the threshold
    done: bool                 # a caf_report action since the debt began
    threshold_cents: int | None
    crossed_on: dt.date | None
    deadline: dt.date | None   # crossed_on + 2 months (R824-4)


def caf_status(record: dict[str, Any], history: dict[str, Any], entries: list[tuple[dt.date, int]],
               as_of: dt.date, *, multiplier: float = 2, deadline_months: int = 2) -> CafStatus:
    threshold = caf_threshold_cents(record, multiplier)
    done = history.get("caf_report_since_debt_on") is not None
    if threshold is None or int(record.get("balance_cents") or 0) < threshold:
        return CafStatus(False, done, threshold, None, None)
    crossed = crossing_date(entries, threshold, as_of)
    deadline = add_months(crossed, deadline_months) if crossed else None
    return CafStatus(True, done, threshold, crossed, deadline)


def caf_task(record: dict[str, Any], caf: CafStatus) -> TaskOrder | None:
    """The officer's CAF report task when the report is due and not made yet."""
    if not caf.due or caf.done:
        return None
    crossed = f" le {caf.crossed_on.strftime('%d/%m/%Y')}" if caf.crossed_on else ""
    return TaskOrder(
        kind="caf_report",
        title=f"Signalement de l'impayé à la CAF (R824-4, vaut saisine CCAPEX) : seuil de 2 mois atteint{crossed}",
        staff_id=record.get("officer_id"), priority=1, due_on=caf.deadline,
    )


# --------------------------------------------------------------------------------------------------
# Direct-debit rejects and the pre-transfer checklist
# --------------------------------------------------------------------------------------------------


def mandate_to_cancel(record: dict[str, Any], rejects: list[dict[str, Any]], *, needed: int = 3,
                      cancelled_on: dt.date | None = None) -> dict[str, Any] | None:
    """The reject that calls for cancelling the mandate (MD07, AC04, or 3 months running), unless the
    mandate is no longer active or was cancelled after that reject. None when nothing is to cancel."""
    months = {month_index(r["rejected_on"]) for r in rejects}
    trigger = None
    for r in sorted(rejects, key=lambda r: (r["rejected_on"], r["reject_id"])):
        if r["reason_code"] in MANDATE_CANCEL_CODES or successive_months(months, month_index(r["rejected_on"])) >= needed:
            trigger = r
    if trigger is None:
        return None
    if not record.get("mandate_active") or (cancelled_on is not None and cancelled_on >= trigger["rejected_on"]):
        return None
    return trigger


def pre_transfer_checklist(record: dict[str, Any], history: dict[str, Any], caf: CafStatus, *,
                           plan_to_close: str | None, reject_to_cancel: dict[str, Any] | None,
                           by_run: bool) -> tuple[ChecklistItem, ...]:
    """PLAN.md's pre-transfer checklist. ``by_run``: step 6 carries out plan closure and mandate
    cancellation itself (done_by_run); step 11's review pack shows them as still missing."""
    todo = "done_by_run" if by_run else "missing"
    items = [
        ChecklistItem("Plans d'apurement non respectés clôturés",
                      todo if plan_to_close else "done"),
        ChecklistItem("Prélèvements annulés (rejet décès MD07, compte soldé AC04, ou 3 rejets successifs)",
                      todo if reject_to_cancel else "done"),
        ChecklistItem("Signalement CAF fait" if caf.due else "Signalement CAF : non requis",
                      "missing" if caf.due and not caf.done else "done"),
        ChecklistItem("Mise en demeure envoyée",
                      "done" if history.get("formal_notice_since_debt_on") else "missing"),
        ChecklistItem("Contact du conseiller social tenté",
                      "done" if history.get("social_contact_since_debt_on") or history.get("support_since_debt_on")
                      else "missing"),
    ]
    return tuple(items)


# --------------------------------------------------------------------------------------------------
# Postal départements (step 15)
# --------------------------------------------------------------------------------------------------

FRANCE_NAMES = {"", "france", "fr", "fra", "france metropolitaine", "france métropolitaine"}


def departement(postcode: str | None) -> str | None:
    """The département of a French postcode: its first 2 digits, 3 for 97x / 98x (overseas)."""
    digits = "".join(ch for ch in (postcode or "") if not ch.isspace())
    if len(digits) < 2:
        return None
    return digits[:3] if digits.startswith(("97", "98")) else digits[:2]


def is_out_of_departement(record: dict[str, Any]) -> bool:
    """A forwarding address outside the département of the lease's agency (abroad is outside)."""
    country = (record.get("forwarding_country") or "").strip().lower()
    if country not in FRANCE_NAMES:
        return True
    return departement(record.get("forwarding_postcode")) != departement(record.get("agency_postcode"))
