"""The monthly KPI report for management: HTML and PDF with SVG charts, plus CSV and XLSX of the same figures.

``write_report(engine, "2025-09")`` computes :func:`arrears.report.kpis.compute_kpis` for the month and writes, into
``reports/2025-09/`` of the output store (``output/`` or the bucket of ``ARREARS_OUTPUT_URL``; or ``out_dir``),
atomically and mode 0600 on a local folder:

- ``rapport-impaye-2025-09.html`` — self-contained (CSS inline, charts as inline SVG);
- ``rapport-impaye-2025-09.pdf`` — the same HTML laid out by WeasyPrint (A4);
- ``rapport-impaye-2025-09.csv`` — every figure, one per row (``;``, UTF-8 with BOM, decimal comma);
- ``rapport-impaye-2025-09.xlsx`` — the same figures, one sheet per section, numbers as numbers.

Charts are drawn by matplotlib (:mod:`arrears.report.charts`) and inlined as SVG; every plotted mark carries
``data-series``, ``data-label`` and ``data-value`` attributes (the raw value: a ratio for rates, cents for
amounts, a count for counts), and a text label with the formatted value. Trend points resting on less than
12 months of billing are drawn hollow and flagged "partiel" in the table. Averages are rounded half away from
zero (:func:`arrears.report.kpis.average_cents`).
The report holds only aggregates: no tenant name, address or lease id.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from arrears.core.fmt import number_fr, short_month_fr
from arrears.core.ledger import average_cents
from arrears.report.charts import bar_chart, histogram, line_chart, stacked_chart
from arrears.report.definitions import DEFINITIONS, REFERENCE_LABELS, STAGE_LABELS, STATUS_LABELS
from arrears.report.kpis import MonthlyKpis, compute_kpis

REPORT_TEMPLATE = "reports/report.html"

STATUS_SERIES = (
    ("in_place", "precontentieux", "Présents — précontentieux", "#7ea6cf"),
    ("in_place", "contentieux", "Présents — contentieux", "#1f3a5f"),
    ("departed", "precontentieux", "Partis — précontentieux", "#e0bd6a"),
    ("departed", "contentieux", "Partis — contentieux", "#9a7420"),
)


def plural_fr(count: int, singular: str, plural: str) -> str:
    """``1 accompagnement renforcé``, ``2 accompagnements renforcés`` (French: singular below 2)."""
    return f"{number_fr(count, 0)} {singular if abs(count) < 2 else plural}"


# --------------------------------------------------------------------------------------------------
# The report context
# --------------------------------------------------------------------------------------------------


CHART_REFERENCE_LABELS = {"national": "National", "lmh": "LMH"}


def _refs(kpis: MonthlyKpis, rate: str) -> list[tuple[str, float]]:
    return [(CHART_REFERENCE_LABELS[k], v) for k, v in kpis.references.get(rate, {}).items()]


def build_context(kpis: MonthlyKpis) -> dict[str, Any]:
    """Everything the template prints: the figures, their definitions, and the chart geometry."""
    trend_points = {
        rate: [{"key": p.month, "label": short_month_fr(p.month), "value": p.figures.rates()[rate],
                "partial": p.partial} for p in kpis.trend]
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
        "avg": average_cents,
        "pl": plural_fr,
        "partial_points": kpis.partial_points,
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
        rows.append(("Évolution 12 mois", "Mois de quittancement dans la fenêtre (partiel si < 12)", "Toutes agences",
                     p.month, p.months_covered, "nombre"))
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


def write_report(engine, month: str, out_dir: Path | None = None) -> list[Path] | list[str]:
    """Compute the month's KPIs and write the HTML, PDF, CSV and XLSX report; returns the four paths.

    Into ``out_dir`` when given (``arrears report --out``), else into the output store
    (``reports/<month>/``: the local ``output/`` folder, or the bucket of ``ARREARS_OUTPUT_URL``; the
    returned locations are paths or URLs). The month's report is recomputed, and rewritten, on demand.
    """
    from arrears.core.files import ensure_dir, write_atomic
    from arrears.core.settings import output_store
    from arrears.documents.render import html_to_pdf

    kpis = compute_kpis(engine, month)
    base = report_basename(kpis.month)
    html = render_report_html(kpis)
    files = [(f"{base}.html", html), (f"{base}.pdf", html_to_pdf(html)), (f"{base}.csv", render_csv(kpis)),
             (f"{base}.xlsx", render_xlsx(kpis))]
    if out_dir:
        folder = ensure_dir(Path(out_dir))
        return [write_atomic(folder / name, data) for name, data in files]
    store = output_store()
    return [store.put(f"reports/{kpis.month}/{name}", data, replace=True) for name, data in files]
