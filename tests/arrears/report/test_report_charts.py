"""The KPI report's charts and the figures around them, as a reader checks them.

- Labels: no text box of a chart overlaps another, and no value label sits on a reference line — with the
  values of the September report that collided (97,36 % against LMH's 97,96 %; 16,3 % between 18 % and 19,6 %).
- The recovery chart's axis starts at 0 %.
- Trend points whose 12-month window starts before the first ledger entry are marked partial (chart, table,
  CSV), on SQLite and PostgreSQL.
- Averages rounded half away from zero (1 012,695 € → 1 012,70 €, never 1 012,69 €); French plurals.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from arrears.report.charts import Chart, bar_chart, fmt_eur0, fmt_percent, line_chart
from arrears.report.kpis import average_cents, compute_kpis, div_round, months_covered
from arrears.report.monthly import build_context, figure_rows, plural_fr, render_report_html
from factories import Portfolio

NBSP = "\u00a0"
MONTHS = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
          "2025-07", "2025-08", "2025-09"]


def _points(values, partial=0):
    return [{"key": k, "label": k[2:], "value": v, "partial": i < partial}
            for i, (k, v) in enumerate(zip(MONTHS, values, strict=True))]


def _overlap(a, b, tol=0.25) -> bool:
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


def assert_readable(chart: Chart) -> None:
    """No two texts overlap; no value label crosses a reference line."""
    assert chart.texts, chart.id
    for a, b in itertools.combinations(chart.texts, 2):
        assert not _overlap(a.box, b.box), f"{chart.id}: {a.text!r} overlaps {b.text!r}"
    for text in chart.texts:
        if text.kind != "value":
            continue
        for label, line in chart.reference_lines:
            assert not _overlap(text.box, line, tol=0), f"{chart.id}: {text.text!r} on the {label} line"


RECOVERY = [0.9612, 0.9655, 0.9688, 0.9701, 0.9744, 0.9760, 0.9790, 0.9802, 0.9771, 0.9749, 0.9721, 0.9736]
SHARE = [0.171, 0.174, 0.180, 0.186, 0.192, 0.196, 0.191, 0.183, 0.177, 0.170, 0.166, 0.163]
ARREARS = [0.289, 0.241, 0.205, 0.181, 0.160, 0.149, 0.142, 0.137, 0.131, 0.127, 0.123, 0.120]


@pytest.mark.parametrize(("chart_id", "values", "refs", "decimals", "partial"), [
    ("recovery_rate", RECOVERY, [("LMH", 0.9796)], 2, 0),
    ("share_in_debt", SHARE, [("National", 0.196), ("LMH", 0.18)], 1, 0),
    ("arrears_rate", ARREARS, [("National", 0.035), ("LMH", 0.019)], 2, 5),
    ("flat_on_reference", [0.035] * 12, [("National", 0.035), ("LMH", 0.019)], 2, 0),
])
def test_line_chart_labels_do_not_collide(chart_id, values, refs, decimals, partial):
    chart = line_chart(chart_id, _points(values, partial), refs, decimals, "Essai")
    assert_readable(chart)
    texts = [t.text for t in chart.texts]
    assert fmt_percent(values[-1], decimals) in texts                 # the month's value is written
    for label, value in refs:                                         # each reference named, in the legend
        assert any(t.kind == "legend" and t.text == f"{label} {fmt_percent(value, decimals)}" for t in chart.texts)


def test_bar_chart_labels_do_not_collide():
    items = [("Agence Centre", 0.0197), ("Agence Est", 0.0351), ("Agence Nord", 0.0183), ("Agence Sud", 0.0)]
    chart = bar_chart("agency_arrears_rate", items, [("National", 0.035), ("LMH", 0.019)], "percent", 2, "Essai")
    assert_readable(chart)
    assert {"1,97 %", "3,51 %", "1,83 %", "0,00 %"} <= {t.text.replace(NBSP, " ") for t in chart.texts}


def test_recovery_axis_starts_at_zero():
    chart = line_chart("recovery_rate", _points(RECOVERY), [("LMH", 0.9796)], 2, "Essai")
    ticks = [t.text.replace(NBSP, " ") for t in chart.texts if t.kind == "tick" and "%" in t.text]
    assert ticks[0] == "0 %"
    assert "85 %" not in ticks


def test_svg_is_self_contained_with_unique_ids():
    first = line_chart("a", _points(RECOVERY), [("LMH", 0.9796)], 2, "A")
    second = line_chart("b", _points(SHARE, 3), [("LMH", 0.18)], 1, "B")
    ids = []
    for chart in (first, second):
        root = ET.fromstring(str(chart.svg))
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("id") == f"chart-{chart.id}"
        ids += [e.get("id") for e in root.iter() if e.get("id")]
        refs = re.findall(r'(?:href="|url\()#([^")]+)', str(chart.svg))
        assert set(refs) <= set(ids)
    assert len(ids) == len(set(ids))
    partial = {e.get("data-label"): e.get("data-partial") for e in ET.fromstring(str(second.svg)).iter()
               if e.get("data-series") == "b"}
    assert partial["2024-10"] == "true" and partial["2025-01"] == "false"


def test_rounding_half_away_from_zero():
    assert div_round(202_539, 2) == 101_270          # 1 012,695 € → 1 012,70 €
    assert div_round(-202_539, 2) == -101_270
    assert div_round(202_537, 2) == 101_269          # 1 012,685 € → 1 012,69 €
    assert div_round(10, 3) == 3 and div_round(20, 3) == 7
    assert average_cents(0, 0) is None
    assert fmt_eur0(250) == f"3{NBSP}€" and fmt_eur0(350) == f"4{NBSP}€"   # round() would give 2 € and 4 €
    assert fmt_percent(0.97355, 2) == f"97,36{NBSP}%"


def test_plural_fr():
    assert plural_fr(1, "accompagnement renforcé", "accompagnements renforcés") == "1 accompagnement renforcé"
    assert plural_fr(0, "bail", "baux") == "0 bail"
    assert plural_fr(2, "bail", "baux") == "2 baux"
    assert plural_fr(1234, "appui", "appuis") == f"1{NBSP}234 appuis"


def test_months_covered():
    first = dt.date(2024, 3, 15)
    assert months_covered(2024, 10, first) == 8       # March … October 2024
    assert months_covered(2025, 2, first) == 12
    assert months_covered(2024, 2, first) == 0
    assert months_covered(2025, 9, None) == 0


def build_young(engine) -> None:
    """Billing starts in March 2024; two in-place debtors: 1 000,00 € and 1 025,39 €; one reinforced support.

    L1 (from 2024-03): 19 × 600 € billed, 17 × 600 € + 200 € paid → 1 000,00 €.
    L2 (from 2024-06): 16 × 600 € billed, 14 × 600 € + 174,61 € paid → 1 025,39 €.
    """
    p = Portfolio(engine)
    p.lease("L1", start_on="2024-03-01")
    p.monthly("L1", "2024-03", 19)
    for i in range(17):
        y, mo = divmod(2024 * 12 + 2 + i, 12)
        p.pay("L1", dt.date(y, mo + 1, 5), 600_00)
    p.pay("L1", "2025-09-05", 200_00)
    p.lease("L2", start_on="2024-06-01")
    p.monthly("L2", "2024-06", 16)
    for i in range(14):
        y, mo = divmod(2024 * 12 + 5 + i, 12)
        p.pay("L2", dt.date(y, mo + 1, 5), 600_00)
    p.pay("L2", "2025-09-05", 174_61)
    p.support("L1", "2025-09-10", domain="budget", reinforced=True, qualified=True)
    p.commit()


def test_partial_trend_points_averages_and_plurals(engine):
    build_young(engine)
    kpis = compute_kpis(engine, "2025-09")
    assert kpis.first_entry_on == dt.date(2024, 3, 1)
    assert [p.months_covered for p in kpis.trend] == [8, 9, 10, 11] + [12] * 8
    assert [p.month for p in kpis.partial_points] == ["2024-10", "2024-11", "2024-12", "2025-01"]
    assert kpis.total.debt_cents == 202_539

    html = " ".join(render_report_html(kpis).replace(NBSP, " ").replace("\u202f", " ").split())
    assert "partiel (8 mois sur 12)" in html and "partiel (11 mois sur 12)" in html
    assert "partiel (12 mois" not in html
    assert "4 points sur 12 reposent sur moins de 12 mois de quittancement" in html
    assert "1 012,70 €" in html and "1 012,69 €" not in html        # the average debt per debtor
    assert "1 accompagnement renforcé" in html and "1 accompagnements" not in html
    assert "1 appui pour 1 ménage," in html
    assert "2 baux en dette sur 2 baux en place" in html

    charts = build_context(kpis)["charts"]
    for chart in charts.values():
        assert_readable(chart)
    marks = {m["key"]: m["partial"] for m in charts["trend_arrears"].marks}
    assert marks["2024-10"] and marks["2025-01"] and not marks["2025-02"]

    rows = {r[3]: r[4] for r in figure_rows(kpis) if r[1].startswith("Mois de quittancement")}
    assert rows["2024-10"] == 8 and rows["2025-09"] == 12


def test_partial_month_headline_warns(sqlite_engine):
    build_young(sqlite_engine)
    december = " ".join(render_report_html(compute_kpis(sqlite_engine, "2024-12")).replace(NBSP, " ").split())
    assert "Taux de ce mois sur 10 mois de quittancement seulement" in december
    september = " ".join(render_report_html(compute_kpis(sqlite_engine, "2025-09")).replace(NBSP, " ").split())
    assert "Taux de ce mois sur" not in september
