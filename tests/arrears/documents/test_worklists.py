"""Officers' worklists: XLSX read back with openpyxl, PDF text read back with pypdf, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import stat

import pytest
from arrears.core import models as m
from arrears.decide.decision import ChecklistItem, Decision, TaskOrder
from arrears.documents.worklists import write_worklists
from factories import Portfolio
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

AS_OF = dt.date(2025, 9, 25)
NBSP = "\u00a0"
NASTY = "<b>Dupont</b> & {{ 7*7 }}"


def pdf_text(path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """PDF text with no-break and narrow spaces as plain spaces, for readable assertions."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def decision(lease_id, *, step=5, step_id="files_without_action", priority=2, staff="S1", balance=60000,
             arrears_start="2025-06-01", debt_age=116, months="1.00", due_on="2025-10-05",
             checklist=(), profile="P4", title="Appeler le locataire", extra_tasks=()) -> Decision:
    tasks = (TaskOrder(kind="no_action_review", title=title, staff_id=staff, priority=priority,
                       due_on=dt.date.fromisoformat(due_on) if due_on else None,
                       checklist=tuple(ChecklistItem(label, state) for label, state in checklist)),
             *extra_tasks)
    return Decision(
        lease_id=lease_id, step=step, step_id=step_id, period="2025-09", as_of=AS_OF, profile=profile,
        profile_reasons=("Premier impayé depuis un an",), tasks=tasks,
        reasons=("Aucune action depuis 30 jours",),
        figures={"balance_cents": balance, "monthly_due_cents": 60000, "months_in_arrears": months,
                 "arrears_start": arrears_start, "debt_since": arrears_start, "debt_age_days": debt_age},
    )


@pytest.fixture
def portfolio(engine):
    p = Portfolio(engine)
    p.session.add(m.Staff(staff_id="S2", agency_id="A1", role="recovery_officer", first_name="Paul",
                          last_name="Girard"))
    p.session.flush()
    for lease_id in ("L1", "L2", "L3", "L4", "00417", "L6"):
        p.lease(lease_id)
    # A tenant whose name looks like markup and a template expression, plus a second holder.
    tenant = p.session.get(m.Tenant, "L1-T1")
    tenant.first_name, tenant.last_name = "Jean", NASTY
    tenant.phone_home, tenant.phone_work = "04 78 00 00 01", "04 72 99 99 99"
    p.session.add(m.Tenant(tenant_id="L1-T2", lease_id="L1", is_holder=True, civility="M.", first_name="Marc",
                           last_name="Petit", phone_mobile="07 00 00 00 02"))
    p.session.add(m.Tenant(tenant_id="L1-T3", lease_id="L1", is_holder=True, civility="M.", first_name="Louis",
                           last_name="Ancien", phone_mobile="06 99 99 99 99", is_deceased=True))
    # A formula-looking name must stay text in Excel.
    p.session.get(m.Tenant, "L6-T1").last_name = "=HYPERLINK(\"http://x\")"
    p.monthly("L1", "2025-06", 4)
    p.pay("L1", "2025-07-03", 250_00)
    p.pay("L1", "2025-08-10", 120_44, kind="direct_debit")
    p.pay("L1", "2025-09-30", 99_00)            # after D: not the last payment at D
    p.action("L1", "2025-07-20", "phone_call", outcome="no_answer")
    p.action("L1", "2025-10-01", "letter")      # after D
    p.commit()
    return p


@pytest.fixture
def decisions():
    return [
        decision("L1", priority=2, balance=123456, arrears_start="2025-06-01", debt_age=116, months="2.06",
                 checklist=[("Appel sur tous les numéros", "done"), ("Contact MDM / CCAS", "missing"),
                            ("Convocation", "done_by_run")]),
        decision("L2", priority=1, balance=50000, arrears_start="2025-07-01", debt_age=86, due_on="2025-09-20"),
        decision("L3", priority=2, balance=90000, arrears_start="2025-03-01", debt_age=208),
        decision("L4", priority=2, balance=200000, arrears_start="2025-06-01", debt_age=116, staff="S2"),
        decision("00417", priority=2, balance=150000, arrears_start="2025-06-01", debt_age=116),
        decision("L6", priority=3, balance=None, arrears_start=None, debt_age=None, months=None, due_on=None,
                 profile=None),
    ]


def test_one_pair_of_files_per_officer(engine, portfolio, decisions, tmp_path):
    paths = write_worklists(engine, decisions, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    names = sorted(p.name for p in paths)
    assert names == [
        "worklist_files_without_action_2025-09-25_S1.pdf", "worklist_files_without_action_2025-09-25_S1.xlsx",
        "worklist_files_without_action_2025-09-25_S2.pdf", "worklist_files_without_action_2025-09-25_S2.xlsx",
    ]
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_xlsx_header_filter_formats_and_sort_order(engine, portfolio, decisions, tmp_path):
    write_worklists(engine, decisions, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    ws = load_workbook(tmp_path / "worklist_files_without_action_2025-09-25_S1.xlsx").active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Priorité (score)", "Bail", "Raison de la priorité"]
    assert ws.freeze_panes == "C2"     # header row, score and lease stay in view
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}6"
    col = {name: i + 1 for i, name in enumerate(header)}
    leases = [ws.cell(r, col["Bail"]).value for r in range(2, ws.max_row + 1)]
    scores = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    # L2's deadline is past (+1000); then 1 point per 100 € and 2 per 30 days of arrears: 00417 and L3 tie
    # at 23 (15 + 8, 9 + 14), the larger balance first; L1 12 + 8; L6 nothing.
    assert leases == ["L2", "00417", "L3", "L1", "L6"]
    assert scores == [1011, 23, 23, 20, 0]
    l2 = leases.index("L2") + 2
    assert ws.cell(l2, col["Raison de la priorité"]).value == (
        "échéance dépassée de 5 j : +1000 ; solde 500,00\u00a0€ : +5 ; impayé depuis 86 j : +6")
    assert ws.cell(l2, col["Retard"]).value == "en retard de 5 j"
    for name in ("Échéance", "Retard"):
        assert ws.cell(l2, col[name]).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(leases.index("L1") + 2, col["Retard"]).value is None
    assert ws.cell(leases.index("L1") + 2, col["Échéance"]).fill.fgColor.rgb in (None, "00000000")
    l1 = leases.index("L1") + 2
    assert ws.cell(l1, col["Solde"]).value == pytest.approx(1234.56)
    assert ws.cell(l1, col["Solde"]).number_format == '#,##0.00 "€"'
    start = ws.cell(l1, col["Début de l'impayé"])
    assert start.value.date() == dt.date(2025, 6, 1) and start.number_format == "dd/mm/yyyy"
    assert ws.cell(l1, col["Ancienneté de la dette (jours)"]).value == 116
    assert ws.cell(l1, col["Mois d'impayé"]).value == pytest.approx(2.06)
    # Living holders only; the deceased holder is not listed; the name prints literally.
    assert ws.cell(l1, col["Locataire(s)"]).value == f"Mme Jean {NASTY}\nM. Marc Petit"
    assert ws.cell(l1, col["Tél. mobile"]).value == f"06 12 34 56 78 ({NASTY})\n07 00 00 00 02 (Petit)"
    assert ws.cell(l1, col["Tél. travail (employeur)"]).value == f"04 72 99 99 99 ({NASTY})"
    # Last payment and last action at D (later ones ignored).
    assert ws.cell(l1, col["Dernier paiement"]).value.date() == dt.date(2025, 8, 10)
    assert ws.cell(l1, col["Montant dernier paiement"]).value == pytest.approx(120.44)
    assert ws.cell(l1, col["Dernière action"]).value.date() == dt.date(2025, 7, 20)
    assert ws.cell(l1, col["Nature dernière action"]).value == "Appel téléphonique (sans réponse)"
    assert ws.cell(l1, col["Incontournables"]).value == (
        "Appel sur tous les numéros : fait\nContact MDM / CCAS : à faire\nConvocation : fait par ce traitement")
    assert ws.cell(l1, col["Échéance"]).value.date() == dt.date(2025, 10, 5)
    assert ws.cell(l1, col["Profil"]).value == "P4 — Difficulté passagère"
    assert ws.cell(leases.index("00417") + 2, col["Bail"]).value == "00417"   # leading zeros kept
    l6 = leases.index("L6") + 2
    assert ws.cell(l6, col["Locataire(s)"]).value == 'Mme Nadia =HYPERLINK("http://x")'
    assert ws.cell(l6, col["Locataire(s)"]).data_type == "s"
    assert ws.cell(l6, col["Solde"]).value is None


def test_pdf_lists_the_rows_with_french_amounts(engine, portfolio, decisions, tmp_path):
    write_worklists(engine, decisions, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    reader = PdfReader(tmp_path / "worklist_files_without_action_2025-09-25_S1.pdf")
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)     # A4 landscape
    text = flat(pdf_text(tmp_path / "worklist_files_without_action_2025-09-25_S1.pdf"))
    assert "Claire Martin" in text and "Dossiers sans action" in text
    assert "1 234,56 €" in text and "120,44 €" in text
    squeezed = "".join(text.split())
    assert "".join(NASTY.split()) in squeezed and "49" not in squeezed
    assert "fait par ce traitement" in text and "à faire" in text
    assert "Page 1 / 1" in text
    assert text.index("L2") < text.index("00417") < text.index("L3") < text.index("L1\n")
    assert "en retard de 5 j" in text and "1 échéance dépassée" in text
    other = flat(pdf_text(tmp_path / "worklist_files_without_action_2025-09-25_S2.pdf"))
    assert "Paul Girard" in other and "2 000,00 €" in other and "L1\n" not in other


def test_tasks_for_two_people_split_and_missing_staff_falls_back_to_officer(engine, portfolio, tmp_path):
    visit = TaskOrder(kind="home_visit", title="Visite à domicile", staff_id="C1", priority=1)
    ds = [decision("L1", staff=None, extra_tasks=(visit,)), decision("L2", step=3, step_id="x", staff="S2")]
    ds[1] = Decision(**{**ds[1].__dict__, "step_id": "files_without_action", "tasks": ()})  # no task: no list
    paths = write_worklists(engine, ds, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    assert sorted(p.name for p in paths if p.suffix == ".xlsx") == [
        "worklist_files_without_action_2025-09-25_C1.xlsx", "worklist_files_without_action_2025-09-25_S1.xlsx"]
    ws = load_workbook(tmp_path / "worklist_files_without_action_2025-09-25_C1.xlsx").active
    assert ws.max_row == 2 and ws["B2"].value == "L1" and ws["A2"].value == 14


def test_hand_over_list_has_every_decision(engine, portfolio, decisions, tmp_path):
    ds = [*decisions, Decision(lease_id="L3", step=14, step_id="files_without_action", period="2025-09",
                                as_of=AS_OF, figures={"balance_cents": 100})]
    paths = write_worklists(engine, ds, tmp_path, step_title="Passage en pertes", as_of=AS_OF,
                            title="Liste pour la comptabilité", group_by=None, file_prefix="accounting_list")
    assert [p.name for p in paths] == ["accounting_list_files_without_action_2025-09-25.xlsx",
                                       "accounting_list_files_without_action_2025-09-25.pdf"]
    ws = load_workbook(paths[0]).active
    assert ws.max_row == 1 + len(ds)
    assert "Liste pour la comptabilité" in flat(pdf_text(paths[1]))


def test_no_decisions_no_files(engine, tmp_path):
    assert write_worklists(engine, [], tmp_path, step_title="x", as_of=AS_OF) == []


def test_all_holders_deceased_shows_succession(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    p.lease("L9", deceased=True)
    p.commit()
    with Session(sqlite_engine) as s:
        assert s.get(m.Tenant, "L9-T1").is_deceased
    write_worklists(sqlite_engine, [decision("L9")], tmp_path, step_title="x", as_of=AS_OF)
    ws = load_workbook(tmp_path / "worklist_files_without_action_2025-09-25_S1.xlsx").active
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Locataire(s)") + 1).value.startswith("Succession — aucun titulaire en vie")
    assert ws.cell(2, header.index("Tél. mobile") + 1).value is None  # no phone of a deceased holder


def test_long_worklist_repeats_its_header_on_every_page(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    ids = [f"L{i:03d}" for i in range(25)]
    for lease_id in ids:
        p.lease(lease_id, tenants=2)   # Durand and Durand2
    p.commit()
    # Decisions as the journal stores them (JSON: dates and numbers as plain values).
    ds = [Decision.from_dict(decision(lease_id, balance=100000 + i).to_dict()) for i, lease_id in enumerate(ids)]
    write_worklists(sqlite_engine, ds, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    path = tmp_path / "worklist_files_without_action_2025-09-25_S1.pdf"
    reader = PdfReader(path)
    assert len(reader.pages) > 1
    for number, page in enumerate(reader.pages, start=1):
        text = flat(page.extract_text())
        assert "Priorité" in text and "Échéance" in text and "Claire Martin" in text
        assert f"Page {number} / {len(reader.pages)}" in text
    ws = load_workbook(tmp_path / "worklist_files_without_action_2025-09-25_S1.xlsx").active
    # same score and deadline: largest balance first
    assert [ws.cell(r, 2).value for r in range(2, 5)] == ["L024", "L023", "L022"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Tél. mobile") + 1).value == "06 12 34 56 78 (Durand)\n06 12 34 56 78 (Durand2)"


def test_pdf_holds_at_least_ten_typical_rows_a_page(sqlite_engine, tmp_path):
    """A demo-like row (step 3): two holders with phones, a two-line address, housing benefit, four
    checklist items, the task and two reasons — the September PDF held three such rows a page."""
    p = Portfolio(sqlite_engine)
    ids = [f"L-{i:06d}" for i in range(30)]
    for lease_id in ids:
        p.lease(lease_id, tenants=2, address_line1="140 rue du Professeur Paul Sisley",
                address_line2="Appartement 721, bâtiment 2", benefit=241_00, benefit_to_landlord=True)
    p.commit()
    checklist = (("Appeler tous les numéros, y compris celui de l'employeur", "missing"),
                 ("Contacter les partenaires sociaux (MDM ou CCAS)", "done"),
                 ("Convoquer le locataire par courrier", "done_by_run"),
                 ("Mise en demeure en LRAR si la convocation reste sans réponse", "missing"))
    ds = []
    for i, lease_id in enumerate(ids):
        d = decision(lease_id, balance=250000 + 1000 * i, checklist=checklist, profile="P1",
                     title="Dette de plus de 1 500 € : appeler tous les numéros (employeur compris), contacter "
                           "MDM/CCAS")
        ds.append(Decision(**{**d.__dict__, "reasons": (
            "Solde de 3 126,00 € (5,21 mois), supérieur au seuil de 1 500,00 €",
            "Aucun contact depuis 30 jours : convocation ; signalement CAF à faire avant le 1er septembre 2025"),
            "profile_reasons": ("6 mois payés en retard sur les 6 derniers mois",)}))
    paths = write_worklists(sqlite_engine, ds, tmp_path, step_title="Dossiers + 1 500 €", as_of=AS_OF)
    reader = PdfReader(next(x for x in paths if x.suffix == ".pdf"))
    first = reader.pages[0].extract_text()
    assert sum(1 for lease_id in ids if lease_id in first) >= 10
    assert len(reader.pages) <= 3


def test_priority_rule_comes_from_the_plan_file(tmp_path):
    from arrears.config.plan import DEFAULT_PLAN_PATH, PlanError, load_plan
    from arrears.documents.worklists import PriorityRule, WorklistRow, score_row

    text = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
    custom = tmp_path / "plan.toml"
    custom.write_text(text.replace("worklist_deadline_days = 7", "worklist_deadline_days = 20")
                      .replace("worklist_points_per_100_eur = 1", "worklist_points_per_100_eur = 2"), encoding="utf-8")
    rule = PriorityRule.from_plan(load_plan(custom))
    assert rule == PriorityRule(deadline_days=20, deadline_points=1000, points_per_100_eur=2, points_per_30_days=2)
    row = WorklistRow(priority=2, lease_id="L1", tenants="", phone_mobile="", phone_home="", phone_work="",
                      balance_cents=123456, months_in_arrears=None, arrears_start=None, debt_age_days=None,
                      profile="", profile_reasons="", reasons="", last_payment_on=None, last_payment_cents=None,
                      last_action_on=None, last_action="", due_on=dt.date(2025, 10, 10), arrears_age_days=45)
    assert score_row(row, AS_OF, rule)[0] == 1000 + 25 + 3      # deadline in 15 days ≤ 20; 12,35 × 2; 45/30 × 2
    assert score_row(row, AS_OF, PriorityRule())[0] == 12 + 3   # default: 15 days is not within 7
    custom.write_text(text.replace("worklist_deadline_days = 7", "worklist_deadline_days = -1"), encoding="utf-8")
    with pytest.raises(PlanError, match="worklist_deadline_days must not be negative"):
        load_plan(custom)


def test_lists_laid_out_over_worker_processes_are_the_same_files(engine, portfolio, decisions, tmp_path):
    """A large run lays its lists out over the render workers (spawned processes): same names, same cells,
    same text as in one process."""
    alone = write_worklists(engine, decisions, tmp_path / "one", step_title="Dossiers sans action", as_of=AS_OF,
                            workers=1)
    pooled = write_worklists(engine, decisions, tmp_path / "two", step_title="Dossiers sans action", as_of=AS_OF,
                             workers=2)
    assert [p.name for p in pooled] == [p.name for p in alone] and len(alone) == 4
    for a, b in zip(alone, pooled, strict=True):
        assert stat.S_IMODE(b.stat().st_mode) == 0o600
        if a.suffix == ".xlsx":
            cells = [[[c.value for c in row] for row in load_workbook(p).active.iter_rows()] for p in (a, b)]
            assert cells[0] == cells[1]
        else:
            assert pdf_text(a) == pdf_text(b)


def test_a_cells_lines_stay_lines_in_the_pdf(engine, portfolio, decisions, tmp_path):
    """Lines within a cell are newlines kept by the stylesheet (not <br>): each still starts a line."""
    write_worklists(engine, decisions, tmp_path, step_title="Dossiers sans action", as_of=AS_OF)
    lines = flat(pdf_text(tmp_path / "worklist_files_without_action_2025-09-25_S1.pdf")).splitlines()
    assert "en retard de 5 j" in lines                              # the due date's flag, on a line of its own
    assert any(line.startswith("Incontournables :") for line in lines)
    assert any(line.startswith("Tâche : Appeler le locataire") for line in lines)


def test_map_documents_keeps_the_jobs_order():
    from arrears.documents.render import map_documents

    jobs = ["a", "bbb", "cc", "dddd"]
    assert map_documents(len, jobs, workers=2, weights=[1, 3, 2, 4]) == [1, 3, 2, 4]
    assert map_documents(len, jobs) == [1, 3, 2, 4]
