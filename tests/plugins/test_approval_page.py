"""The approval page a manager decides from (issue 15, item 1), its answers and their write-back.

Portfolio as in ``tests/dags/test_e2e_approval.py`` (rent 500 € + charges 100 € due on the 1st from January
2025, only January paid, a formal notice on 1 June): on 1 September 2025, ``T-1`` and ``T-2`` are in step 6's
cohort with 4 800 € due (8 months), arrears since 1 February 2025. Step 11 proposed both in August
(``transfer_proposals``). ``T-3`` stands for a lease the rules held back (hand-built ``held_back`` entry,
issue 10's shape read defensively).
"""

from __future__ import annotations

import datetime as dt

import pytest
from arrears.core import models as m
from sqlalchemy import select

SEP1 = dt.date(2025, 9, 1)
HELD = [{"lease_id": "T-3", "missing": [{"label": "Mise en demeure envoyée", "deadline": "2025-09-15"},
                                         "Signalement CAF"]}]


def _portfolio(engine):
    from factories import Portfolio

    p = Portfolio(engine)
    for lease_id in ("T-1", "T-2", "T-3"):
        p.lease(lease_id, start_on="2024-06-01")
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-03", 600_00)
        if lease_id != "T-3":
            p.action(lease_id, "2025-06-01", "formal_notice")
    p.pay("T-2", "2025-08-20", 100_00)     # T-2 owes a little less: sorted after T-1 by amount
    for lease_id in ("T-1", "T-2"):
        p.session.add(m.TransferProposal(lease_id=lease_id, period="2025-08", proposed_on=dt.date(2025, 8, 25),
                                         status="proposed"))
    p.commit()


@pytest.fixture
def portfolio(db_url, engine, monkeypatch):
    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    _portfolio(engine)
    return engine


def _spec(run_id="manual__test"):
    from arrears.orchestration.pipeline import make_spec

    return make_spec(6, SEP1, run_id)


def test_page_shows_what_a_manager_decides_from(portfolio):
    from arrears.documents.render import render_html
    from arrears.orchestration.approval_view import approval_page_data

    request = {"lease_ids": ["T-1", "T-2"], "held_back": HELD}
    data = approval_page_data(portfolio, _spec(), request)
    assert data["month_label"] == "septembre 2025" and data["total"] == 2 and data["remaining"] == 2
    first, second = data["rows"]
    assert [first["lease_id"], second["lease_id"]] == ["T-1", "T-2"]           # by amount, largest first
    assert first["tenant"] == "Mme Nadia Durand" and first["agency"] == "Agence Centre"
    assert first["officer"] == "Claire Martin"
    assert first["balance_cents"] == 4_800_00 and second["balance_cents"] == 4_700_00
    assert float(first["months_in_arrears"]) == 8.0
    assert first["arrears_start"] == dt.date(2025, 2, 1)
    assert first["profile_label"] and first["reasons"]
    assert first["checklist"] and {c["state"] for c in first["checklist"]} <= {"done", "done_by_run", "missing"}
    assert [h["lease_id"] for h in data["held_back"]] == ["T-3"]
    assert data["held_back"][0]["missing"][0] == {"label": "Mise en demeure envoyée", "deadline": "2025-09-15"}

    by_lease = approval_page_data(portfolio, _spec(), request, sort="bail", agency="A1")
    assert [r["lease_id"] for r in by_lease["rows"]] == ["T-1", "T-2"] and by_lease["shown"] == 2
    assert approval_page_data(portfolio, _spec(), request, agency="ZZ")["shown"] == 0

    html = render_html("month_view/approval.html", {
        "data": data, "dag_id": "end_of_pre_litigation", "run_id": "manual__test", "waiting": True,
        "responded_by": None, "message": None, "errors": [], "self_url": "/arrears/", "ui_base": "",
        "submitted": {}})
    assert "Transmissions au contentieux à décider — <span class=\"month\">septembre 2025</span>" in html
    assert "4\u00a0800,00\u00a0€" in html and "Claire Martin" in html and "Mme Nadia Durand" in html
    assert html.count('name="decision__T-1"') == 2 and 'name="decision__T-3"' not in html
    assert 'data-held="T-3"' in html and "avant le 15 septembre 2025" in html
    assert 'data-role="approve-all"' in html and "Tout valider" in html
    assert "Dossier de transmission" in html


def test_answers_need_a_reason_to_reject_and_an_offered_lease():
    from arrears.orchestration.approval_view import parse_answers

    form = {"decision__T-1": "approve", "decision__T-2": "reject", "reason__T-2": "",
            "decision__T-9": "approve", "agence": ""}
    approved, rejected, _reasons, errors = parse_answers(form, ["T-1", "T-2"])
    assert approved == ["T-1"] and rejected == []
    assert any("T-2" in e and "motif" in e for e in errors) and any("T-9" in e for e in errors)
    form["reason__T-2"] = "Plan d'apurement en cours de négociation"
    del form["decision__T-9"]
    approved, rejected, reasons, errors = parse_answers(form, ["T-1", "T-2"])
    assert (approved, rejected, errors) == (["T-1"], ["T-2"], [])
    assert reasons == {"T-2": "Plan d'apurement en cours de négociation"}


def test_rejection_written_back_to_the_proposal_with_author_and_reason(portfolio):
    from arrears.act.approvals import record_answers, recorded_answers_full

    record_answers(portfolio, 6, "2025-09", ["T-1"], ["T-2"], "m.leroy", {"T-2": "Accord amiable en vue"})
    # The run confirms the answers without reasons (collect_approvals): the manager's reason stays.
    record_answers(portfolio, 6, "2025-09", ["T-1"], ["T-2"], "m.leroy (Airflow)")
    with portfolio.connect() as conn:
        proposals = {r.lease_id: r for r in conn.execute(select(m.TransferProposal))}
    assert proposals["T-2"].status == "rejected" and proposals["T-2"].decision_reason == "Accord amiable en vue"
    assert proposals["T-2"].decided_by == "m.leroy (Airflow)" and proposals["T-2"].decided_at is not None
    assert proposals["T-1"].status == "approved"
    answers = recorded_answers_full(portfolio, 6, "2025-09")
    assert answers["T-2"]["reason"] == "Accord amiable en vue" and answers["T-2"]["approved"] is False


def test_decision_file_is_the_lease_transfer_file(portfolio, tmp_path):
    from arrears.orchestration.approval_view import decision_file
    from pypdf import PdfReader

    path = decision_file(portfolio, _spec(), "T-1", base=tmp_path)
    assert path is not None and path.parent == tmp_path / "preview" / "2025-09" / "06_end_of_pre_litigation" / "approbation"
    assert "T-1" in "".join(page.extract_text() for page in PdfReader(path).pages)
    mtime = path.stat().st_mtime_ns
    assert decision_file(portfolio, _spec(), "T-1", base=tmp_path) == path and path.stat().st_mtime_ns == mtime
    assert decision_file(portfolio, _spec(), "T-3", base=tmp_path) is None     # not in the run


def _manager():
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return SimpleAuthManagerUser(username="m.leroy", role="user")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_routes_need_a_user(monkeypatch):
    from arrears_month_view import ArrearsMonthViewPlugin, app
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/approbations/", "/approbations/decision?dag_id=end_of_pre_litigation&run_id=x",
                 "/approbations/dossier?dag_id=end_of_pre_litigation&run_id=x&lease_id=T-1"):
        assert client.get(path).status_code == 401, path
    assert client.post("/approbations/decision?dag_id=end_of_pre_litigation&run_id=x").status_code == 401
    assert {v["href"] for v in ArrearsMonthViewPlugin.external_views} == {"/arrears/", "/arrears/approbations/"}


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_step6_answered_on_the_page_while_the_run_waits(portfolio, monkeypatch, tmp_path):
    """The whole flow in one process: step 6 runs under ``dag.test`` and waits for the manager; the page
    (the plugin's app, as the manager ``m.leroy`` of role User) shows the request, a rejection without a
    reason is refused, then T-1 is approved and T-2 rejected with a reason; the run goes on with exactly
    that answer: transfer file and stage for T-1 only, both proposals answered, the month view's cell in
    French."""
    import _thread
    import threading
    import time

    import sqlalchemy.orm
    from airflow.api_fastapi.core_api.security import get_user
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from arrears.core.settings import output_dir
    from arrears.orchestration.month_view import month_view_data
    from arrears.orchestration.runner import _dagbag, run_step
    from arrears_month_view import app
    from fastapi.testclient import TestClient

    # This run's own outputs and work files (other tests run step 6 for the same date).
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    seen: dict = {}

    def find_run() -> str | None:
        with create_session() as session:
            ti = session.scalars(select(TaskInstance).where(
                TaskInstance.dag_id == "end_of_pre_litigation", TaskInstance.task_id == "wait_for_manager",
                TaskInstance.state == TaskInstanceState.AWAITING_INPUT)).first()
            return ti.run_id if ti else None

    def answer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (run_id := find_run()) is None:
            time.sleep(1)
        time.sleep(2)  # a human takes a moment (an instant answer races the scheduler loop)
        client = TestClient(app)
        from urllib.parse import quote

        url = f"/approbations/decision?dag_id=end_of_pre_litigation&run_id={quote(run_id, safe='')}"
        seen["listing"] = client.get("/approbations/").text
        seen["page"] = client.get(url).text
        bad = client.post(url, data={"decision__T-1": "approve", "decision__T-2": "reject"})
        seen["bad"] = (bad.status_code, bad.text)
        ok = client.post(url, data={"decision__T-1": "approve", "decision__T-2": "reject",
                                    "reason__T-2": "Plan d'apurement signé le 28 août"}, follow_redirects=False)
        seen["ok"] = (ok.status_code, ok.text[:2000])
        assert ok.status_code == 303, seen["ok"]
        seen["after"] = client.get(ok.headers["location"].removeprefix("/arrears")).text

    def manager():
        try:
            answer()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertions below
            import traceback

            seen["error"] = repr(exc)
            traceback.print_exc()
        if "after" not in seen:
            _thread.interrupt_main()  # never leave dag.test waiting forever

    from airflow.api_fastapi.app import create_auth_manager

    create_auth_manager()  # the simple auth manager the api-server would use (role checks)
    app.dependency_overrides[get_user] = _manager
    _dagbag()
    sqlalchemy.orm.configure_mappers()
    thread = threading.Thread(target=manager, daemon=True)
    thread.start()
    try:
        assert run_step(6, SEP1, quiet=True) == 0
    finally:
        thread.join(timeout=10)
        app.dependency_overrides.clear()
    assert "error" not in seen, seen.get("error")
    assert "Étape 6" in seen["listing"] and "septembre 2025" in seen["listing"]
    assert "Transmissions au contentieux à décider" in seen["page"] and "Mme Nadia Durand" in seen["page"]
    assert seen["bad"][0] == 400 and "motif du refus" in seen["bad"][1]
    assert seen["ok"][0] == 303
    assert "Réponse transmise : 1 approuvé(s), 1 refusé(s)" in seen["after"]

    with portfolio.connect() as conn:
        stages = dict(conn.execute(select(m.Lease.lease_id, m.Lease.stage)).all())
        proposals = {r.lease_id: r for r in conn.execute(select(m.TransferProposal))}
        answers = {r.lease_id: (r.approved, r.reason) for r in conn.execute(select(m.Approval))}
    assert stages == {"T-1": "contentieux", "T-2": "precontentieux", "T-3": "precontentieux"}
    assert proposals["T-1"].status == "transferred"
    assert proposals["T-2"].status == "rejected" and proposals["T-2"].decision_reason.startswith("Plan d'apurement")
    assert "m.leroy" in proposals["T-2"].decided_by
    assert answers == {"T-1": (True, None), "T-2": (False, "Plan d'apurement signé le 28 août")}
    files = sorted(p.name for p in (output_dir() / "2025-09" / "06_end_of_pre_litigation").rglob("transfer_files/*.pdf"))
    assert len(files) == 1 and "T-1" in files[0]

    with create_session() as session:
        data = month_view_data("2025-09", airflow_session=session, engine=portfolio, today=dt.date(2025, 9, 2))
    occ = next(s for s in data["steps"] if s["number"] == 6)["occurrences"][0]
    assert occ["state"] == "success"
    assert occ["summary_fr"]["short"].startswith("2 dossiers · 1 approuvé · 1 refusé · 1 transmis")
    assert "1 dossier transmis au contentieux" in occ["summary_fr"]["full"]


def test_command_line_rejection_carries_its_reason(portfolio):
    from arrears.cli import main

    assert main(["approve", "6", "T-2", "--as-of", "2025-09-01", "--reject", "--author", "c.durand",
                 "--reason", "Dossier FSL en cours"]) == 0
    with portfolio.connect() as conn:
        proposal = conn.execute(select(m.TransferProposal).where(m.TransferProposal.lease_id == "T-2")).one()
        approval = conn.execute(select(m.Approval).where(m.Approval.lease_id == "T-2")).one()
    assert (proposal.status, proposal.decided_by, proposal.decision_reason) == ("rejected", "c.durand",
                                                                                "Dossier FSL en cours")
    assert (approval.approved, approval.reason) == (False, "Dossier FSL en cours")
