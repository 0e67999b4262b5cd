"""The run summary in French, as operations and managers read it (run's result in Airflow, month view cell).

``summary_fr(summary, approvals)`` turns the summary dict of ``arrears.orchestration.pipeline.summarize``
(counts only: it is not recomputed here) and, for the steps that need a manager's answer, the answers
recorded for the period (``approval_counts``) into a few French sentences:

    Étape 6 — Fin de GP, traitement du 1er octobre 2025 : 15 dossiers dans la cohorte (46 167,70 €).
    Décision du responsable : 5 approuvés, 10 refusés, 2 retenus (prérequis légaux manquants).
    5 dossiers transmis au contentieux. …

No tenant data: counts, amounts and officer ids only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LETTER_LABELS = {
    "friendly_reminder": ("relance amiable", "relances amiables"),
    "convocation": ("convocation", "convocations"),
    "formal_notice": ("mise en demeure", "mises en demeure"),
    "broken_plan_reminder": ("rappel de plan d'apurement", "rappels de plan d'apurement"),
    "new_tenant": ("courrier nouvel entrant", "courriers nouvel entrant"),
    "repeat_debtor": ("courrier récidiviste", "courriers récidiviste"),
    "late_payment": ("courrier retardataire", "courriers retardataire"),
    "dd_reject": ("courrier rejet de prélèvement", "courriers rejet de prélèvement"),
    "sls_sanction": ("courrier SLS", "courriers SLS"),
    "last_notice": ("dernier avis", "derniers avis"),
    "departed_tenant": ("courrier locataire sorti", "courriers locataire sorti"),
}

# What "taken by this run" means for the steps that need an approval.
APPROVED_OUTCOME = {6: ("dossier transmis au contentieux", "dossiers transmis au contentieux"),
                    14: ("passage en perte enregistré", "passages en perte enregistrés")}


def plural(n: int, one: str, many: str) -> str:
    """``1 dossier``, ``0 dossier``, ``3 dossiers`` (French: 0 and 1 take the singular)."""
    return f"{_int(n)} {one if abs(n) < 2 else many}"


def _int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _eur(cents: int) -> str:
    from arrears.documents.render import eur

    return eur(cents)


def _total(value: Any) -> int:
    if isinstance(value, dict):
        return sum(int(v or 0) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value)
    return int(value or 0)


def approval_counts(engine, step: int, period: str, lease_ids: list[str] | None = None,
                    held_back: int = 0) -> dict[str, int]:
    """The manager's answers recorded for (step, period) (restricted to ``lease_ids`` when given)."""
    from arrears.act.approvals import recorded_answers

    answers = recorded_answers(engine, step, period)
    if lease_ids is not None:
        answers = {k: v for k, v in answers.items() if k in set(lease_ids)}
    return {"approved": sum(1 for v in answers.values() if v),
            "rejected": sum(1 for v in answers.values() if not v), "held_back": int(held_back or 0)}


def summary_fr(summary: dict[str, Any], approvals: dict[str, int] | None = None, *, title: str | None = None,
               short: bool = False) -> str:
    """The run summary as French sentences (``short``: one line for the month view's cell)."""
    from arrears.documents.render import date_fr

    step = summary.get("step")
    as_of = summary.get("as_of")
    cohort = _total(summary.get("cohort"))
    balance = int(summary.get("cohort_balance_cents") or 0)
    letters = {k: int(v) for k, v in (summary.get("letters_by_type") or {}).items() if v}
    registered = _total(summary.get("registered_letters"))
    tasks = _total(summary.get("tasks_by_officer"))
    officers = len([k for k, v in (summary.get("tasks_by_officer") or {}).items() if v])
    failures = _total(summary.get("failures"))
    taken = summary.get("taken_by_this_run")
    held = int((approvals or {}).get("held_back") or summary.get("held_back_count") or 0)

    parts: list[str] = []
    if short:
        parts.append(plural(cohort, "dossier", "dossiers"))
        if approvals is not None:
            parts.append(f"{approvals.get('approved', 0)} approuvé{'s' if approvals.get('approved', 0) > 1 else ''}")
            parts.append(f"{approvals.get('rejected', 0)} refusé{'s' if approvals.get('rejected', 0) > 1 else ''}")
            if held:
                parts.append(f"{held} retenu{'s' if held > 1 else ''}")
            if step in APPROVED_OUTCOME and taken is not None:
                parts.append(f"{taken} {'transmis' if step == 6 else 'en perte'}")
        n_letters = sum(letters.values())
        parts.append(plural(n_letters, "courrier", "courriers")
                     + (f" dont {registered} LRAR" if registered else ""))
        parts.append(plural(tasks, "tâche", "tâches"))
        if failures:
            parts.append(plural(failures, "échec", "échecs"))
        return " · ".join(parts)

    head = f"Étape {step}" + (f" — {title}" if title else "")
    if as_of:
        head += f", traitement du {date_fr(dt.date.fromisoformat(str(as_of)))}"
    if summary.get("dry_run"):
        head += " (aperçu : rien n'a été enregistré)"
    parts.append(f"{head} : {plural(cohort, 'dossier', 'dossiers')} dans la cohorte"
                 + (f" ({_eur(balance)} de dette)" if balance else "") + ".")
    if approvals is not None:
        a, r = approvals.get("approved", 0), approvals.get("rejected", 0)
        text = (f"Décision du responsable : {a} approuvé{'s' if a > 1 else ''}, "
                f"{r} refusé{'s' if r > 1 else ''}")
        if held:
            text += f", {held} retenu{'s' if held > 1 else ''} (prérequis légaux manquants, non proposé{'s' if held > 1 else ''})"
        parts.append(text + ".")
        if step in APPROVED_OUTCOME and taken is not None:
            one, many = APPROVED_OUTCOME[step]
            parts.append(plural(int(taken), one, many).capitalize() + ".")
    if letters:
        detail = ", ".join(plural(n, *LETTER_LABELS.get(k, (k, k))) for k, n in sorted(letters.items()))
        text = f"Courriers : {detail}"
        if registered:
            text += f" ; {plural(registered, 'recommandé', 'recommandés')} avec AR"
        parts.append(text + ".")
    else:
        parts.append("Aucun courrier.")
    if tasks:
        parts.append(f"{plural(tasks, 'tâche', 'tâches')} pour {plural(officers, 'chargé de recouvrement', 'chargés de recouvrement')}.")
    else:
        parts.append("Aucune tâche.")
    if taken is not None and step not in APPROVED_OUTCOME and cohort and int(taken) < cohort:
        parts.append(plural(cohort - int(taken), "dossier déjà traité", "dossiers déjà traités")
                     + " plus tôt ce mois-ci.")
    if failures:
        parts.append(f"{plural(failures, 'échec', 'échecs')} de production (détail dans le journal de la tâche).")
    else:
        parts.append("Aucun échec.")
    quarantined = _total(summary.get("quarantined_inputs"))
    if quarantined:
        parts.append(f"{plural(quarantined, 'ligne', 'lignes')} en quarantaine au dernier import.")
    return " ".join(parts)


def run_resume(spec: dict[str, Any], summary: dict[str, Any], request: dict | None = None, *,
               title: str | None = None) -> str:
    """The ``resume`` task: the run's summary in French, with the manager's answers for approval steps."""
    from arrears.core.db import engine_for

    approvals = None
    if request is not None:
        approvals = approval_counts(engine_for(spec.get("db_url")), int(spec["step"]), spec["as_of"][:7],
                                    lease_ids=list(request.get("lease_ids") or []),
                                    held_back=len(request.get("held_back") or []))
    return summary_fr(summary, approvals, title=title)
