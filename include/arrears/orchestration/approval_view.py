"""The data of the approval page (steps 6 and 14): what a manager decides from, lease by lease.

A step that needs approval waits in Airflow (human-in-the-loop task ``wait_for_manager``). The page
``/arrears/approbations/…`` of the plugin shows, for the run's leases: tenant, agency, officer, balance,
months in arrears, arrears start, debtor profile in words with its reasons, the rule's reasons, the
pre-transfer checklist, a link to the transfer file or write-off form; leases held back by the rules
(revision 5: legal prerequisites missing) are listed apart and are not offered. The manager answers every
lease (approve, or reject with a reason); the answers are recorded in ``approvals`` (and on step 6's
``transfer_proposals``) and, once every lease has one, the request is answered in Airflow.

Plain Python on the project database; Airflow's models are only touched by the ``*_airflow`` helpers,
through the session given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from arrears.act.approvals import REJECT_ALL_OPTION
from arrears.core import models as m

APPROVAL_TASK_ID = "wait_for_manager"
# The option that answers "no lease approved" (Airflow requires at least one chosen option).
SORTS = {"montant": "Montant décroissant", "bail": "Bail", "agence": "Agence puis montant",
         "anciennete": "Début d'impayé le plus ancien"}
FILE_KIND = {6: ("transfer_file", "Dossier de transmission"), 14: ("write_off_form", "Fiche passage en perte")}


def run_spec_for(step, run_id: str, conf: dict | None, logical_date: dt.datetime | None):
    """The ``RunSpec`` of a step's run, as its ``run_spec`` task built it (``as_of`` from the conf, else the
    logical date in Paris)."""
    from arrears.orchestration.month_view import conf_as_of
    from arrears.orchestration.pipeline import RunSpec, as_of_from_logical_date

    as_of = conf_as_of(conf) or as_of_from_logical_date(logical_date).isoformat()
    return RunSpec(step=step.number, step_id=step.id, as_of=as_of, run_id=run_id,
                   dry_run=bool((conf or {}).get("dry_run")))


def decisions_for(engine, spec) -> list:
    """The run's decisions: its work file (``decide`` task), or recomputed at D when the file is not on
    this machine (a worker elsewhere) — the same inputs give the same decisions."""
    from arrears.orchestration.pipeline import load_decisions

    found = load_decisions(spec)
    if found:
        return found
    from arrears.decide.steps import decide_step

    return decide_step(engine, spec.step, spec.as_of_date)


def _people(engine, lease_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Tenant names, agency and officer of each lease (bulk reads)."""
    from arrears.documents.transfer import person_name

    out: dict[str, dict[str, Any]] = {lid: {"tenant": "", "agency_id": "", "agency": "", "officer": ""}
                                      for lid in lease_ids}
    if not lease_ids:
        return out
    with engine.connect() as conn:
        leases, tenants = {}, {}
        for start in range(0, len(lease_ids), 500):
            chunk = lease_ids[start:start + 500]
            for r in conn.execute(select(m.Lease.lease_id, m.Lease.agency_id, m.Lease.officer_id)
                                  .where(m.Lease.lease_id.in_(chunk))):
                leases[r.lease_id] = r
            for r in conn.execute(select(m.Tenant.__table__).where(m.Tenant.lease_id.in_(chunk))
                                  .order_by(m.Tenant.lease_id, m.Tenant.is_holder.desc(), m.Tenant.tenant_id)):
                row = dict(r._mapping)
                if row["is_holder"]:
                    tenants.setdefault(row["lease_id"], []).append(
                        person_name(row) + (" (décédé·e)" if row["is_deceased"] else ""))
        agencies = dict(conn.execute(select(m.Agency.agency_id, m.Agency.name)).all())
        staff_ids = sorted({r.officer_id for r in leases.values() if r.officer_id})
        staff = {r.staff_id: f"{r.first_name} {r.last_name}" for r in conn.execute(
            select(m.Staff.staff_id, m.Staff.first_name, m.Staff.last_name).where(m.Staff.staff_id.in_(staff_ids)))}
    for lid, r in leases.items():
        out[lid] = {"tenant": ", ".join(tenants.get(lid, [])), "agency_id": r.agency_id,
                    "agency": agencies.get(r.agency_id, r.agency_id), "officer": staff.get(r.officer_id, r.officer_id)}
    return out


def _held_back_items(raw: Any) -> list[dict[str, Any]]:
    """The request's ``held_back`` list (issue 10), read defensively: each item a lease and its missing
    legal items (label, deadline)."""
    items = []
    for entry in raw or []:
        if isinstance(entry, str):
            entry = {"lease_id": entry}
        if not isinstance(entry, dict) or not entry.get("lease_id"):
            continue
        missing = []
        for item in entry.get("missing") or entry.get("missing_items") or []:
            if isinstance(item, str):
                missing.append({"label": item, "deadline": None})
            elif isinstance(item, dict):
                deadline = item.get("deadline") or item.get("due_on")
                missing.append({"label": item.get("label") or item.get("item") or item.get("kind") or "",
                                "deadline": str(deadline)[:10] if deadline else None})
        items.append({"lease_id": str(entry["lease_id"]), "missing": missing})
    return items


def approval_page_data(engine, spec, request: dict | None, *, step=None, agency: str | None = None,
                       sort: str = "montant", decisions: list | None = None) -> dict[str, Any]:
    """Everything the approval page shows for one run (see the module's docstring)."""
    from arrears.act.approvals import recorded_answers_full
    from arrears.decide.decision import PROFILES
    from arrears.documents.render import month_fr
    from arrears.documents.transfer import decision_checklist, figure_date

    if step is None:
        from arrears.config.plan import load_plan

        step = load_plan().step(spec.step)
    request = request or {}
    held = _held_back_items(request.get("held_back"))
    held_ids = {h["lease_id"] for h in held}
    decisions = decisions if decisions is not None else decisions_for(engine, spec)
    offered_ids = [x for x in (request.get("lease_ids") or [d.lease_id for d in decisions]) if x not in held_ids]
    by_id = {d.lease_id: d for d in decisions}
    people = _people(engine, sorted(set(offered_ids) | held_ids))
    answers = recorded_answers_full(engine, spec.step, spec.period)
    kind = FILE_KIND.get(spec.step)

    rows = []
    for lid in offered_ids:
        d = by_id.get(lid)
        figures = d.figures if d else {}
        answer = answers.get(lid)
        rows.append({
            "lease_id": lid, **people.get(lid, {}),
            "balance_cents": int(figures.get("balance_cents") or 0),
            "months_in_arrears": figures.get("months_in_arrears"),
            "arrears_start": figure_date(figures, "arrears_start"),
            "profile": d.profile if d else None,
            "profile_label": PROFILES.get(d.profile, "") if d and d.profile else "Sans profil",
            "profile_reasons": list(d.profile_reasons) if d else [],
            "reasons": list(d.reasons) if d else [],
            "checklist": decision_checklist(d) if d else [],
            "missing": sum(1 for c in (decision_checklist(d) if d else []) if c["state"] == "missing"),
            "answer": None if answer is None else ("approve" if answer["approved"] else "reject"),
            "reason": (answer or {}).get("reason") or "",
            "answered_by": (answer or {}).get("author") or "",
        })
    agencies = sorted({(r["agency_id"], r["agency"]) for r in rows}, key=lambda a: a[1] or "")
    shown = [r for r in rows if not agency or r["agency_id"] == agency]
    if sort == "bail":
        shown.sort(key=lambda r: r["lease_id"])
    elif sort == "agence":
        shown.sort(key=lambda r: (r["agency"], -r["balance_cents"], r["lease_id"]))
    elif sort == "anciennete":
        shown.sort(key=lambda r: (r["arrears_start"] or dt.date.max, r["lease_id"]))
    else:
        sort = "montant"
        shown.sort(key=lambda r: (-r["balance_cents"], r["lease_id"]))
    held_rows = [{**h, **people.get(h["lease_id"], {})} for h in held]
    answered = sum(1 for r in rows if r["answer"])
    return {
        "step": {"number": step.number, "id": step.id, "title": step.title},
        "as_of": spec.as_of, "period": spec.period, "month_label": month_fr(spec.period),
        "run_id": spec.run_id, "dry_run": spec.dry_run,
        "rows": shown, "total": len(rows), "shown": len(shown),
        "total_balance_cents": sum(r["balance_cents"] for r in shown),
        "answered": answered, "approved": sum(1 for r in rows if r["answer"] == "approve"),
        "rejected": sum(1 for r in rows if r["answer"] == "reject"),
        "remaining": len(rows) - answered, "held_back": held_rows,
        "agencies": [{"id": a, "name": n} for a, n in agencies], "agency": agency or "",
        "sort": sort, "sorts": SORTS, "file_label": kind[1] if kind else None,
        "lease_ids": [r["lease_id"] for r in rows],
    }


def parse_answers(form: dict[str, str], offered: list[str]) -> tuple[list[str], list[str], dict[str, str], list[str]]:
    """A submitted form → (approved, rejected, reasons, errors). Fields ``decision__<lease>`` (approve /
    reject) and ``reason__<lease>``; a rejection needs a reason; unknown leases are errors."""
    approved, rejected, reasons, errors = [], [], {}, []
    offered_set = set(offered)
    for key, value in form.items():
        if not key.startswith("decision__"):
            continue
        lid = key[len("decision__"):]
        if lid not in offered_set:
            errors.append(f"Le bail {lid} n'est pas proposé dans cette demande.")
            continue
        reason = (form.get(f"reason__{lid}") or "").strip()
        if value == "approve":
            approved.append(lid)
        elif value == "reject":
            if not reason:
                errors.append(f"Bail {lid} : indiquez le motif du refus.")
                continue
            rejected.append(lid)
        else:
            continue
        if reason:
            reasons[lid] = reason
    return sorted(approved), sorted(rejected), reasons, errors


# --------------------------------------------------------------------------------------------------
# Reading Airflow's metadata (the api-server's session)
# --------------------------------------------------------------------------------------------------


def _xcom(session, dag_id: str, run_id: str, task_id: str) -> Any:
    from airflow.models.xcom import XComModel

    row = session.scalars(XComModel.get_many(run_id=run_id, key="return_value", task_ids=task_id,
                                             dag_ids=dag_id, map_indexes=-1, limit=1)).first()
    return XComModel.deserialize_value(row) if row is not None else None


def approval_requests_airflow(session, dag_ids: list[str], *, waiting_only: bool = True) -> list[dict]:
    """The step runs with a manager's request (``wait_for_manager``), newest first: dag id, run id, business
    date, whether it is still waiting, the number of leases offered."""
    from airflow.models.dagrun import DagRun
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance

    from arrears.orchestration.month_view import conf_as_of, run_business_date

    stmt = (select(TaskInstance, HITLDetail, DagRun)
            .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
            .join(DagRun, (DagRun.dag_id == TaskInstance.dag_id) & (DagRun.run_id == TaskInstance.run_id))
            .where(TaskInstance.dag_id.in_(dag_ids), TaskInstance.task_id == APPROVAL_TASK_ID))
    if waiting_only:
        stmt = stmt.where(HITLDetail.responded_at.is_(None))
    out = []
    for ti, detail, run in session.execute(stmt).all():
        day = run_business_date({"as_of": conf_as_of(run.conf), "logical_date": run.logical_date or run.run_after})
        out.append({"dag_id": ti.dag_id, "run_id": ti.run_id, "as_of": day.isoformat() if day else None,
                    "period": day.strftime("%Y-%m") if day else None, "waiting": detail.responded_at is None,
                    "offered": len([o for o in detail.options or [] if o != REJECT_ALL_OPTION]),
                    "responded_by": (detail.responded_by or {}).get("name") if detail.responded_by else None})
    out.sort(key=lambda r: (r["as_of"] or "", r["run_id"]), reverse=True)
    return out


def approval_request_airflow(session, dag_id: str, run_id: str) -> dict | None:
    """One run's request: its task instance, HITL detail, run, and the ``approval_request`` task's result
    (lease ids, ``held_back``), or None when the run has no request."""
    from airflow.models.dagrun import DagRun
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance

    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if run is None:
        return None
    ti = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id,
                                                    TaskInstance.task_id == APPROVAL_TASK_ID)
                         .order_by(TaskInstance.map_index)).first()
    detail = session.scalar(select(HITLDetail).where(HITLDetail.ti_id == ti.id)) if ti is not None else None
    request = _xcom(session, dag_id, run_id, "approval_request") or {}
    return {"run": run, "ti": ti, "detail": detail, "request": request if isinstance(request, dict) else {},
            "waiting": detail is not None and detail.responded_at is None}


def decision_file(engine, spec, lease_id: str, *, base=None):
    """The transfer file (step 6) or write-off form (step 14) of ``lease_id`` for the manager to read before
    answering: rendered once into ``output/preview/<period>/<NN_id>/approbation/`` (a preview: the run
    writes its own into the step's folder once approved). None when the lease is not in the run."""
    from pathlib import Path

    from arrears.core.files import ensure_dir
    from arrears.core.settings import output_dir

    if spec.step not in FILE_KIND:
        return None
    decision = next((d for d in decisions_for(engine, spec) if d.lease_id == lease_id), None)
    if decision is None:
        return None
    folder = ensure_dir(Path(base or output_dir()) / "preview" / spec.period / f"{spec.step:02d}_{spec.step_id}"
                        / "approbation")
    from arrears.documents.transfer import safe_name

    existing = folder / f"{FILE_KIND[spec.step][0]}_{safe_name(decision.period)}_{safe_name(lease_id)}.pdf"
    if existing.exists():  # rendered once: never replaced
        return existing
    if spec.step == 6:
        from arrears.documents.transfer import write_transfer_file as writer
    else:
        from arrears.documents.write_off import write_off_form as writer
    with engine.connect() as conn:
        return writer(conn, decision, folder)
