"""The monthly KPI report for management: HTML and PDF with SVG charts, plus CSV and XLSX of the same figures.

``write_report(engine, "2025-09")`` computes :func:`arrears.report.kpis.compute_kpis` for the month and writes, into
``<output_dir>/reports/2025-09/`` (or ``out_dir``), atomically and mode 0600:

- ``rapport-impaye-2025-09.html`` — self-contained (CSS inline, charts as inline SVG);
- ``rapport-impaye-2025-09.pdf`` — the same HTML laid out by WeasyPrint (A4);
- ``rapport-impaye-2025-09.csv`` — every figure, one per row (``;``, UTF-8 with BOM, decimal comma);
- ``rapport-impaye-2025-09.xlsx`` — the same figures, one sheet per section, numbers as numbers.

Charts are plain SVG drawn by the macros of ``templates/reports/charts.html`` from the geometry computed here;
every plotted mark carries ``data-series``, ``data-label`` and ``data-value`` attributes (the raw value: a
ratio for rates, cents for amounts, a count for counts), and a text label with the formatted value.
The report holds only aggregates: no tenant name, address or lease id.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from babel.dates import format_date

from arrears.report.kpis import (
    DEFINITIONS,
    REFERENCE_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
    MonthlyKpis,
    compute_kpis,
)

REPORT_TEMPLATE = "reports/report.html"

STATUS_SERIES = (
    ("in_place", "precontentieux", "Présents — précontentieux", "#7ea6cf"),
    ("in_place", "contentieux", "Présents — contentieux", "#1f3a5f"),
    ("departed", "precontentieux", "Partis — précontentieux", "#e0bd6a"),
    ("departed", "contentieux", "Partis — contentieux", "#9a7420"),
)
CHART_WIDTH_MM = 180  # the A4 text width (210 mm − 2 × 15 mm margins)


def _size(chart: dict[str, Any]) -> dict[str, Any]:
    """Physical size of a chart: the text width, height in proportion to its view box."""
    chart["width_mm"] = CHART_WIDTH_MM
    chart["height_mm"] = round(CHART_WIDTH_MM * chart["height"] / chart["width"], 1)
    return chart


# --------------------------------------------------------------------------------------------------
# Formatting helpers (the render module's filters, for labels computed here)
# --------------------------------------------------------------------------------------------------


def _fmt_percent(value: float | None, decimals: int = 1) -> str:
    from arrears.documents.render import percent_fr

    return "—" if value is None else percent_fr(round(value, 6), decimals)


def _fmt_eur0(cents: int) -> str:
    """Whole euros for chart labels: ``12 345 €``."""
    from arrears.documents.render import NBSP, number_fr

    return f"{number_fr(round(cents / 100), 0)}{NBSP}€"


def _short_month(key: str) -> str:
    import datetime as dt

    year, month = map(int, key.split("-"))
    return format_date(dt.date(year, month, 1), format="MMM yy", locale="fr_FR")


def _nice_step(value: float) -> float:
    """The smallest round step (1, 2, 2.5, 5 × 10^n) ≥ value."""
    return _nice_ceiling(value)


def _axis(values: list[float]) -> tuple[float, float, float]:
    """(min, max, step) of a rate axis with 3 to 6 round steps: from 0, or zoomed on rates near 100 %."""
    if not values or max(values) <= 0:
        return 0.0, 0.01, 0.0025
    high, low = max(values), min(values)
    if low > 0.5:  # recovery rates: zoom on the band the values span
        step = _nice_step(max(high - low, 0.01) * 1.3 / 4)
        y_min = math.floor(low / step - 0.25) * step
    else:
        step = _nice_step(high * 1.12 / 4)
        y_min = 0.0
    y_max = y_min + step * max(3, math.ceil((high * 1.02 - y_min) / step))
    return y_min, y_max, step


def _nice_ceiling(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= value * (1 - 1e-9):
            return float(top)
    return float(10 ** (exp + 1))


# --------------------------------------------------------------------------------------------------
# Chart geometry (drawn by templates/reports/charts.html)
# --------------------------------------------------------------------------------------------------


def line_chart(series_id: str, points: list[tuple[str, str, float | None]],
               refs: list[tuple[str, float]], decimals: int = 1, title: str = "") -> dict[str, Any]:
    """A line over the months (key, short label, ratio) with horizontal reference lines (label, ratio)."""
    width, height = 640, 180
    left, right, top, bottom = 40, 128, 16, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, _, v in points if v is not None] + [v for _, v in refs]
    y_min, y_max, step = _axis(values)
    def y_of(v: float) -> float:
        return round(top + plot_h * (1 - (v - y_min) / (y_max - y_min)), 2)

    step_x = plot_w / max(len(points) - 1, 1)
    marks, path = [], []
    for i, (key, label, value) in enumerate(points):
        x = round(left + i * step_x, 2)
        mark = {"x": x, "label": label, "key": key, "value": value, "text": _fmt_percent(value, decimals)}
        if value is not None:
            mark["y"] = y_of(value)
            path.append(f"{'M' if not path else 'L'}{x},{mark['y']}")
        marks.append(mark)
    n_ticks = round((y_max - y_min) / step)
    tick_decimals = 0 if step * 100 >= 1 and abs(step * 100 - round(step * 100)) < 1e-9 else 1
    ticks = [{"y": y_of(y_min + step * k), "text": _fmt_percent(y_min + step * k, tick_decimals)}
             for k in range(n_ticks + 1)]
    ref_marks = [
        {"y": y_of(v), "label": label, "value": v, "text": f"{label} {_fmt_percent(v, decimals)}"}
        for label, v in refs
        if y_min <= v <= y_max
    ]
    # Keep reference labels from overlapping (at least 11 px apart).
    for earlier, later in zip(sorted(ref_marks, key=lambda r: r["y"]), sorted(ref_marks, key=lambda r: r["y"])[1:],
                              strict=False):
        later["text_y"] = max(later["y"], earlier.get("text_y", earlier["y"]) + 11)
    for r in ref_marks:
        r.setdefault("text_y", r["y"])
    return _size({"id": series_id, "title": title, "width": width, "height": height, "left": left,
                  "right_x": width - right, "top": top, "bottom_y": height - bottom, "marks": marks,
                  "path": " ".join(path), "ticks": ticks, "refs": ref_marks})


def bar_chart(series_id: str, items: list[tuple[str, float | None]], refs: list[tuple[str, float]],
              kind: str = "percent", decimals: int = 1, title: str = "") -> dict[str, Any]:
    """Horizontal bars (label, value) with vertical reference lines; ``kind`` percent / eur / count."""
    row_h, label_w, value_w = 22, 170, 90
    width = 640
    plot_w = width - label_w - value_w
    top = 24 if refs else 8
    height = top + row_h * max(len(items), 1) + 8
    values = [v for _, v in items if v is not None] + [v for _, v in refs]
    x_max = max(values, default=0) * 1.08 or 1.0  # no axis: the longest bar or reference sets the scale

    def fmt(v: float | None) -> str:
        if v is None:
            return "—"
        if kind == "percent":
            return _fmt_percent(v, decimals)
        if kind == "eur":
            return _fmt_eur0(int(v))
        return f"{int(v)}"

    bars = []
    for i, (label, value) in enumerate(items):
        w = 0.0 if value is None else round(plot_w * max(value, 0) / x_max, 2)
        inside = w > 70  # the value is written at the start of a long bar, clear of the reference lines
        bars.append({"y": top + i * row_h, "h": row_h - 6, "x": label_w, "w": w, "label": label,
                     "value": value, "text": fmt(value), "inside": inside,
                     "text_x": label_w + 5 if inside else round(label_w + w + 4, 2)})
    ref_marks = [{"x": round(label_w + plot_w * v / x_max, 2), "value": v, "label": label,
                  "text": f"{label} {fmt(v)}"} for label, v in refs]
    for i, r in enumerate(sorted(ref_marks, key=lambda r: r["x"])):
        r["text_y"] = 9 + 10 * (i % 2)
        r["anchor"] = "end" if r["x"] > width - 110 else "middle" if r["x"] > label_w + 60 else "start"
    return _size({"id": series_id, "title": title, "width": width, "height": height, "label_w": label_w,
                  "top": top, "bottom_y": height - 6, "bars": bars, "refs": ref_marks})


def stacked_chart(series_id: str, rows: list[tuple[str, list[tuple[str, str, str, int]]]],
                  title: str = "") -> dict[str, Any]:
    """Horizontal stacked bars of amounts: rows of (label, [(series key, series label, colour, cents)])."""
    row_h, label_w, value_w = 24, 170, 90
    width = 640
    plot_w = width - label_w - value_w
    top = 8
    height = top + row_h * max(len(rows), 1) + 30
    totals = [sum(seg[3] for seg in segs) for _, segs in rows]
    x_max = max(totals, default=0) * 1.02 or 1.0
    out_rows = []
    for i, ((label, segs), total) in enumerate(zip(rows, totals, strict=True)):
        x = float(label_w)
        segments = []
        for key, seg_label, color, cents in segs:
            w = round(plot_w * cents / x_max, 2)
            segments.append({"key": key, "label": seg_label, "color": color, "x": round(x, 2), "w": w,
                             "value": cents, "text": _fmt_eur0(cents)})
            x += w
        out_rows.append({"label": label, "y": top + i * row_h, "h": row_h - 8, "segments": segments,
                         "total": total, "text": _fmt_eur0(total), "text_x": round(x + 4, 2)})
    legend = []
    if rows:
        lx = 10
        for key, seg_label, color, _ in rows[0][1]:
            legend.append({"key": key, "label": seg_label, "color": color, "x": lx})
            lx += 13 + 5 * len(seg_label) + 14
    return _size({"id": series_id, "title": title, "width": width, "height": height, "rows": out_rows,
                  "label_w": label_w, "legend": legend, "legend_y": height - 10})


def histogram(series_id: str, items: list[tuple[str, str, int, int]], title: str = "") -> dict[str, Any]:
    """Vertical bars of counts (key, label, count, cents); the label shows the count and the amount."""
    width, height = 640, 210
    left, top, bottom = 20, 34, 34
    plot_h = height - top - bottom
    slot = (width - 2 * left) / max(len(items), 1)
    y_max = max((c for _, _, c, _ in items), default=0) * 1.02 or 1.0  # no axis: the tallest bar sets it
    bars = []
    for i, (key, label, count, cents) in enumerate(items):
        h = round(plot_h * count / y_max, 2)
        x = round(left + i * slot + slot * 0.2, 2)
        bars.append({"key": key, "label": label, "value": count, "amount": cents, "x": x, "w": round(slot * 0.6, 2),
                     "y": round(top + plot_h - h, 2), "h": h, "cx": round(left + i * slot + slot / 2, 2),
                     "text": f"{count} débiteur{'s' if count > 1 else ''}", "amount_text": _fmt_eur0(cents)})
    return _size({"id": series_id, "title": title, "width": width, "height": height, "bars": bars,
                  "base_y": top + plot_h, "left": left, "right_x": width - left})


# --------------------------------------------------------------------------------------------------
# The report context
# --------------------------------------------------------------------------------------------------


CHART_REFERENCE_LABELS = {"national": "National", "lmh": "LMH"}


def _refs(kpis: MonthlyKpis, rate: str) -> list[tuple[str, float]]:
    return [(CHART_REFERENCE_LABELS[k], v) for k, v in kpis.references.get(rate, {}).items()]


def build_context(kpis: MonthlyKpis) -> dict[str, Any]:
    """Everything the template prints: the figures, their definitions, and the chart geometry."""
    trend_points = {
        rate: [(p.month, _short_month(p.month), p.figures.rates()[rate]) for p in kpis.trend]
        for rate in ("arrears_rate", "recovery_rate", "share_in_debt")
    }
    charts = {
        "trend_arrears": line_chart("arrears_rate", trend_points["arrears_rate"], _refs(kpis, "arrears_rate"), 2,
                                    "Taux d'impayé sur 12 mois"),
        "trend_recovery": line_chart("recovery_rate", trend_points["recovery_rate"],
                                     _refs(kpis, "recovery_rate"), 2, "Taux de recouvrement sur 12 mois"),
        "trend_share": line_chart("share_in_debt", trend_points["share_in_debt"], _refs(kpis, "share_in_debt"), 1,
                                  "Taux de locataires en dette sur 12 mois"),
        "agency_arrears": bar_chart("agency_arrears_rate",
                                    [(a.agency_name, a.arrears_rate) for a in kpis.agencies],
                                    _refs(kpis, "arrears_rate"), "percent", 2, "Taux d'impayé par agence"),
        "agency_share": bar_chart("agency_share_in_debt",
                                  [(a.agency_name, a.share_in_debt) for a in kpis.agencies],
                                  _refs(kpis, "share_in_debt"), "percent", 1,
                                  "Taux de locataires en dette par agence"),
        "debt_status": stacked_chart(
            "debt_by_status",
            [(a.agency_name, [(f"{st}_{sg}", label, color, a.amount(st, sg)) for st, sg, label, color in STATUS_SERIES])
             for a in kpis.debt_by_agency],
            "Dette par statut et par agence"),
        "debt_age": histogram("debt_age", [(b.key, b.label, b.debtors, b.debt_cents) for b in kpis.age_buckets],
                              "Débiteurs par ancienneté de la dette"),
        "supports": bar_chart("supports_qualified",
                              [(s.agency_name, s.qualified_share) for s in kpis.supports_ytd],
                              [("Objectif", kpis.support_target)], "percent", 0,
                              "Appuis qualifiés par agence depuis le 1er janvier"),
    }
    status_total = {
        "in_place": [x for x in kpis.debt_by_status if x.status == "in_place"],
        "departed": [x for x in kpis.debt_by_status if x.status == "departed"],
    }
    return {
        "k": kpis,
        "definitions": DEFINITIONS,
        "charts": charts,
        "status_labels": STATUS_LABELS,
        "stage_labels": STAGE_LABELS,
        "status_groups": status_total,
        "status_series": STATUS_SERIES,
        "debt_total_cents": sum(x.debt_cents for x in kpis.debt_by_status),
        "debtors_total": sum(x.debtors for x in kpis.debt_by_status),
        "references": kpis.references,
        "reference_labels": REFERENCE_LABELS,
        "supports_total_month": kpis.supports_total("month"),
        "supports_total_ytd": kpis.supports_total("ytd"),
        "steps_ran": sum(1 for s in kpis.steps if s.ran),
    }


def render_report_html(kpis: MonthlyKpis) -> str:
    from arrears.documents.render import render_html

    return render_html(REPORT_TEMPLATE, build_context(kpis))


# --------------------------------------------------------------------------------------------------
# Flat figures for CSV and XLSX
# --------------------------------------------------------------------------------------------------

# (section, indicator, agency, period/label, value, unit) — value: float ratio, int cents or int count.
Row = tuple[str, str, str, str, Any, str]


def figure_rows(kpis: MonthlyKpis) -> list[Row]:
    """Every figure of the report as rows; units: ``ratio``, ``EUR`` (value in cents), ``nombre``."""
    rows: list[Row] = []
    m = kpis.month
    t = kpis.total

    def rates(section: str, agency: str, period: str, f) -> None:
        rows.append((section, "Taux d'impayé", agency, period, f.arrears_rate, "ratio"))
        rows.append((section, "Taux de recouvrement", agency, period, f.recovery_rate, "ratio"))
        rows.append((section, "Taux de locataires en dette", agency, period, f.share_in_debt, "ratio"))
        rows.append((section, "Dette (présents et partis)", agency, period, f.debt_cents, "EUR"))
        rows.append((section, "Quittancé 12 mois (loyers et charges)", agency, period, f.billed_cents, "EUR"))
        rows.append((section, "Encaissements 12 mois", agency, period, f.receipts_cents, "EUR"))
        rows.append((section, "Baux en place", agency, period, f.in_place_leases, "nombre"))
        rows.append((section, "Baux en place en dette", agency, period, f.in_place_in_debt, "nombre"))

    rates("Synthèse", "Toutes agences", m, t)
    for rate, refs in kpis.references.items():
        label = {"arrears_rate": "Taux d'impayé", "recovery_rate": "Taux de recouvrement",
                 "share_in_debt": "Taux de locataires en dette"}[rate]
        for key, value in refs.items():
            rows.append(("Références", label, REFERENCE_LABELS[key], "", value, "ratio"))
    for p in kpis.trend:
        rates("Évolution 12 mois", "Toutes agences", p.month, p.figures)
    for a in kpis.agencies:
        rates("Par agence", a.agency_name, m, a)
    for line in kpis.debt_by_status:
        rows.append(("Dette par statut", f"{line.label} — débiteurs", "Toutes agences", m, line.debtors, "nombre"))
        rows.append(("Dette par statut", f"{line.label} — dette", "Toutes agences", m, line.debt_cents, "EUR"))
    for a in kpis.debt_by_agency:
        for line in a.lines:
            rows.append(("Dette par statut", f"{line.label} — débiteurs", a.agency_name, m, line.debtors, "nombre"))
            rows.append(("Dette par statut", f"{line.label} — dette", a.agency_name, m, line.debt_cents, "EUR"))
    for b in kpis.age_buckets:
        rows.append(("Ancienneté de la dette", f"{b.label} — présents, débiteurs", "Toutes agences", m,
                     b.in_place_debtors, "nombre"))
        rows.append(("Ancienneté de la dette", f"{b.label} — présents, dette", "Toutes agences", m,
                     b.in_place_debt_cents, "EUR"))
        rows.append(("Ancienneté de la dette", f"{b.label} — partis, débiteurs", "Toutes agences", m,
                     b.departed_debtors, "nombre"))
        rows.append(("Ancienneté de la dette", f"{b.label} — partis, dette", "Toutes agences", m,
                     b.departed_debt_cents, "EUR"))
    for s in kpis.steps:
        name = f"Étape {s.step} — {s.title}"
        for label, value, unit in (
            ("baux traités", s.cohort, "nombre"), ("courriers simples", s.letters, "nombre"),
            ("courriers recommandés", s.registered_letters, "nombre"), ("tâches", s.tasks, "nombre"),
            ("propositions de transfert", s.transfer_proposals, "nombre"),
            ("transmissions au contentieux", s.transfers, "nombre"),
            ("passages en perte proposés", s.write_off_proposals, "nombre"),
            ("passages en perte", s.write_offs, "nombre"),
            ("dossiers clôturés", s.files_closed, "nombre"), ("mandats annulés", s.mandates_cancelled, "nombre"),
            ("autres documents", s.other_documents, "nombre"), ("dette des baux traités", s.debt_cents, "EUR"),
        ):
            rows.append(("Étapes du plan", f"{name} — {label}", "Toutes agences", m, value, unit))
    for p in kpis.profiles:
        rows.append(("Profils des débiteurs", f"{p.code} {p.label} — baux", "Toutes agences", m, p.leases, "nombre"))
        rows.append(("Profils des débiteurs", f"{p.code} {p.label} — dette", "Toutes agences", m, p.debt_cents,
                     "EUR"))
    for period, lines, total in (
        (m, kpis.supports_month, kpis.supports_total("month")),
        (f"{kpis.year_start.isoformat()}/{kpis.period_end.isoformat()}", kpis.supports_ytd,
         kpis.supports_total("ytd")),
    ):
        for s in [*lines, total]:
            agency = s.agency_name if s.agency_id else "Toutes agences"
            rows.append(("Appuis sociaux", "Appuis", agency, period, s.supports, "nombre"))
            rows.append(("Appuis sociaux", "Appuis qualifiés", agency, period, s.qualified, "nombre"))
            rows.append(("Appuis sociaux", "Taux d'appuis qualifiés", agency, period, s.qualified_share, "ratio"))
            rows.append(("Appuis sociaux", "Objectif d'appuis qualifiés", agency, period, kpis.support_target,
                         "ratio"))
            rows.append(("Appuis sociaux", "Accompagnements renforcés", agency, period, s.reinforced, "nombre"))
            rows.append(("Appuis sociaux", "Ménages accompagnés", agency, period, s.households, "nombre"))
            rows.append(("Appuis sociaux", "Part des ménages en place accompagnés", agency, period,
                         s.households_share, "ratio"))
    ytd = f"{kpis.year_start.isoformat()}/{kpis.period_end.isoformat()}"
    for d in kpis.domains_ytd:
        rows.append(("Appuis par domaine", f"{d.label} — appuis", "Toutes agences", ytd, d.supports, "nombre"))
        rows.append(("Appuis par domaine", f"{d.label} — ménages", "Toutes agences", ytd, d.households, "nombre"))
        rows.append(("Appuis par domaine", f"{d.label} — renforcés", "Toutes agences", ytd, d.reinforced,
                     "nombre"))
    return rows


def _csv_value(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if unit == "EUR":
        return f"{int(value) / 100:.2f}".replace(".", ",")
    if unit == "ratio":
        return f"{value:.6f}".replace(".", ",")
    return str(value)


def render_csv(kpis: MonthlyKpis) -> str:
    """The figures as CSV for French spreadsheets: ``;``, decimal comma, amounts in euros, rates as ratios."""
    from arrears.core.tabular import safe_row

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(["section", "indicateur", "agence", "periode", "valeur", "unite"])
    for section, indicator, agency, period, value, unit in figure_rows(kpis):
        writer.writerow(safe_row([section, indicator, agency, period, _csv_value(value, unit),
                                  {"EUR": "EUR", "ratio": "ratio", "nombre": "nombre"}[unit]]))
    return "\ufeff" + buf.getvalue()


def render_xlsx(kpis: MonthlyKpis) -> bytes:
    """The figures as an XLSX workbook: one sheet per section, amounts in euros, rates as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from arrears.core.tabular import safe_cell as safe

    wb = Workbook()
    wb.remove(wb.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F3A5F")
    sections: dict[str, list[Row]] = {}
    for row in figure_rows(kpis):
        sections.setdefault(row[0], []).append(row)
    for section, rows in sections.items():
        ws = wb.create_sheet(title=section[:31].lstrip("'") or "Section")
        ws.append(["Indicateur", "Agence", "Période", "Valeur", "Unité"])
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
        for _, indicator, agency, period, value, unit in rows:
            if unit == "EUR":
                ws.append([safe(indicator), safe(agency), safe(period),
                           None if value is None else int(value) / 100, "€"])
                ws.cell(ws.max_row, 4).number_format = '#,##0.00 "€"'
            elif unit == "ratio":
                ws.append([safe(indicator), safe(agency), safe(period), value, "%"])
                ws.cell(ws.max_row, 4).number_format = "0.00%"
            else:
                ws.append([safe(indicator), safe(agency), safe(period), value, ""])
                ws.cell(ws.max_row, 4).number_format = "#,##0"
        for col, width in zip("ABCDE", (62, 26, 24, 16, 8), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A2"
    ws = wb.create_sheet(title="Définitions")
    ws.append(["Indicateur", "Définition"])
    for cell in ws[1]:
        cell.font, cell.fill = header_font, header_fill
    for key, text in DEFINITIONS.items():
        ws.append([key, text])
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# Entry point (CLI ``arrears report --month YYYY-MM`` and the monthly DAG)
# --------------------------------------------------------------------------------------------------


def report_basename(month: str) -> str:
    return f"rapport-impaye-{month}"


def write_report(engine, month: str, out_dir: Path | None = None) -> list[Path]:
    """Compute the month's KPIs and write the HTML, PDF, CSV and XLSX report; returns the four paths."""
    from arrears.core.files import ensure_dir, write_atomic
    from arrears.core.settings import output_dir
    from arrears.documents.render import html_to_pdf

    kpis = compute_kpis(engine, month)
    folder = ensure_dir(Path(out_dir) if out_dir else output_dir() / "reports" / kpis.month)
    base = report_basename(kpis.month)
    html = render_report_html(kpis)
    return [
        write_atomic(folder / f"{base}.html", html),
        write_atomic(folder / f"{base}.pdf", html_to_pdf(html)),
        write_atomic(folder / f"{base}.csv", render_csv(kpis)),
        write_atomic(folder / f"{base}.xlsx", render_xlsx(kpis)),
    ]
