"""The derived figures of DATA.md for every lease at a date D, computed in SQL.

The heavy lifting is ``include/sql/positions/lease_positions.sql`` (CTEs and window functions that run
unchanged on SQLite and PostgreSQL). Python computes the date parameters (D − grace, the 13 month ends of
the episode window, the bounds of the 6 months of "month paid late") and finishes what differs between
back-ends: day counts and the rounding of ratios (``Decimal``, halves away from zero).

    with engine.begin() as conn:
        frame = compute_positions(conn, dt.date(2025, 9, 25))
        store_positions(conn, dt.date(2025, 9, 25))   # the lease_positions rows that cohorts read

    ensure_positions(engine, dt.date(2025, 9, 25))    # the same rows, computed once per date and import

The positions of a date are cached in ``lease_positions``: ``positions_stamps`` records which dates are
stored, for which import (``import_runs``) and which plan settings. A new import makes them stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    bindparam,
    delete,
    insert,
    text,
)

from arrears.core.sqlfiles import load_sql

if TYPE_CHECKING:
    import pandas as pd

    from arrears.config.plan import Plan

COLUMNS: tuple[str, ...] = (
    "as_of", "lease_id", "agency_id", "stage", "is_in_place", "is_departed", "balance_cents",
    "monthly_due_cents", "months_in_arrears", "debt_since", "debt_age_days", "arrears_start",
    "arrears_age_days", "last_payment_on", "last_payment_cents", "last_action_on", "last_action_kind",
    "balance_prev_month_end_cents", "episodes_started_12m", "episodes_closed_12m", "months_paid_late_6m",
    "active_plan_id", "active_plan_kind", "plan_respected", "is_protected", "is_debt_erased", "effort_rate",
    "has_forwarding_address",
)
"""The columns of ``lease_positions`` (``LeasePosition``), in the model's order (``as_of`` and ``lease_id``
first). Spelt out so that reading the cache needs no ORM (a test checks it against the model)."""

DATE_COLUMNS = ("as_of", "debt_since", "arrears_start", "last_payment_on", "last_action_on")
# pandas dtypes of the frame; every other column (text, dates) is ``object`` with None. Ratios are rounded
# exactly (Decimal) and then given as floats, as the model declares them.
_FRAME_DTYPES = {
    "balance_cents": "int64", "monthly_due_cents": "int64", "balance_prev_month_end_cents": "int64",
    "episodes_started_12m": "int64", "episodes_closed_12m": "int64", "months_paid_late_6m": "int64",
    "debt_age_days": "Int64", "arrears_age_days": "Int64", "last_payment_cents": "Int64",
    "is_in_place": bool, "is_departed": bool, "is_protected": bool, "is_debt_erased": bool,
    "has_forwarding_address": bool, "plan_respected": "boolean",
    "months_in_arrears": "float64", "effort_rate": "Float64",
}
_CENT = Decimal("0.01")
_BASIS_POINT = Decimal("0.0001")
_CHUNK = 900  # lease ids per query when a list is given (SQLite's bound-variable limit)

# Result types, so that SQLite's ISO text and 0/1 come back as dates and booleans like PostgreSQL's.
_RESULT_TYPES = {
    "lease_id": String, "agency_id": String, "stage": String,
    "is_in_place": Boolean, "is_departed": Boolean, "is_protected": Boolean, "is_debt_erased": Boolean,
    "has_forwarding_address": Boolean,
    "balance_cents": BigInteger, "monthly_due_cents": BigInteger, "gross_due_cents": BigInteger,
    "effort_numerator_cents": BigInteger, "income_cents": BigInteger, "last_payment_cents": BigInteger,
    "balance_prev_month_end_cents": BigInteger, "scheduled_remaining_cents": BigInteger,
    "episodes_started_12m": Integer, "episodes_closed_12m": Integer, "months_paid_late_6m": Integer,
    "debt_since": Date, "arrears_start": Date, "last_payment_on": Date, "last_action_on": Date,
    "last_action_kind": String, "active_plan_id": String, "active_plan_kind": String,
}


def _add_months(first_of_month: dt.date, months: int) -> dt.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def window_parameters(as_of: dt.date, *, tolerance_cents: int, grace_days: int,
                      late_grace_days: int = 10) -> dict[str, Any]:
    """The bind parameters of the positions query at D = ``as_of`` (dates computed here, not in SQL)."""
    month_start = as_of.replace(day=1)
    params: dict[str, Any] = {
        "as_of": as_of,
        "tolerance_cents": int(tolerance_cents),
        "grace_cutoff": as_of - dt.timedelta(days=int(grace_days)),
        "late_grace_days": int(late_grace_days),
    }
    # me12 = last day of the month before D's month; me00 = the month end 12 months before it.
    for k in range(13):
        params[f"me{k:02d}"] = _add_months(month_start, k - 12) - dt.timedelta(days=1)
    # mb0 … mb5: first days of the 6 months before D's month; mb6: first day of D's month.
    for k in range(7):
        params[f"mb{k}"] = _add_months(month_start, k - 6)
    for k in range(6):  # lengths of those 6 months: a grace date past the last day cannot make it late
        params[f"days{k}"] = (params[f"mb{k + 1}"] - params[f"mb{k}"]).days
    return params


def _query(params: dict[str, Any]):
    binds = [bindparam(name, type_=Date) for name, value in params.items() if isinstance(value, dt.date)]
    binds += [bindparam(name, type_=Integer) for name in params if name.startswith("days")]
    binds += [bindparam("late_grace_days", type_=Integer)]
    binds += [bindparam("tolerance_cents", type_=BigInteger), bindparam("all_leases", type_=Boolean),
              bindparam("lease_ids", expanding=True, type_=String)]
    return text(load_sql("positions/lease_positions")).bindparams(*binds).columns(
        **{name: type_ for name, type_ in _RESULT_TYPES.items()}
    )


def _ratio(numerator: int, denominator: int, quantum: Decimal) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


def _finish(row: dict[str, Any], as_of: dt.date, tolerance_cents: int) -> dict[str, Any]:
    """One lease's figures from the query row: undefined figures to NULL, day counts, rounded ratios."""
    balance = int(row["balance_cents"])
    monthly_due = int(row["monthly_due_cents"])
    divisor = monthly_due if monthly_due > 0 else int(row["gross_due_cents"])
    debt_since = row["debt_since"] if balance > 0 else None
    arrears_start = row["arrears_start"] if balance > tolerance_cents else None
    income = row["income_cents"]
    plan_id = row["active_plan_id"]
    last_payment = row["last_payment_cents"]
    return {
        "as_of": as_of,
        "lease_id": row["lease_id"],
        "agency_id": row["agency_id"],
        "stage": row["stage"],
        "is_in_place": bool(row["is_in_place"]),
        "is_departed": bool(row["is_departed"]),
        "balance_cents": balance,
        "monthly_due_cents": monthly_due,
        "months_in_arrears": _ratio(balance, divisor, _CENT) if divisor > 0 else Decimal("0.00"),
        "debt_since": debt_since,
        "debt_age_days": (as_of - debt_since).days if debt_since else None,
        "arrears_start": arrears_start,
        "arrears_age_days": (as_of - arrears_start).days if arrears_start else None,
        "last_payment_on": row["last_payment_on"],
        "last_payment_cents": int(last_payment) if last_payment is not None else None,
        "last_action_on": row["last_action_on"],
        "last_action_kind": row["last_action_kind"],
        "balance_prev_month_end_cents": int(row["balance_prev_month_end_cents"]),
        "episodes_started_12m": int(row["episodes_started_12m"]),
        "episodes_closed_12m": int(row["episodes_closed_12m"]),
        "months_paid_late_6m": int(row["months_paid_late_6m"]),
        "active_plan_id": plan_id,
        "active_plan_kind": row["active_plan_kind"],
        "plan_respected": (balance <= int(row["scheduled_remaining_cents"]) + tolerance_cents)
        if plan_id is not None else None,
        "is_protected": bool(row["is_protected"]),
        "is_debt_erased": bool(row["is_debt_erased"]),
        "effort_rate": _ratio(int(row["effort_numerator_cents"]), int(income), _BASIS_POINT)
        if income else None,
        "has_forwarding_address": bool(row["has_forwarding_address"]),
    }


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i:i + _CHUNK])


def _plan_settings(tolerance_cents: int | None, grace_days: int | None) -> tuple[int, int]:
    """The tolerance and the plan grace period: the arguments when given, else the plan file's."""
    if tolerance_cents is None or grace_days is None:
        from arrears.config.plan import load_plan

        plan = load_plan()
        tolerance_cents = plan.tolerance_cents if tolerance_cents is None else tolerance_cents
        grace_days = plan.plan_grace_days if grace_days is None else grace_days
    return int(tolerance_cents), int(grace_days)


def position_rows(conn: Connection, as_of: dt.date, lease_ids: Sequence[str] | None = None, *,
                  tolerance_cents: int | None = None, grace_days: int | None = None,
                  late_grace_days: int | None = None) -> list[dict[str, Any]]:
    """The figures of every lease (or of ``lease_ids``) at ``as_of``, as dicts keyed by ``COLUMNS``.

    Sorted by lease_id (code-point order, the same on both back-ends). ``late_grace_days`` (the payment
    grace of "month paid late") defaults to the plan file's ``late_payment_grace_days``.
    """
    tolerance, grace = _plan_settings(tolerance_cents, grace_days)
    if late_grace_days is None:
        from arrears.config.plan import load_plan

        late_grace_days = load_plan().late_payment_grace_days
    params = window_parameters(as_of, tolerance_cents=tolerance, grace_days=grace,
                               late_grace_days=late_grace_days)
    query = _query(params)
    if lease_ids is None:
        batches: Iterable[dict[str, Any]] = [{"all_leases": True, "lease_ids": []}]
    else:
        batches = ({"all_leases": False, "lease_ids": chunk} for chunk in _chunks(sorted(set(lease_ids))))
    rows: list[dict[str, Any]] = []
    _hash_joins_only(conn, True)
    try:
        for batch in batches:
            result = conn.execute(query, {**params, **batch})
            rows.extend(_finish(dict(r), as_of, tolerance) for r in result.mappings())
    finally:
        _hash_joins_only(conn, False)
    rows.sort(key=lambda r: r["lease_id"])
    return rows


def _hash_joins_only(conn: Connection, on: bool) -> None:
    """PostgreSQL, for the positions query only (in the caller's transaction): no nested loops.

    The query joins a dozen grouped CTEs by lease_id; PostgreSQL cannot estimate their sizes and chose a
    nested loop for "months paid late" (a few rows expected, tens of thousands found) against every lease:
    quadratic, hours at 200 000 leases (bench/bench_scale.py). Hash joins are right for every CTE here.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("set local enable_nestloop = " + ("off" if on else "default")))


def compute_positions(conn: Connection, as_of: dt.date, lease_ids: list[str] | None = None, *,
                      tolerance_cents: int | None = None, grace_days: int | None = None,
                      late_grace_days: int | None = None) -> pd.DataFrame:
    """One row per lease (all leases, or ``lease_ids``), sorted by lease_id, with the columns of
    ``LeasePosition``: the derived figures of DATA.md at D = ``as_of``.

    Money in integer cents, dates as ``datetime.date``, ratios as floats rounded exactly (2 decimals for
    months in arrears, 4 for the effort rate, halves away from zero); an undefined figure is missing
    (``None`` / ``<NA>``). ``store_positions`` writes the same figures (ratios as exact decimals).
    ``tolerance_cents`` and ``grace_days`` default to the plan file's (``include/plan.toml``).
    """

    rows = position_rows(conn, as_of, lease_ids, tolerance_cents=tolerance_cents, grace_days=grace_days,
                         late_grace_days=late_grace_days)
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    def column(name: str) -> list[Any]:
        values = [row[name] for row in rows]
        if name in ("months_in_arrears", "effort_rate"):
            return [None if v is None else float(v) for v in values]
        return values

    return pd.DataFrame({
        name: pd.Series(column(name), dtype=_FRAME_DTYPES.get(name, object)) for name in COLUMNS
    })


def positions_frame(conn: Connection, as_of: dt.date, **options: Any) -> pd.DataFrame:
    """What ``arrears positions --as-of DATE`` prints: lease_id first, money in cents, dates ISO, ratios
    with their fixed decimals (``1.50``, ``0.3500``)."""
    import pandas as pd

    rows = position_rows(conn, as_of, **options)
    frame = _frame(rows)
    for name in (*DATE_COLUMNS, "months_in_arrears", "effort_rate"):
        values = [None if r[name] is None else r[name].isoformat() if isinstance(r[name], dt.date) else str(r[name])
                  for r in rows]
        frame[name] = pd.Series(values, index=frame.index, dtype=object)
    order = ["lease_id", *[c for c in COLUMNS if c != "lease_id"]]
    return frame[order]


def store_positions(conn: Connection, as_of: dt.date, lease_ids: list[str] | None = None, *,
                    tolerance_cents: int | None = None, grace_days: int | None = None,
                    late_grace_days: int | None = None) -> int:
    """Replace the ``lease_positions`` rows of ``as_of`` (all of them, or those of ``lease_ids``) with
    freshly computed figures, in the caller's transaction. Returns the number of rows written."""
    from arrears.core.models import LeasePosition

    rows = position_rows(conn, as_of, lease_ids, tolerance_cents=tolerance_cents, grace_days=grace_days,
                         late_grace_days=late_grace_days)
    table = LeasePosition.__table__
    if lease_ids is None:
        conn.execute(delete(table).where(table.c.as_of == as_of))
    else:
        for chunk in _chunks(sorted(set(lease_ids))):
            conn.execute(delete(table).where(table.c.as_of == as_of, table.c.lease_id.in_(chunk)))
    for i in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[i:i + 5000])
    from arrears.core.db import refresh_statistics

    refresh_statistics(conn, [table.name])  # the cohort queries read this date's rows next
    return len(rows)


# --------------------------------------------------------------------------------------------------
# The cache: a date's positions computed once per import (and plan settings)
# --------------------------------------------------------------------------------------------------


def settings_key(tolerance_cents: int, grace_days: int, late_grace_days: int) -> str:
    """The plan settings the figures depend on, as recorded with a date's stamp."""
    return (f"tolerance_cents={int(tolerance_cents)};plan_grace_days={int(grace_days)};"
            f"late_payment_grace_days={int(late_grace_days)}")


def _plan_key(plan: Plan | None) -> str:
    if plan is None:
        from arrears.config.plan import load_plan

        plan = load_plan()
    return settings_key(plan.tolerance_cents, plan.plan_grace_days, plan.late_payment_grace_days)


def positions_fresh(conn: Connection, as_of: dt.date, plan: Plan | None = None) -> bool:
    """Whether the stored positions of ``as_of`` are current: stamped after the latest import, with the
    plan's present settings, for as many leases as the portfolio has (a lease written outside an import)."""
    return _freshness(conn, as_of, _plan_key(plan))[0]


def _freshness(conn: Connection, as_of: dt.date, key: str) -> tuple[bool, int | None]:
    """(fresh, the latest import id) in one query — the id is read before any figure is computed, so a
    stamp never claims an import its rows may not have seen."""
    query = text(load_sql("positions/stamp")).bindparams(bindparam("as_of", type_=Date))
    row = conn.execute(query, {"as_of": as_of}).one()
    latest = row.latest_import_id
    fresh = (row.settings is not None and row.import_id == latest and row.settings == key
             and row.leases == row.leases_now)
    return fresh, latest


def ensure_positions(engine: Engine, as_of: dt.date, plan: Plan | None = None) -> int:
    """Store the positions of ``as_of`` unless they are stored and fresh (:func:`positions_fresh`).

    Returns the number of rows written (0 on a cache hit). The figures are computed outside any write
    transaction; the rows and the stamp are then written in one transaction, so a reader sees the old
    figures or the new ones. Two processes storing the same date at once are safe: on SQLite the second
    waits for the first and writes the same figures again; on PostgreSQL it stops on the stamp's key and
    returns 0. ``plan`` (default: the plan file's) gives the tolerance and the grace periods.
    """
    from sqlalchemy.exc import IntegrityError

    if plan is None:
        from arrears.config.plan import load_plan

        plan = load_plan()
    key = _plan_key(plan)
    with engine.connect() as conn:
        fresh, latest = _freshness(conn, as_of, key)
        if fresh:
            return 0
        rows = position_rows(conn, as_of, tolerance_cents=plan.tolerance_cents, grace_days=plan.plan_grace_days,
                             late_grace_days=plan.late_payment_grace_days)
    try:
        with engine.begin() as conn:
            _write_stamped(conn, as_of, rows, latest, key)
    except IntegrityError:
        with engine.connect() as conn:
            if _freshness(conn, as_of, key)[0]:
                return 0  # another process stored this date meanwhile
        raise
    return len(rows)


def _write_stamped(conn: Connection, as_of: dt.date, rows: list[dict[str, Any]], import_id: int | None,
                   key: str) -> None:
    from datetime import UTC, datetime

    from arrears.core.models import LeasePosition, PositionsStamp

    stamps = PositionsStamp.__table__
    # The stamp first: its delete takes SQLite's write lock, its insert is where a concurrent writer of
    # the same date waits (PostgreSQL) and then fails on the primary key.
    conn.execute(delete(stamps).where(stamps.c.as_of == as_of))
    conn.execute(insert(stamps).values(as_of=as_of, import_id=import_id, settings=key, leases=len(rows),
                                       computed_at=datetime.now(UTC).replace(tzinfo=None)))
    table = LeasePosition.__table__
    conn.execute(delete(table).where(table.c.as_of == as_of))
    for i in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[i:i + 5000])


_STORED_TYPES = {**{name: type_ for name, type_ in _RESULT_TYPES.items() if name in COLUMNS},
                 "as_of": Date, "plan_respected": Boolean, "debt_age_days": Integer, "arrears_age_days": Integer}


def stored_position_rows(conn: Connection, as_of: dt.date) -> list[dict[str, Any]]:
    """The stored ``lease_positions`` rows of ``as_of`` as :func:`position_rows` gives them (dicts keyed by
    ``COLUMNS``, ratios as exact decimals, sorted by lease_id in code-point order)."""
    query = (text(load_sql("positions/stored_positions")).bindparams(bindparam("as_of", type_=Date))
             .columns(**_STORED_TYPES))
    quanta = {"months_in_arrears": _CENT, "effort_rate": _BASIS_POINT}
    rows = []
    for r in conn.execute(query, {"as_of": as_of}).mappings():
        row = dict(r)
        for name, quantum in quanta.items():
            if row[name] is not None:  # an exact decimal (PostgreSQL) or the nearest float (SQLite)
                row[name] = Decimal(row[name]).quantize(quantum, rounding=ROUND_HALF_UP)
        rows.append(row)
    rows.sort(key=lambda r: r["lease_id"])
    return rows


def positions_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The header and the cells of ``arrears positions``: lease_id first, money in cents, dates ISO, ratios
    with their fixed decimals (``1.50``, ``0.3500``), booleans ``True``/``False``, nothing for undefined."""
    order = ["lease_id", *[c for c in COLUMNS if c != "lease_id"]]
    return order, [[row[name] for name in order] for row in rows]


def late_months(entries: Iterable[tuple[dt.date, int, bool]], as_of: dt.date, *, monthly_due_cents: int,
                tolerance_cents: int, grace_days: int) -> list[dict[str, Any]]:
    """The months paid late among the 6 before D's month (DATA.md revision 5), with the day each was paid:
    what the late-payment letter lists. The same rule as ``lease_positions.sql``, for one lease.

    ``entries``: (effective day, amount in cents, is_rent) of the lease's ledger entries in force at D.
    Returns ``[{"month": "2025-04", "due_on": date, "grace_on": date, "paid_on": date}, …]``, oldest first.
    """
    import calendar

    by_day: dict[dt.date, int] = {}
    rent_days: dict[tuple[int, int], dt.date] = {}
    for on, amount, is_rent in entries:
        by_day[on] = by_day.get(on, 0) + int(amount)
        if is_rent and amount > 0:
            key = (on.year, on.month)
            rent_days[key] = min(on, rent_days.get(key, on))
    days = sorted(by_day)

    def balance(at: dt.date) -> int:
        return sum(by_day[d] for d in days if d <= at)

    first = _add_months(as_of.replace(day=1), -6)
    out = []
    for k in range(6):
        month = _add_months(first, k)
        due = rent_days.get((month.year, month.month))
        if due is None:
            continue
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        grace = due + dt.timedelta(days=int(grace_days))
        if grace > last:
            continue
        base = max(balance(due - dt.timedelta(days=1)), 0)
        if 2 * (balance(grace) - base) <= monthly_due_cents or balance(last) - base > tolerance_cents:
            continue
        paid_on = next(d for d in days if grace < d <= last and balance(d) - base <= tolerance_cents)
        out.append({"month": f"{month.year:04d}-{month.month:02d}", "due_on": due, "grace_on": grace,
                    "paid_on": paid_on})
    return out
