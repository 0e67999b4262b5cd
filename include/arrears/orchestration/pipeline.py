"""The task functions of a plan step's DAG, one per task; each takes a small ``RunSpec`` and returns a
small JSON-able summary (what goes through XCom: ids, paths and counts, never tenants' data).

    select_cohort → decide → [approval] → reserve_actions → render_documents (one call per chunk)
    → assemble_batches → write_worklists → record_actions → summarize

The decisions travel from ``decide`` to the later tasks in a JSON Lines file of the run's work folder
(``var/runs/…``, owner-only), and in the action journal once reserved. A dry run writes into
``output/preview/…`` and records nothing: no journal row, no registered number, no action, no task.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arrears.core import settings
from arrears.core.files import ensure_dir, write_atomic
from arrears.decide.decision import Decision

log = logging.getLogger(__name__)

# Letters per rendering task: one WeasyPrint document per chunk (about +1 MB per letter while laid out).
CHUNK_SIZE = int(os.environ.get("ARREARS_RENDER_CHUNK", "100"))


@dataclass(frozen=True)
class RunSpec:
    """Which step, for which date, in which run. Travels through XCom as a dict."""

    step: int
    step_id: str
    as_of: str          # ISO date D: the run's logical date in Paris, or the as_of override
    run_id: str
    dry_run: bool = False
    db_url: str | None = None

    @property
    def as_of_date(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)

    @property
    def period(self) -> str:
        return self.as_of[:7]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return cls(**data)

    @property
    def output_dir(self) -> Path:
        base = settings.output_dir()
        if self.dry_run:
            return ensure_dir(base / "preview" / self.period / f"{self.step:02d}_{self.step_id}" / _safe(self.run_id))
        return ensure_dir(base / self.period / f"{self.step:02d}_{self.step_id}")

    @property
    def work_dir(self) -> Path:
        return ensure_dir(settings.var_dir() / "runs" / f"{self.step:02d}_{self.step_id}" / self.as_of
                          / _safe(self.run_id))


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _engine(spec: RunSpec):
    from arrears.core.db import engine_for

    return engine_for(spec.db_url)


def make_spec(step_key: str | int, as_of: dt.date | str, run_id: str, dry_run: bool = False,
              db_url: str | None = None) -> RunSpec:
    from arrears.config.plan import load_plan

    step = load_plan().step(step_key)
    as_of = as_of if isinstance(as_of, str) else as_of.isoformat()
    return RunSpec(step=step.number, step_id=step.id, as_of=as_of, run_id=run_id, dry_run=dry_run,
                   db_url=db_url)


# --------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------


def select_cohort(spec: RunSpec) -> dict[str, Any]:
    """Compute the positions at D and the step's cohort; returns its size and total balance."""
    from arrears.ingest.freshness import check_portfolio
    from arrears.select.cohorts import cohort_frame

    check_portfolio(_engine(spec), spec.step, spec.as_of_date, dry_run=spec.dry_run)  # safe start
    frame = cohort_frame(_engine(spec), spec.step, spec.as_of_date)
    if not spec.dry_run:
        from arrears.orchestration.alerts import check_cohort_size

        # A cohort far larger than last month's (a broken import often shows this way) alerts operations.
        check_cohort_size(spec.step, spec.period, len(frame), _engine(spec))
    balance = int(frame["balance_cents"].sum()) if "balance_cents" in frame and len(frame) else 0
    log.info("step %s at %s: cohort of %d leases", spec.step_id, spec.as_of, len(frame))
    return {"cohort": len(frame), "balance_cents": balance}


def decide(spec: RunSpec) -> dict[str, Any]:
    """Decide what the step does for each lease of the cohort; the decisions go to the run's work folder."""
    from arrears.decide.steps import decide_step

    decisions = decide_step(_engine(spec), spec.step, spec.as_of_date)
    lines = "".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in decisions)
    write_atomic(spec.work_dir / "decisions.jsonl", lines)
    letters = sum(1 for d in decisions if d.letter)
    return {"decisions": len(decisions), "letters": letters,
            "tasks": sum(len(d.tasks) for d in decisions)}


def load_decisions(spec: RunSpec) -> list[Decision]:
    path = spec.work_dir / "decisions.jsonl"
    if not path.exists():
        return []
    return [Decision.from_dict(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def approval_request(spec: RunSpec) -> dict[str, Any]:
    """What a manager is asked to approve: the leases of the decisions, and whether all are answered already."""
    from arrears.act.approvals import recorded_answers

    decisions = load_decisions(spec)
    lease_ids = [d.lease_id for d in decisions]
    answers = recorded_answers(_engine(spec), spec.step, spec.period)
    from arrears.documents.render import eur

    lines = [f"| {d.lease_id} | {eur(d.figures.get('balance_cents', 0))} | {d.profile or ''} |" for d in decisions]
    body = ("| Bail | Solde | Profil |\n|---|---|---|\n" + "\n".join(lines)) if lines else "Aucun dossier."
    return {"lease_ids": lease_ids, "answered": all(x in answers for x in lease_ids), "body": body}


def reserve_actions(spec: RunSpec, approved: list[str] | None = None) -> dict[str, Any]:
    """Reserve one journal row per decision (per approved lease for steps that need approval) and split the
    pending work into chunks for rendering. In a dry run nothing is reserved: chunks index the decisions."""
    from arrears.act import journal

    decisions = load_decisions(spec)
    if approved is not None:
        allowed = set(approved)
        decisions = [d for d in decisions if d.lease_id in allowed]
    if spec.dry_run:
        ids = [d.lease_id for d in decisions]
        return {"new": 0, "pending": len(ids), "chunks": _chunks(ids)}
    engine = _engine(spec)
    with engine.begin() as conn:
        new = journal.reserve(conn, decisions, spec.run_id)
    with engine.connect() as conn:
        rows = journal.pending(conn, spec.step, spec.period)
    ids = [r["lease_id"] for r in rows]
    return {"new": new, "pending": len(ids), "chunks": _chunks(ids)}


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i:i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]


def _pending_decisions(spec: RunSpec, lease_ids: list[str]) -> tuple[list[Decision], dict[str, dict]]:
    """The decisions to act on for these leases: from the journal (the truth), or the decisions file in a
    dry run."""
    if spec.dry_run:
        wanted = set(lease_ids)
        return [d for d in load_decisions(spec) if d.lease_id in wanted], {}
    from arrears.act import journal

    with _engine(spec).connect() as conn:
        rows = journal.pending(conn, spec.step, spec.period, lease_ids)
    return [Decision.from_dict(r["decision"]) for r in rows], {r["lease_id"]: r for r in rows}


def render_documents(spec: RunSpec, lease_ids: list[str]) -> dict[str, Any]:
    """Render the letters (and per-lease files: transfer file, write-off form) of one chunk of leases."""
    from arrears.act import journal
    from arrears.documents.letters import render_letters, render_letters_parallel

    decisions, rows = _pending_decisions(spec, lease_ids)
    out = spec.output_dir
    with_letters = [d for d in decisions if d.letter]
    workers = int(os.environ.get("ARREARS_RENDER_WORKERS", "1"))
    if workers > 1 and len(with_letters) >= 20:
        # Under dag.test (command line, demo) mapped tasks run one at a time: use the cores here instead.
        result = render_letters_parallel(_engine(spec), with_letters, out, workers=workers, dry_run=spec.dry_run)
    else:
        result = render_letters(_engine(spec), with_letters, out, dry_run=spec.dry_run)
    rendered = [_doc_dict(doc) for doc in result.rendered]
    failures = [failure_entry(f.lease_id, f.message) for f in result.failures]
    extra = _render_lease_files(spec, decisions, out, failures)
    failed = {f["lease_id"] for f in failures}
    if not spec.dry_run:
        by_lease = {doc["lease_id"]: doc for doc in rendered}
        with _engine(spec).begin() as conn:
            for decision in decisions:
                if decision.lease_id in failed:
                    continue
                doc = by_lease.get(decision.lease_id)
                journal.mark_rendered(conn, rows[decision.lease_id]["journal_id"],
                                      doc and doc["document_id"], doc and doc.get("number"))
    chunk_name = f"rendered_{_safe(lease_ids[0]) if lease_ids else 'empty'}.json"
    write_atomic(spec.work_dir / chunk_name, json.dumps({"documents": rendered, "failures": failures}))
    return {"letters": len(rendered), "files": extra, "failures": len(failures)}


def _doc_dict(doc) -> dict[str, Any]:
    data = asdict(doc) if hasattr(doc, "__dataclass_fields__") else dict(doc)
    return {k: (str(v) if isinstance(v, Path | dt.date) else v) for k, v in data.items()}


def _render_lease_files(spec: RunSpec, decisions: list[Decision], out: Path, failures: list) -> int:
    """Step 6: a transfer file per lease; step 14: a write-off form per lease."""
    if spec.step not in (6, 14):
        return 0
    if spec.step == 6:
        from arrears.documents.transfer import write_transfer_file as writer
        folder = out / "transfer_files"
    else:
        from arrears.documents.write_off import write_off_form as writer
        folder = out / "write_off_forms"
    n = 0
    with _engine(spec).connect() as conn:
        for decision in decisions:
            try:
                writer(conn, decision, folder)
                n += 1
            except Exception as exc:  # noqa: BLE001 - one file failing must not stop the others
                failures.append(failure_entry(decision.lease_id, f"{type(exc).__name__}: {exc}"))
    return n


def _rendered(spec: RunSpec) -> tuple[list[dict], list[dict]]:
    docs, failures = [], []
    for path in sorted(spec.work_dir.glob("rendered_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        docs += data["documents"]
        failures += data["failures"]
    return docs, failures


def assemble_batches(spec: RunSpec) -> dict[str, Any]:
    """One print-ready batch per letter class (simple, registered), with cover sheet and deposit list."""
    from arrears.config.plan import load_plan
    from arrears.documents.batches import assemble_batches as assemble

    docs, _ = _rendered(spec)
    if spec.dry_run:
        # A preview allocates no registered number, so there is no deposit list to draw up: the preview
        # batch holds the simple letters; registered letters are previewed one by one in letters/.
        docs = [d for d in docs if not d.get("registered")]
    if not docs:
        return {"batches": []}
    title = load_plan().step(spec.step).title
    results = assemble(docs, spec.output_dir / "mailroom", step=spec.step, step_title=title,
                       period=spec.period, as_of=spec.as_of_date,
                       batch_id_prefix=f"{spec.period}-S{spec.step:02d}",
                       engine=None if spec.dry_run else _engine(spec))
    return {"batches": [_doc_dict(r) for r in results]}


def write_worklists(spec: RunSpec) -> dict[str, Any]:
    """Per officer: the worklist of the tasks this run creates (XLSX and PDF)."""
    from arrears.config.plan import load_plan
    from arrears.documents.worklists import write_worklists as write

    decisions, _ = _pending_decisions(spec, [d.lease_id for d in load_decisions(spec)])
    title = load_plan().step(spec.step).title
    out = spec.output_dir / "worklists"
    paths = []
    with_tasks = [d for d in decisions if d.tasks]
    if with_tasks:
        paths += write(_engine(spec), with_tasks, out, step_title=title, as_of=spec.as_of_date)
    if decisions and spec.step in HANDOVER_LISTS:
        list_title, prefix = HANDOVER_LISTS[spec.step]
        paths += write(_engine(spec), decisions, out, step_title=title, as_of=spec.as_of_date,
                       title=list_title, group_by=None, file_prefix=prefix)
    return {"worklists": len(paths), "paths": [str(p) for p in paths]}


# Whole-run lists for another service: step 6 hands files to litigation, step 14 to accounting.
HANDOVER_LISTS = {
    6: ("Liste de transmission au service contentieux", "handover_list"),
    14: ("Liste des passages en perte pour la comptabilité", "accounting_list"),
}


def record_actions(spec: RunSpec) -> dict[str, Any]:
    """Apply the rendered decisions: actions, tasks, state changes; mark the journal rows recorded."""
    if spec.dry_run:
        return {"recorded": 0, "dry_run": True}
    from arrears.act import journal

    engine = _engine(spec)
    with engine.connect() as conn:
        rows = [r for r in journal.pending(conn, spec.step, spec.period) if r["status"] == "rendered"]
        before = _period_rows(conn, spec)
    totals = {"actions": 0, "tasks": 0, "changes": 0, "recorded": 0}
    for start in range(0, len(rows), 500):
        with engine.begin() as conn:
            for key, value in journal.record(conn, rows[start:start + 500]).items():
                totals[key] += value
    with engine.connect() as conn:
        totals["left_pending"] = len(journal.pending(conn, spec.step, spec.period))
        after = _period_rows(conn, spec)
    # What the database holds, not the driver's rowcount (-1 on PostgreSQL for "on conflict do nothing").
    totals["actions"] = after["actions"] - before["actions"]
    totals["tasks"] = after["tasks"] - before["tasks"]
    return totals


def summarize(spec: RunSpec, parts: dict[str, Any]) -> dict[str, Any]:
    """The run summary: cohort, letters by type, registered letters, tasks per officer, amounts, failures,
    quarantined inputs — stored in ``step_runs`` and written next to the outputs."""
    from collections import Counter

    from arrears.core.models import StepRun

    decisions = load_decisions(spec)
    docs, failures = _rendered(spec)
    failures = [failure_entry(f["lease_id"], f.get("error") or f.get("reason") or "", f.get("reason_code"))
                for f in failures]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if spec.dry_run:
        acted = decisions
        letters_by_type = dict(Counter(d["letter_type"] for d in docs if d.get("letter_type")))
        registered = sum(1 for d in docs if d.get("registered"))
        tasks_by_officer = dict(Counter(t.staff_id or "—" for d in acted for t in d.tasks))
        recorded, period = parts.get("record", {}), {}
    else:
        # From the journal: what this run completed (including leases a crashed run had reserved), and
        # the step's whole period. Correct after crashes and re-runs, and on PostgreSQL.
        mine = _completed_since_last_summary(spec, now)
        acted = _taken_by_this_run(spec, decisions, mine)
        letters_by_type = dict(Counter(r["letter_type"] for r in mine.values() if r["letter_type"]))
        registered = sum(1 for r in mine.values() if r["registered"])
        with _engine(spec).connect() as conn:
            counted = _period_rows(conn, spec, set(mine))
            period = _period_rows(conn, spec)
        tasks_by_officer = counted.pop("tasks_by_officer")
        period.pop("tasks_by_officer")
        recorded = {**parts.get("record", {}), "leases": len(mine), "actions": counted["actions"],
                    "tasks": counted["tasks"]}
    summary = {
        "step": spec.step, "step_id": spec.step_id, "as_of": spec.as_of, "period": spec.period,
        "run_id": spec.run_id, "dry_run": spec.dry_run,
        "cohort": parts.get("cohort", {}).get("cohort", len(decisions)),
        "cohort_balance_cents": parts.get("cohort", {}).get("balance_cents", 0),
        "decisions": len(decisions),
        "letters_by_type": letters_by_type,
        "registered_letters": registered,
        "taken_by_this_run": len(acted),  # the others were handled earlier this month
        "tasks_by_officer": tasks_by_officer,
        "failures": failures,
        "recorded": recorded,
        "period_totals": period,
        "batches": parts.get("batches", {}).get("batches", []),
        "worklists": parts.get("worklists", {}).get("paths", []),
        "quarantined_inputs": _quarantined_inputs(),
        "output_dir": str(spec.output_dir),
    }
    write_atomic(spec.output_dir / f"summary_{_safe(spec.run_id)}.json",
                 json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    from sqlalchemy import delete

    with _engine(spec).begin() as conn:
        conn.execute(delete(StepRun).where(StepRun.step == spec.step, StepRun.period == spec.period,
                                           StepRun.as_of == spec.as_of_date, StepRun.run_id == spec.run_id))
        conn.execute(StepRun.__table__.insert().values(
            step=spec.step, period=spec.period, as_of=spec.as_of_date, run_id=spec.run_id,
            dry_run=spec.dry_run, status="success", summary=summary,
            started_at=now, finished_at=now))
    log.info("summary of %s %s: cohort %s, letters %s, registered %s, failures %s", spec.step_id, spec.as_of,
             summary["cohort"], sum(summary["letters_by_type"].values()), summary["registered_letters"],
             len(failures))
    return summary


def _taken_by_this_run(spec: RunSpec, decisions: list[Decision], mine: dict[str, dict]) -> list[Decision]:
    """The decisions this run carried out: the journal rows it completed (``mine``), whichever run reserved
    them (a re-run after a crash finishes the crashed run's leases; a weekly re-run skips leases handled
    earlier). A lease reserved by a crashed run is not in this run's decisions file: it comes from its row."""
    by_lease = {d.lease_id: d for d in decisions}
    return [by_lease.get(lease_id) or Decision.from_dict(row["decision"]) for lease_id, row in sorted(mine.items())]


def _completed_since_last_summary(spec: RunSpec, now: dt.datetime) -> dict[str, dict]:
    """Journal rows of (step, period) recorded since the previous summary of the step for the period.

    Each recorded row is counted by exactly one summary: the first one written after it was recorded. Rows
    a crashed run recorded without reaching its summary are counted by the re-run's.
    """
    from sqlalchemy import func, select

    from arrears.core.models import JournalEntry, StepRun

    j = JournalEntry
    with _engine(spec).connect() as conn:
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


def _period_rows(conn, spec: RunSpec, lease_ids: set[str] | None = None) -> dict[str, Any]:
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


def _quarantined_inputs() -> dict[str, int]:
    """Rows quarantined by the last import of the drop folder (read from its report, if any)."""
    path = settings.var_dir() / "last_import.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("quarantined", {})
    except (OSError, ValueError):
        return {}


def as_of_from_logical_date(logical_date: dt.datetime) -> dt.date:
    """The run's date D: the logical date as a calendar date in Paris (never the wall clock)."""
    from zoneinfo import ZoneInfo

    if logical_date.tzinfo is None:
        logical_date = logical_date.replace(tzinfo=dt.UTC)
    return logical_date.astimezone(ZoneInfo("Europe/Paris")).date()


def collect_approvals(spec: RunSpec, request: dict[str, Any], answer: dict[str, Any] | None) -> list[str]:
    """Record the manager's answer from the UI (if the run asked for one) and return the approved leases.

    Leases not chosen in the UI are recorded as rejected: they stay where they are.
    """
    from arrears.act.approvals import record_answers, recorded_answers

    engine = _engine(spec)
    lease_ids = request["lease_ids"]
    if answer:
        chosen = set(answer.get("chosen_options") or ()) & set(lease_ids)
        user = answer.get("responded_by_user") or {}
        author = user.get("name") or user.get("id") or "airflow-ui"
        record_answers(engine, spec.step, spec.period, sorted(chosen), sorted(set(lease_ids) - chosen),
                       f"{author} (Airflow)")
    answers = recorded_answers(engine, spec.step, spec.period)
    approved = [lid for lid in lease_ids if answers.get(lid)]
    log.info("step %s %s: %d of %d leases approved", spec.step_id, spec.period, len(approved), len(lease_ids))
    return approved
