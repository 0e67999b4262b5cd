"""The embedded Airflow set-up: environment defaults and the metadata database.

With no configuration, Airflow runs from ``var/airflow`` with a SQLite metadata database, this project's
``dags/`` and ``plugins/``, no examples and a small LocalExecutor. Anything already set in the environment
(``AIRFLOW_HOME``, ``AIRFLOW__…``) wins. Call :func:`configure` before the first ``import airflow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from arrears.core.files import ensure_dir
from arrears.core.settings import PROJECT_ROOT, var_dir


def configure() -> Path:
    """Set the embedded defaults in ``os.environ`` (without overriding) and return AIRFLOW_HOME."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(var_dir() / "airflow")))
    ensure_dir(home)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__API__BASE_URL": "http://127.0.0.1:8080",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,manager:user",  # manager: answers approvals (role User, the least that can)
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES": "arrears.*",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return home


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
