"""The letter's layout does not depend on its place in a batch: the address block sits in the window of a
DL envelope at the position landlord.toml gives, for the first letter of a rendering chunk as for the
others; every page says "page x / y" with the letter's own page count."""

from __future__ import annotations

import datetime as dt
import re

from arrears.decide.decision import Decision, LetterOrder
from arrears.documents.letters import render_letters
from factories import Portfolio
from pypdf import PdfReader

D = dt.date(2025, 9, 5)
PT_PER_MM = 72 / 25.4


def text_positions(page) -> list[tuple[str, float, float]]:
    """(text, x mm from the left edge, y mm from the top edge) of each text run on ``page``."""
    height = float(page.mediabox.height)
    runs = []

    def visit(text, cm, tm, _font, _size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append((text.strip(), x / PT_PER_MM, (height - y) / PT_PER_MM))

    page.extract_text(visitor_text=visit)
    return runs


def address_origin(path) -> tuple[float, float]:
    """Position of the addressee line (first line of the address block) on the letter's first page."""
    runs = text_positions(PdfReader(str(path)).pages[0])
    hits = [(x, y) for text, x, y in runs if text.endswith("DURAND")]
    assert hits, runs[:20]
    return hits[0]


def test_address_block_sits_at_the_same_place_in_every_letter_of_a_batch(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    decisions = []
    for i in range(7):
        lease_id = f"L{i:02d}"
        p.lease(lease_id)
        p.monthly(lease_id, "2025-06", 4)
        # a registered letter between simple ones: its "LETTRE RECOMMANDÉE" mark must not move the block
        registered = i == 3
        decisions.append(Decision(lease_id=lease_id, step=1, step_id="t", period="2025-09", as_of=D,
                                  profile="P0", letter=LetterOrder(
                                      "formal_notice" if registered else "friendly_reminder",
                                      registered=registered, deadline_days=8)))
    p.commit()
    # batch_size=3: three WeasyPrint documents; letters 0, 3 and 6 open one each
    result = render_letters(sqlite_engine, decisions, tmp_path, batch_size=3)
    assert result.failures == []
    origins = [address_origin(r.path) for r in result.rendered]
    xs = [x for x, _ in origins]
    ys = [y for _, y in origins]
    assert max(xs) - min(xs) < 0.1 and max(ys) - min(ys) < 0.1, origins
    # where landlord.toml puts the block: 108 mm from the left, 50 mm from the top (+ the first line's ascent)
    assert abs(xs[0] - 108) < 0.5, xs[0]
    assert 50 <= ys[0] <= 50 + 5, ys[0]


def test_every_page_says_page_x_of_the_letters_own_count(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    decisions = []
    for i, letter_type in enumerate(("friendly_reminder", "formal_notice", "friendly_reminder")):
        lease_id = f"P{i}"
        p.lease(lease_id)
        p.monthly(lease_id, "2024-09", 13)
        decisions.append(Decision(lease_id=lease_id, step=3, step_id="t", period="2025-09", as_of=D, profile="P0",
                                  letter=LetterOrder(letter_type, registered=letter_type == "formal_notice",
                                                     deadline_days=8)))
    p.commit()
    result = render_letters(sqlite_engine, decisions, tmp_path)
    assert result.failures == []
    counts = set()
    for r in result.rendered:
        pages = PdfReader(r.path).pages
        assert len(pages) == r.pages
        counts.add(r.pages)
        for number, page in enumerate(pages, start=1):
            footer = re.sub(r"\s+", " ", page.extract_text())
            assert f"page {number} / {r.pages}" in footer, (r.letter_type, footer[-120:])
