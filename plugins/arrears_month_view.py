"""Airflow UI page "Plan du mois": the month view of the arrears plan, for the operations team.

A FastAPI app served by Airflow's api-server at ``/arrears/`` and listed in the UI's Browse menu (shown in
an iframe at ``/plugin/arrears``):

- ``GET /arrears/?month=YYYY-MM``: the month's steps by week and day, their planned dates, run states,
  counts, links to each run and to the step's outputs folder (default month: the server's current month);
- ``GET /arrears/api/month?month=YYYY-MM``: the same data as JSON;
- ``GET /arrears/sorties/{month}/{step}``: the files of a step's outputs folder for the month, and
  ``GET /arrears/sorties/{month}/{step}/{path}`` to download one.

Every route requires an authenticated Airflow user (``GetUserDep``: no token → 401; the UI's iframe sends
the ``_token`` cookie). The data comes from ``arrears.orchestration.month_view`` (plain Python); no tenant data is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

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
def output_file(user: GetUserDep, month: str, step: str, path: str) -> FileResponse:
    from arrears.orchestration.month_view import resolve_output_file

    month = _month(month)
    spec = _step(step)
    found = resolve_output_file(month, spec.id, path)
    if found is None:
        raise HTTPException(status_code=404, detail="Fichier introuvable.")
    return FileResponse(found, filename=found.name, headers={"Cache-Control": "no-store"})


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
    ]
