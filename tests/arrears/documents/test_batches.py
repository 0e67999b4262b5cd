"""Mailroom batches: sorted letters, each on a new sheet, a cover sheet, a deposit list matching the letters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from arrears.core.files import write_atomic
from arrears.decide.decision import Decision, LetterOrder
from arrears.documents.batches import assemble_batches
from arrears.documents.letters import RenderedLetter, render_letters
from arrears.documents.render import html_to_pdf
from factories import Portfolio
from pypdf import PdfReader
from sqlalchemy import text

D = dt.date(2025, 9, 5)


def page_texts(path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "").strip() for p in PdfReader(str(path)).pages]


def fake_letter(tmp_path, lease_id, pages, postcode, name, *, registered=False, number=None) -> RenderedLetter:
    html = "".join(f'<p style="break-before: page">LETTER {lease_id} PAGE {i + 1}</p>' for i in range(pages))
    path = write_atomic(tmp_path / f"{lease_id}.pdf", html_to_pdf(html))
    return RenderedLetter(
        document_id=f"DOC-{lease_id}", lease_id=lease_id, step=3, period="2025-09", letter_type="friendly_reminder",
        variant="default", registered=registered, number=number, path=str(path), pages=pages, postcode=postcode,
        town="LYON", country=None, sort_name=name, addressee=f"Mme {name}", address_lines=())


def test_simple_batch_sorted_with_blank_backs_and_cover(tmp_path):
    docs = [
        fake_letter(tmp_path, "C", 1, "69008", "BERNARD"),
        fake_letter(tmp_path, "A", 3, "69003", "MARTIN"),
        fake_letter(tmp_path, "B", 2, "69003", "DURAND"),
    ]
    [batch] = assemble_batches(docs, tmp_path / "out", step=1, period="2025-09", as_of=D,
                               batch_id_prefix="B-2025-09-S01", step_title="Gestion des soldes < 100 €")
    assert batch.letter_class == "simple" and batch.letters == 3
    assert batch.document_ids == ["DOC-B", "DOC-A", "DOC-C"]          # postcode, then name
    texts = page_texts(batch.path)
    # cover + blank, B (2 pages), A (3 pages + blank), C (1 page + blank)
    assert len(texts) == 2 + 2 + 4 + 2 == batch.pages
    assert batch.sheets == 5
    assert "B-2025-09-S01-simple" in texts[0] and "Gestion des soldes < 100 €" in texts[0]
    assert "Nombre de courriers 3" in texts[0] and "5 septembre 2025" in texts[0]
    assert "recto verso) 5" in texts[0]
    assert texts[1] == ""
    assert texts[2:4] == ["LETTER B PAGE 1", "LETTER B PAGE 2"]
    assert texts[4:8] == ["LETTER A PAGE 1", "LETTER A PAGE 2", "LETTER A PAGE 3", ""]
    assert texts[8:] == ["LETTER C PAGE 1", ""]
    # every letter starts on an odd (recto) page of the batch
    starts = [i for i, t in enumerate(texts) if t.endswith("PAGE 1")]
    assert all(i % 2 == 0 for i in starts)
    assert batch.deposit_pdf is None and batch.deposit_csv is None


def test_registered_batch_and_deposit_list_match_the_letters(engine, tmp_path):
    p = Portfolio(engine)
    names = {"L1": ("Zoé", "Bernard", "69008"), "L2": ("Ali", "Martin", "69003"), "L3": ("Eva", "Durand", "69003")}
    for lease_id, (first, last, postcode) in names.items():
        p.lease(lease_id, postcode=postcode)
        p.monthly(lease_id, "2025-07", 3)
        p.session.execute(text("update tenants set first_name = :f, last_name = :l where lease_id = :id"),
                          {"f": first, "l": last, "id": lease_id})
    p.lease("S1")
    p.monthly("S1", "2025-09", 1)
    p.commit()
    decisions = [Decision(lease_id=lid, step=3, step_id="large_balances", period="2025-09", as_of=D,
                          letter=LetterOrder("formal_notice", registered=True, deadline_days=8))
                 for lid in names]
    decisions.append(Decision(lease_id="S1", step=3, step_id="large_balances", period="2025-09", as_of=D,
                              letter=LetterOrder("convocation")))
    rendered = render_letters(engine, decisions, tmp_path)
    assert rendered.failures == []
    batches = {b.letter_class: b for b in assemble_batches(
        rendered.rendered, tmp_path, step=3, period="2025-09", as_of=D, batch_id_prefix="B-2025-09-S03",
        engine=engine)}
    assert set(batches) == {"simple", "registered"}
    reg = batches["registered"]
    by_lease = {r.lease_id: r for r in rendered.rendered}
    assert reg.document_ids == [by_lease[x].document_id for x in ("L3", "L2", "L1")]  # 69003 DURAND, MARTIN; 69008

    raw = Path(reg.deposit_csv).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["ligne", "numero_recommande"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert [r[1] for r in rows[1:]] == [by_lease[x].number for x in ("L3", "L2", "L1")]
    assert [r[2] for r in rows[1:]] == ["Mme Eva DURAND", "Mme Ali MARTIN", "Mme Zoé BERNARD"]
    assert [(r[3], r[4], r[6], r[7]) for r in rows[1:]] == [("69003", "LYON", "R1", "Oui")] * 2 + [
        ("69008", "LYON", "R1", "Oui")]

    deposit = " ".join(page_texts(reg.deposit_pdf))
    for lease_id in names:
        assert by_lease[lease_id].number in deposit
    assert "Mme Zoé BERNARD" in deposit and "Cachet" in deposit

    # the batch holds exactly those letters, in that order, each with its number
    texts = page_texts(reg.path)
    letter_starts = [t for t in texts if "LETTRE RECOMMANDÉE" in t]
    assert len(letter_starts) == 3
    for text_, lease_id in zip(letter_starts, ("L3", "L2", "L1"), strict=True):
        number = by_lease[lease_id].number
        spaced = f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:12]} {number[12:]}"
        assert spaced in text_
    assert batches["simple"].letters == 1
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from documents where batch_id = :b"),
                            {"b": reg.batch_id}).scalar() == 3
