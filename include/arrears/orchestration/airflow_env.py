"""The embedded Airflow set-up: environment defaults and the metadata database.

With no configuration, Airflow runs from ``var/airflow`` with a SQLite metadata database, this project's
``dags/`` and ``plugins/``, no examples and a small LocalExecutor. Anything already set in the environment
(``AIRFLOW_HOME``, ``AIRFLOW__…``) wins. Call :func:`configure` before the first ``import airflow``.

Safe by default (issue 12): step DAGs are paused when Airflow first sees them (starting the UI sends no
letter), every file this process and Airflow's create is owner-only (umask 077; task logs 0600 in 0700
folders; the metadata database, its ``-wal``/``-shm`` and the generated passwords file 0600), and the local
set-up opens no log server on other interfaces (``./dev ui`` runs the scheduler and the triggerer with
``--skip-serve-logs``: with the LocalExecutor the API server reads the task logs from the log folder).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from arrears.core.files import ensure_dir
from arrears.core.settings import PROJECT_ROOT, var_dir

OWNER_ONLY_UMASK = 0o077


def configure() -> Path:
    """Set the embedded defaults in ``os.environ`` (without overriding) and return AIRFLOW_HOME."""
    os.umask(OWNER_ONLY_UMASK)  # inherited by Airflow's processes: databases, logs, passwords 0600/0700
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(var_dir() / "airflow")))
    ensure_dir(home)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        # Starting the scheduler must not run every step for the current month: an operator unpauses.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__API__BASE_URL": "http://127.0.0.1:8080",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,manager:user",  # manager: answers approvals (role User, the least that can)
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES": "arrears.*",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    secure_files(home)
    return home


def secure_files(home: Path) -> None:
    """Make the personal-data files Airflow keeps in ``home`` owner-only (they may predate this set-up)."""
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    candidates = [home / "passwords.json", home / "simple_auth_manager_passwords.json.generated"]
    if conn.startswith("sqlite:///"):
        db = Path(conn.removeprefix("sqlite:///"))
        candidates += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    for path in candidates:
        if path.is_file() and path.stat().st_uid == os.getuid():
            os.chmod(path, 0o600)
    logs = home / "logs"
    if logs.is_dir() and logs.stat().st_uid == os.getuid():
        os.chmod(logs, 0o700)


def standalone_argv() -> list[str]:
    """The command that ``./dev ui`` runs: ``airflow standalone`` whose scheduler and triggerer open no
    log server (Airflow binds it to every interface, with no setting for the host)."""
    return [sys.executable, "-c", "from arrears.orchestration.airflow_env import run_standalone; run_standalone()"]


def skip_serve_logs(command: list[str]) -> list[str]:
    """``command`` of a standalone component, with ``--skip-serve-logs`` for those that serve logs."""
    if command and command[0] in ("scheduler", "triggerer") and "--skip-serve-logs" not in command:
        return [*command, "--skip-serve-logs"]
    return list(command)


def run_standalone() -> None:  # pragma: no cover - starts Airflow until Ctrl-C
    configure()
    # The components are started as `airflow <component>`: this environment's airflow first on PATH.
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    from airflow.cli.commands import standalone_command

    original = standalone_command.SubCommand.__init__

    def init(self, parent, name, command, env):
        original(self, parent, name, skip_serve_logs(command), env)

    standalone_command.SubCommand.__init__ = init
    standalone_command.StandaloneCommand().run()


def ensure_metadata_db() -> None:
    """Create or upgrade Airflow's metadata database (``airflow db migrate``) when it may be out of date."""
    home = configure()
    marker = home / ".migrated"
    import airflow

    stamp = f"{airflow.__version__}|{os.environ['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']}"
    if marker.exists() and marker.read_text() == stamp:
        return
    airflow_bin = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow_bin), "db", "migrate"], check=True, stdout=subprocess.DEVNULL,
                   env=os.environ.copy())
    marker.write_text(stamp)
    secure_files(home)
