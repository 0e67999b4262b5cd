"""What a plan step does to one lease, as plain data.

The plan logic (``arrears.decide.steps``) turns a cohort into a list of :class:`Decision`; the documents
(``arrears.documents``) and the orchestration consume it. Decisions are stored as JSON in the action
journal, so every field is a plain value (``to_dict`` / ``from_dict`` round-trip).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# Letter types of PLAN.md ("Letters"); each has a template folder under templates/letters/.
LETTER_TYPES = (
    "friendly_reminder",      # relance amiable
    "convocation",            # convocation à un rendez-vous
    "formal_notice",          # mise en demeure (LRAR)
    "broken_plan_reminder",   # rappel plan d'apurement non respecté
    "new_tenant",             # nouvel entrant
    "repeat_debtor",          # récidiviste
    "late_payment",           # retardataire
    "dd_reject",              # rejet de prélèvement
    "sls_sanction",           # SLS provisoire (sanction)
    "last_notice",            # dernier avis avant transmission au contentieux
    "departed_tenant",        # locataire sortant débiteur
)

# Debtor profiles (Logeo Seine), PLAN.md "Debtor profiles".
PROFILES = {
    "P1": "Difficulté de gestion budgétaire",
    "P2": "Fragilité dès l'entrée",
    "P3": "Non-paiement sans difficulté apparente",
    "P4": "Difficulté passagère",
    "P0": "Données insuffisantes",
}

ChecklistState = Literal["done", "done_by_run", "missing"]


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the incontournables / pre-transfer checklist, with its state."""

    label: str
    state: ChecklistState


@dataclass(frozen=True)
class LetterOrder:
    """The letter a step sends to a lease."""

    letter_type: str                  # one of LETTER_TYPES
    variant: str = "default"          # sub-kind: e.g. dd_reject "new_payment_means" / "pay_rejected_amount"
    registered: bool = False          # LRAR: allocates a registered number, goes to the registered batch
    to_forwarding_address: bool = False
    out_of_departement: bool = False  # departed tenant whose forwarding address is outside the agency's département
    deadline_days: int | None = None  # payment deadline printed on a formal notice (8 days by default)


@dataclass(frozen=True)
class TaskOrder:
    """A task for a recovery officer (or the social counsellor)."""

    kind: str            # call, convocation_followup, caf_report, succession, refund, address_search, home_visit,
                         # no_action_review, transfer_review, write_off_review, file_closed_info, mandate_cancelled
    title: str           # in French, as shown on the worklist
    staff_id: str | None
    priority: int = 2    # 1 high, 2 normal, 3 low
    due_on: dt.date | None = None
    checklist: tuple[ChecklistItem, ...] = ()


@dataclass(frozen=True)
class StateChange:
    """A change the step makes to the file once recorded."""

    kind: str            # plan_broken, plan_completed, mandate_cancelled, stage_contentieux, file_closed,
                         # transfer_proposed, write_off_proposed, social_referral
    ref: str | None = None   # the plan id, the reject id…


@dataclass(frozen=True)
class Decision:
    lease_id: str
    step: int
    step_id: str
    period: str                      # YYYY-MM of the run's date
    as_of: dt.date
    profile: str | None = None       # P1..P4, P0 (not enough data), None (no debt)
    profile_reasons: tuple[str, ...] = ()
    letter: LetterOrder | None = None
    tasks: tuple[TaskOrder, ...] = ()
    changes: tuple[StateChange, ...] = ()
    reasons: tuple[str, ...] = ()    # why the lease gets what it gets, in French, for officers
    figures: dict[str, Any] = field(default_factory=dict)  # balance_cents, months_in_arrears, …
    approved: bool | None = None     # steps needing approval (6, 14): the manager's answer, None = not answered

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return _jsonable(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        letter = data.get("letter")
        return cls(
            lease_id=data["lease_id"], step=data["step"], step_id=data["step_id"], period=data["period"],
            as_of=_date(data["as_of"]), profile=data.get("profile"),
            profile_reasons=tuple(data.get("profile_reasons") or ()),
            letter=LetterOrder(**letter) if letter else None,
            tasks=tuple(
                TaskOrder(**{**t, "due_on": _date(t.get("due_on")),
                             "checklist": tuple(ChecklistItem(**c) for c in t.get("checklist") or ())})
                for t in data.get("tasks") or ()
            ),
            changes=tuple(StateChange(**c) for c in data.get("changes") or ()),
            reasons=tuple(data.get("reasons") or ()),
            figures=dict(data.get("figures") or {}),
            approved=data.get("approved"),
        )


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


