"""Shared fixtures: real databases (a SQLite file and the local PostgreSQL server), migrated by Alembic.

``engine`` is parametrized over both back-ends; every test gets empty tables. The PostgreSQL database is
created with a unique name for the test session and dropped at the end. When no PostgreSQL server is
reachable the PostgreSQL half skips with the reason, visibly (``-ra``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "plugins"))

# Tests never write into the project's var/ or output/, and Airflow (configured before its first import in
# this process) runs from a throwaway home with its own SQLite metadata database.
_SESSION_TMP = Path(tempfile.mkdtemp(prefix="arrears-tests-"))
os.environ.setdefault("AIRFLOW_HOME", str(_SESSION_TMP / "airflow"))
os.environ["ARREARS_VAR_DIR"] = str(_SESSION_TMP / "var")
os.environ["ARREARS_OUTPUT_DIR"] = str(_SESSION_TMP / "output")
os.environ.pop("ARREARS_DB_URL", None)
from arrears.orchestration import airflow_env

airflow_env.configure()

PG_ADMIN_URL = os.environ.get("ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    name = f"arrears_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'create database "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from arrears.core.db import migrate

    migrate(url)
    yield url
    from arrears.core.db import engine_for

    engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    from arrears.core.db import migrate

    migrate(f"sqlite:///{path}")
    return path


def _empty_tables(engine) -> None:
    from arrears.core.models import Base

    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template):
    """The URL of an empty, migrated database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        import shutil

        path = tmp_path / "arrears.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        from arrears.core.db import make_engine

        engine = make_engine(url)
        _empty_tables(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url):
    from arrears.core.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template):
    """SQLite only, for tests whose subject is not the database."""
    import shutil

    from arrears.core.db import make_engine

    path = tmp_path / "arrears.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()
