"""Step 14's list for accounting: its own document, written once the manager has answered (PLAN.md rev. 5)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from arrears.act.approvals import record_answers
from arrears.decide.decision import Decision
from arrears.documents.write_off import write_accounting_list
from factories import Portfolio
from openpyxl import load_workbook
from pypdf import PdfReader

D = dt.date(2025, 9, 15)


def decision(lease_id: str, balance: int) -> Decision:
    return Decision(lease_id=lease_id, step=14, step_id="write_offs", period="2025-09", as_of=D,
                    figures={"balance_cents": balance})


@pytest.fixture
def decisions(engine):
    p = Portfolio(engine)
    p.lease("W1", end_on="2024-03-31")                     # no forwarding address
    p.lease("W2", end_on="2024-05-31", forwarding={"line1": "3 rue Neuve", "postcode": "38000",
                                                   "city": "Grenoble"})
    p.lease("W3", end_on="2024-06-30")
    for lease_id in ("W1", "W2", "W3"):
        p.charge(lease_id, "2024-03-01", 250_00)
    p.pay("W2", "2024-04-02", 30_00)
    p.commit()
    return [decision("W1", 250_00), decision("W2", 220_00), decision("W3", 250_00)]


def xlsx_rows(path) -> list[tuple]:
    ws = load_workbook(path).active
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_written_once_answered_with_the_columns_accounting_needs(engine, decisions, tmp_path):
    # before any answer: no list (the September defect: written on the 15th with one lease)
    assert write_accounting_list(engine, decisions, tmp_path, as_of=D) == []
    record_answers(engine, 14, "2025-09", ["W1", "W2"], [], "m.dupuis")
    assert write_accounting_list(engine, decisions, tmp_path, as_of=D) == []   # W3 still unanswered
    record_answers(engine, 14, "2025-09", [], ["W3"], "m.dupuis")
    xlsx, pdf = write_accounting_list(engine, decisions, tmp_path, as_of=D)
    assert xlsx.name == "accounting_list_2025-09-15.xlsx" and pdf.suffix == ".pdf"
    rows = xlsx_rows(xlsx)
    assert rows[0] == ("Bail", "Ancien locataire", "Date de sortie", "Montant à passer en perte", "Motif",
                       "Approuvé par", "Date d'approbation", "Dernier paiement", "Montant dernier paiement")
    w1, w2, total = rows[1], rows[2], rows[3]
    assert w1[0] == "W1" and w1[1] == "Mme Nadia Durand" and w1[2].date() == dt.date(2024, 3, 31)
    assert w1[3] == pytest.approx(250.00) and w1[5] == "m.dupuis" and w1[6] is not None
    assert "Solde inférieur à 300,00" in w1[4] and "sans laisser d'adresse" in w1[4]
    assert w1[7] is None
    assert w2[0] == "W2" and w2[3] == pytest.approx(220.00) and "sans laisser d'adresse" not in w2[4]
    assert w2[7].date() == dt.date(2024, 4, 2) and w2[8] == pytest.approx(30.00)
    assert total[0] == "Total" and total[3] == pytest.approx(470.00)
    text = re.sub(r"\s+", " ", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages))
    assert "W1" in text and "W2" in text and "W3" not in text
    assert "1 proposition refusée" in text and "m.dupuis" in text
    # answered again: nothing new, nothing rewritten
    assert write_accounting_list(engine, decisions, tmp_path, as_of=D) == []
    # the manager changes their mind on W3 later: a complement list holding W3 only
    record_answers(engine, 14, "2025-09", ["W3"], [], "m.dupuis")
    [xlsx2, _pdf2] = write_accounting_list(engine, decisions, tmp_path, as_of=D)
    assert xlsx2.name == "accounting_list_2025-09-15-2.xlsx"
    assert [r[0] for r in xlsx_rows(xlsx2)[1:]] == ["W3", "Total"]
    assert [r[0] for r in xlsx_rows(xlsx)[1:]] == ["W1", "W2", "Total"]
