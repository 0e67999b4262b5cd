"""Transfer file (dossier de transmission au contentieux) and write-off form (fiche passage en perte).

Hand-built ledgers whose statement a reader can check by eye; the PDFs are read back with pypdf, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
from pathlib import Path

import pytest
from arrears.core import models as m
from arrears.decide.decision import ChecklistItem, Decision, TaskOrder
from arrears.documents.transfer import caf_status, read_ledger, statement, write_transfer_file
from arrears.documents.write_off import write_off_form, write_off_reasons
from factories import Portfolio
from pypdf import PdfReader

AS_OF = dt.date(2025, 9, 25)
NASTY = "<b>Dupont</b> & {{ 7*7 }}"


def pdf_text(path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def squeeze(text: str) -> str:
    return "".join(text.split())


def build_transfer_lease(p: Portfolio, *, caf_report_on=None) -> str:
    """Rent 450 + charges 100, benefit 200 paid to the landlord (monthly due 350,00 €).

    Oct 2024 – Feb 2025 paid in full (350 on the 10th); March 250 only; nothing from April; a 34,56 € fee
    in August. Balance at D: 100 + 6 × 350 + 34,56 = 2 234,56 €.
    """
    lease = p.lease("T1", rent=450_00, charges=100_00, benefit=200_00, benefit_to_landlord=True,
                    start_on="2022-03-01", payment_method="direct_debit", mandate_active=True,
                    address_line1="5 place Bellecour", address_line2="Bât. B, esc. 2", postcode="69002")
    tenant = p.session.get(m.Tenant, "T1-T1")
    tenant.last_name, tenant.phone_work, tenant.email = NASTY, "04 72 11 22 33", "nadia@example.org"
    p.session.add(m.Tenant(tenant_id="T1-T2", lease_id="T1", is_holder=False, first_name="Léo",
                           last_name="Durand"))
    p.monthly(lease, "2024-10", 12, rent=450_00, charges=100_00)
    for month in range(12):
        year, mon = (2024, 10 + month) if month < 3 else (2025, month - 2)
        p.entry(lease, "benefit", dt.date(year, mon, 5), -200_00)
        if month < 5:
            p.pay(lease, dt.date(year, mon, 10), 350_00)
    p.pay(lease, "2025-03-10", 250_00)
    p.charge(lease, "2025-08-20", 34_56, kind="fee")
    p.plan(lease, agreed_on="2025-04-15", debt=450_00, status="broken", closed_on="2025-07-01",
           installments=[("2025-05-10", 150_00), ("2025-06-10", 150_00), ("2025-07-10", 150_00)])
    p.reject(lease, "2025-04-03", 350_00, code="AM04")
    p.action(lease, "2025-05-12", "phone_call", outcome="no_answer")
    p.action(lease, "2025-06-10", "formal_notice")
    if caf_report_on:
        p.action(lease, caf_report_on, "caf_report")
    p.support(lease, "2025-07-02", domain="budget")
    p.action(lease, "2025-10-02", "appointment")   # after D: not in the file
    p.commit()
    return lease


def transfer_decision(lease_id="T1") -> Decision:
    checklist = (
        ChecklistItem("Plans non respectés clôturés", "done_by_run"),
        ChecklistItem("Mandats rejetés (MD07, AC04, 3 mois) annulés", "done"),
        ChecklistItem("Signalement CAF fait", "missing"),
        ChecklistItem("Mise en demeure envoyée", "done"),
        ChecklistItem("Contact du conseiller social tenté", "missing"),
    )
    return Decision(
        lease_id=lease_id, step=6, step_id="end_of_pre_litigation", period="2025-09", as_of=AS_OF,
        profile="P3", profile_reasons=("Aucun paiement depuis 3 mois",),
        tasks=(TaskOrder(kind="transfer_review", title="Transmettre au contentieux", staff_id="S1",
                         checklist=checklist),),
        reasons=("Solde ≥ 3 quittances",),
        figures={"balance_cents": 223456, "months_in_arrears": 6.38, "arrears_start": "2025-03-01"},
    )


def test_statement_reconciles_month_by_month(engine):
    p = Portfolio(engine)
    build_transfer_lease(p)
    with engine.connect() as conn:
        entries = read_ledger(conn, "T1")
    opening, rows = statement(entries, AS_OF)
    assert opening == 0
    assert rows[0].month == dt.date(2024, 10, 1) and len(rows) == 12
    october, march, august, september = rows[0], rows[5], rows[10], rows[11]
    assert (october.charges_cents, october.payments_cents, october.benefit_cents, october.balance_cents) == (
        550_00, 350_00, 200_00, 0)
    assert (march.payments_cents, march.balance_cents) == (250_00, 100_00)
    assert (august.charges_cents, august.payments_cents, august.balance_cents) == (584_56, 0, 1884_56)
    assert september.label == "septembre 2025 (au 25/09)" and september.balance_cents == 2234_56


def test_caf_status_due_then_done(engine):
    p = Portfolio(engine)
    build_transfer_lease(p)
    with engine.connect() as conn:
        lease = conn.execute(m.Lease.__table__.select()).first()._mapping
        entries = read_ledger(conn, "T1")
    status = caf_status(dict(lease), entries, [], AS_OF, dt.date(2025, 3, 1))
    # 2 x (450 + 100 - 200) = 700,00 €; crossed on 1 May 2025 (650 → 1 000); R824-4 deadline 1 July.
    assert status["threshold_cents"] == 700_00 and status["is_due"] and status["is_missing"]
    assert status["reached_on"] == dt.date(2025, 5, 1) and status["deadline_on"] == dt.date(2025, 7, 1)
    done = caf_status(dict(lease), entries, [{"kind": "caf_report", "done_on": dt.date(2025, 6, 15)}], AS_OF,
                      dt.date(2025, 3, 1))
    assert not done["is_missing"] and done["caf_text"] == "fait le 15/06/2025"
    assert done["ccapex_text"] == "valant saisine : signalement CAF du 15/06/2025"


def test_transfer_file_pdf(engine, tmp_path):
    p = Portfolio(engine)
    build_transfer_lease(p)
    with engine.connect() as conn:
        path = write_transfer_file(conn, transfer_decision(), tmp_path)
    assert path.name == "transfer_file_2025-09_T1.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = pdf_text(path)
    assert "Dossier de transmission au contentieux" in text and "T1" in text
    assert squeeze(NASTY) in squeeze(text) and "49" not in squeeze(text).split("Dupont")[1][:20]
    assert "Léo Durand" in text and "04 72 11 22 33" in text
    # Lease, statement and totals.
    for expected in ("5 place Bellecour", "450,00 €", "100,00 €", "200,00 €", "350,00 €",
                     "tiers payant", "octobre 2024", "septembre 2025 (au 25/09)", "2 234,56 €", "1 884,56 €",
                     "584,56 €"):
        assert expected in text, expected
    # CAF / CCAPEX status, history, plans, rejects, supports.
    assert "700,00 €" in text and "01/05/2025" in text and "01/07/2025" in text and "dû et non fait" in text
    assert "Mise en demeure (LRAR)" in text and "Appel téléphonique" in text and "sans réponse" in text
    assert "02/10/2025" not in text
    assert "Planamiable" in squeeze(text) and "nonrespecté(rompu)" in squeeze(text)
    assert "AM04" in text and "provision insuffisante" in text
    assert "Budget" in text and "Samia Benali" in text
    assert "6 634,56 €" in text      # 12 × 550,00 € + the 34,56 € fee billed over the statement
    # The pre-transfer checklist with the three states.
    assert "Plans non respectés clôturés" in text
    assert text.count("fait par ce traitement") == 1
    assert text.count("manquant") == 2
    assert "Page 1 /" in text


def test_transfer_file_with_caf_report_done(engine, tmp_path):
    p = Portfolio(engine)
    build_transfer_lease(p, caf_report_on="2025-06-15")
    path = write_transfer_file(engine, transfer_decision(), tmp_path)
    text = pdf_text(path)
    assert "fait le 15/06/2025" in text and "dû et non fait" not in text


def test_write_off_form_small_balance_without_address(engine, tmp_path):
    p = Portfolio(engine)
    p.lease("W1", start_on="2019-05-01", end_on="2024-06-30")
    p.session.get(m.Tenant, "W1-T1").last_name = NASTY
    p.charge("W1", "2024-06-01", 600_00)
    p.pay("W1", "2024-05-10", 350_00)
    p.action("W1", "2024-08-01", "letter")
    p.action("W1", "2024-09-15", "phone_call", outcome="no_answer")
    p.commit()
    decision = Decision(lease_id="W1", step=14, step_id="write_offs", period="2025-09", as_of=AS_OF)
    with engine.connect() as conn:
        path = write_off_form(conn, decision, tmp_path)
    assert path.name == "write_off_form_2025-09_W1.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = pdf_text(path)
    assert "Fiche passage en perte" in text and "W1" in text and squeeze(NASTY) in squeeze(text)
    assert "250,00 €" in text and "30/06/2024" in text and "01/05/2019" in text
    assert "10/05/2024" in text and "350,00 €" in text
    assert "aucune adresse connue" in text
    assert "Solde inférieur à 300,00 €" in text and "Locataire parti sans laisser d'adresse" in text
    assert "Visa du responsable" in text and "Comptabilité" in text
    assert "Appel téléphonique" in text and "15/09/2024" in text


def test_write_off_form_debt_erased_with_forwarding_address(engine, tmp_path):
    p = Portfolio(engine)
    p.lease("W2", end_on="2024-03-31", forwarding={"line1": "8 rue des Lilas", "postcode": "38000",
                                                    "city": "Grenoble"})
    p.charge("W2", "2024-03-01", 800_00)
    p.plan("W2", kind="overindebtedness", agreed_on="2024-06-01", debt=800_00, status="erased",
           closed_on="2025-01-15")
    p.commit()
    decision = Decision(lease_id="W2", step=14, step_id="write_offs", period="2025-09", as_of=AS_OF)
    path = write_off_form(engine, decision, tmp_path)
    text = pdf_text(path)
    assert "8 rue des Lilas" in text and "38000 Grenoble" in text and "aucune adresse connue" not in text
    squeezed = squeeze(text)
    assert "Plandesurendettement" in squeezed and "detteeffacée" in squeezed and "15/01/2025" in text


@pytest.mark.parametrize(("balance", "address", "erased", "expected"), [
    (299_99, "x", False, {"small_balance"}),
    (300_00, "x", False, set()),
    (300_00, None, False, {"no_forwarding_address"}),
    (500_00, "x", True, {"debt_erased"}),
])
def test_write_off_reasons(balance, address, erased, expected):
    lease = {"forwarding_address_line1": address, "forwarding_city": "Lyon" if address else None}
    plans = [{"plan_id": "P1", "kind": "overindebtedness", "status": "erased",
              "closed_on": dt.date(2025, 1, 1)}] if erased else []
    reasons = write_off_reasons(lease, plans, balance, AS_OF)
    assert {r["code"] for r in reasons if r["applies"]} == expected


# --------------------------------------------------------------------------------------------------
# Page breaks: no page holds only a heading (issue 16: a third page with only "Accompagnement social").
# --------------------------------------------------------------------------------------------------

TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / "documents"


def _template_texts(pattern: str) -> list[str]:
    """Static texts of the transfer file's headings or table header cells (Jinja expressions removed)."""
    source = (TEMPLATE / "transfer_file.html").read_text() + (TEMPLATE / "_actions.html").read_text()
    texts = []
    for raw in re.findall(pattern, source, flags=re.DOTALL):
        raw = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>", "", raw)
        if squeeze(raw):
            texts.append(squeeze(raw))
    return texts


HEADINGS = _template_texts(r"<h2[^>]*>(.*?)</h2>")
TABLE_HEADS = ["".join(_template_texts(r"<th[^>]*>(.*?)</th>"))]


def _is_not_content(line: str) -> bool:
    """A heading, a table's header row, or a line saying there is nothing ("Aucun …", "Sans objet : …")."""
    s = squeeze(line)
    return (s in HEADINGS or any(s in head for head in TABLE_HEADS) or s.startswith("Duesau")
            or line.startswith(("Aucun", "Sans objet")))


def page_content_lines(path) -> list[list[str]]:
    """Each page's text lines without the running header and footer."""
    pages = []
    for page in PdfReader(path).pages:
        lines = [x.replace("\u00a0", " ").strip() for x in page.extract_text().splitlines()]
        lines = [x for x in lines if x and not x.startswith(("Document confidentiel", "Page "))
                 and "· Dossier de transmission au contentieux" not in x and not re.match(r"Bail \S+ · au ", x)]
        pages.append(lines)
    return pages


def test_headings_known():
    assert "Accompagnementsocial" in HEADINGS and "Historiquedesactions" in HEADINGS and len(HEADINGS) >= 8


@pytest.mark.parametrize(("supports", "extra_actions"),
                         [(False, n) for n in range(13)] + [(True, n) for n in range(0, 40, 5)])
def test_no_page_holds_only_a_heading(sqlite_engine, tmp_path, supports, extra_actions):
    """Histories of every length push the last sections across a page end: no page is left holding only a
    heading, a table header or a "nothing recorded" line, and no page ends with a heading."""
    p = Portfolio(sqlite_engine)
    lease = build_transfer_lease(p)
    if not supports:
        p.session.query(m.SocialSupport).delete()
    for i in range(extra_actions):
        p.action(lease, dt.date(2024, 1, 1) + dt.timedelta(days=7 * i), "phone_call", outcome="no_answer")
    p.commit()
    path = write_transfer_file(sqlite_engine, transfer_decision(), tmp_path)
    pages = page_content_lines(path)
    for number, lines in enumerate(pages, start=1):
        assert not all(_is_not_content(x) for x in lines), f"page {number} holds only {lines}"
        assert squeeze(lines[-1]) not in HEADINGS, f"page {number} ends with the heading {lines[-1]!r}"
    text = " ".join(" ".join(lines) for lines in pages)
    if not supports:
        assert "Sans objet : aucun accompagnement social enregistré." in text
        assert "Accompagnement social" not in text.replace("aucun accompagnement social", "")
    else:
        assert "Accompagnement social" in text and "Sans objet" not in text
