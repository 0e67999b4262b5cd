"""What a newcomer meets: commands on an empty database, where the demo writes, progress of long commands."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from arrears import cli
from arrears.core.progress import duration, remaining

NO_DATA = "no data: run `./dev demo` or `./dev import DIR`"


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [
    ("cohort", "3", "--as-of", "2025-09-05"),
    ("positions", "--as-of", "2025-09-05"),
    ("decide", "3", "--as-of", "2025-09-05"),
    ("report", "--month", "2025-09"),
    ("approve", "6", "--as-of", "2025-09-01", "--all"),
])
def test_command_on_a_database_not_created_yet_says_what_to_do(tmp_path, capsys, argv):
    path = tmp_path / "arrears.db"
    code, out, err = _run(capsys, "--db-url", f"sqlite:///{path}", *argv)
    assert code == 1 and out == ""
    assert err.splitlines() == [f"{NO_DATA} (database sqlite:///{path} does not exist yet; check --db-url / ARREARS_DB_URL)"]
    assert not path.exists()  # asking did not create an empty database


def test_unmigrated_database_says_no_data(tmp_path, capsys):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("create table something_else (a int)").connection.close()
    code, _out, err = _run(capsys, "--db-url", f"sqlite:///{path}", "cohort", "3", "--as-of", "2025-09-05")
    assert code == 1 and err.startswith(NO_DATA) and "not migrated" in err and "Traceback" not in err


def test_migrated_database_without_leases_says_no_data(db_url, capsys):
    code, out, err = _run(capsys, "--db-url", db_url, "decide", "3", "--as-of", "2025-09-05")
    assert code == 1 and out == ""
    assert err.startswith(NO_DATA) and err.rstrip().endswith("no leases)")


def test_schema_behind_the_code_says_migrate(tmp_path, capsys):
    from arrears.core.db import migrate

    path = tmp_path / "arrears.db"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("delete from alembic_version")
    code, _out, err = _run(capsys, "--db-url", f"sqlite:///{path}", "cohort", "3", "--as-of", "2025-09-05")
    assert code == 1 and "out of date: run `./dev migrate`" in err


def test_unknown_step_is_one_line(engine, capsys):
    from arrears.demo.seed import seed_demo

    seed_demo(engine, leases=60, echo=False)
    code, _out, err = _run(capsys, "--db-url", str(engine.url.render_as_string(hide_password=False)),
                           "cohort", "99", "--as-of", "2025-09-05")
    assert code == 2 and err.startswith("error: unknown step '99'") and len(err.splitlines()) == 1


@pytest.fixture
def fresh_var(tmp_path, monkeypatch):
    """An empty var/ and output/, no configured database (the demo may set one for its runs: restored)."""
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.delenv("ARREARS_DB_URL", raising=False)
    monkeypatch.delenv("ARREARS_DEMO_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ARREARS_DB", raising=False)
    return tmp_path / "var"


def _leases(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("select count(*) from leases").fetchone()[0]


def test_demo_writes_the_database_the_commands_read(fresh_var, capsys):
    from arrears.demo.month import run_demo

    assert run_demo(leases=60, steps_only=True) == 0
    out = capsys.readouterr().out
    default = fresh_var / "arrears.db"
    assert _leases(default) == 60
    assert f"the demo's data is in {default}, the database every command reads" in out
    assert out.splitlines()[-3] == "  ./dev cohort 3 --as-of 2025-09-05"
    # The next README command reads it (no --db-url, no variable).
    code, csv_out, _err = _run(capsys, "cohort", "3", "--as-of", "2025-09-05")
    assert code == 0 and csv_out.startswith("lease_id,") and len(csv_out.splitlines()) > 1
    # A second demo rebuilds its own database from scratch (not twice the leases).
    assert run_demo(leases=61, steps_only=True) == 0
    assert _leases(default) == 61


def test_demo_never_replaces_imported_data(fresh_var, capsys, tmp_path):
    from arrears.demo.csv_files import write_demo_csv
    from arrears.demo.month import run_demo

    write_demo_csv(tmp_path / "export", leases=60)
    assert cli.main(["import", str(tmp_path / "export")]) == 0
    assert "read leases.csv" in capsys.readouterr().err  # the import's progress, one line per file
    default = fresh_var / "arrears.db"
    before = default.read_bytes()
    assert run_demo(leases=30, steps_only=True) == 1
    err = capsys.readouterr().err
    assert "holds data the demo did not write" in err and "will not replace it" in err
    assert default.read_bytes() == before and _leases(default) == 60


def test_demo_leaves_a_configured_database_alone_and_says_how_to_read_its_own(fresh_var, capsys, monkeypatch):
    from arrears.demo.month import run_demo

    monkeypatch.setenv("ARREARS_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/production")
    assert run_demo(leases=60, steps_only=True) == 0
    out = capsys.readouterr().out
    own = f"sqlite:///{fresh_var / 'demo' / 'arrears.db'}"
    assert f"the demo's data is in {own} (not your configured database)" in out
    assert f"  ARREARS_DB_URL={own} ./dev cohort 3 --as-of 2025-09-05" in out
    assert _leases(fresh_var / "demo" / "arrears.db") == 60 and not (fresh_var / "arrears.db").exists()


def test_render_progress_line_per_chunk(fresh_var, capsys):
    from arrears.orchestration import pipeline

    spec = pipeline.RunSpec(step=3, step_id="large_balances", as_of="2025-09-05", run_id="manual_1",
                            dry_run=False)
    ids = [f"L-{i:06d}" for i in range(250)]
    pipeline._note_render_plan(spec, ids)
    for n, chunk in enumerate(pipeline._chunks(ids)[:2]):
        (spec.work_dir / f"rendered_{n}.json").write_text(
            json.dumps({"documents": [{}] * 40, "failures": [], "leases": len(chunk)}))
        pipeline._report_render_progress(spec)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("  step 3 2025-09-05: rendered chunk 1/3, 100/250 leases, 40 letters, ")
    assert lines[1].startswith("  step 3 2025-09-05: rendered chunk 2/3, 200/250 leases, 80 letters, ")
    assert all(" left" in line or "estimating" in line for line in lines)


def test_durations_and_estimates_read_as_a_person_says_them():
    assert duration(42.4) == "42 s"
    assert duration(185) == "3 min 05 s"
    assert duration(3720) == "1 h 02 min"
    assert remaining(60, 1, 4) == "about 3 min 00 s left"
    assert remaining(60, 4, 4) == "done"
    assert remaining(0, 0, 4) == "estimating"


def test_import_reports_each_file_with_an_estimate(sqlite_engine, tmp_path):
    from arrears.demo.csv_files import write_demo_csv
    from arrears.ingest.importer import import_dir

    write_demo_csv(tmp_path / "csv", leases=60, as_of=dt.date(2025, 9, 30))
    lines: list[str] = []
    report = import_dir(sqlite_engine, tmp_path / "csv", progress=lines.append)
    assert len(lines) == len(report.files) == 10
    leases_line = next(line for line in lines if "leases.csv" in line)
    assert " 60 rows (0 to quarantine)" in leases_line
    assert "file 10/10" in lines[-1] and lines[-1].endswith("done")
