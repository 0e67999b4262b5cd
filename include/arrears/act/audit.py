"""The month's contact-policy audit over the journal (``arrears audit --month 2025-09``).

Counts what revision 5 of PLAN.md forbids, over the letters the pipeline sent in the month (journal rows
with a letter, any status) against every letter before them (the journal, and the landlord's own imported
letters):

- ladder step-backs: a ladder letter of a lower level than one sent earlier in its arrears episode;
- two ladder letters within the spacing (10 days) without escalation;
- two letters to one lease on one day (event letters included);
- step-6 transfers with a legal item missing (no formal notice in the episode, or a CAF report due and not
  made, as the transfer's own checklist recorded it, and a formal-notice action looked up independently).

Lease ids only: the lists name no tenant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from arrears.config.plan import Plan, load_plan
from arrears.core import models as m
from arrears.decide.contact_policy import (
    ContactPolicy,
    SentLetter,
    episode_start,
    imported_letters,
    journal_letters,
)

LEGAL_CHECKLIST_LABELS = ("Mise en demeure envoyée", "Signalement CAF fait")


@dataclass
class AuditReport:
    month: str
    letters: int = 0
    leases: int = 0
    step_backs: list[str] = field(default_factory=list)
    spacing: list[str] = field(default_factory=list)
    same_day: list[str] = field(default_factory=list)
    transfers: int = 0
    transfers_missing_legal: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return len(self.step_backs) + len(self.spacing) + len(self.same_day) + len(self.transfers_missing_legal)

    def lines(self) -> list[str]:
        def ids(items: list[str]) -> str:
            return f"  ({', '.join(sorted(set(items))[:20])}{', …' if len(set(items)) > 20 else ''})" if items else ""

        return [
            f"audit {self.month}: {self.letters} letters sent by the pipeline to {self.leases} leases",
            f"ladder step-backs: {len(self.step_backs)}{ids(self.step_backs)}",
            f"two ladder letters within the spacing without escalation: {len(self.spacing)}{ids(self.spacing)}",
            f"two letters on one day: {len(self.same_day)}{ids(self.same_day)}",
            (f"step-6 transfers: {self.transfers}, with a legal item missing: "
             f"{len(self.transfers_missing_legal)}{ids(self.transfers_missing_legal)}"),
        ]


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(f"{month}-01")
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _episode_starts(engine: Engine, letters: list[SentLetter]) -> dict[tuple[str, dt.date], dt.date | None]:
    """The arrears start (else FIFO debt since) of each (lease, date) as stored in lease_positions for that
    date; computed for the dates not stored."""
    from arrears.select.positions import position_rows

    wanted = {(x.lease_id, x.sent_on) for x in letters}
    found: dict[tuple[str, dt.date], dict[str, Any]] = {}
    p = m.LeasePosition
    by_date: dict[dt.date, set[str]] = {}
    for lease_id, on in wanted:
        by_date.setdefault(on, set()).add(lease_id)
    with engine.connect() as conn:
        for on, ids in by_date.items():
            rows = conn.execute(select(p.lease_id, p.arrears_start, p.debt_since)
                                .where(p.as_of == on, p.lease_id.in_(sorted(ids)))).all()
            for r in rows:
                found[(r.lease_id, on)] = {"arrears_start": r.arrears_start, "debt_since": r.debt_since}
            missing = sorted(ids - {r.lease_id for r in rows})
            if missing:
                for r in position_rows(conn, on, missing):
                    found[(r["lease_id"], on)] = r
    return {key: episode_start(found.get(key, {}), None) for key in wanted}


def audit_month(engine: Engine, month: str, plan: Plan | None = None) -> AuditReport:
    plan = plan or load_plan()
    policy = ContactPolicy.from_plan(plan)
    first, last = _month_bounds(month)
    report = AuditReport(month)
    with engine.connect() as conn:
        lease_ids = sorted(set(conn.execute(select(m.JournalEntry.lease_id).where(
            m.JournalEntry.as_of >= first, m.JournalEntry.as_of <= last)).scalars()))
        if not lease_ids:
            return report
        sent = [x for x, _period in journal_letters(conn, lease_ids, last)]
        earlier = sent + imported_letters(conn, lease_ids, last)
        agreed_rows = conn.execute(select(m.Plan.lease_id, m.Plan.agreed_on).where(
            m.Plan.lease_id.in_(lease_ids), m.Plan.agreed_on <= last)).all()
    month_letters = [x for x in sent if first <= x.sent_on <= last]
    report.letters = len(month_letters)
    report.leases = len({x.lease_id for x in month_letters})
    starts = _episode_starts(engine, month_letters)
    agreed: dict[str, list[dt.date]] = {}
    for r in agreed_rows:
        agreed.setdefault(r.lease_id, []).append(r.agreed_on if isinstance(r.agreed_on, dt.date)
                                                 else dt.date.fromisoformat(str(r.agreed_on)))
    by_lease: dict[str, list[SentLetter]] = {}
    for x in earlier:
        by_lease.setdefault(x.lease_id, []).append(x)

    def order_key(x: SentLetter) -> tuple:
        return (x.sent_on, policy.rank(x.step) if x.step is not None else -1)

    for letter in month_letters:
        before = [y for y in by_lease.get(letter.lease_id, []) if y is not letter and order_key(y) < order_key(letter)]
        if any(y.sent_on == letter.sent_on for y in before):
            report.same_day.append(letter.lease_id)
        level = policy.level(letter.letter_type, letter.registered)
        if level is None:
            continue
        start = starts.get((letter.lease_id, letter.sent_on))
        plan_on = max((d for d in agreed.get(letter.lease_id, []) if d <= letter.sent_on), default=None)
        if plan_on and (start is None or plan_on > start):
            start = plan_on
        ladder = [(y, policy.level(y.letter_type, y.registered)) for y in before
                  if policy.level(y.letter_type, y.registered) is not None and (start is None or y.sent_on >= start)]
        if any(lv > level for _y, lv in ladder):
            report.step_backs.append(letter.lease_id)
        window = letter.sent_on - dt.timedelta(days=policy.spacing_days - 1)
        if any(y.sent_on >= window and lv >= level for y, lv in ladder):
            report.spacing.append(letter.lease_id)
    _audit_transfers(engine, first, last, report)
    return report


def _audit_transfers(engine: Engine, first: dt.date, last: dt.date, report: AuditReport) -> None:
    j, a = m.JournalEntry, m.Action
    with engine.connect() as conn:
        rows = conn.execute(select(j.lease_id, j.as_of, j.decision).where(
            j.step == 6, j.as_of >= first, j.as_of <= last, j.status == "recorded")).all()
        for r in rows:
            decision = r.decision or {}
            if not any(c.get("kind") == "stage_contentieux" for c in decision.get("changes") or ()):
                continue
            report.transfers += 1
            states = {c["label"]: c["state"] for t in decision.get("tasks") or () for c in t.get("checklist") or ()}
            missing = [label for label in LEGAL_CHECKLIST_LABELS if states.get(label) == "missing"]
            figures = decision.get("figures") or {}
            began = figures.get("arrears_start") or figures.get("debt_since")
            notice = conn.execute(select(a.action_id).where(
                a.lease_id == r.lease_id, a.kind == "formal_notice", a.done_on <= r.as_of,
                *( [a.done_on >= dt.date.fromisoformat(began)] if began else [])).limit(1)).first()
            if missing or notice is None:
                report.transfers_missing_legal.append(r.lease_id)


def audit_cli(engine: Engine, month: str) -> int:
    report = audit_month(engine, month)
    for line in report.lines():
        print(line)
    return 1 if report.violations else 0
