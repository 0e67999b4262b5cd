"""The task functions of a plan step's DAG, one per task; each takes a small ``RunSpec`` and returns a
small JSON-able summary (what goes through XCom: ids, paths and counts, never tenants' data).

    select_cohort → decide → [approval] → reserve_actions → render_documents (one call per chunk)
    → assemble_batches → write_worklists → record_actions → summarize

The decisions travel from ``decide`` to the later tasks in a JSON Lines file of the run's work files
(``settings.work_store()``: ``var/runs/…``, owner-only, or ``runs/`` of the output bucket), and in the action
journal once reserved. Every file goes through the output store (``settings.output_store()``: ``output/`` or
the bucket of ``ARREARS_OUTPUT_URL``), so a task on one worker reads what a task on another wrote. A dry run
writes into ``preview/…`` and records nothing: no journal row, no registered number, no action, no task.
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
from arrears.core.calendar import as_of_from_logical_date  # noqa: F401 (the DAG files' import)
from arrears.core.files import ensure_dir
from arrears.decide.decision import Decision
from arrears.orchestration import run_files
from arrears.orchestration.phases import read as read_phases
from arrears.orchestration.phases import timed, timed_task
from arrears.orchestration.run_counts import (
    completed_since_last_summary,
    failure_entry,
    period_rows,
    quarantined_inputs,
    taken_by_this_run,
)

log = logging.getLogger(__name__)

# Leases per rendering task (a mapped task instance): ARREARS_RENDER_CHUNK, 100 by default; ``dag.test`` runs
# (command line, demo) use 400, see runner.run_dag. Memory stays bounded inside the task: the renderer lays
# out documents of at most ``letters.DEFAULT_BATCH_SIZE`` letters. Tests may set CHUNK_SIZE itself.
CHUNK_SIZE: int | None = None


def _chunk_size() -> int:
    return CHUNK_SIZE or int(os.environ.get("ARREARS_RENDER_CHUNK") or 100)


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
    def output_prefix(self) -> str:
        """The run's folder in the output store (``2025-09/03_x``; ``preview/2025-09/03_x/<run>``)."""
        if self.dry_run:
            return f"preview/{self.period}/{self.step:02d}_{self.step_id}/{_safe(self.run_id)}"
        return f"{self.period}/{self.step:02d}_{self.step_id}"

    @property
    def work_prefix(self) -> str:
        """The run's work files in the work store (``03_x/2025-09-05/<run>``)."""
        return f"{self.step:02d}_{self.step_id}/{self.as_of}/{_safe(self.run_id)}"

    @property
    def output_dir(self) -> Path:
        """The run's folder when the output store is the local folder."""
        return ensure_dir(settings.output_dir() / self.output_prefix)

    @property
    def work_dir(self) -> Path:
        """The run's work folder when the work store is local (``var/runs/…``)."""
        return ensure_dir(settings.var_dir() / "runs" / self.work_prefix)


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
    from arrears.select.cohorts import cohort_records, ensure_positions

    with timed(spec, "cohorts", "check"):
        check_portfolio(_engine(spec), spec.step, spec.as_of_date, dry_run=spec.dry_run)  # safe start
    with timed(spec, "positions"):
        ensure_positions(_engine(spec), spec.as_of_date)
    with timed(spec, "cohorts"):
        records = cohort_records(_engine(spec), spec.step, spec.as_of_date)
        _COHORT.clear()
        _COHORT[(spec.run_id, spec.step, spec.as_of, spec.db_url)] = records
        if not spec.dry_run:
            from arrears.orchestration.alerts import check_cohort_size

            # A cohort far larger than last month's (a broken import often shows this way) alerts operations.
            check_cohort_size(spec.step, spec.period, len(records), _engine(spec))
    balance = sum(int(r.get("balance_cents") or 0) for r in records)
    log.info("step %s at %s: cohort of %d leases", spec.step_id, spec.as_of, len(records))
    return {"cohort": len(records), "balance_cents": balance}


# The cohort select_cohort has just read, for decide when it runs next in the same process (dag.test: the
# command line, the demo); under the scheduler each task has its own process and decide reads it again.
_COHORT: dict[tuple, list[dict[str, Any]]] = {}


@timed_task("decisions")
def decide(spec: RunSpec) -> dict[str, Any]:
    """Decide what the step does for each lease of the cohort; the decisions go to the run's work folder."""
    from arrears.decide.steps import decide_step

    records = _COHORT.pop((spec.run_id, spec.step, spec.as_of, spec.db_url), None)
    decisions = decide_step(_engine(spec), spec.step, spec.as_of_date, records=records)
    lines = "".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in decisions)
    run_files.put_work(spec, "decisions.jsonl", lines)
    letters = sum(1 for d in decisions if d.letter)
    return {"decisions": len(decisions), "letters": letters,
            "tasks": sum(len(d.tasks) for d in decisions)}


def load_decisions(spec: RunSpec) -> list[Decision]:
    text = run_files.read_work(spec, "decisions.jsonl")
    if text is None:
        return []
    return [Decision.from_dict(json.loads(line)) for line in text.splitlines() if line]


def approval_request(spec: RunSpec) -> dict[str, Any]:
    """What a manager is asked to approve: the leases of the decisions, and whether all are answered already."""
    from arrears.act.approvals import recorded_answers

    decisions = load_decisions(spec)
    held = [d for d in decisions if d.figures.get("held_back")]
    decisions = [d for d in decisions if not d.figures.get("held_back")]
    lease_ids = [d.lease_id for d in decisions]
    answers = recorded_answers(_engine(spec), spec.step, spec.period)
    from arrears.core.fmt import eur

    lines = [f"| {d.lease_id} | {eur(d.figures.get('balance_cents', 0))} | {d.profile or ''} |" for d in decisions]
    body = ("| Bail | Solde | Profil |\n|---|---|---|\n" + "\n".join(lines)) if lines else "Aucun dossier."
    # Revision 5: files held back (a legal prerequisite missing, a write-off not yet coherent) are shown to
    # the manager with their reasons, never offered for approval.
    held_back = [{"lease_id": d.lease_id, "reasons": list(d.figures.get("held_back_reasons") or ())} for d in held]
    if held_back:
        body += "\n\n**Dossiers retenus (non proposés)**\n\n| Bail | Motifs |\n|---|---|\n" + "\n".join(
            f"| {h['lease_id']} | {' ; '.join(h['reasons'])} |" for h in held_back)
    return {"lease_ids": lease_ids, "answered": all(x in answers for x in lease_ids), "body": body,
            "held_back": held_back}


@timed_task("reserve")
def reserve_actions(spec: RunSpec, approved: list[str] | None = None) -> dict[str, Any]:
    """Reserve one journal row per decision (per approved lease for steps that need approval) and split the
    pending work into chunks for rendering. In a dry run nothing is reserved: chunks index the decisions."""
    from arrears.act import journal

    decisions = load_decisions(spec)
    if approved is not None:
        allowed = set(approved)
        # Held-back files need no approval: their officer tasks are recorded, nothing else happens.
        decisions = [d for d in decisions if d.lease_id in allowed or d.figures.get("held_back")]
    if spec.dry_run:
        ids = [d.lease_id for d in decisions]
        _note_render_plan(spec, ids)
        return {"new": 0, "pending": len(ids), "chunks": _chunks(ids)}
    engine = _engine(spec)
    with engine.begin() as conn:
        new = journal.reserve(conn, decisions, spec.run_id)
    with engine.connect() as conn:
        rows = journal.pending(conn, spec.step, spec.period)
    ids = [r["lease_id"] for r in rows]
    numbered = _number_in_print_order(spec, [Decision.from_dict(r["decision"]) for r in rows])
    _note_render_plan(spec, ids)
    return {"new": new, "pending": len(ids), "chunks": _chunks(ids), "registered_numbers": numbered}


def _number_in_print_order(spec: RunSpec, decisions: list[Decision]) -> int:
    """Registered numbers of the run's pending registered letters, allocated in the batch's print order
    before any chunk is rendered (rendering then finds each letter's number)."""
    from arrears.documents.numbering import allocate_in_print_order

    return len(allocate_in_print_order(_engine(spec), decisions))


def _chunks(ids: list[str]) -> list[list[str]]:
    size = _chunk_size()
    return [ids[i:i + size] for i in range(0, len(ids), size)]


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


@timed_task("rendering", per_chunk=True)
def render_documents(spec: RunSpec, lease_ids: list[str]) -> dict[str, Any]:
    """Render the letters (and per-lease files: transfer file, write-off form) of one chunk of leases."""
    from arrears.act import journal
    from arrears.documents.letters import render_letters, render_letters_parallel
    from arrears.documents.render import render_workers

    decisions, rows = _pending_decisions(spec, lease_ids)
    with_letters = [d for d in decisions if d.letter]
    workers = render_workers()
    store = settings.output_store()
    # Composed in the store's workspace (the folder itself, or a scratch folder published on leaving):
    # the letters are in the store before the journal says they are rendered.
    with store.workspace(spec.output_prefix) as ws:
        out = ws.root
        if workers > 1 and len(with_letters) >= 20:
            # Under dag.test (command line, demo) mapped tasks run one at a time: use the cores here instead.
            result = render_letters_parallel(_engine(spec), with_letters, out, workers=workers,
                                             dry_run=spec.dry_run)
        else:
            result = render_letters(_engine(spec), with_letters, out, dry_run=spec.dry_run)
        rendered = [_doc_dict(doc) for doc in result.rendered]
        failures = [failure_entry(f.lease_id, f.message) for f in result.failures]
        extra = _render_lease_files(spec, decisions, out, failures)
    for doc in rendered:
        doc["path"] = ws.location(doc["path"])
    if not store.is_local and not spec.dry_run:
        run_files.locate_documents(spec, rendered)
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
    run_files.put_work(spec, chunk_name, json.dumps({"documents": rendered, "failures": failures,
                                                     "leases": len(lease_ids)}))
    _report_render_progress(spec)
    return {"letters": len(rendered), "files": extra, "failures": len(failures)}


def _note_render_plan(spec: RunSpec, ids: list[str]) -> None:
    """What the rendering tasks will do (chunks, leases) and when it started: the basis of their progress."""
    import time

    run_files.put_work(spec, "render_plan.json", json.dumps(
        {"chunks": len(_chunks(ids)), "leases": len(ids), "started": time.time()}))


def _report_render_progress(spec: RunSpec) -> None:
    """One line per rendered chunk: chunks and leases done out of the run's total, documents, time left."""
    import time

    from arrears.core import progress

    plan_text = run_files.read_work(spec, "render_plan.json")
    if plan_text is None:
        return
    plan = json.loads(plan_text)
    chunks, leases, documents, failures = run_files.render_tally(spec, plan)
    elapsed = time.time() - plan["started"]
    progress.emit(
        f"  step {spec.step} {spec.as_of}: rendered chunk {chunks}/{plan['chunks']}, "
        f"{progress.count(leases)}/{progress.count(plan['leases'])} leases"
        + (f", {progress.count(documents)} letters" if documents is not None else "")
        + (f", {failures} failed" if failures else "")
        + f", {progress.duration(elapsed)} elapsed, {progress.remaining(elapsed, leases, plan['leases'])}")


def _doc_dict(doc) -> dict[str, Any]:
    data = asdict(doc) if hasattr(doc, "__dataclass_fields__") else dict(doc)
    return {k: (str(v) if isinstance(v, Path | dt.date) else v) for k, v in data.items()}


def _step_documents(spec: RunSpec) -> tuple[str, ...]:
    """The step's ``documents`` in the plan file: what its run writes (``orchestration.step_documents``)."""
    from arrears.config.plan import load_plan

    return load_plan().step(spec.step).documents


def _render_lease_files(spec: RunSpec, decisions: list[Decision], out: Path, failures: list) -> int:
    """The per-lease files the step's ``documents`` name (step 6: transfer files, step 14: write-off forms)."""
    from arrears.orchestration.step_documents import lease_files

    files = lease_files(_step_documents(spec))
    if not files or not decisions:
        return 0
    n = 0
    with _engine(spec).connect() as conn:
        for _name, kind in files:
            writer, folder = kind.load(), out / kind.folder
            for decision in decisions:
                if decision.figures.get("held_back"):
                    continue  # held back (revision 5): no transfer file, no write-off form
                try:
                    writer(conn, decision, folder)
                    n += 1
                except Exception as exc:  # noqa: BLE001 - one file failing must not stop the others
                    failures.append(failure_entry(decision.lease_id, f"{type(exc).__name__}: {exc}"))
    return n


def _rendered(spec: RunSpec) -> tuple[list[dict], list[dict]]:
    docs, failures = [], []
    for data in run_files.chunk_manifests(spec):
        docs += data["documents"]
        failures += data["failures"]
    return docs, failures


@timed_task("batches")
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
    # The letters come from the store (rendered on any worker); the batch names taken are seen there.
    with settings.output_store().workspace(spec.output_prefix, names=("mailroom/batches/*",)) as ws:
        local = ws.fetch([d["path"] for d in docs])
        results = assemble([{**d, "path": str(p)} for d, p in zip(docs, local, strict=True)], ws.root / "mailroom",
                           step=spec.step, step_title=title, period=spec.period, as_of=spec.as_of_date,
                           batch_id_prefix=f"{spec.period}-S{spec.step:02d}-{spec.as_of_date:%Y%m%d}",
                           engine=None if spec.dry_run else _engine(spec))
    batches = [_doc_dict(r) for r in results]
    for batch in batches:
        for field in ("path", "deposit_pdf", "deposit_csv"):
            if batch.get(field):
                batch[field] = ws.location(batch[field])
    return {"batches": batches}


@timed_task("worklists")
def write_worklists(spec: RunSpec) -> dict[str, Any]:
    """Per officer: the worklist of the tasks this run creates (XLSX and PDF)."""
    from arrears.config.plan import load_plan
    from arrears.documents.worklists import write_worklists as write

    decisions, _ = _pending_decisions(spec, [d.lease_id for d in load_decisions(spec)])
    title = load_plan().step(spec.step).title
    paths = []
    # the lists' names taken by earlier runs are seen in the store: a list is never replaced
    with settings.output_store().workspace(spec.output_prefix, names=("worklists/*",)) as ws:
        out = ws.root / "worklists"
        with_tasks = [d for d in decisions if d.tasks]
        if with_tasks:
            paths += write(_engine(spec), with_tasks, out, step_title=title, as_of=spec.as_of_date)
        from arrears.orchestration.step_documents import run_lists

        handed_over = [d for d in decisions if not d.figures.get("held_back")]  # held back: not handed over
        for _name, run_list in run_lists(_step_documents(spec)) if handed_over else ():
            # Whole-run lists for another service (step 6 hands its files to litigation).
            paths += write(_engine(spec), handed_over, out, step_title=title, as_of=spec.as_of_date,
                           title=run_list.title, group_by=None, file_prefix=run_list.file_prefix)
    paths = [ws.location(p) for p in paths]
    if decisions and not spec.dry_run:
        paths += run_files.write_accounting_list(spec, load_decisions(spec))
    packs = run_files.write_review_packs(spec, decisions)
    index = []
    if paths and not spec.dry_run:
        index = run_files.write_month_index(spec)
    calendars = run_files.write_appointment_calendars(spec)
    return {"worklists": len(paths), "paths": [str(p) for p in paths], "index": [str(p) for p in index],
            "review_packs": [str(p) for p in packs], "calendars": [str(p) for p in calendars]}


def lists_after_approval(step_key: str | int, as_of: dt.date, decisions: list[Decision],
                         db_url: str | None = None) -> list[str]:
    """What a manager's answer given later (``arrears approve``) lets a step write: the accounting list."""
    spec = make_spec(step_key, as_of, run_id="approve", db_url=db_url)
    return run_files.write_accounting_list(spec, decisions)


@timed_task("recording")
def record_actions(spec: RunSpec) -> dict[str, Any]:
    """Apply the rendered decisions: actions, tasks, state changes; mark the journal rows recorded."""
    if spec.dry_run:
        return {"recorded": 0, "dry_run": True}
    from arrears.act import journal

    engine = _engine(spec)
    with engine.connect() as conn:
        rows = [r for r in journal.pending(conn, spec.step, spec.period) if r["status"] == "rendered"]
        before = period_rows(conn, spec)
    totals = {"actions": 0, "tasks": 0, "changes": 0, "recorded": 0}
    for start in range(0, len(rows), 500):
        with engine.begin() as conn:
            for key, value in journal.record(conn, rows[start:start + 500]).items():
                totals[key] += value
    with engine.connect() as conn:
        totals["left_pending"] = len(journal.pending(conn, spec.step, spec.period))
        after = period_rows(conn, spec)
    # What the database holds, not the driver's rowcount (-1 on PostgreSQL for "on conflict do nothing").
    totals["actions"] = after["actions"] - before["actions"]
    totals["tasks"] = after["tasks"] - before["tasks"]
    return totals


@timed_task("summary")
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
        mine = completed_since_last_summary(_engine(spec), spec, now)
        acted = taken_by_this_run(decisions, mine)
        letters_by_type = dict(Counter(r["letter_type"] for r in mine.values() if r["letter_type"]))
        registered = sum(1 for r in mine.values() if r["registered"])
        with _engine(spec).connect() as conn:
            counted = period_rows(conn, spec, set(mine))
            period = period_rows(conn, spec)
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
        "worklist_index": parts.get("worklists", {}).get("index", []),
        "review_packs": parts.get("worklists", {}).get("review_packs", []),
        "quarantined_inputs": quarantined_inputs(),
        "phase_seconds": read_phases(spec),  # technical: seconds per phase so far (no tenant data)
        "output_dir": settings.output_store().location(spec.output_prefix),
    }
    summary["deliveries"] = run_files.deliver(spec, summary)
    settings.output_store().put(f"{spec.output_prefix}/summary_{_safe(spec.run_id)}.json",
                                json.dumps(summary, ensure_ascii=False, indent=2, default=str), replace=True)
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
