"""Files with personal data are owner-only wherever the folders are, and a database path that does not
exist is an error unless the command creates it.

On main before this change ``var/arrears.db`` (and ``-wal``/``-shm``), Airflow's ``airflow.db`` and its
log files were created 0644 (only ``var/``'s 0700 protected them), and a mistyped SQLite path silently
became a new empty database.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from arrears.core.db import DatabaseNotFound, make_engine, migrate, require_database
from sqlalchemy import text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_project_database_and_wal_are_0600(tmp_path, permissive_umask):
    folder = tmp_path / "elsewhere"          # ARREARS_VAR_DIR pointing outside var/
    db = folder / "arrears.db"
    migrate(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("insert into agencies (agency_id, name, address_line1, postcode, city) "
                          "values ('A1', 'Agence', '1 rue X', '69003', 'Lyon')"))
        wal = db.with_name("arrears.db-wal")
        shm = db.with_name("arrears.db-shm")
        assert wal.exists() and shm.exists()
        assert (mode(db), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    engine.dispose()
    assert mode(folder) == 0o700


def test_existing_database_is_tightened(tmp_path, permissive_umask):
    db = tmp_path / "old.db"
    migrate(f"sqlite:///{db}")
    os.chmod(db, 0o644)
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        conn.execute(text("select 1"))
    engine.dispose()
    assert mode(db) == 0o600


def test_missing_database_is_an_error(tmp_path, capsys):
    from arrears.cli import main

    missing = tmp_path / "typo" / "arrears.db"
    with pytest.raises(DatabaseNotFound, match="does not exist"):
        require_database(f"sqlite:///{missing}")
    assert main(["--db-url", f"sqlite:///{missing}", "positions", "--as-of", "2025-09-05"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()
    require_database("postgresql+psycopg://u@h/db")  # not a file: nothing to check here
    require_database("sqlite://")                     # in memory


def test_run_refuses_a_missing_database(tmp_path, monkeypatch, capsys):
    from arrears.orchestration.runner import run_step

    missing = tmp_path / "nope.db"
    monkeypatch.setenv("ARREARS_DB_URL", f"sqlite:///{missing}")
    import datetime as dt

    assert run_step(3, dt.date(2025, 9, 5)) == 1
    assert f"database {missing} does not exist" in capsys.readouterr().err
    assert not missing.exists()


def test_airflow_files_are_owner_only(tmp_path, monkeypatch, permissive_umask):
    from arrears.orchestration import airflow_env

    home = tmp_path / "airflow"
    home.mkdir()
    for name in ("airflow.db", "airflow.db-wal", "passwords.json"):
        (home / name).write_text("x")
        os.chmod(home / name, 0o644)
    (home / "logs").mkdir(mode=0o755)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    airflow_env.secure_files(home)
    assert {p.name: mode(p) for p in home.iterdir()} == {
        "airflow.db": 0o600, "airflow.db-wal": 0o600, "passwords.json": 0o600, "logs": 0o700}
    # and what Airflow creates from now on: task logs 0600 in 0700 folders, umask 077 for the rest
    assert os.environ["AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS"] == "0o600"
    assert os.environ["AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS"] == "0o700"
    airflow_env.configure()
    assert os.umask(0o022) == 0o077


def test_safe_local_airflow(monkeypatch):
    """Step DAGs paused at creation (the UI sends nothing by itself); no log server on 0.0.0.0."""
    from arrears.orchestration import airflow_env

    assert os.environ["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "True"
    assert airflow_env.skip_serve_logs(["scheduler"]) == ["scheduler", "--skip-serve-logs"]
    assert airflow_env.skip_serve_logs(["triggerer"]) == ["triggerer", "--skip-serve-logs"]
    assert airflow_env.skip_serve_logs(["api-server"]) == ["api-server"]
    assert "run_standalone" in " ".join(airflow_env.standalone_argv())
