"""Airflow UI page "Plan du mois": the month view of the arrears plan, for the operations team.

A FastAPI app served by Airflow's api-server at ``/arrears/`` and listed in the UI's Browse menu (shown in
an iframe at ``/plugin/arrears``):

- ``GET /arrears/?month=YYYY-MM``: the month's steps by week and day, their planned dates, run states,
  counts, links to each run and to the step's outputs folder (default month: the server's current month);
- ``GET /arrears/api/month?month=YYYY-MM``: the same data as JSON;
- ``GET /arrears/sorties/{month}/{step}``: the files of a step's outputs folder for the month, and
  ``GET /arrears/sorties/{month}/{step}/{path}`` to download one;
- ``GET /arrears/approbations/``: the runs of steps 6 and 14 waiting for a manager (menu Browse →
  Approbations); ``GET|POST /arrears/approbations/decision?dag_id=…&run_id=…``: the page a manager decides
  from (every lease answered: approve, or reject with a reason), which answers Airflow's request;
  ``GET /arrears/approbations/dossier?…&lease_id=…``: the lease's transfer file or write-off form (PDF).
  Reading needs Airflow's read access to the DAG's human-in-the-loop details, answering its write access
  (role ``User`` in the simple auth manager).

Every route requires an authenticated Airflow user (``GetUserDep``: no token → 401; the UI's iframe sends
the ``_token`` cookie). The data comes from ``arrears.orchestration.month_view`` (plain Python); no tenant data is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

URL_PREFIX = "/arrears"

app = FastAPI(
    title="Plan mensuel de l'impayé",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,  # no unauthenticated schema
)


def _today() -> dt.date:
    """The server's date in the plan's time zone (the only wall-clock read of the page: its default)."""
    from arrears.config.plan import load_plan

    return dt.datetime.now(ZoneInfo(load_plan().timezone)).date()


def _month(month: str | None) -> str:
    from arrears.orchestration.month_view import parse_month_str

    if not month:
        return _today().strftime("%Y-%m")
    try:
        return parse_month_str(month)
    except ValueError:
        raise HTTPException(status_code=400, detail="Mois invalide : utilisez la forme AAAA-MM.") from None


def _ui_base() -> str:
    """The path prefix of the Airflow UI (from ``[api] base_url``), for links to runs."""
    try:
        from airflow.configuration import conf

        return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    except Exception:  # noqa: BLE001 - links relative to the host root then
        return ""


def _self_url(request: Request) -> str:
    root = request.scope.get("root_path") or URL_PREFIX
    return root.rstrip("/") + "/"


def _data(month: str, request: Request) -> dict[str, Any]:
    from airflow.utils.session import create_session
    from arrears.core.db import engine_for
    from arrears.orchestration.month_view import month_view_data

    self_url = _self_url(request)
    with create_session() as session:
        return month_view_data(month, airflow_session=session, engine=engine_for(), today=_today(),
                               ui_base=_ui_base(), outputs_base=self_url + "sorties")


@app.get("/", response_class=HTMLResponse)
def month_page(request: Request, user: GetUserDep, month: str | None = Query(None)) -> HTMLResponse:
    from arrears.documents.render import render_html

    month = _month(month)
    data = _data(month, request)
    html = render_html("month_view/month.html", {"data": data, "self_url": _self_url(request)})
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@app.get("/api/month")
def month_json(request: Request, user: GetUserDep, month: str | None = Query(None)) -> JSONResponse:
    return JSONResponse(_data(_month(month), request), headers={"Cache-Control": "no-store"})


def _step(step: str):
    from arrears.config.plan import PlanError, load_plan

    try:
        return load_plan().step(step)
    except PlanError:
        raise HTTPException(status_code=404, detail="Étape inconnue.") from None


@app.get("/sorties/{month}/{step}", response_class=HTMLResponse)
def outputs_page(request: Request, user: GetUserDep, month: str, step: str) -> HTMLResponse:
    from arrears.documents.render import render_html
    from arrears.orchestration.month_view import outputs_listing

    month = _month(month)
    spec = _step(step)
    listing = outputs_listing(month, spec.id)
    self_url = _self_url(request)
    html = render_html("month_view/outputs.html", {
        "step": {"number": spec.number, "title": spec.title}, "listing": listing,
        "back_url": f"{self_url}?month={month}", "file_base": f"{self_url}sorties/{month}/{spec.id}",
    })
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@app.get("/sorties/{month}/{step}/{path:path}")
def output_file(user: GetUserDep, month: str, step: str, path: str) -> Response:
    from arrears.core.settings import output_url
    from arrears.orchestration.month_view import read_output_file, resolve_output_file

    month = _month(month)
    spec = _step(step)
    if output_url():   # the output is in a bucket: the file is read from it
        import mimetypes

        data = read_output_file(month, spec.id, path)
        if data is None:
            raise HTTPException(status_code=404, detail="Fichier introuvable.")
        name = path.rsplit("/", 1)[-1]
        return Response(data, media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                        headers={"Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})
    found = resolve_output_file(month, spec.id, path)
    if found is None:
        raise HTTPException(status_code=404, detail="Fichier introuvable.")
    return FileResponse(found, filename=found.name, headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------------------------------
# Approvals (steps 6 and 14): the page a manager decides from
# --------------------------------------------------------------------------------------------------


def _approval_steps(dag_id: str | None = None):
    from arrears.config.plan import load_plan

    steps = [s for s in load_plan().steps if s.needs_approval and s.enabled]
    if dag_id is not None:
        steps = [s for s in steps if s.dag_id == dag_id]
        if not steps:
            raise HTTPException(status_code=404, detail="Cette étape ne demande pas d'approbation.")
    return steps


@app.get("/approbations/", response_class=HTMLResponse,
         dependencies=[Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.HITL_DETAIL))])
def approvals_list(request: Request, user: GetUserDep, dag_id: str | None = Query(None),
                   month: str | None = Query(None)) -> HTMLResponse:
    """The runs waiting for a manager's answer (and, for a step and month, the answered ones too)."""
    from airflow.utils.session import create_session
    from arrears.documents.render import render_html
    from arrears.orchestration.approval_view import approval_requests_airflow

    steps = _approval_steps(dag_id)
    month = _month(month) if month else None
    with create_session() as session:
        found = approval_requests_airflow(session, [s.dag_id for s in steps], waiting_only=month is None)
    if month:
        found = [r for r in found if r["period"] == month]
    titles = {s.dag_id: f"Étape {s.number} — {s.title}" for s in steps}
    for r in found:
        r["title"] = titles.get(r["dag_id"], r["dag_id"])
    html = render_html("month_view/approvals_list.html", {"requests": found, "month": month,
                                                           "self_url": _self_url(request)})
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _load_request(session, dag_id: str, run_id: str):
    from arrears.orchestration.approval_view import approval_request_airflow, run_spec_for

    [step] = _approval_steps(dag_id)
    found = approval_request_airflow(session, dag_id, run_id)
    if found is None or found["ti"] is None:
        raise HTTPException(status_code=404, detail="Aucune demande d'approbation pour ce run.")
    run = found["run"]
    spec = run_spec_for(step, run_id, run.conf, run.logical_date or run.run_after)
    return step, spec, found


@app.get("/approbations/decision", response_class=HTMLResponse,
         dependencies=[Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.HITL_DETAIL))])
def approval_page(request: Request, user: GetUserDep, dag_id: str = Query(...), run_id: str = Query(...),
                  agence: str | None = Query(None), tri: str = Query("montant"),
                  message: str | None = Query(None)) -> HTMLResponse:
    from airflow.utils.session import create_session
    from arrears.core.db import engine_for
    from arrears.documents.render import render_html
    from arrears.orchestration.approval_view import approval_page_data

    with create_session() as session:
        step, spec, found = _load_request(session, dag_id, run_id)
        waiting = found["waiting"]
        responded_by = (found["detail"].responded_by or {}).get("name") if found["detail"] is not None else None
    data = approval_page_data(engine_for(), spec, found["request"], step=step, agency=agence or None, sort=tri)
    html = render_html("month_view/approval.html", {
        "data": data, "dag_id": dag_id, "run_id": run_id, "waiting": waiting, "responded_by": responded_by,
        "message": message, "errors": [], "self_url": _self_url(request), "ui_base": _ui_base(), "submitted": {},
    })
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@app.post("/approbations/decision", response_class=HTMLResponse,
          dependencies=[Depends(requires_access_dag(method="PUT", access_entity=DagAccessEntity.HITL_DETAIL))])
async def approval_answer(request: Request, user: GetUserDep, dag_id: str = Query(...),
                          run_id: str = Query(...)) -> Response:
    """Record the answers given (every lease of the form); once every lease of the request has an
    answer, answer Airflow's request (the approved leases) so the run goes on."""
    from urllib.parse import urlencode

    from airflow.utils.session import create_session
    from arrears.act.approvals import answer_hitl, record_answers, recorded_answers
    from arrears.core.db import engine_for
    from arrears.documents.render import render_html
    from arrears.orchestration.approval_view import approval_page_data, parse_answers

    form = {k: str(v) for k, v in (await request.form()).items()}
    engine = engine_for()
    author = str(user.get_name() or user.get_id())
    with create_session() as session:
        step, spec, found = _load_request(session, dag_id, run_id)
        if not found["waiting"]:
            raise HTTPException(status_code=409, detail="Cette demande a déjà reçu une réponse.")
        data = approval_page_data(engine, spec, found["request"], step=step)
        approved, rejected, reasons, errors = parse_answers(form, data["lease_ids"])
        if errors:
            shown = approval_page_data(engine, spec, found["request"], step=step,
                                       agency=form.get("agence") or None, sort=form.get("tri") or "montant")
            html = render_html("month_view/approval.html", {
                "data": shown, "dag_id": dag_id, "run_id": run_id, "waiting": True, "responded_by": None,
                "message": None, "errors": errors, "self_url": _self_url(request), "ui_base": _ui_base(),
                "submitted": form,
            })
            return HTMLResponse(html, status_code=400, headers={"Cache-Control": "no-store"})
        record_answers(engine, step.number, spec.period, approved, rejected, author, reasons)
        answers = recorded_answers(engine, step.number, spec.period)
        remaining = [lid for lid in data["lease_ids"] if lid not in answers]
        if not remaining:
            chosen = [lid for lid in data["lease_ids"] if answers.get(lid)]
            answer_hitl(session, found["ti"], found["detail"], chosen, str(user.get_id()), author)
            message = (f"Réponse transmise : {len(chosen)} approuvé(s), {len(data['lease_ids']) - len(chosen)} "
                       "refusé(s). Le traitement reprend.")
        else:
            message = (f"{len(approved) + len(rejected)} réponse(s) enregistrée(s) ; {len(remaining)} dossier(s) "
                       "restent à décider avant que la réponse parte.")
    query = {"dag_id": dag_id, "run_id": run_id, "message": message}
    if form.get("agence"):
        query["agence"] = form["agence"]
    if form.get("tri"):
        query["tri"] = form["tri"]
    return RedirectResponse(f"{_self_url(request)}approbations/decision?{urlencode(query)}", status_code=303)


@app.get("/approbations/dossier",
         dependencies=[Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.HITL_DETAIL))])
def approval_file(user: GetUserDep, dag_id: str = Query(...), run_id: str = Query(...),
                  lease_id: str = Query(...)) -> FileResponse:
    """The transfer file (step 6) or write-off form (step 14) of one lease, as the run would produce it:
    rendered on demand into the preview folder (``output/preview/<period>/<NN_id>/approbation/``)."""
    from airflow.utils.session import create_session
    from arrears.core.db import engine_for
    from arrears.orchestration.approval_view import decision_file

    with create_session() as session:
        _step_spec, spec, _found = _load_request(session, dag_id, run_id)
    path = decision_file(engine_for(), spec, lease_id)
    if path is None:
        raise HTTPException(status_code=404, detail="Dossier introuvable pour ce bail.")
    return FileResponse(path, filename=path.name, media_type="application/pdf",
                        headers={"Cache-Control": "no-store"})


class ArrearsMonthViewPlugin(AirflowPlugin):
    """Adds the "Plan du mois" page (menu Browse) to the Airflow UI."""

    name = "arrears_month_view"
    fastapi_apps: ClassVar[list[dict]] = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "Plan mensuel de l'impayé"},
    ]
    external_views: ClassVar[list[dict]] = [
        {
            "name": "Plan du mois",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "arrears",
        },
        {
            "name": "Approbations",
            "href": f"{URL_PREFIX}/approbations/",
            "destination": "nav",
            "category": "browse",
            "url_route": "arrears-approbations",
        },
    ]
