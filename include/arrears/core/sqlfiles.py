"""Load and run the project's SQL files from ``include/sql/`` by name: ``load_sql("positions/lease_positions")``,
``run_sql(conn, "cohorts/support/holders", {}, lease_ids)`` — the one SQL loader of the package.

The text is read once per process and cached. Queries take bind parameters only (``:as_of``); nothing is
ever formatted into the SQL text.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, String, TextClause, bindparam, text

if TYPE_CHECKING:
    from sqlalchemy import Connection

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


_INCLUDE = re.compile(r"^-- include: ([\w/]+)[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=128)
def load_sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql`` (``name`` without the suffix, ``/``-separated).

    A line ``-- include: shared/leases_at`` is replaced by the text of that file: a CTE defined once
    (``include/sql/shared/``) and reused by several queries."""
    return _expand(name, ())


def _expand(name: str, seen: tuple[str, ...]) -> str:
    if name in seen:
        raise ValueError(f"SQL include cycle: {' -> '.join((*seen, name))}")
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file name outside include/sql/: {name!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file include/sql/{name}.sql")
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: _expand(m.group(1), (*seen, name)).rstrip("\n"), text)


# --------------------------------------------------------------------------------------------------
# Running a file: bind parameters typed once, rows typed the same on SQLite and PostgreSQL
# --------------------------------------------------------------------------------------------------

_CHUNK = 900  # ids per IN (...) list: SQLite's bound-variable limit
_DATE_NAMES = {"arrears_start", "debt_since", "debt_began_on", "as_of"}
_BOOL_NAMES = {"plan_respected", "benefit_to_landlord", "mandate_active", "approved",
               "had_debt_prev_month_end"}


def bound_query(sql: str, params: dict[str, Any], expanding: tuple[str, ...] = ()) -> TextClause:
    """``sql`` as a text clause whose date parameters are typed ``Date`` and list parameters expanded."""
    binds = [bindparam(k, type_=Date()) for k, v in params.items()
             if isinstance(v, dt.date) and re.search(rf":{k}\b", sql)]
    names = set(expanding) | {k for k, v in params.items() if isinstance(v, list | tuple)}
    binds.extend(bindparam(k, expanding=True, type_=String() if k == "lease_ids" else None)
                 for k in sorted(names))
    return text(sql).bindparams(*binds)


def normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite gives ISO text and 0/1 where PostgreSQL gives dates and booleans: make both the same."""
    out = {}
    for key, value in row.items():
        if value is not None:
            if (key.endswith("_on") or key in _DATE_NAMES) and isinstance(value, str):
                value = dt.date.fromisoformat(value[:10])
            elif (key.startswith(("is_", "has_")) or key in _BOOL_NAMES) and not isinstance(value, bool):
                value = bool(value)
            elif key == "months_in_arrears":
                value = Decimal(str(value)).quantize(Decimal("0.01"))
            elif key == "effort_rate":
                value = Decimal(str(value)).quantize(Decimal("0.0001"))
            elif isinstance(value, Decimal) and key.endswith(("_cents", "_days", "_12m", "_6m")):
                value = int(value)
        out[key] = value
    return out


def run_sql(conn: Connection, name: str, params: dict[str, Any],
            lease_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Run ``include/sql/<name>.sql`` with bind parameters; ``lease_ids`` fills ``:lease_ids`` (chunked).
    Rows come back as dicts with dates and booleans typed the same on both back-ends (:func:`normalise_row`)."""
    query = bound_query(load_sql(name), params, ("lease_ids",) if lease_ids is not None else ())
    if lease_ids is None:
        return [normalise_row(dict(r)) for r in conn.execute(query, params).mappings()]
    rows: list[dict[str, Any]] = []
    ids = sorted(set(lease_ids))
    for i in range(0, len(ids), _CHUNK):
        rows.extend(normalise_row(dict(r)) for r in
                    conn.execute(query, {**params, "lease_ids": ids[i:i + _CHUNK]}).mappings())
    return rows
