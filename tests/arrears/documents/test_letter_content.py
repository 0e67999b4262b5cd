"""What a recovery officer and a housing lawyer read in each letter type (PLAN.md "Letters", revision 5):
deadlines from first presentation, the legal mentions, the last notice naming its formal notice, help that
scales with the debt, agreement with the tenant's civility, per-type content, no forbidden line break."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from arrears.core import models as m
from arrears.decide.decision import Decision, LetterOrder
from arrears.documents.letters import render_letters
from factories import Portfolio
from pypdf import PdfReader
from sqlalchemy import text

D = dt.date(2025, 9, 5)
DUE = 600_00   # rent 500 € + charges 100 €, no benefit: the monthly due


def raw_text(path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def flat(path) -> str:
    return re.sub(r"\s+", " ", raw_text(path))


def letter(lease_id, letter_type, *, profile="P0", step=3, **order) -> Decision:
    return Decision(lease_id=lease_id, step=step, step_id="t", period="2025-09", as_of=D, profile=profile,
                    letter=LetterOrder(letter_type, **order))


def civilities(p: Portfolio, lease_id: str, *civs: str) -> None:
    for i, civ in enumerate(civs, start=1):
        p.session.execute(text("update tenants set civility = :c where tenant_id = :t"),
                          {"c": civ, "t": f"{lease_id}-T{i}"})


@pytest.fixture(scope="module")
def letters(tmp_path_factory, sqlite_template):
    """One batch holding every case below (one WeasyPrint layout for the module)."""
    import shutil

    from arrears.core.db import engine_for

    folder = tmp_path_factory.mktemp("content")
    db = folder / "db.sqlite"
    shutil.copy(sqlite_template, db)
    engine = engine_for(f"sqlite:///{db}")
    p = Portfolio(engine)
    decisions = []

    # formal notice to a woman, 320 € of housing benefit paid to the landlord, 3 months owed
    p.lease("FN", benefit=320_00, benefit_to_landlord=True)
    p.charge("FN", "2025-09-01", 3 * (DUE - 320_00))
    decisions.append(letter("FN", "formal_notice", registered=True, deadline_days=8))

    # last notice to a man, after a formal notice of 7 July 2025 sent as registered letter 1A 123 456 7890 3
    p.lease("LN")
    civilities(p, "LN", "M.")
    p.charge("LN", "2025-03-01", 7 * DUE)
    p.session.add(m.Document(document_id="LTR-2025-07-S03-x", lease_id="LN", step=3, period="2025-07",
                             doc_type="formal_notice", letter_class="registered", registered_number="1A12345678903",
                             created_at=dt.datetime(2025, 7, 7)))
    p.session.add(m.Action(action_id="ACT-FN-LN", lease_id="LN", done_on=dt.date(2025, 7, 7), kind="formal_notice",
                           step=3, period="2025-07", document_id="LTR-2025-07-S03-x"))
    decisions.append(letter("LN", "last_notice", step=11, registered=True, deadline_days=8))

    # help at 0,5 / 1,5 / 3 monthly dues (profile P0), and at 0,5 for a profile P2
    for lease_id, months, profile in (("H05", 0.5, "P0"), ("H15", 1.5, "P0"), ("H3", 3, "P0"),
                                      ("H05P2", 0.5, "P2")):
        p.lease(lease_id, start_on="2023-11-01")   # 22 months before D
        p.charge(lease_id, "2025-09-01", int(months * DUE))
        decisions.append(letter(lease_id, "repeat_debtor", profile=profile, step=8))

    # agreement: M., Mme, a couple (M. and Mme)
    for lease_id, civs in (("AM", ("M.",)), ("AF", ("Mme",)), ("AC", ("M.", "Mme"))):
        p.lease(lease_id, tenants=len(civs))
        civilities(p, lease_id, *civs)
        p.charge(lease_id, "2025-08-01", 2 * DUE)
        p.plan(lease_id, agreed_on="2025-05-10", debt=900_00,
               installments=[("2025-06-10", 100_00), ("2025-07-10", 100_00)])
        decisions.append(letter(lease_id, "broken_plan_reminder", step=4))

    # a convocation at 7 monthly dues: "7 mois", never "7,0 mois"
    p.lease("CV")
    p.charge("CV", "2025-02-01", 7 * DUE)
    decisions.append(letter("CV", "convocation"))

    # new tenants (profile P2): 4 months in the lodging, and 22 months
    for lease_id, start in (("NT4", "2025-05-01"), ("NT22", "2023-11-01")):
        p.lease(lease_id, start_on=start, benefit=250_00, benefit_to_landlord=True)
        p.charge(lease_id, "2025-08-01", 2 * DUE)
        decisions.append(letter(lease_id, "new_tenant", profile="P2", step=7))

    # late payer: rent due on the 1st, paid on the 20th from March to August
    p.lease("LP")
    p.monthly("LP", "2025-03", 7)
    for month in range(3, 9):
        p.pay("LP", f"2025-{month:02d}-20", DUE)
    decisions.append(letter("LP", "late_payment", profile="P1", step=9))

    # SLS sanction: a provisional supplement of 150 € a month since July
    p.lease("SLS", sls_status="sanction")
    p.monthly("SLS", "2025-07", 3)
    for month in (7, 8, 9):
        p.charge("SLS", f"2025-{month:02d}-01", 150_00, kind="sls")
    p.pay("SLS", "2025-07-03", DUE)
    p.pay("SLS", "2025-08-03", DUE)
    decisions.append(letter("SLS", "sls_sanction", step=12))

    # departed tenant: last dues, repairs, the deposit kept
    p.lease("DEP", end_on="2025-06-30", forwarding={"line1": "3 rue Neuve", "postcode": "69100", "city": "Villeurbanne"})
    p.monthly("DEP", "2025-05", 2)
    p.pay("DEP", "2025-05-05", DUE)
    p.entry("DEP", "fee", "2025-07-25", 420_00, due_on="2025-07-25", label="Réparations locatives (état des lieux)")
    p.entry("DEP", "adjustment", "2025-07-25", -500_00, label="Imputation du dépôt de garantie")
    decisions.append(letter("DEP", "departed_tenant", step=15, to_forwarding_address=True))

    p.session.execute(text("update agencies set name = 'Agence Lyon 8e - 9e', email = 'agence8@autre-domaine.example'"))
    p.commit()
    result = render_letters(engine, decisions, folder)
    assert result.failures == []
    return {r.lease_id: r for r in result.rendered}


def test_formal_notice_deadline_and_mentions(letters):
    body = flat(letters["FN"].path)
    assert "dans un délai de 8 jours à compter de la première présentation de ce courrier" in body
    assert "au plus tard le" not in body and "13 septembre 2025" not in body
    assert "article 1344 du Code civil" in body and "1344-1" in body
    assert "commissaire de justice" in body and "commandement de payer" in body
    assert "CCAPEX" in body and "vaut saisine de la CCAPEX" in body          # benefit paid: the CAF report
    assert "commission de surendettement de la Banque de France" in body
    assert "Votre aide au logement (320,00 € par mois, qui nous est versée directement) est maintenue" in body
    assert "article 24 V de la loi n° 89-462" in body and "article 1343-5 du Code civil" in body
    assert "trois ans" in body and "Fonds de solidarité pour le logement" in body


def test_last_notice_names_its_formal_notice(letters):
    body = flat(letters["LN"].path)
    assert "Par lettre recommandée du 7 juillet 2025 (n° 1A 123 456 7890 3)" in body
    assert "nous vous avons mis en demeure" in body                         # M.: no agreement mark
    assert "à compter de la première présentation" in body
    assert "7 mois de loyer et charges" in body and "7,0" not in body
    for mention in ("CCAPEX", "Banque de France", "24 V", "1343-5", "maintenue tant qu'un plan d'apurement"):
        assert mention in body, mention


@pytest.mark.parametrize(("lease_id", "plan", "fsl"), [
    ("H05", False, False),    # 0,5 monthly due: asks for payment, offers a call
    ("H15", True, False),     # 1,5: a repayment plan
    ("H3", True, True),       # 3: the FSL and the social counsellor too
    ("H05P2", False, True),   # profile P2: the FSL and the counsellor whatever the debt
])
def test_help_scales_with_the_debt(letters, lease_id, plan, fsl):
    body = flat(letters[lease_id].path).split("Protection de vos données personnelles")[0]  # the notice names the FSL
    assert ("plan d'apurement" in body) is plan
    assert ("Fonds de solidarité pour le logement" in body or "(FSL)" in body) is fsl
    assert ("Samia Benali" in body) is fsl                                  # the social counsellor
    assert "Claire Martin" in body and "04 72 00 00 11" in body             # the officer's line, always
    assert "premiers temps" not in body                                    # 22 months in the lodging
    assert body.count("prélèvement automatique") == 1                       # direct debit offered once


@pytest.mark.parametrize(("lease_id", "word", "salutation"), [
    ("AM", "vous vous êtes engagé à", "Monsieur,"),
    ("AF", "vous vous êtes engagée à", "Madame,"),
    ("AC", "vous vous êtes engagés à", "Madame, Monsieur,"),
])
def test_agreement_follows_the_civility(letters, lease_id, word, salutation):
    body = flat(letters[lease_id].path)
    assert word in body and salutation in body
    assert "(e)" not in body and "·e" not in body


def test_no_line_break_inside_legal_references_amounts_phones_dates(letters):
    for lease_id in ("FN", "LN", "H3", "CV", "DEP"):
        raw = raw_text(letters[lease_id].path)
        # the statement is set in columns, a month or an amount per line (the text is read column by column):
        # each of its lines is whole, the checks below are for the running text
        statement = re.search(r"Relevé de votre compte locataire.*?Sommes dues : loyer", raw, re.DOTALL)
        if statement:
            lines = statement.group(0).splitlines()
            months = [x for x in lines if re.fullmatch(r"(?:janvier|février|mars|avril|mai|juin|juillet|août|"
                                                       r"septembre|octobre|novembre|décembre) \d{4}(?: \(au \d+\))?",
                                                       x.strip())]
            assert len(months) == 12, (lease_id, lines)
            raw = raw.replace(statement.group(0), "")
        assert not re.search(r"n°\s*\n", raw), lease_id
        assert not re.search(r"\d\n\d{2}(?:[ \u00a0]\d{2}){3}", raw), lease_id       # a phone number split
        assert not re.search(r"\d[ \u00a0]?\n(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre)", raw)
        assert not re.search(r"\d\n[\d ,]*€", raw), lease_id                      # an amount split
    assert re.search(r"n°[ \u00a0]89-462", raw_text(letters["FN"].path))       # "n° 89-462" whole


def test_convocation_uses_whole_months_and_the_agency_name_once(letters):
    body = flat(letters["CV"].path)
    assert "l'équivalent de 7 mois de loyer" in body
    assert "à l'agence Lyon 8e - 9e" in body and "agence Agence" not in body
    assert "autre-domaine.example" not in body                            # an address on another domain
    assert "contact@rhone-lumiere-habitat.example" in body


def test_new_tenant_wording_follows_tenure_and_benefit(letters):
    recent, older = flat(letters["NT4"].path), flat(letters["NT22"].path)
    assert "premiers temps dans un logement" in recent
    assert "premiers temps" not in older and "premiers mois" not in older
    for body in (recent, older):   # benefit already paid to the landlord: never "ask for it to be paid to us"
        assert "nous est versée directement (250,00 € par mois)" in body
        assert "demander qu'elle nous soit versée" not in body


def test_late_payment_lists_the_late_months_with_dates(letters):
    body = flat(letters["LP"].path)
    for month in ("mars", "avril", "mai", "juin", "juillet", "août"):
        assert f"loyer de {month} 2025, dû le 1er {month} 2025, réglé le 20 {month} 2025 (19 jours" in body, month
    assert body.count("prélèvement automatique") == 1


def test_sls_letter_states_the_supplement(letters):
    body = flat(letters["SLS"].path)
    assert "Ce supplément s'élève à 150,00 € par mois" in body
    assert "450,00 € sur les douze derniers mois" in body


def test_departed_tenant_gets_the_move_out_statement_with_the_deposit(letters):
    body = flat(letters["DEP"].path)
    assert "Votre décompte de sortie" in body and "ci-dessous" in body
    assert "Réparations locatives (état des lieux)" in body and "+420,00 €" in body
    assert "Imputation du dépôt de garantie" in body and "-500,00 €" in body
    assert "Votre dépôt de garantie (500,00 €) a été imputé" in body
    assert "Solde restant dû 520,00 €" in body


def test_every_letter_has_page_x_of_y_and_the_data_protection_notice(letters):
    for r in letters.values():
        body = flat(r.path)
        assert f"page 1 / {r.pages}" in body and f"page {r.pages} / {r.pages}" in body, r.lease_id
        for part in ("responsable du traitement", "CAF", "CCAPEX", "commissaire de justice", "Banque de France",
                     "conservées", "droit d'accès", "CNIL"):
            assert part in body, (r.lease_id, part)
