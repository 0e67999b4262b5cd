"""The letters' own user-agent stylesheet (``templates/letters/user_agent.css``) is WeasyPrint's, minus rules a
letter never needs: every rule it keeps is WeasyPrint's, unchanged, and every letter type lays out box for box
as it does with WeasyPrint's full stylesheet."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re

import pytest
from arrears.config.landlord import load_landlord
from arrears.decide.decision import LETTER_TYPES
from arrears.documents import letters as L
from arrears.documents.render import TEMPLATES_DIR, html_document


def _rules(css: str) -> list[str]:
    """Top-level rules, comments dropped and whitespace normalised (an @page block counts as one rule)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules, depth, current = [], 0, []
    for char in css:
        current.append(char)
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rules.append(re.sub(r"\s+", " ", "".join(current)).strip())
                current = []
    return rules


def test_every_rule_kept_is_weasyprints_own():
    ours = _rules((TEMPLATES_DIR / L.USER_AGENT).read_text(encoding="utf-8"))
    theirs = set(_rules((importlib.resources.files("weasyprint.css") / "html5_ua.css").read_text(encoding="utf-8")))
    assert len(ours) > 50
    changed = [rule for rule in ours if rule not in theirs]
    assert changed == [], "not a rule of WeasyPrint's html5_ua.css (WeasyPrint upgraded? copy its rules again)"


def _boxes(document) -> list[tuple]:
    """Every box of every page: its kind, element, position, size and text (rounded to 0.01 px)."""
    out = []

    def walk(box, page):
        out.append((page, type(box).__name__, getattr(box, "element_tag", None), round(box.position_x, 2),
                    round(box.position_y, 2), round(box.width or 0, 2), round(box.height or 0, 2),
                    getattr(box, "text", None)))
        for child in getattr(box, "children", ()):
            walk(child, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    return out


@pytest.fixture(scope="module")
def every_letter(tmp_path_factory) -> dict[str, str]:
    """The HTML of one letter of each type (a dry run: no number is taken)."""
    from arrears.core.db import make_engine, migrate
    from factories import Portfolio, one_letter_of_each_type

    url = f"sqlite:///{tmp_path_factory.mktemp('ua') / 'ua.db'}"
    migrate(url)
    engine = make_engine(url)
    decisions = one_letter_of_each_type(Portfolio(engine), dt.date(2025, 9, 5))
    landlord = load_landlord()
    with engine.connect() as conn:
        html = {d.letter.letter_type: L._prepare(conn, d, landlord, True)[1] for d in decisions}
    engine.dispose()
    return html


@pytest.mark.parametrize("letter_type", LETTER_TYPES)
def test_each_letter_lays_out_as_with_weasyprints_stylesheet(every_letter, letter_type):
    page = ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Courrier</title></head><body>'
            + every_letter[letter_type] + "</body></html>")
    full = _boxes(html_document(page, stylesheets=(L.STYLESHEET,)))
    ours = _boxes(L.letter_document(every_letter[letter_type]))
    assert len(full) > 200
    assert ours == full
