"""What a run did, counted from the journal (correct after crashes, re-runs and on PostgreSQL), and failures
as a lease id with a reason code — never a tenant's name or address (run summaries, XCom, logs)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from arrears.core import settings
from arrears.decide.decision import Decision


def taken_by_this_run(decisions: list[Decision], mine: dict[str, dict]) -> list[Decision]:
    """The decisions this run carried out: the journal rows it completed (``mine``), whichever run reserved
    them (a re-run after a crash finishes the crashed run's leases; a weekly re-run skips leases handled
    earlier). A lease reserved by a crashed run is not in this run's decisions file: it comes from its row."""
    by_lease = {d.lease_id: d for d in decisions}
    return [by_lease.get(lease_id) or Decision.from_dict(row["decision"]) for lease_id, row in sorted(mine.items())]


def completed_since_last_summary(engine, spec, now: dt.datetime) -> dict[str, dict]:
    """Journal rows of (step, period) recorded since the previous summary of the step for the period.

    Each recorded row is counted by exactly one summary: the first one written after it was recorded. Rows
    a crashed run recorded without reaching its summary are counted by the re-run's.
    """
    from sqlalchemy import func, select

    from arrears.core.models import JournalEntry, StepRun

    j = JournalEntry
    with engine.connect() as conn:
        since = conn.execute(select(func.max(StepRun.finished_at)).where(
            StepRun.step == spec.step, StepRun.period == spec.period, StepRun.dry_run.is_(False),
            StepRun.run_id != spec.run_id)).scalar_one_or_none()
        query = select(j.lease_id, j.decision, j.document_id, j.registered_number).where(
            j.step == spec.step, j.period == spec.period, j.status == "recorded", j.updated_at <= now)
        if since is not None:
            query = query.where(j.updated_at > since)
        rows = conn.execute(query).all()
    return {r.lease_id: {"decision": r.decision, "document_id": r.document_id,
                         "registered": bool(r.registered_number),
                         "letter_type": ((r.decision or {}).get("letter") or {}).get("letter_type")
                         if r.document_id else None} for r in rows}


def period_rows(conn, spec, lease_ids: set[str] | None = None) -> dict[str, Any]:
    """Counts of the step's period in the database (all leases, or only ``lease_ids``): journal rows by
    status, letters and registered letters, actions and tasks (tasks also by officer)."""
    from collections import Counter

    from sqlalchemy import select

    from arrears.core.models import Action, JournalEntry, Task

    def keep(lease_id: str) -> bool:
        return lease_ids is None or lease_id in lease_ids

    journal_rows = [r for r in conn.execute(select(
        JournalEntry.lease_id, JournalEntry.status, JournalEntry.document_id, JournalEntry.registered_number)
        .where(JournalEntry.step == spec.step, JournalEntry.period == spec.period)) if keep(r.lease_id)]
    recorded = [r for r in journal_rows if r.status == "recorded"]
    tasks = [r for r in conn.execute(select(Task.lease_id, Task.staff_id).where(
        Task.step == spec.step, Task.period == spec.period)) if keep(r.lease_id)]
    actions = [r for r in conn.execute(select(Action.lease_id).where(
        Action.step == spec.step, Action.period == spec.period)) if keep(r.lease_id)]
    return {"leases": len(journal_rows), "recorded": len(recorded),
            "pending": len(journal_rows) - len(recorded),
            "letters": sum(1 for r in recorded if r.document_id),
            "registered_letters": sum(1 for r in recorded if r.registered_number),
            "actions": len(actions), "tasks": len(tasks),
            "tasks_by_officer": dict(Counter(r.staff_id or "—" for r in tasks))}


# Why a document failed, as a code and a fixed text: messages of the renderers can carry a tenant's name
# or address (an address line too long), which must not reach logs, XCom or the run summary.
FAILURE_REASONS = {
    "address_invalid": "address cannot be written to NF Z10-011 (line too long, town or street missing)",
    "holders_deceased": "every holder is deceased: succession task instead of a letter",
    "no_holder": "the lease has no holder to write to",
    "no_forwarding_address": "no forwarding address (address-search task instead)",
    "unknown_reference": "the lease, its agency or its officer is not in the database",
    "registered_labels": "no registered label left in the landlord's ranges",
    "template_error": "the letter template failed",
    "layout_failed": "the PDF layout failed",
    "other": "the document could not be produced (see the task log of the render step)",
}


def failure_code(message: str) -> str:
    """The reason code of a failure message (never the message itself)."""
    text = message.lower()
    rules = (
        ("holders_deceased", ("deceased",)),
        ("no_forwarding_address", ("forwarding_address", "forwarding address")),
        ("no_holder", ("no holder", "no living holder")),
        ("registered_labels", ("registered", "label", "range")),
        ("unknown_reference", ("no such lease", "not found", "unknown lease", "lookuperror")),
        ("address_invalid", ("characters", "name longer", "town is missing", "no street", "addresserror")),
        ("template_error", ("template",)),
        ("layout_failed", ("layout",)),
    )
    for code, needles in rules:
        if any(n in text for n in needles):
            return code
    return "other"


def failure_entry(lease_id: str, message: str, code: str | None = None) -> dict[str, str]:
    """A failure as logs, XCom and summaries carry it: lease id, reason code and the code's fixed text."""
    code = code if code in FAILURE_REASONS else failure_code(message)
    return {"lease_id": lease_id, "reason_code": code, "reason": FAILURE_REASONS[code]}


def quarantined_inputs() -> dict[str, int]:
    """Rows quarantined by the last import of the drop folder (read from its report, if any)."""
    path = settings.var_dir() / "last_import.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("quarantined", {})
    except (OSError, ValueError):
        return {}
