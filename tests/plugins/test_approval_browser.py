"""Step 6 for a past month, answered by a manager on the approval page, in a real Airflow and a real browser.

Airflow runs locally as three processes (api-server, scheduler without its log server, dag-processor) from a
throwaway AIRFLOW_HOME, with scheduled runs off (``[scheduler] use_job_schedule = False``): only the run
triggered here exists. The portfolio is the one of ``test_approval_page`` (T-1 and T-2 proposed in August,
in step 6's cohort on 1 September 2025). The test triggers step 6 through the REST API the way the UI's
dialog does (logical date: now; ``as_of`` 2025-09-01), waits for the request, logs in as ``manager``
(role User) in headless Chromium (Playwright), opens Browse → Approbations, approves T-1 and rejects T-2
with a reason, then checks the transfer file, the stages, the proposals and the month view's cell for
September 2025. Screenshots: /tmp/approval-*.png.

Several minutes on a loaded 2-core machine: skip it locally with ``ARREARS_SKIP_BROWSER=1`` (CI runs it);
skipped visibly when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = Path(sys.executable).with_name("airflow")
SHOTS = Path("/tmp")
DAG_ID = "end_of_pre_litigation"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (Debian package 'chromium')"),
    pytest.mark.skipif(os.environ.get("ARREARS_SKIP_BROWSER") == "1", reason="ARREARS_SKIP_BROWSER=1"),
]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(base: Path, port: int, project_db: str) -> dict[str, str]:
    home = base / "airflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ARREARS_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",          # scheduled runs off
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,manager:user",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES": "arrears.*",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": "h15-browser-test-secret-0123456789abcdef",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "ARREARS_DB_URL": project_db,
        "ARREARS_VAR_DIR": str(base / "var"),
        "ARREARS_OUTPUT_DIR": str(base / "output"),
        "ARREARS_ALERTS_TO": "operations@example.org",
        "ARREARS_RETRY_DELAY_SECONDS": "5",
        "ARREARS_RENDER_WORKERS": "1",
        "PYTHONWARNINGS": "ignore",
    })
    return env


def _call(url: str, token: str | None = None, *, method: str = "GET", body: dict | None = None,
          timeout: float = 10) -> tuple[int, dict | str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def _token(url: str, home: Path, user: str) -> str:
    password = json.loads((home / "passwords.json").read_text())[user]
    status, body = _call(f"{url}/auth/token", method="POST", body={"username": user, "password": password})
    assert status in (200, 201), body
    return body["access_token"]


def _stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait(what: str, check, timeout: float, logs: list[Path], every: float = 3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in logs if p.exists())
    pytest.fail(f"{what}: not after {timeout:.0f} s\n{tails}")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    from arrears.core.db import make_engine, migrate

    base = tmp_path_factory.mktemp("approval-browser")
    (base / "airflow").mkdir(mode=0o700)
    port = _free_port()
    project_db = f"sqlite:///{base / 'arrears.db'}"
    migrate(project_db)
    engine = make_engine(project_db)
    from test_approval_page import _portfolio

    _portfolio(engine)
    env = _env(base, port, project_db)
    subprocess.run([str(AIRFLOW_BIN), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    procs, logs = [], []
    for name, args in (("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port)]),
                       ("dag-processor", ["dag-processor"]),
                       ("scheduler", ["scheduler", "--skip-serve-logs"])):
        log_path = base / f"{name}.log"
        logs.append(log_path)
        log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
        procs.append((subprocess.Popen([str(AIRFLOW_BIN), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True), log))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("api-server healthy", lambda: _call(f"{url}/api/v2/monitor/health", timeout=3)[0] == 200
              if _port_open(port) else False, 180, logs)
        yield {"url": url, "home": base / "airflow", "engine": engine, "base": base, "logs": logs}
    finally:
        for proc, log in reversed(procs):
            _stop(proc)
            log.close()
        engine.dispose()


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_manager_answers_step6_for_a_past_month_in_the_browser(airflow):
    from arrears.core import models as m
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    url, logs = airflow["url"], airflow["logs"]
    admin = _token(url, airflow["home"], "admin")
    _wait("step 6's DAG parsed", lambda: _call(f"{url}/api/v2/dags/{DAG_ID}", admin)[0] == 200, 300, logs)
    status, dag = _call(f"{url}/api/v2/dags/{DAG_ID}", admin)
    assert dag["dag_display_name"] == "06 — Fin de GP (fin de gestion précontentieuse)"
    assert dag["is_paused"]  # a step DAG is paused at creation: the operator unpauses it, as here
    status, dag = _call(f"{url}/api/v2/dags/{DAG_ID}", admin, method="PATCH", body={"is_paused": False})
    assert status == 200 and not dag["is_paused"], dag

    # As the UI's trigger dialog does: the default logical date (now) and the date of the catch-up run.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    status, run = _call(f"{url}/api/v2/dags/{DAG_ID}/dagRuns", admin, method="POST",
                        body={"logical_date": now, "conf": {"as_of": "2025-09-01", "dry_run": False}})
    assert status in (200, 201), run
    run_id = run["dag_run_id"]

    def waiting():
        _status, body = _call(f"{url}/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/hitlDetails", admin)
        items = body.get("hitl_details", []) if isinstance(body, dict) else []
        return next((d for d in items if not d.get("response_received")), None)

    detail = _wait("the manager's request", waiting, 600, logs, every=5)
    assert "septembre 2025" in detail["subject"]
    assert "/arrears/approbations/decision?dag_id=end_of_pre_litigation" in detail["body"]
    assert "Tout refuser" in detail["options"] and {"T-1", "T-2"} <= set(detail["options"])

    manager = _token(url, airflow["home"], "manager")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="fr-FR",
                                          timezone_id="Europe/Paris")
            context.add_cookies([{"name": "_token", "value": manager, "url": url}])
            page = context.new_page()
            assert page.goto(f"{url}/arrears/approbations/").status == 200
            assert "septembre 2025" in page.locator("table[data-role=requests]").inner_text()
            page.screenshot(path=str(SHOTS / "approval-list.png"), full_page=True)
            page.locator("a[data-role=decide-link]").first.click()
            page.wait_for_selector("form[data-role=decisions]")
            assert "septembre 2025" in page.locator("h1").inner_text()
            assert page.locator("tr[data-lease]").count() == 2
            assert "Mme Nadia Durand" in page.locator('tr[data-lease="T-1"]').inner_text()
            page.screenshot(path=str(SHOTS / "approval-page.png"), full_page=True)

            page.click("button[data-role=approve-all]")
            page.check('tr[data-lease="T-2"] input[value=reject]')
            page.fill('tr[data-lease="T-2"] input[type=text]', "Plan d'apurement signé le 28 août")
            page.click("button[data-role=submit]")
            page.wait_for_selector("[data-role=message]")
            assert "Réponse transmise : 1 approuvé(s), 1 refusé(s)" in page.locator("[data-role=message]").inner_text()
            page.screenshot(path=str(SHOTS / "approval-answered.png"), full_page=True)

            def finished():
                state = _call(f"{url}/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}", admin)[1]
                return state.get("state") in ("success", "failed") and state["state"]

            assert _wait("the run after the answer", finished, 600, logs, every=5) == "success"

            assert page.goto(f"{url}/arrears/?month=2025-09").status == 200
            cell = page.locator('tr[data-step="6"]')
            assert cell.get_attribute("data-state") == "success"
            assert "1 approuvé · 1 refusé · 1 transmis" in cell.locator("[data-role=summary-fr]").inner_text()
            page.screenshot(path=str(SHOTS / "approval-month-view.png"), full_page=True)
            assert page.goto(f"{url}/arrears/?month={dt.date.today():%Y-%m}").status == 200
            assert page.locator('tr[data-step="6"] [data-role=summary-fr]').count() == 0
        finally:
            browser.close()

    with airflow["engine"].connect() as conn:
        stages = dict(conn.execute(select(m.Lease.lease_id, m.Lease.stage)).all())
        proposals = {r.lease_id: r for r in conn.execute(select(m.TransferProposal))}
    assert stages == {"T-1": "contentieux", "T-2": "precontentieux", "T-3": "precontentieux"}
    assert proposals["T-1"].status == "transferred"
    assert proposals["T-2"].status == "rejected" and "manager" in proposals["T-2"].decided_by
    assert proposals["T-2"].decision_reason == "Plan d'apurement signé le 28 août"
    files = list((airflow["base"] / "output" / "2025-09" / "06_end_of_pre_litigation").rglob("transfer_files/*.pdf"))
    assert [p.name for p in files] == ["transfer_file_2025-09_T-1.pdf"]
