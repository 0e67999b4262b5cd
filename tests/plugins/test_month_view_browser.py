"""The month view in a real Airflow api-server, read by a real headless Chromium (Playwright).

Set-up (module fixture, about 40 s): a throwaway AIRFLOW_HOME with a SQLite metadata DB (``airflow db
migrate``), DagRuns and TaskInstances of September 2025 written directly into it (a success, a failure,
a run waiting for a manager's approval), ``step_runs`` with counts in a project SQLite DB
(``ARREARS_DB_URL``), then ``airflow api-server`` on a free local port with this project's dags/ and
plugins/. The test logs in with the simple auth manager's generated password, loads ``/arrears/`` with
the ``_token`` cookie, checks the DOM and saves a screenshot to /tmp/month-view.png.

Skips (visibly) when /usr/bin/chromium is absent: ``./dev`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path("/tmp/month-view.png")
AIRFLOW_BIN = Path(sys.executable).with_name("airflow")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is absent (Debian package 'chromium', installed by ./dev)")

UTC = dt.UTC


def _paris_7am(day: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(7), ZoneInfo("Europe/Paris")).astimezone(UTC)


# (dag_id, logical day, run state, {task_id: task state}, conf)
AIRFLOW_RUNS = [
    ("small_balances", "2025-09-01", "success", {"summary": "success"}, {}),
    ("cleared_files", "2025-09-05", "success", {"summary": "success"}, {}),
    ("large_balances", "2025-09-05", "failed", {"render_documents": "failed"}, {}),
    ("end_of_pre_litigation", "2025-09-01", "running", {"wait_for_manager": "awaiting_input"}, {}),
    ("credit_balances", "2025-09-01", "success", {}, {}),
    ("credit_balances", "2025-09-08", "success", {}, {}),
    ("repeat_debtors", "2025-09-22", "success", {}, {"dry_run": True}),
]
# step number, airflow dag id (run id built the same way), as_of, summary
STEP_RUNS = [
    (1, "small_balances", "2025-09-01", {"cohort": 120, "letters_by_type": {"friendly_reminder": 118},
                                         "registered_letters": 0, "tasks_by_officer": {},
                                         "failures": [{"lease_id": "L-x", "error": "adresse"}] * 2}),
    (2, "cleared_files", "2025-09-05", {"cohort": 40, "letters_by_type": {}, "registered_letters": 0,
                                        "tasks_by_officer": {"A12": 30, "B07": 10}, "failures": []}),
    (13, "credit_balances", "2025-09-01", {"cohort": 7, "letters_by_type": {}, "registered_letters": 0,
                                           "tasks_by_officer": {"A12": 7}, "failures": []}),
]


def _run_id(day: str) -> str:
    return f"scheduled__{_paris_7am(day).isoformat()}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _airflow_env(home: Path, port: int, project_db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ARREARS_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(24).hex(),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "ARREARS_DB_URL": project_db,
        "ARREARS_VAR_DIR": str(home.parent / "var"),
        "ARREARS_OUTPUT_DIR": str(home.parent / "output"),
        "PYTHONWARNINGS": "ignore",
    })
    return env


SEED_AIRFLOW = textwrap.dedent("""
    import datetime as dt, json, sys
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    runs = json.loads(sys.argv[1])
    with create_session() as session:
        for dag_id, run_id, logical, state, tasks, conf in runs:
            logical = dt.datetime.fromisoformat(logical)
            session.add(DagRun(dag_id=dag_id, run_id=run_id, logical_date=logical, run_after=logical,
                               start_date=logical, data_interval=(logical, logical), conf=conf,
                               state=state, run_type=DagRunType.SCHEDULED))
            session.flush()
            for task_id, task_state in tasks.items():
                session.execute(TaskInstance.__table__.insert().values(
                    task_id=task_id, dag_id=dag_id, run_id=run_id, map_index=-1 if task_id != "wait_for_manager" else 0,
                    state=task_state, pool="default_pool", try_number=1, max_tries=2))
    print("seeded", len(runs))
""")


def _seed_project_db(url: str) -> None:
    from arrears.core.db import make_engine, migrate
    from arrears.core.models import StepRun

    migrate(url)
    engine = make_engine(url)
    now = dt.datetime(2025, 9, 1, 5, 30)
    with engine.begin() as conn:
        for step, dag_id, as_of, summary in STEP_RUNS:
            conn.execute(StepRun.__table__.insert().values(
                step=step, period=as_of[:7], as_of=dt.date.fromisoformat(as_of), run_id=_run_id(as_of),
                dry_run=False, status="success", summary=summary, started_at=now, finished_at=now))
        # A run recorded by the project only (the `arrears` command line, no Airflow run).
        conn.execute(StepRun.__table__.insert().values(
            step=7, period="2025-09", as_of=dt.date(2025, 9, 10), run_id="cli-2025-09-10", dry_run=False,
            status="success", summary={"cohort": 12, "letters_by_type": {"new_tenant": 11},
                                       "registered_letters": 0, "tasks_by_officer": {"A12": 12},
                                       "failures": []},
            started_at=now, finished_at=now))
    engine.dispose()


def _get(url: str, token: str | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the api-server and its children (it runs in its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("month-view-server")
    home = base / "airflow"
    home.mkdir(mode=0o700)
    port = _free_port()
    project_db = f"sqlite:///{base / 'arrears.db'}"
    env = _airflow_env(home, port, project_db)

    subprocess.run([str(AIRFLOW_BIN), "db", "migrate"], env=env, check=True, capture_output=True, timeout=180)
    runs = [(dag_id, _run_id(day), _paris_7am(day).isoformat(), state, tasks, conf)
            for dag_id, day, state, tasks, conf in AIRFLOW_RUNS]
    log = open(base / "api-server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(AIRFLOW_BIN), "api-server", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        # Seed while the server starts: the page reads the databases on each request.
        seed = subprocess.run([sys.executable, "-c", SEED_AIRFLOW, json.dumps(runs)], env=env,
                              capture_output=True, text=True, timeout=180, check=False)
        assert seed.returncode == 0, seed.stderr[-3000:]
        _seed_project_db(project_db)
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail("api-server exited:\n" + (base / "api-server.log").read_text()[-3000:])
            try:
                status, _ = _get(f"{url}/api/v2/monitor/health", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("api-server not healthy after 120 s:\n" + (base / "api-server.log").read_text()[-3000:])
            time.sleep(1)
        password = json.loads((home / "passwords.json").read_text())["admin"]
        request = urllib.request.Request(f"{url}/auth/token", method="POST",
                                         data=json.dumps({"username": "admin", "password": password}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.loads(response.read())["access_token"]
        yield {"url": url, "token": token, "log": base / "api-server.log"}
    finally:
        _stop(proc)
        log.close()


def test_routes_refuse_requests_without_a_token(server):
    for path in ("/arrears/", "/arrears/?month=2025-09", "/arrears/api/month?month=2025-09",
                 "/arrears/sorties/2025-09/small_balances"):
        status, _ = _get(server["url"] + path)
        assert status == 401, path
    status, body = _get(server["url"] + "/arrears/api/month?month=2025-09", server["token"])
    assert status == 200
    assert json.loads(body)["month"] == "2025-09"
    status, body = _get(server["url"] + "/arrears/?month=2025-13", server["token"])
    assert status == 400


def test_plugin_is_listed_in_the_ui_menu(server):
    status, body = _get(server["url"] + "/api/v2/plugins", server["token"])
    assert status == 200
    plugins = {p["name"]: p for p in json.loads(body)["plugins"]}
    views = plugins["arrears_month_view"]["external_views"]
    assert views[0]["href"] == "/arrears/" and views[0]["url_route"] == "arrears"


def test_month_view_in_headless_chromium(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="fr-FR")
            context.add_cookies([{"name": "_token", "value": server["token"], "url": server["url"]}])
            page = context.new_page()
            response = page.goto(server["url"] + "/arrears/?month=2025-09")
            assert response is not None and response.status == 200
            assert "Plan mensuel de l'impayé" in page.title()
            assert page.locator("h1").inner_text().endswith("septembre 2025")

            rows = page.locator("table.plan tbody tr")
            assert rows.count() == 15
            headers = page.locator("table.plan thead th").all_inner_texts()
            assert [h.strip().lower() for h in headers] == [
                "actions", "semaine 1", "semaine 2", "semaine 3", "semaine 4", "au fil de l'eau"]

            def row(number: int):
                return page.locator(f'tr[data-step="{number}"]')

            def planned(number: int) -> list[str]:
                return row(number).locator(".occ").evaluate_all("els => els.map(e => e.dataset.planned)")

            # Planned dates after business-day shifts, in the step's week column.
            assert planned(1) == ["2025-09-01"]
            assert planned(2) == planned(3) == ["2025-09-05"]
            assert planned(8) == ["2025-09-22"]
            assert "reporté du 20 septembre 2025 (week-end)" in row(8).inner_text()
            assert row(1).locator('td[data-column="week-1"] .occ').count() == 1
            assert row(8).locator('td[data-column="week-3"] .occ').count() == 1
            assert planned(13) == ["2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29"]

            # States from Airflow's metadata DB.
            assert row(1).get_attribute("data-state") == "success"
            assert row(1).locator('[data-role="state"]').inner_text() == "Terminé"
            assert row(3).get_attribute("data-state") == "failed"
            assert "Échec" in row(3).locator('[data-role="state"]').inner_text()
            assert "render_documents" in row(3).inner_text()
            assert row(6).get_attribute("data-state") == "awaiting_approval"
            badge = row(6).locator('[data-role="approval-badge"]')
            assert badge.is_visible() and badge.inner_text() == "En attente d'approbation"
            assert "awaiting" in (row(6).get_attribute("class") or "")
            colour = row(6).locator("th").evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour != row(1).locator("th").evaluate("e => getComputedStyle(e).backgroundColor")
            assert page.locator('[data-role="approval-notice"]').is_visible()
            occ13 = row(13).locator(".occ")
            assert [occ13.nth(i).get_attribute("data-state") for i in range(2)] == ["success", "success"]
            # A dry run does not count as the step's run.
            assert row(8).locator(".occ").get_attribute("data-state") != "success"
            assert "aperçu" in row(8).inner_text().lower()

            # Counts from the project DB's step_runs.
            def count(number: int, name: str, occ: int = 0) -> str:
                return row(number).locator(".occ").nth(occ).locator(f'[data-count="{name}"] dd').inner_text()

            assert [count(1, n) for n in ("cohort", "letters", "registered", "tasks", "failures")] == [
                "120", "118", "0", "0", "2"]
            assert count(2, "tasks") == "40" and count(2, "cohort") == "40"
            assert count(13, "tasks", 0) == "7"
            assert count(7, "letters") == "11"           # a run recorded outside Airflow
            assert row(7).get_attribute("data-state") == "success"

            # Links: the run in the Airflow UI (top window, out of the iframe) and the outputs folder.
            link = row(1).locator('[data-role="run-link"]')
            href = link.get_attribute("href")
            assert href.startswith("/dags/small_balances/runs/scheduled__2025-09-01T05")
            assert link.get_attribute("target") == "_top"
            assert row(1).locator('[data-role="outputs-link"]').get_attribute("href") == \
                "/arrears/sorties/2025-09/small_balances"

            # No tenant data on the page (the failures carry lease ids and errors: only their number shows).
            assert "L-x" not in page.content()

            page.screenshot(path=str(SCREENSHOT), full_page=True)

            page.click('[data-role="outputs-link"] >> nth=0')
            page.wait_for_load_state()
            assert "Sorties de l'étape 1" in page.locator("h1").inner_text()

            page.goto(server["url"] + "/arrears/?month=2025-09")
            page.click('[data-role="next-month"]')
            page.wait_for_load_state()
            assert page.locator("h1").inner_text().endswith("octobre 2025")
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
