"""``arrears positions`` and ``arrears cohort``: the CSV pandas wrote, written without pandas, from the cache;
and the read-only commands load none of the heavy libraries. Both back-ends."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest
from arrears import cli

D = dt.date(2025, 9, 5)
HEAVY = ("pandas", "numpy", "alembic", "airflow", "weasyprint", "matplotlib", "openpyxl", "jinja2")


@pytest.fixture
def demo_url(engine):
    from arrears.demo.seed import seed_demo

    seed_demo(engine, leases=60, echo=False)
    return engine.url.render_as_string(hide_password=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_positions_csv_is_what_pandas_wrote_and_comes_from_the_cache(engine, demo_url, capsys, monkeypatch):
    from arrears.select import positions
    from arrears.select.positions import positions_frame

    code, out, err = run(capsys, "--db-url", demo_url, "positions", "--as-of", D.isoformat())
    assert code == 0 and err == ""
    with engine.connect() as conn:
        expected = positions_frame(conn, D).to_csv(index=False)   # the former output: computed, via pandas
    assert out == expected
    assert len(out.splitlines()) == 61 and ",True," in out and ",0.00," in out

    monkeypatch.setattr(positions, "position_rows", lambda *a, **k: pytest.fail("computed again"))
    assert run(capsys, "--db-url", demo_url, "positions", "--as-of", D.isoformat())[1] == out
    assert run(capsys, "--db-url", demo_url, "cohort", "3", "--as-of", D.isoformat())[0] == 0


def _integer_columns(frame) -> dict[str, str]:
    """Columns whose values are all integers or missing: pandas makes them floats when one is missing."""
    out = {}
    for name in frame.columns:
        values = frame[name].dropna().tolist()
        if values and frame[name].dtype.kind in "if" and all(float(v).is_integer() for v in values):
            out[name] = "Int64"
    return out


def test_cohort_csv_is_what_pandas_wrote(engine, demo_url, capsys):
    """The same text as ``cohort_frame(...).to_csv``, except that an integer column with a missing value
    keeps its integers where pandas printed ``142600.0`` (docs/decisions.md)."""
    from arrears.select.cohorts import cohort_frame

    seen = 0
    for step in (1, 3, 7, 10, 15):
        code, out, err = run(capsys, "--db-url", demo_url, "cohort", str(step), "--as-of", D.isoformat())
        assert code == 0 and err == ""
        frame = cohort_frame(engine, step, D)
        assert out == frame.astype(_integer_columns(frame)).to_csv(index=False), step
        assert out.splitlines()[0].startswith("lease_id,agency_id,")
        seen += len(frame)
        naive = frame.to_csv(index=False)
        if naive != out:   # only integer columns with a missing value differ: 142600.0 there, 142600 here
            pairs = [(a, b) for x, y in zip(naive.splitlines(), out.splitlines(), strict=True)
                     for a, b in zip(x.split(","), y.split(","), strict=True) if a != b]
            assert pairs and all(a == b + ".0" for a, b in pairs)
    assert seen > 0


def test_read_only_commands_load_no_heavy_library(sqlite_engine):
    """In a fresh process, as a user runs them: no pandas, Alembic, Airflow, WeasyPrint, matplotlib."""
    from arrears.core.db import make_engine
    from arrears.demo.seed import seed_demo
    from arrears.select.positions import ensure_positions

    seed_demo(sqlite_engine, leases=30, echo=False)
    demo_url = sqlite_engine.url.render_as_string(hide_password=False)
    engine = make_engine(demo_url)
    ensure_positions(engine, D)
    with engine.connect() as conn:
        lease_id = conn.exec_driver_sql("select min(lease_id) from ledger").scalar_one()
    engine.dispose()
    probe = ("import json, sys; from arrears import cli; code = cli.main(sys.argv[1:]); "
             f"print(json.dumps([code, sorted(n for n in {HEAVY!r} if n in sys.modules)]), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARREARS_DB_URL", "AIRFLOW_CONN_"))}
    for argv in (["positions", "--as-of", D.isoformat()], ["cohort", "3", "--as-of", D.isoformat()],
                 ["history", lease_id], ["--help"]):
        result = subprocess.run([sys.executable, "-c", probe, "--db-url", demo_url, *argv], env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        if argv == ["--help"]:
            assert result.returncode == 0 and "usage: arrears" in result.stdout
            continue
        code, loaded = json.loads(io.StringIO(result.stderr).readlines()[-1])
        assert code == 0 and result.stdout, (argv, result.stderr[-2000:])
        assert loaded == [], f"{argv[0]} imported {loaded}"
