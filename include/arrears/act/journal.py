"""The action journal: reserve work per (lease, step, period), then record what was done.

The journal row is the truth that makes a step idempotent:

- ``reserve`` inserts one row per decision; a lease that already has a row for (step, period) keeps it
  (the unique key refuses a second one, also against a concurrent run), so a re-run never takes a lease
  twice. Rows already ``recorded`` are done: they produce nothing more.
- ``record`` applies the decision once — actions appended to ``actions`` (with step and period), officer
  tasks, state changes (plan closed as broken, mandate cancelled, stage → contentieux, proposals) — and
  marks the row ``recorded``, in one transaction per batch of rows. The unique keys of ``actions`` and
  ``tasks`` make a second application impossible even if a row were recorded twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from arrears.core import models as m
from arrears.decide.decision import Decision

LETTER_ACTION_KINDS = {"formal_notice": "formal_notice", "convocation": "convocation"}


def _insert(conn: Connection, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def action_id(lease_id: str, step: int, period: str, kind: str) -> str:
    """A stable id for a pipeline action: the same (lease, step, period, kind) always gives the same id."""
    digest = hashlib.sha1(f"{lease_id}|{step}|{period}|{kind}".encode()).hexdigest()[:16]
    return f"PIPE-{period}-S{step:02d}-{digest}"


def reserve(conn: Connection, decisions: Sequence[Decision], run_id: str) -> int:
    """Insert a journal row for each decision that has none yet; returns how many were new."""
    if not decisions:
        return 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {"lease_id": d.lease_id, "step": d.step, "period": d.period, "as_of": d.as_of, "run_id": run_id,
         "status": "reserved", "decision": d.to_dict(), "updated_at": now}
        for d in decisions
    ]
    for start in range(0, len(rows), 1000):
        stmt = _insert(conn, m.JournalEntry.__table__).values(rows[start:start + 1000])
        stmt = stmt.on_conflict_do_nothing(index_elements=["lease_id", "step", "period"])
        conn.execute(stmt)
    # rowcount is not reliable for multi-row "on conflict do nothing": count what this run holds.
    first = decisions[0]
    return conn.execute(
        select(func.count()).select_from(m.JournalEntry)
        .where(m.JournalEntry.step == first.step, m.JournalEntry.period == first.period,
               m.JournalEntry.run_id == run_id, m.JournalEntry.status == "reserved")
    ).scalar_one()


def pending(conn: Connection, step: int, period: str, lease_ids: Iterable[str] | None = None) -> list[dict]:
    """Journal rows of (step, period) not yet recorded, oldest first."""
    query = (select(m.JournalEntry.__table__)
             .where(m.JournalEntry.step == step, m.JournalEntry.period == period,
                    m.JournalEntry.status != "recorded")
             .order_by(m.JournalEntry.lease_id))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if lease_ids is not None:
        wanted = set(lease_ids)
        rows = [r for r in rows if r["lease_id"] in wanted]
    return rows


def mark_rendered(conn: Connection, journal_id: int, document_id: str | None, number: str | None) -> None:
    conn.execute(update(m.JournalEntry).where(m.JournalEntry.journal_id == journal_id,
                                              m.JournalEntry.status != "recorded")
                 .values(status="rendered", document_id=document_id, registered_number=number,
                         updated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))


def record(conn: Connection, rows: Sequence[dict]) -> dict[str, int]:
    """Apply the decisions of ``rows`` (journal rows) and mark them recorded. Returns counts."""
    counts = {"actions": 0, "tasks": 0, "changes": 0, "recorded": 0}
    for row in rows:
        decision = Decision.from_dict(row["decision"])
        counts["actions"] += _record_actions(conn, decision, row)
        counts["tasks"] += _record_tasks(conn, decision)
        counts["changes"] += _apply_changes(conn, decision)
        conn.execute(update(m.JournalEntry).where(m.JournalEntry.journal_id == row["journal_id"])
                     .values(status="recorded", updated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        counts["recorded"] += 1
    return counts


def _add_action(conn, decision: Decision, kind: str, *, comment: str | None = None,
                document_id: str | None = None, staff_id: str | None = None) -> int:
    stmt = _insert(conn, m.Action.__table__).values(
        action_id=action_id(decision.lease_id, decision.step, decision.period, kind),
        lease_id=decision.lease_id, done_on=decision.as_of, kind=kind, outcome=None, staff_id=staff_id,
        comment=comment, step=decision.step, period=decision.period, document_id=document_id,
    ).on_conflict_do_nothing()
    return conn.execute(stmt).rowcount or 0


def _record_actions(conn, decision: Decision, row: dict) -> int:
    n = 0
    if decision.letter:
        kind = LETTER_ACTION_KINDS.get(decision.letter.letter_type, "letter")
        comment = f"{decision.letter.letter_type}/{decision.letter.variant}"
        if row.get("registered_number"):
            comment += f" LRAR {row['registered_number']}"
        n += _add_action(conn, decision, kind, comment=comment, document_id=row.get("document_id"))
    return n


def _record_tasks(conn, decision: Decision) -> int:
    n = 0
    for task in decision.tasks:
        stmt = _insert(conn, m.Task.__table__).values(
            lease_id=decision.lease_id, step=decision.step, period=decision.period, kind=task.kind,
            staff_id=task.staff_id, priority=task.priority, due_on=task.due_on, title=task.title,
            checklist=[{"label": c.label, "state": c.state} for c in task.checklist], status="open",
        ).on_conflict_do_nothing(index_elements=["lease_id", "step", "period", "kind"])
        n += conn.execute(stmt).rowcount or 0
    return n


def _apply_changes(conn, decision: Decision) -> int:
    n = 0
    for change in decision.changes:
        kind, ref = change.kind, change.ref
        if kind in ("plan_broken", "plan_completed") and ref:
            status = "broken" if kind == "plan_broken" else "completed"
            conn.execute(update(m.Plan).where(m.Plan.plan_id == ref, m.Plan.status == "active")
                         .values(status=status, closed_on=decision.as_of))
        elif kind == "mandate_cancelled":
            conn.execute(update(m.Lease).where(m.Lease.lease_id == decision.lease_id)
                         .values(mandate_active=False))
            _add_action(conn, decision, "mandate_cancelled", comment=ref)
        elif kind == "stage_contentieux":
            conn.execute(update(m.Lease).where(m.Lease.lease_id == decision.lease_id)
                         .values(stage="contentieux"))
            _add_action(conn, decision, "transfer_litigation")
            conn.execute(update(m.TransferProposal).where(m.TransferProposal.lease_id == decision.lease_id,
                                                          m.TransferProposal.status.in_(("proposed", "approved")))
                         .values(status="transferred"))
        elif kind == "file_closed":
            _add_action(conn, decision, "file_closed")
        elif kind == "social_referral":
            _add_action(conn, decision, "social_referral", comment=ref)
        elif kind == "transfer_proposed":
            stmt = _insert(conn, m.TransferProposal.__table__).values(
                lease_id=decision.lease_id, period=decision.period, proposed_on=decision.as_of,
                status="proposed").on_conflict_do_nothing(index_elements=["lease_id", "period"])
            conn.execute(stmt)
        elif kind == "write_off_proposed":
            pass  # the write-off form is the document; the approval records the write_off action
        elif kind == "write_off":
            _add_action(conn, decision, "write_off", comment=ref)
        else:
            raise ValueError(f"lease {decision.lease_id}: unknown state change {kind!r}")
        n += 1
    return n
