"""The read-only commands' schema check: one query against the migration files, never Alembic, never a
migration; a clear message (no traceback) for a database that is not migrated, behind or ahead."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from arrears import cli
from arrears.core import db
from sqlalchemy import text

NO_DATA = "no data: run `./dev demo` or `./dev import DIR`"
READ_ONLY = [
    ("cohort", "3", "--as-of", "2025-09-05"),
    ("positions", "--as-of", "2025-09-05"),
    ("history", "00417"),
]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.fixture
def version(engine):
    """Set the database's ``alembic_version`` for a test; the session's PostgreSQL database gets it back."""
    from arrears.core.db import schema_revisions

    def set_to(revision: str) -> None:
        with engine.begin() as conn:
            conn.execute(text("update alembic_version set version_num = :v"), {"v": revision})

    yield set_to
    set_to(next(iter(schema_revisions()[1])))


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_heads_read_from_the_files_are_alembics():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    known, heads = db.schema_revisions()
    assert heads == set(script.get_heads())
    assert known == {rev.revision for rev in script.walk_revisions()}


def test_state_of_a_migrated_database(engine):
    with engine.connect() as conn:
        assert db.schema_state(conn) == "current"


def test_state_behind_and_ahead(engine, version):
    version("0002_h15_ui")
    with engine.connect() as conn:
        assert db.schema_state(conn) == "behind"
    version("9999_from_the_future")
    with engine.connect() as conn:
        assert db.schema_state(conn) == "ahead"


@pytest.fixture
def seeded_url(engine, tmp_path):
    from arrears.ingest.importer import import_dir

    shutil.copytree(FIXTURES / "good_comma", tmp_path / "exports")
    import_dir(engine, tmp_path / "exports")
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("argv", READ_ONLY)
def test_read_only_commands_never_migrate(seeded_url, engine, capsys, monkeypatch, argv):
    def refuse(*_a, **_k):
        raise AssertionError("a read-only command migrated")

    monkeypatch.setattr(db, "migrate", refuse)
    monkeypatch.setattr("alembic.command.upgrade", refuse)
    code, out, err = run(capsys, "--db-url", seeded_url, *argv)
    assert code == 0 and out and "Traceback" not in err


@pytest.mark.parametrize("argv", READ_ONLY)
def test_schema_behind_is_said_and_left_alone(seeded_url, engine, capsys, version, argv):
    version("0002_h15_ui")
    code, out, err = run(capsys, "--db-url", seeded_url, *argv)
    assert (code, out) == (1, "") and err.strip().endswith("is out of date: run `./dev migrate`")
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar_one() == "0002_h15_ui"


def test_schema_ahead_is_said(seeded_url, engine, capsys, version):
    version("9999_from_the_future")
    code, _out, err = run(capsys, "--db-url", seeded_url, "cohort", "3", "--as-of", "2025-09-05")
    assert code == 1 and "newer than this code" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", READ_ONLY)
def test_unmigrated_or_empty_database_says_no_data(tmp_path, db_url, capsys, argv):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("create table something_else (a int)").connection.close()
    code, out, err = run(capsys, "--db-url", f"sqlite:///{path}", *argv)
    assert (code, out) == (1, "") and err.startswith(NO_DATA) and "not migrated" in err
    code, out, err = run(capsys, "--db-url", db_url, *argv)        # migrated, no leases
    assert (code, out) == (1, "") and err.startswith(NO_DATA) and err.rstrip().endswith("no leases)")
    assert "Traceback" not in err
