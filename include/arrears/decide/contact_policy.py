"""Contact policy (PLAN.md revision 5, "Rules that hold across steps"): one voice per tenant.

Letters sit on a ladder (levels in the plan file, ``[plan.letter_ladder]``); event letters (``dd_reject``,
``sls_sanction``, ``departed_tenant``) sit outside it. Within one arrears episode (since the arrears start,
or the FIFO debt since; a plan agreed after a letter starts the ladder again):

1. no step back: a ladder letter of a lower level than the highest already sent is not sent;
2. spacing: at most one ladder letter per lease in any ``letter_spacing_days`` (10) days, unless the new
   one is of a higher level than those of that window (escalation goes on);
3. never two letters to one lease on one day, event letters included.

A letter held back becomes an officer task naming it and the letter that held it back.

Steps sharing a run date: the plan's ``same_date_order`` orders them. A step decides as if the steps
ordered before it on the same date had already run: their journal rows at D when they ran, their
decisions computed now when they did not; letters of D by steps ordered after it are ignored. So the
outcome is the same whichever DAG the scheduler starts first.

    policy = ContactPolicy.from_plan(plan)
    hold = policy.check(letter, as_of, earlier_letters, episode_start)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from arrears.decide.decision import LetterOrder, TaskOrder

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from arrears.config.plan import Plan

LETTER_LABELS_FR = {
    "friendly_reminder": "relance amiable",
    "convocation": "convocation",
    "formal_notice": "mise en demeure",
    "broken_plan_reminder": "rappel de plan d'apurement",
    "new_tenant": "courrier nouvel entrant",
    "repeat_debtor": "courrier récidiviste",
    "late_payment": "courrier retardataire",
    "dd_reject": "courrier rejet de prélèvement",
    "sls_sanction": "courrier SLS",
    "last_notice": "dernier avis avant contentieux",
    "departed_tenant": "courrier locataire sortant",
    "letter": "courrier",
}
# Imported actions carry no letter type: their kind says what they were.
IMPORTED_LETTER_KINDS = {"formal_notice": "formal_notice", "convocation": "convocation", "letter": "letter"}

RULE_SAME_DAY = "same_day"
RULE_STEP_BACK = "step_back"
RULE_SPACING = "spacing"
HOLD_RULES_FR = {RULE_SAME_DAY: "jamais deux courriers le même jour",
                 RULE_STEP_BACK: "pas de retour en arrière sur l'échelle des courriers",
                 RULE_SPACING: "espacement minimal entre deux courriers de l'échelle, sauf escalade"}


def label_fr(letter_type: str, registered: bool = False) -> str:
    label = LETTER_LABELS_FR.get(letter_type, letter_type)
    return f"{label} (LRAR)" if registered and letter_type != "formal_notice" else label


def _date_fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class SentLetter:
    """A letter a lease received (or will receive at its date): from the journal, an imported action, or the
    decision of a step ordered before on the same date."""

    lease_id: str
    sent_on: dt.date
    letter_type: str
    registered: bool = False
    step: int | None = None


@dataclass(frozen=True)
class Hold:
    """Why a letter is held back, and the letter that held it back."""

    rule: str                 # same_day, step_back, spacing
    by: SentLetter
    reason: str               # in French

    def task(self, letter: LetterOrder, staff_id: str | None, as_of: dt.date) -> TaskOrder:
        return TaskOrder(
            kind="letter_held_back",
            title=(f"Envoi retenu — {label_fr(letter.letter_type, letter.registered)} : {self.reason} ; "
                   f"décider de l'envoi"),
            staff_id=staff_id, priority=2, due_on=as_of + dt.timedelta(days=7),
        )

    def figures(self, letter: LetterOrder) -> dict[str, Any]:
        return {"held_back_letter": letter.letter_type, "held_back_rule": self.rule,
                "held_back_by_letter": self.by.letter_type, "held_back_by_date": self.by.sent_on.isoformat(),
                "held_back_by_step": self.by.step}


@dataclass(frozen=True)
class ContactPolicy:
    ladder: dict[str, int]
    registered_level: int
    spacing_days: int
    order: tuple[int, ...]      # every step number, same-date order first

    @classmethod
    def from_plan(cls, plan: Plan) -> ContactPolicy:
        listed = tuple(plan.same_date_order)
        rest = tuple(s.number for s in plan.steps if s.number not in listed)
        return cls(ladder=dict(plan.letter_ladder), registered_level=plan.registered_letter_level,
                   spacing_days=plan.letter_spacing_days, order=listed + rest)

    def level(self, letter_type: str, registered: bool = False) -> int | None:
        """The ladder level of a letter (None: an event letter, outside the ladder)."""
        base = self.ladder.get(letter_type)
        if base is None:
            return None
        return max(base, self.registered_level) if registered else base

    def rank(self, step: int) -> int:
        return self.order.index(step) if step in self.order else len(self.order) + step

    def check(self, letter: LetterOrder, as_of: dt.date, earlier: Iterable[SentLetter],
              episode_start: dt.date | None) -> Hold | None:
        """Whether ``letter`` (sent at ``as_of``) must be held back given the lease's ``earlier`` letters
        (those dated after ``as_of`` are ignored)."""
        earlier = sorted((e for e in earlier if e.sent_on <= as_of), key=lambda e: e.sent_on)
        same_day = [e for e in earlier if e.sent_on == as_of]
        if same_day:
            by = same_day[0]
            return Hold(RULE_SAME_DAY, by, f"un autre courrier part le même jour : "
                                           f"{label_fr(by.letter_type, by.registered)} du {_date_fr(by.sent_on)}")
        level = self.level(letter.letter_type, letter.registered)
        if level is None:
            return None
        in_episode = [e for e in earlier if self.level(e.letter_type, e.registered) is not None
                      and (episode_start is None or e.sent_on >= episode_start)]
        if not in_episode:
            return None
        top = max(in_episode, key=lambda e: (self.level(e.letter_type, e.registered), e.sent_on))
        top_level = self.level(top.letter_type, top.registered)
        if level < top_level:
            return Hold(RULE_STEP_BACK, top,
                        f"pas de retour en arrière : {label_fr(top.letter_type, top.registered)} déjà envoyée "
                        f"le {_date_fr(top.sent_on)} (niveau {top_level}, ce courrier niveau {level})")
        window_start = as_of - dt.timedelta(days=self.spacing_days - 1)
        recent = [e for e in in_episode if e.sent_on >= window_start]
        if recent:
            last = max(recent, key=lambda e: (self.level(e.letter_type, e.registered), e.sent_on))
            if level <= self.level(last.letter_type, last.registered):
                return Hold(RULE_SPACING, last,
                            f"moins de {self.spacing_days} jours après {label_fr(last.letter_type, last.registered)} "
                            f"du {_date_fr(last.sent_on)}, sans escalade")
        return None


# --------------------------------------------------------------------------------------------------
# What the lease received: journal, imported actions, same-date steps ordered before
# --------------------------------------------------------------------------------------------------


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def journal_letters(conn: Connection, lease_ids: Sequence[str], until: dt.date,
                    since: dt.date | None = None) -> list[tuple[SentLetter, str]]:
    """Letters of the pipeline's journal (any status: a reserved row is a letter on its way) dated on or
    before ``until``, with the period of their row."""
    from arrears.core import models as m  # lazily: `arrears history` needs only the labels

    out: list[tuple[SentLetter, str]] = []
    j = m.JournalEntry
    ids = sorted(set(lease_ids))
    for i in range(0, len(ids), 900):
        query = select(j.lease_id, j.step, j.period, j.as_of, j.decision).where(
            j.lease_id.in_(ids[i:i + 900]), j.as_of <= until)
        if since is not None:
            query = query.where(j.as_of >= since)
        for row in conn.execute(query):
            letter = (row.decision or {}).get("letter")
            if letter:
                out.append((SentLetter(row.lease_id, _as_date(row.as_of), letter["letter_type"],
                                       bool(letter.get("registered")), row.step), row.period))
    return out


def imported_letters(conn: Connection, lease_ids: Sequence[str], until: dt.date,
                     since: dt.date | None = None) -> list[SentLetter]:
    """Letters recorded by the landlord's own system (actions without a plan step)."""
    from arrears.core import models as m  # lazily: `arrears history` needs only the labels

    a = m.Action
    out: list[SentLetter] = []
    ids = sorted(set(lease_ids))
    for i in range(0, len(ids), 900):
        query = select(a.lease_id, a.done_on, a.kind).where(
            a.lease_id.in_(ids[i:i + 900]), a.step.is_(None), a.kind.in_(tuple(IMPORTED_LETTER_KINDS)),
            a.done_on <= until)
        if since is not None:
            query = query.where(a.done_on >= since)
        for row in conn.execute(query):
            kind = IMPORTED_LETTER_KINDS[row.kind]
            out.append(SentLetter(row.lease_id, _as_date(row.done_on), kind, kind == "formal_notice", None))
    return out


def plans_agreed(conn: Connection, lease_ids: Sequence[str], until: dt.date) -> dict[str, dt.date]:
    """The latest plan agreed on or before ``until`` per lease (it starts the ladder again)."""
    from arrears.core import models as m  # lazily: `arrears history` needs only the labels

    p = m.Plan
    out: dict[str, dt.date] = {}
    ids = sorted(set(lease_ids))
    for i in range(0, len(ids), 900):
        for row in conn.execute(select(p.lease_id, p.agreed_on).where(p.lease_id.in_(ids[i:i + 900]),
                                                                      p.agreed_on <= until)):
            day = _as_date(row.agreed_on)
            if row.lease_id not in out or day > out[row.lease_id]:
                out[row.lease_id] = day
    return out


def episode_start(record: dict[str, Any], plan_agreed_on: dt.date | None) -> dt.date | None:
    """Where the lease's ladder starts: the arrears start (else the FIFO debt since), or a later plan."""
    began = record.get("arrears_start") or record.get("debt_since")
    began = _as_date(began) if began else None
    if plan_agreed_on and (began is None or plan_agreed_on > began):
        return plan_agreed_on
    return began


def runs_on(plan: Plan, step_number: int, day: dt.date) -> bool:
    """Whether ``step_number`` is planned to run on ``day`` (monthly: its planned day; weekly: its weekday)."""
    from arrears.core.calendar import planned_date_clamped

    spec = plan.step(step_number)
    if not spec.enabled:
        return False
    if spec.continuous:
        return day.weekday() == spec.weekday
    return planned_date_clamped(day.year, day.month, spec.day or 1, plan.region) == day


def earlier_letters(engine: Engine, plan: Plan, step: int, as_of: dt.date, period: str,
                    lease_ids: Sequence[str], decide: Callable) -> dict[str, list[SentLetter]]:
    """Per lease, the letters the policy weighs for ``step`` at D: journal letters dated before D, imported
    letters up to D, and the letters of D from the steps ordered before ``step`` (their journal rows when
    they ran at D, else their decisions computed now with ``decide``, i.e. ``decide_step``). Letters of D by
    steps ordered after ``step``, and ``step``'s own rows of the period, are left out."""
    from arrears.core import models as m  # lazily: `arrears history` needs only the labels

    policy = ContactPolicy.from_plan(plan)
    out: dict[str, list[SentLetter]] = {}
    if not lease_ids:
        return out
    with engine.connect() as conn:
        journal = journal_letters(conn, lease_ids, as_of)
        imported = imported_letters(conn, lease_ids, as_of)
        ran_today = set(conn.execute(select(m.JournalEntry.step).where(m.JournalEntry.as_of == as_of)
                                     .distinct()).scalars())
        ran_today |= set(conn.execute(select(m.StepRun.step).where(
            m.StepRun.as_of == as_of, m.StepRun.status == "success", m.StepRun.dry_run.is_(False))).scalars())
    before = [n for n in policy.order[:policy.rank(step)] if n != step] if step in policy.order else []
    for letter, row_period in journal:
        if letter.step == step and row_period == period:
            continue
        if letter.sent_on == as_of and letter.step not in before:
            continue
        out.setdefault(letter.lease_id, []).append(letter)
    for letter in imported:
        out.setdefault(letter.lease_id, []).append(letter)
    wanted = set(lease_ids)
    for other in before:
        if other in ran_today or not runs_on(plan, other, as_of):
            continue
        for d in decide(engine, other, as_of, plan):
            if d.letter and d.lease_id in wanted:
                out.setdefault(d.lease_id, []).append(
                    SentLetter(d.lease_id, as_of, d.letter.letter_type, d.letter.registered, other))
    return out
