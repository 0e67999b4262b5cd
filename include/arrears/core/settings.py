"""One place that says where things are: the database, the output store, the plan file.

Embedded default first: with no configuration everything lives in SQLite files and folders inside the
project. Production sets ``ARREARS_DB_URL`` (a SQLAlchemy URL) or an Airflow connection ``arrears_db``
(``AIRFLOW_CONN_ARREARS_DB``), and ``ARREARS_OUTPUT_URL`` (a bucket every worker reads and writes).
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


def output_url() -> str | None:
    """The bucket the output goes to, ``ARREARS_OUTPUT_URL`` (e.g. ``s3://aws_default@arrears-output/prod``:
    Airflow connection id, bucket, prefix); None for the local folder (:func:`output_dir`)."""
    url = (os.environ.get("ARREARS_OUTPUT_URL") or "").strip()
    if not url:
        return None
    if "://" not in url or url.startswith("file:"):
        from arrears.core.store import StoreError

        raise StoreError(f"ARREARS_OUTPUT_URL={url!r} is not an object storage URL (s3://<conn_id>@<bucket>/"
                         "<prefix>); a local folder is set with ARREARS_OUTPUT_DIR")
    return url


def output_store():
    """Where letters, batches, worklists, reports and run summaries are written — the one place that decides
    it: the bucket of ``ARREARS_OUTPUT_URL`` when set, else the folder :func:`output_dir`."""
    from arrears.core.store import LocalStore, ObjectStore

    url = output_url()
    return ObjectStore(url, scratch=var_dir() / "scratch") if url else LocalStore(output_dir())


def work_store():
    """Where the tasks of a run hand files to each other (decisions, rendered-chunk manifests): ``runs/`` of
    the bucket when ``ARREARS_OUTPUT_URL`` is set (workers on other hosts read them), else ``var/runs``."""
    from arrears.core.store import LocalStore, ObjectStore

    url = output_url()
    return ObjectStore(url.rstrip("/") + "/runs", scratch=var_dir() / "scratch") if url else LocalStore(
        var_dir() / "runs")


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
