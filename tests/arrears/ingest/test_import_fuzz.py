"""Fuzzing the importer with hypothesis (fixed seed, bounded example count, SQLite): a landlord's export
mutated in every way a bad day produces — random bytes, nasty cells (quotes, delimiters, line breaks,
huge or negative amounts, far dates, Latin-1 bytes in UTF-8), lines dropped, doubled or cut.

Whatever the input, an import either refuses the file as a whole (``ImportError_``: nothing loaded) or
loads what is valid and quarantines the rest, with read = loaded + quarantined per file; what it loads
stays in the data contract's ranges, and the derived figures of every lease compute without overflow.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from arrears.core import models as m
from arrears.core.db import make_engine
from arrears.ingest.importer import ImportError_, import_dir
from arrears.select.positions import position_rows
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import Date, func, select

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "good_comma"
FILES = sorted(p.name for p in FIXTURE.glob("*.csv"))
MAX_CENTS = 10**10

TEXT_CELLS = st.one_of(st.text(max_size=40), st.sampled_from([
    '"', '""', 'a"b', '"a"b', 'Dupont"', "a,b", "a;b", "a\nb", "\r", "=1+1", "\u00a0", "\x00", "x" * 300,
]))
DATE_CELLS = st.one_of(st.sampled_from([
    "0001-01-01", "9999-12-31", "31/12/1899", "01/01/2101", "1900-01-01", "2100-12-31", "2025-02-30",
    "2025-13-01", "5/9/2025", "2025-9-5",
]), st.dates().map(lambda d: d.isoformat()))
AMOUNT_CELLS = st.one_of(st.sampled_from([
    "-1", "-50000", "9223372036854775807", "-9223372036854775808", "10000000001", "-10000000001",
    "10000000000", "1e400", "1.234.567", "1 234,567", "NaN", "12,5", "0",
]), st.integers(min_value=-(2**70), max_value=2**70).map(str))


def cell_for(column: str):
    if column.endswith("_on"):
        return DATE_CELLS
    if column.endswith(("_cents", "_eur")):
        return AMOUNT_CELLS
    return TEXT_CELLS


@st.composite
def mutation(draw):
    """(file, kind, cell text, raw bytes, position): a cell gets a value fitting its column's kind."""
    name = draw(st.sampled_from([*FILES, *["leases.csv", "ledger.csv", "tenants.csv"] * 3]))
    kind = draw(st.sampled_from(["cell", "cell", "cell", "cell", "bytes", "drop", "double", "cut", "latin1"]))
    header = (FIXTURE / name).read_text(encoding="utf-8").splitlines()[0].split(",")
    typed = [i for i, c in enumerate(header) if c.endswith(("_on", "_cents"))]
    column = draw(st.sampled_from(typed) if typed and draw(st.booleans()) else st.integers(0, len(header) - 1))
    return name, kind, (column, draw(cell_for(header[column]))), draw(st.binary(min_size=1, max_size=6)), \
        draw(st.integers(0, 10**6))


def mutate(data: bytes, kind: str, cell: tuple[int, str], raw: bytes, where: int) -> bytes:
    lines = data.split(b"\n")
    body = [i for i, line in enumerate(lines) if line][1:] or [0]   # keep the header most of the time
    row = body[where % len(body)]
    if kind == "cell":
        column, value = cell
        cells = lines[row].split(b",")
        if column < len(cells):
            cells[column] = value.encode("utf-8", "surrogatepass")
        lines[row] = b",".join(cells)
    elif kind == "bytes":
        at = where % (len(data) + 1)
        return data[:at] + raw + data[at:]
    elif kind == "drop":
        del lines[row]
    elif kind == "double":
        lines.insert(row, lines[row])
    elif kind == "cut":
        return data[: where % (len(data) + 1)]
    elif kind == "latin1":
        lines[row] += "é".encode("cp1252")
    return b"\n".join(lines)


def loaded_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in m.INPUT_TABLES}


@seed(20251)
@settings(max_examples=int(__import__("os").environ.get("ARREARS_FUZZ_EXAMPLES", "60")), deadline=None,
          derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(mutation(), min_size=1, max_size=6))
def test_mutated_imports_load_or_refuse_cleanly(sqlite_template, mutations):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        shutil.copytree(FIXTURE, folder)
        for name, kind, cell, raw, where in mutations:
            path = folder / name
            path.write_bytes(mutate(path.read_bytes(), kind, cell, raw, where))
        db = Path(tmp) / "fuzz.db"
        shutil.copy(sqlite_template, db)
        engine = make_engine(f"sqlite:///{db}")
        try:
            try:
                report = import_dir(engine, folder)
            except ImportError_ as exc:
                assert exc.problems and all(".csv" in p for p in exc.problems)
                assert set(loaded_counts(engine).values()) == {0}   # refused as a whole: nothing loaded
                return
            for f in report.files.values():
                assert f.read == f.loaded + f.quarantined, f.name
            with engine.connect() as conn:
                for model in m.INPUT_TABLES:   # every date and every amount of every table
                    table = model.__table__
                    for row in conn.execute(select(table)).mappings():
                        for column in table.columns:
                            value = row[column.name]
                            if value is None:
                                continue
                            if isinstance(column.type, Date):
                                assert dt.date(1900, 1, 1) <= value <= dt.date(2100, 12, 31), column
                            elif column.name.endswith("_cents"):
                                assert abs(value) <= MAX_CENTS, column
                for lease in conn.execute(select(m.Lease)).mappings():
                    for column in ("rent_cents", "charges_cents", "benefit_cents", "income_cents"):
                        assert (lease[column] or 0) >= 0, column
                for (text_value,) in conn.execute(select(m.Tenant.last_name)):
                    assert "Ã" not in text_value   # no UTF-8 read as Windows-1252
                position_rows(conn, dt.date(2025, 9, 5))   # derived figures compute, no overflow
        finally:
            engine.dispose()
