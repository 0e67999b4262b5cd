"""The positions cache: a date's ``lease_positions`` computed once per import (and plan settings).

``ensure_positions`` returns the rows it wrote: the number of leases on a miss, 0 on a hit. Both back-ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from arrears.config.plan import load_plan
from arrears.core import models as m
from arrears.ingest.importer import import_dir
from arrears.select import positions
from arrears.select.positions import COLUMNS, ensure_positions, position_rows, stored_position_rows
from sqlalchemy import func, select

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
D = dt.date(2025, 9, 5)


def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(FIXTURES / "good_comma", folder)
    return folder


def stamps(engine) -> list[tuple]:
    t = m.PositionsStamp
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.as_of, t.import_id, t.leases).order_by(t.as_of))]


def stored(engine, as_of: dt.date = D) -> dict[str, dict]:
    with engine.connect() as conn:
        return {r["lease_id"]: r for r in stored_position_rows(conn, as_of)}


def latest_import(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.max(m.ImportRun.import_id))).scalar_one()


def test_columns_are_the_model_columns():
    assert COLUMNS == tuple(c.name for c in m.LeasePosition.__table__.columns)


def test_first_call_computes_the_next_one_reads_the_cache(engine, tmp_path):
    import_dir(engine, exports(tmp_path))
    assert ensure_positions(engine, D) == 2                      # miss: one row per lease
    assert stamps(engine) == [(D, latest_import(engine), 2)]
    first = stored(engine)
    assert ensure_positions(engine, D) == 0                      # hit
    assert ensure_positions(engine, D + dt.timedelta(days=1)) == 2   # another date is another entry
    assert stored(engine) == first and len(stamps(engine)) == 2


def test_cache_reads_back_what_the_query_computes(engine):
    from arrears.demo.seed import seed_demo

    seed_demo(engine, leases=60, echo=False)
    assert ensure_positions(engine, D) > 0
    with engine.connect() as conn:
        computed = position_rows(conn, D)
        cached = stored_position_rows(conn, D)
    assert cached == computed                                   # dates, booleans, exact decimals, order
    assert any(r["effort_rate"] is not None for r in cached) and any(r["plan_respected"] is None for r in cached)


def test_an_import_makes_every_cached_date_stale(engine, tmp_path):
    folder = exports(tmp_path)
    import_dir(engine, folder)
    other = dt.date(2025, 8, 29)
    ensure_positions(engine, D)
    ensure_positions(engine, other)
    before = stored(engine)["417"]["balance_cents"]

    ledger = folder / "ledger.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "E9,417,2025-07-01,2025-07-01,rent,123456,Loyer\n",
                      encoding="utf-8")
    import_dir(engine, folder)

    assert ensure_positions(engine, D) == 2                      # recomputed after the import
    assert stored(engine)["417"]["balance_cents"] == before + 123456
    assert ensure_positions(engine, D) == 0
    assert ensure_positions(engine, other) == 2                  # the other date was stale too
    assert {s[1] for s in stamps(engine)} == {latest_import(engine)}


def test_a_reimport_of_the_same_files_also_invalidates(engine, tmp_path):
    folder = exports(tmp_path)
    import_dir(engine, folder)
    ensure_positions(engine, D)
    import_dir(engine, folder)          # an import cannot know whether it changed a figure: stale anyway
    assert ensure_positions(engine, D) == 2


def test_other_plan_settings_are_another_computation(engine, tmp_path):
    import_dir(engine, exports(tmp_path))
    plan = load_plan()
    ensure_positions(engine, D, plan)
    other = dataclasses.replace(plan, tolerance_cents=plan.tolerance_cents + 1000)
    assert ensure_positions(engine, D, other) == 2
    assert ensure_positions(engine, D, other) == 0
    assert ensure_positions(engine, D, plan) == 2


def test_a_lease_written_outside_an_import_is_seen(engine):
    from factories import Portfolio
    from sqlalchemy.orm import Session

    p = Portfolio(engine)
    p.lease("L1")
    p.commit()
    assert ensure_positions(engine, D) == 1
    with Session(engine) as session:      # a second lease, same agency and staff
        lease = session.get(m.Lease, "L1")
        values = {c.name: getattr(lease, c.name) for c in m.Lease.__table__.columns}
        session.add(m.Lease(**{**values, "lease_id": "L2"}))
        session.commit()
    assert ensure_positions(engine, D) == 2
    assert set(stored(engine)) == {"L1", "L2"}


def test_old_positions_without_a_stamp_are_computed_again(engine, tmp_path):
    import_dir(engine, exports(tmp_path))
    with engine.begin() as conn:          # rows stored by an older version of the code (no stamp)
        positions.store_positions(conn, D)
    assert stamps(engine) == []
    assert ensure_positions(engine, D) == 2 and len(stamps(engine)) == 1


def test_two_processes_storing_the_same_date_at_once(db_url, tmp_path, monkeypatch):
    """Both compute before either writes (a barrier holds them): no error, no duplicate, one stamp."""
    from arrears.core.db import make_engine

    engines = [make_engine(db_url) for _ in range(2)]
    import_dir(engines[0], exports(tmp_path))
    barrier = threading.Barrier(2, timeout=60)
    compute = positions.position_rows

    def computed_then_wait(*args, **kwargs):
        rows = compute(*args, **kwargs)
        barrier.wait()
        return rows

    monkeypatch.setattr(positions, "position_rows", computed_then_wait)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(engine):
        try:
            results.append(ensure_positions(engine, D))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(results) == 2 and max(results) == 2
    if engines[0].dialect.name == "postgresql":
        assert sorted(results) == [0, 2]      # the second stopped on the stamp's key
    assert len(stamps(engines[0])) == 1 and set(stored(engines[0])) == {"00417", "417"}
    for e in engines:
        e.dispose()


@pytest.mark.parametrize("step", [1, 3])
def test_cohorts_use_the_cache(engine, tmp_path, step, monkeypatch):
    from arrears.select.cohorts import cohort_records

    import_dir(engine, exports(tmp_path))
    cohort_records(engine, step, D)
    calls = []
    monkeypatch.setattr(positions, "position_rows", lambda *a, **k: calls.append(a) or [])
    cohort_records(engine, step, D)       # the second cohort of the date computes no position
    assert calls == []
