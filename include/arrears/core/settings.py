"""One place that says where things are: the database, the output folder, the plan file.

Embedded default first: with no configuration everything lives in SQLite files and folders inside the
project. Production sets ``ARREARS_DB_URL`` (a SQLAlchemy URL) or an Airflow connection ``arrears_db``
(``AIRFLOW_CONN_ARREARS_DB``).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("ARREARS_HOME") or Path(__file__).resolve().parents[3])
CONNECTION_ID = "arrears_db"
# The Asset the import DAG updates and every step DAG reads (lineage in the Airflow UI).
PORTFOLIO_ASSET = ("arrears_portfolio", f"file://{PROJECT_ROOT / 'var' / 'portfolio'}")


def var_dir() -> Path:
    """Folder for run-time state (embedded databases, Airflow home); never committed."""
    from arrears.core.files import ensure_dir

    return ensure_dir(Path(os.environ.get("ARREARS_VAR_DIR") or PROJECT_ROOT / "var"))


def output_dir() -> Path:
    """Folder where letters, batches and worklists are written; never committed."""
    from arrears.core.files import ensure_dir

    return ensure_dir(Path(os.environ.get("ARREARS_OUTPUT_DIR") or PROJECT_ROOT / "output"))


def _url_from_airflow_connection() -> str | None:
    if not os.environ.get(f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"):
        return None
    # Imported lazily: the domain library does not need Airflow unless a connection is configured.
    from airflow.sdk import BaseHook
    from sqlalchemy import URL

    conn = BaseHook.get_connection(CONNECTION_ID)
    drivers = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "sqlite": "sqlite"}
    driver = drivers.get(conn.conn_type or "", conn.conn_type)
    if driver == "sqlite":
        return str(URL.create("sqlite", database=conn.host or conn.schema))
    return URL.create(
        driver,
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
    ).render_as_string(hide_password=False)


def database_url(explicit: str | None = None) -> str:
    """The SQLAlchemy URL of the project's database — the one place that decides it, first found wins:

    1. ``explicit`` (the command line's ``--db-url``, a run's ``RunSpec.db_url``);
    2. the environment variable ``ARREARS_DB_URL``;
    3. the Airflow connection ``arrears_db`` (``AIRFLOW_CONN_ARREARS_DB``);
    4. the embedded SQLite file ``var/arrears.db``.
    """
    url = explicit or os.environ.get("ARREARS_DB_URL") or _url_from_airflow_connection()
    return url or f"sqlite:///{var_dir() / 'arrears.db'}"
