"""The monthly KPI report (arrears.report.monthly): charts carry the plotted values, the PDF the headline figures,
CSV and XLSX the same figures; files written atomically with mode 0600.

The portfolio is test_kpis.py's (month 2025-09): arrears rate 8 720 / 31 200 = 27,95 %, recovery rate
22 900 / 31 200 = 73,40 %, share of tenants in debt 2 / 4 = 50,0 %.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from arrears.report.kpis import compute_kpis
from arrears.report.monthly import figure_rows, render_report_html, write_report
from test_kpis import build, record_pipeline

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The report of the test portfolio, written once (SQLite) for the file-level tests."""
    import shutil

    from arrears.core.db import make_engine, migrate

    folder = tmp_path_factory.mktemp("report")
    db = folder / "arrears.db"
    migrate(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    build(engine)
    record_pipeline(engine)
    paths = write_report(engine, "2025-09", out_dir=folder / "out")
    kpis = compute_kpis(engine, "2025-09")
    engine.dispose()
    yield paths, kpis
    shutil.rmtree(folder, ignore_errors=True)


def _svgs(html: str) -> dict[str, ET.Element]:
    """Every chart's <svg> element by its id, parsed as XML."""
    out = {}
    for match in re.finditer(r"<svg\b.*?</svg>", html, flags=re.DOTALL):
        element = ET.fromstring(match.group(0))
        out[element.get("id")] = element
    return out


def _marks(svg: ET.Element, series: str) -> dict[str, str]:
    return {e.get("data-label"): e.get("data-value") for e in svg.iter() if e.get("data-series") == series
            and e.tag.split("}")[-1] in ("g", "circle", "rect")}


def test_files_written(written):
    paths, _ = written
    assert [p.suffix for p in paths] == [".html", ".pdf", ".csv", ".xlsx"]
    for path in paths:
        assert path.name.startswith("rapport-impaye-2025-09")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_size > 0
    assert not list(paths[0].parent.glob(".*.tmp"))


def test_charts_carry_the_plotted_values(engine):
    build(engine)
    record_pipeline(engine)
    kpis = compute_kpis(engine, "2025-09")
    svgs = _svgs(render_report_html(kpis))
    assert {"chart-arrears_rate", "chart-recovery_rate", "chart-share_in_debt", "chart-agency_arrears_rate",
            "chart-debt_by_status", "chart-debt_age", "chart-supports_qualified"} <= set(svgs)

    # Line chart: 12 points, the last one is this month's rate; the national reference line is drawn.
    points = _marks(svgs["chart-arrears_rate"], "arrears_rate")
    assert len(points) == 12
    assert float(points["2025-09"]) == pytest.approx(8720 / 31200)
    assert float(points["2025-08"]) == pytest.approx(7500 / 29400)
    refs = {e.get("data-label"): float(e.get("data-value")) for e in svgs["chart-arrears_rate"].iter()
            if e.get("data-series") == "reference"}
    assert refs == {"National": 0.035, "LMH": 0.019}
    texts = [t.text for t in svgs["chart-arrears_rate"].iter() if t.tag.endswith("text")]
    assert f"27,95{NBSP}%" in texts and f"National 3,50{NBSP}%" in texts

    # Bars per agency.
    bars = _marks(svgs["chart-agency_arrears_rate"], "agency_arrears_rate")
    assert float(bars["Agence Centre"]) == pytest.approx(8720 / 27000)
    assert float(bars["Agence Est"]) == 0

    # Stacked debt by status for Agence Centre: 620 € + 6 000 € in place, 1 800 € + 300 € departed.
    svg = svgs["chart-debt_by_status"]
    segments = {e.get("data-series"): int(e.get("data-value")) for e in svg.iter()
                if e.get("data-label") == "Agence Centre" and e.get("data-series") != "total"}
    assert segments == {"in_place_precontentieux": 62_000, "in_place_contentieux": 600_000,
                        "departed_precontentieux": 180_000, "departed_contentieux": 30_000}
    totals = {e.get("data-label"): int(e.get("data-value")) for e in svg.iter() if e.get("data-series") == "total"}
    assert totals == {"Agence Centre": 872_000, "Agence Est": 0}

    # Age histogram: debtors per bucket, amount in data-amount.
    hist = {e.get("data-label"): (int(e.get("data-value")), int(e.get("data-amount")))
            for e in svgs["chart-debt_age"].iter() if e.get("data-series") == "debt_age"}
    assert hist == {"lt_1m": (1, 62_000), "1m_3m": (0, 0), "3m_6m": (1, 180_000), "6m_12m": (1, 600_000),
                    "ge_12m": (1, 30_000)}

    # Qualified supports against the 90 % target: A1 2 of 3, A2 1 of 1.
    sup = _marks(svgs["chart-supports_qualified"], "supports_qualified")
    assert float(sup["Agence Centre"]) == pytest.approx(2 / 3) and float(sup["Agence Est"]) == 1.0


def test_every_figure_has_its_definition(written):
    paths, _ = written
    html = unescape(paths[0].read_text(encoding="utf-8"))
    for fragment in ("Taux d'impayé : dette des locataires présents et partis",
                     "Taux de recouvrement : encaissements des 12 derniers mois",
                     "Taux de locataires en dette : baux en place",
                     "Dette par statut : nombre de débiteurs",
                     "Ancienneté de la dette : les débiteurs classés",
                     "Ce qu'a fait le plan ce mois-ci",
                     "Profils des débiteurs (Logeo Seine)",
                     "Appuis sociaux : appuis des conseillers sociaux"):
        assert fragment in html, fragment
    assert "<link" not in html and not re.search(r"(src|href)=\"?https?:", html)  # self-contained


def test_pdf_contains_the_headline_figures(written):
    from pypdf import PdfReader

    paths, _ = written
    reader = PdfReader(paths[1])
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)   # A4
    text = "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ").replace("\u202f", " ")
    text = re.sub(r"[ \t]+", " ", text)
    for figure in ("Rapport mensuel de l'impayé — septembre 2025", "27,95 %", "73,40 %", "50,0 %",
                   "8 720,00 €", "31 200,00 €", "3,5 %", "19,6 %", "97,96 %",
                   "1. Gestion des soldes", "Appuis sociaux"):
        assert figure in text, figure


def test_csv_has_the_same_figures(written):
    paths, kpis = written
    raw = paths[2].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == len(figure_rows(kpis))

    def value(section, indicator, agence="Toutes agences", periode="2025-09"):
        hits = [r for r in rows if (r["section"], r["indicateur"], r["agence"], r["periode"])
                == (section, indicator, agence, periode)]
        assert len(hits) == 1, (section, indicator, agence, periode)
        return hits[0]["valeur"], hits[0]["unite"]

    assert value("Synthèse", "Taux d'impayé") == (f"{8720 / 31200:.6f}".replace(".", ","), "ratio")
    assert value("Synthèse", "Dette (présents et partis)") == ("8720,00", "EUR")
    assert value("Synthèse", "Baux en place en dette") == ("2", "nombre")
    assert value("Par agence", "Quittancé 12 mois (loyers et charges)", "Agence Est") == ("4200,00", "EUR")
    assert value("Dette par statut", "Locataires partis — Contentieux — dette") == ("300,00", "EUR")
    assert value("Étapes du plan", "Étape 3 — Dossiers + 1 500 € — courriers recommandés") == ("1", "nombre")


def test_xlsx_has_the_same_figures(written):
    from openpyxl import load_workbook

    paths, _ = written
    wb = load_workbook(paths[3])
    assert "Synthèse" in wb.sheetnames and "Définitions" in wb.sheetnames
    ws = wb["Synthèse"]
    rows = {r[0]: r[3] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["Taux d'impayé"] == pytest.approx(8720 / 31200)
    assert rows["Dette (présents et partis)"] == pytest.approx(8720.00)
    assert rows["Baux en place"] == 4
    assert ws.cell(2, 4).number_format == "0.00%"


def test_report_of_an_empty_month(sqlite_engine, tmp_path):
    # No data at all: the report still renders (dashes for undefined rates, zeros for the steps).
    paths = write_report(sqlite_engine, "2025-09", out_dir=tmp_path)
    html = unescape(paths[0].read_text(encoding="utf-8"))
    assert "Rapport mensuel de l'impayé — septembre 2025" in html
    assert "0 étape sur 15 a tourné ce mois-ci." in html
