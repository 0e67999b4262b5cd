"""The files of a run in the output store and the work store (``core.store``), for the task functions of
``pipeline``: the work files the tasks hand to each other (decisions, render plan, rendered-chunk
manifests), and the writers that read what earlier runs wrote (worklists' month index, review packs,
step 14's accounting list, appointment calendars) or what other tasks wrote (the deliveries' attachments),
each in a workspace of the output store (the folder itself, or a scratch folder published to the bucket).
``spec`` is a ``pipeline.RunSpec``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from arrears.core import settings
from arrears.core.db import engine_for

if TYPE_CHECKING:
    from arrears.decide.decision import Decision

log = logging.getLogger(__name__)


def put_work(spec, name: str, data: str) -> None:
    """A work file of the run (rewritten when a task is tried again)."""
    settings.work_store().put(f"{spec.work_prefix}/{name}", data, replace=True)


def read_work(spec, name: str) -> str | None:
    store = settings.work_store()
    key = f"{spec.work_prefix}/{name}"
    return store.get_text(key) if store.exists(key) else None


def locate_documents(spec, rendered: list[dict]) -> None:
    """The ``documents`` rows say where each letter is in the store (not the scratch folder it was laid
    out in)."""
    from sqlalchemy import bindparam, update

    from arrears.core import models as m

    if not rendered:
        return
    with engine_for(spec.db_url).begin() as conn:
        conn.execute(update(m.Document).where(m.Document.document_id == bindparam("doc_id"))
                     .values(path=bindparam("location")),
                     [{"doc_id": d["document_id"], "location": d["path"]} for d in rendered])


def _manifest_keys(store, spec) -> list[str]:
    return [k for k in store.keys(spec.work_prefix) if k.rsplit("/", 1)[-1].startswith("rendered_")
            and k.endswith(".json") and k.count("/") == spec.work_prefix.count("/") + 1]


def chunk_manifests(spec) -> list[dict]:
    """The rendered-chunk manifests of the run, in key order."""
    store = settings.work_store()
    return [json.loads(store.get_text(k)) for k in _manifest_keys(store, spec)]


def render_tally(spec, plan: dict) -> tuple[int, int, int | None, int]:
    """(chunks, leases, letters, failures) rendered so far, for the progress line. In a bucket only the
    chunks are counted (one listing; reading every manifest again after each chunk would cost a request per
    chunk done): leases are estimated from them, letters are not said."""
    store = settings.work_store()
    if not store.is_local:
        chunks = len(_manifest_keys(store, spec))
        return chunks, min(plan["leases"], round(plan["leases"] * chunks / max(plan["chunks"], 1))), None, 0
    manifests = chunk_manifests(spec)
    return (len(manifests), sum(m.get("leases", 0) for m in manifests), sum(len(m["documents"]) for m in manifests),
            sum(len(m["failures"]) for m in manifests))


def write_month_index(spec) -> list[str]:
    """Per officer, the month's lists of every step and run (the month view links the period folder);
    rewritten after each run."""
    from arrears.documents.worklists import write_month_index as write

    with settings.output_store().workspace(spec.period, names=("*/worklists/worklist_*", "worklists_*.html"),
                                           mutable=("worklists_*.html",)) as ws:
        index = write(engine_for(spec.db_url), ws.root, spec.period)
    return [ws.location(p) for p in index]


def write_review_packs(spec, decisions: list[Decision]) -> list[str]:
    """Step 11 (plan ``documents`` names ``review_pack``): one review pack per agency of the files this run
    proposes, for the monthly litigation meeting."""
    from arrears.config.plan import load_plan
    from arrears.documents.review_pack import write_review_packs as write

    step = load_plan().step(spec.step)
    if "review_pack" not in step.documents or not decisions:
        return []
    with settings.output_store().workspace(spec.output_prefix, names=("review_packs/*",)) as ws:
        packs = write(engine_for(spec.db_url), decisions, ws.root / "review_packs", as_of=spec.as_of_date,
                      step_title=step.title)
    return [ws.location(p) for p in packs]


def write_accounting_list(spec, decisions: list[Decision]) -> list[str]:
    """Step 14's list for accounting (plan ``documents`` names ``accounting_list``), written once the
    manager has answered every proposal: by the run, or later by ``arrears approve``."""
    from arrears.config.plan import load_plan
    from arrears.documents.write_off import write_accounting_list as write

    step = load_plan().step(spec.step)
    if "accounting_list" not in step.documents or not decisions:
        return []
    # the earlier lists are read (a lease goes to accounting once)
    with settings.output_store().workspace(spec.output_prefix, names=("worklists/accounting_list_*",),
                                           fetch=("worklists/accounting_list_*.xlsx",)) as ws:
        lists = write(engine_for(spec.db_url), decisions, ws.root / "worklists", as_of=spec.as_of_date,
                      step=spec.step, step_title=step.title)
    return [ws.location(p) for p in lists]


def write_appointment_calendars(spec) -> list[str]:
    """Per officer: the appointments the step's convocations proposed this month, as an iCalendar file
    (``worklists/rendez_vous_<run date>_<staff_id>.ics``, never replaced). Nothing in a dry run (no slot is kept)."""
    if spec.dry_run:
        return []
    from arrears.act.appointments import write_calendars
    from arrears.config.landlord import load_landlord

    # the earlier calendars are read: the same content is kept as it is, a different one gets a new name
    with settings.output_store().workspace(spec.output_prefix, fetch=("worklists/rendez_vous_*",)) as ws, \
            engine_for(spec.db_url).connect() as conn:
        paths = write_calendars(conn, spec.step, spec.period, ws.root / "worklists", landlord=load_landlord(),
                                run_date=spec.as_of)
    return [ws.location(p) for p in paths]


def deliver(spec, summary: dict[str, Any]) -> dict[str, Any]:
    """E-mail each officer their list and the mailroom its batches (nothing in a dry run); never fails the run."""
    from arrears.config.plan import load_plan
    from arrears.orchestration.delivery import deliver_run

    try:
        if summary.get("dry_run") or not summary.get("worklists"):
            return deliver_run(summary, engine_for(spec.db_url), step_title=load_plan().step(spec.step).title)
        # the officers' lists are attached: read from the store (written on any worker)
        with settings.output_store().workspace(spec.output_prefix) as ws:
            listed = dict.fromkeys(loc for p in summary["worklists"] for loc in (p, sibling(p, ".pdf")))
            ws.fetch(listed, missing_ok=True)
            here = [str(ws.local(p)) for p in summary["worklists"]]
            return deliver_run({**summary, "worklists": here}, engine_for(spec.db_url),
                               step_title=load_plan().step(spec.step).title)
    except Exception as exc:  # noqa: BLE001 - the run's work is done; the summary says what was not sent
        log.warning("step %s %s: deliveries failed (%s)", spec.step_id, spec.as_of, type(exc).__name__)
        return {"sent": 0, "error": type(exc).__name__}


def sibling(location: str, suffix: str) -> str:
    """``…/worklist_x.xlsx`` → ``…/worklist_x.pdf`` (a path or a URL)."""
    stem, dot, _ext = location.rpartition(".")
    return f"{stem}{suffix}" if dot else location + suffix
