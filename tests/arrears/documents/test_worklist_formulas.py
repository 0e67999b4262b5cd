"""Formula injection in the officers' worklist XLSX: a phone number or a name a spreadsheet would run as a
formula (= + - @) is written as text through arrears.core.tabular.safe_cell."""

from __future__ import annotations

from arrears.core import models as m
from arrears.documents.worklists import write_worklists
from openpyxl import load_workbook
from test_worklists import AS_OF, decision, portfolio  # noqa: F401 - the fixture is used by name


def test_worklist_xlsx_cells_are_never_formulas(engine, portfolio, tmp_path):  # noqa: F811
    tenant = portfolio.session.get(m.Tenant, "L2-T1")
    tenant.phone_mobile = "+33 6 12 34 56 78"
    tenant.phone_work = "=1+1"
    tenant.email = "@SUM(A1)"
    portfolio.commit()
    write_worklists(engine, [decision("L2")], tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    ws = load_workbook(next(tmp_path.glob("*.xlsx"))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert "'+33 6 12 34 56 78" in values
    assert "'=1+1" in values
