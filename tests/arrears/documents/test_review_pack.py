"""Step 11's review pack: one PDF per agency for the monthly litigation meeting, from the step's decisions."""

from __future__ import annotations

import datetime as dt
import io
import re

from arrears.core import models as m
from arrears.decide.steps import decide_step
from arrears.documents.review_pack import write_review_packs
from factories import Portfolio
from pypdf import PdfReader

D = dt.date(2025, 9, 25)


def text_of(path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "").replace("\u202f", " ").replace("\u00a0", " ")
            for p in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_one_pack_per_agency_with_summary_and_each_file_checklist(engine, tmp_path):
    p = Portfolio(engine)
    p.session.add(m.Agency(agency_id="A2", name="Agence Est", address_line1="1 rue de l'Est", postcode="69100",
                           city="Villeurbanne"))
    p.session.flush()
    for lease_id, agency in (("P1", "A1"), ("P2", "A1"), ("P3", "A2")):
        p.lease(lease_id)
        p.session.query(m.Lease).filter_by(lease_id=lease_id).update({"agency_id": agency})
        p.monthly(lease_id, "2025-01", 9)
        p.pay(lease_id, "2025-01-05", 600_00)
        p.action(lease_id, "2025-08-01", "formal_notice")
    p.action("P2", "2025-08-20", "social_referral")
    p.commit()
    decisions = decide_step(engine, 11, D)
    assert sorted(d.lease_id for d in decisions) == ["P1", "P2", "P3"]
    paths = write_review_packs(engine, decisions, tmp_path, as_of=D)
    assert [x.name for x in paths] == ["review_pack_2025-09-25_A1.pdf", "review_pack_2025-09-25_A2.pdf"]
    a1 = text_of(paths[0])
    assert len(a1) == 3                          # the summary page, then one page per file
    assert "Revue de fin de GP — Agence Centre" in a1[0] and "2 dossiers proposés" in a1[0]
    assert "P1" in a1[0] and "P2" in a1[0] and "P3" not in " ".join(a1)
    assert "9 600,00 €" in a1[0]                 # 2 × (9 × 600 − 600)
    for page in a1[1:]:
        assert "Vérifications avant transmission" in page and "Dernières actions" in page
        assert "Mise en demeure" in page and "4 800,00 €" in page
    assert any("à faire" in page for page in a1[1:])   # what is still missing is named
    a2 = text_of(paths[1])
    assert "Agence Est" in a2[0] and "1 dossier proposé" in a2[0] and "P3" in a2[1]
    # never replaced: a second pack of the same date is a new file
    again = write_review_packs(engine, decisions[:1], tmp_path, as_of=D)
    assert [x.name for x in again] == ["review_pack_2025-09-25_A1-2.pdf"]
    assert len(text_of(paths[0])) == 3


def test_packs_laid_out_over_worker_processes_read_the_same(engine, tmp_path):
    p = Portfolio(engine)
    p.session.add(m.Agency(agency_id="A2", name="Agence Est", address_line1="1 rue de l'Est", postcode="69100",
                           city="Villeurbanne"))
    p.session.flush()
    for lease_id, agency in (("P1", "A1"), ("P2", "A2")):
        p.lease(lease_id)
        p.session.query(m.Lease).filter_by(lease_id=lease_id).update({"agency_id": agency})
        p.monthly(lease_id, "2025-01", 9)
        p.action(lease_id, "2025-08-01", "formal_notice")
    p.commit()
    decisions = decide_step(engine, 11, D)
    alone = write_review_packs(engine, decisions, tmp_path / "one", as_of=D, workers=1)
    pooled = write_review_packs(engine, decisions, tmp_path / "two", as_of=D, workers=2)
    assert [x.name for x in pooled] == [x.name for x in alone] == ["review_pack_2025-09-25_A1.pdf",
                                                                    "review_pack_2025-09-25_A2.pdf"]
    assert [text_of(x) for x in pooled] == [text_of(x) for x in alone]
