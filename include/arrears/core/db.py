"""Engine creation and schema migrations (Alembic) for the project's database."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from arrears.core.settings import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured database). SQLite gets foreign keys and WAL."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("pragma foreign_keys = on")
            cur.execute("pragma journal_mode = wal")
            cur.close()

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
    if url.startswith("sqlite:///"):
        from arrears.core.files import ensure_dir

        ensure_dir(Path(url.removeprefix("sqlite:///")).parent)
    command.upgrade(alembic_config(url), revision)
