"""One SQL loader: files by name under include/sql/, shared CTEs included by name, never outside."""

from __future__ import annotations

import pytest
from arrears.core import sqlfiles


def test_shared_ctes_are_included_once_defined():
    text = sqlfiles.load_sql("kpis/debt_by_status")
    assert not [line for line in text.splitlines() if line.startswith("-- include:")]
    assert text.count("leases_at as (") == 1 and text.count("balances as (") == 1
    shared = sqlfiles.load_sql("shared/balances_at").strip()
    assert shared in text and shared in sqlfiles.load_sql("kpis/debt_age")


def test_include_cycle_and_outside_names_are_refused(tmp_path, monkeypatch):
    (tmp_path / "a.sql").write_text("-- include: b\nselect 1\n", encoding="utf-8")
    (tmp_path / "b.sql").write_text("-- include: a\n", encoding="utf-8")
    monkeypatch.setattr(sqlfiles, "SQL_DIR", tmp_path)
    sqlfiles.load_sql.cache_clear()
    try:
        with pytest.raises(ValueError, match="include cycle: a -> b -> a"):
            sqlfiles.load_sql("a")
        with pytest.raises(ValueError, match="outside include/sql"):
            sqlfiles.load_sql("../etc/passwd")
    finally:
        sqlfiles.load_sql.cache_clear()
