"""Engine creation and schema migrations (Alembic) for the project's database."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event

from arrears.core.settings import database_url

if TYPE_CHECKING:
    from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


class DatabaseNotFound(RuntimeError):
    """A SQLite database file that does not exist, for a command that does not create one."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, or an in-memory SQLite one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def require_database(url: str | None = None) -> None:
    """Raise :class:`DatabaseNotFound` when ``url`` names a SQLite file that does not exist (a mistyped
    path must not silently become a new, empty database)."""
    url = url or database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseNotFound(f"database {path} does not exist: create it with `arrears migrate` (or "
                               "`arrears import DIR`), or check --db-url / ARREARS_DB_URL")


def secure_sqlite_files(path: Path) -> None:
    """The database file and its ``-wal``/``-shm`` companions readable by the owner only."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if candidate.stat().st_uid == os.getuid():
                os.chmod(candidate, 0o600)
        except FileNotFoundError:
            continue


def _create_sqlite_file(path: Path) -> None:
    from arrears.core.files import ensure_dir

    ensure_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # created 0600, whatever the umask


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured database). SQLite gets foreign keys and WAL."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        path = sqlite_path(url)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("pragma foreign_keys = on")
            cur.execute("pragma journal_mode = wal")
            cur.close()
            if path is not None:
                secure_sqlite_files(path)

        return engine
    return create_engine(url, pool_pre_ping=True)


def engine_for(url: str | None = None) -> Engine:
    """A process-wide cached engine, one per URL (the configured database when ``url`` is None)."""
    return _cached_engine(database_url(url))


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


engine_for.cache_clear = _cached_engine.cache_clear  # type: ignore[attr-defined]


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` with Alembic."""
    from alembic import command

    url = database_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        _create_sqlite_file(path)  # migrate is the command that creates a database
    command.upgrade(alembic_config(url), revision)
    if path is not None:
        secure_sqlite_files(path)


# --------------------------------------------------------------------------------------------------
# Is the schema current? One query, without Alembic (read-only commands never migrate)
# --------------------------------------------------------------------------------------------------

_REVISION_LINE = re.compile(r"^(down_)?revision\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@lru_cache(maxsize=1)
def schema_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision, the head revisions) of the migrations, read from the ``revision = …`` and
    ``down_revision = …`` lines of ``migrations/versions/*.py`` — what Alembic's script directory says,
    without importing Alembic (about half a second of a command's start-up)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            (parents if match.group(1) else revisions).update(_QUOTED.findall(match.group(2)))
    return frozenset(revisions), frozenset(revisions - parents)


def schema_state(conn: Connection) -> str:
    """Where the database's schema stands against this code's migrations, from the ``alembic_version``
    row(s): ``"missing"`` (never migrated: no such table, or no leases table), ``"current"``, ``"behind"``
    (run ``arrears migrate``) or ``"ahead"`` (migrated by a newer version of the code)."""
    from sqlalchemy import text

    if not (conn.dialect.has_table(conn, "alembic_version") and conn.dialect.has_table(conn, "leases")):
        return "missing"
    current = set(conn.execute(text("select version_num from alembic_version")).scalars())
    known, heads = schema_revisions()
    if current == heads:
        return "current"
    return "ahead" if current - known else "behind"


def refresh_statistics(conn, tables) -> None:
    """After a bulk write, refresh PostgreSQL's planner statistics of ``tables`` in the caller's transaction.

    Autovacuum analyzes a freshly loaded table only later (if ever before the next query): until then
    PostgreSQL plans for the row counts of the empty tables it knew, and the positions query nests loops over
    every lease (measured at 20 000 leases: over 5 minutes instead of 17 seconds, bench/bench_scale.py).
    A sample of 30 000 rows per table: about a second for the whole portfolio. SQLite needs nothing.
    """
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in dict.fromkeys(tables):
        conn.execute(text(f'analyze "{table}"'))
