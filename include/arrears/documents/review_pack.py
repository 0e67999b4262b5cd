"""Step 11's review pack (PLAN.md: "a review pack per agency for the monthly litigation meeting").

``write_review_packs(engine, decisions, out_dir, as_of=…)`` writes, per agency of the proposed files, one
PDF ``review_pack_<D>_<agency>.pdf``: a summary page (files, total balance, files with items still
missing, the list of files), then one page per proposed file — figures, profile and its reasons, the
reasons for the proposal, the last actions, and the pre-transfer checklist with what is still missing.
Like every output, a pack is never replaced: a later run of the same date writes ``…-2``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arrears.decide.decision import Decision
from arrears.documents.transfer import _connection, identity_context, safe_name
from arrears.documents.worklists import WORKLIST_STATES

LAST_ACTIONS = 6


def _checklist(decision: Decision) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for task in decision.tasks:
        for item in task.checklist:
            seen.setdefault(item.label, {"label": item.label, "state": item.state,
                                         "state_fr": WORKLIST_STATES.get(item.state, item.state)})
    return list(seen.values())


def file_context(conn, decision: Decision) -> dict[str, Any]:
    """One proposed file as the meeting reads it."""
    ctx = identity_context(conn, decision)
    checklist = _checklist(decision)
    figures = decision.figures or {}
    return {
        "lease_id": decision.lease_id, "lease": ctx["lease"], "agency": ctx["agency"],
        "holders": [t for t in ctx["tenants"] if t["is_holder"]] or ctx["tenants"],
        "officer_name": ctx["officer_name"], "counsellor_name": ctx["counsellor_name"],
        "balance_cents": ctx["balance_cents"], "monthly_due_cents": ctx["lease"]["monthly_due_cents"],
        "months_in_arrears": figures.get("months_in_arrears"), "arrears_start": ctx["arrears_start"],
        "arrears_age_days": figures.get("arrears_age_days"), "debt_since": ctx["debt_since"],
        "last_payment": ctx["last_payment"], "profile_label": ctx["profile_label"],
        "profile_reasons": list(decision.profile_reasons), "reasons": list(decision.reasons),
        "actions": list(reversed(ctx["actions"][-LAST_ACTIONS:])) if ctx["actions"] else [],
        "checklist": checklist, "missing": [c["label"] for c in checklist if c["state"] == "missing"],
        "letter": decision.letter.letter_type if decision.letter else None,
    }


def _free_path(out: Path, stem: str) -> Path:
    n = 1
    while (out / f"{stem}{'' if n == 1 else f'-{n}'}.pdf").exists():
        n += 1
    return out / f"{stem}{'' if n == 1 else f'-{n}'}.pdf"


# Stylesheets parsed once per process; from this many proposed files the packs are laid out over the render
# workers (``render.render_workers()``), one agency's pack per job.
STYLESHEETS = ("documents/documents.css",)
POOL_FILES = 60


def _pack_pdf(html: str) -> bytes:
    """One pack's PDF (a job of ``render.map_documents``: module level, run in a worker process)."""
    from arrears.documents.render import html_document

    return html_document(html, stylesheets=STYLESHEETS).write_pdf()


def write_review_packs(engine, decisions: Sequence[Decision], out_dir: Path | str, *, as_of: dt.date,
                       step_title: str = "Préparation fin de GP", landlord: str | None = None,
                       workers: int | None = None) -> list[Path]:
    """Write one review pack per agency of ``decisions`` (step 11's proposals); returns the paths.
    ``workers``: processes laying the packs out (default ``render.render_workers()`` from ``POOL_FILES``)."""
    from arrears.core.files import write_atomic
    from arrears.documents.render import map_documents, render_html, render_workers
    from arrears.documents.transfer import landlord_name

    if not decisions:
        return []
    by_agency: dict[str, list[dict[str, Any]]] = {}
    agencies: dict[str, dict[str, Any]] = {}
    with _connection(engine) as conn:
        for decision in decisions:
            f = file_context(conn, decision)
            agency_id = f["lease"]["agency_id"]
            by_agency.setdefault(agency_id, []).append(f)
            agencies[agency_id] = f["agency"] or {"agency_id": agency_id, "name": agency_id}
    out = Path(out_dir)
    htmls, sizes = [], []
    for agency_id in sorted(by_agency):
        files = sorted(by_agency[agency_id], key=lambda f: (-f["balance_cents"], f["lease_id"]))
        htmls.append(render_html("documents/review_pack.html", {
            "agency": agencies[agency_id], "files": files, "as_of": as_of, "period": as_of.strftime("%Y-%m"),
            "step_title": step_title, "landlord_name": landlord_name(landlord),
            "total_cents": sum(f["balance_cents"] for f in files),
            "with_missing": sum(1 for f in files if f["missing"]),
        }))
        sizes.append(len(files))
    pool = workers or (render_workers() if len(decisions) >= POOL_FILES else 1)
    pdfs = map_documents(_pack_pdf, htmls, workers=pool, weights=sizes)
    paths = []
    for agency_id, pdf in zip(sorted(by_agency), pdfs, strict=True):
        path = _free_path(out, f"review_pack_{as_of.isoformat()}_{safe_name(agency_id)}")
        paths.append(write_atomic(path, pdf))
    return paths
