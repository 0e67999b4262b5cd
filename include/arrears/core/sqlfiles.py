"""Load the project's SQL files from ``include/sql/`` by name: ``load_sql("positions/lease_positions")``.

The text is read once per process and cached. Queries take bind parameters only (``:as_of``); nothing is
ever formatted into the SQL text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@lru_cache(maxsize=128)
def load_sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql`` (``name`` without the suffix, ``/``-separated)."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file name outside include/sql/: {name!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file include/sql/{name}.sql")
    return path.read_text(encoding="utf-8")
