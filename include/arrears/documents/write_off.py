"""Fiche passage en perte (step 14): one PDF per departed tenant's debt proposed for write-off.

The form states who left, when, what is owed and since when, whether a forwarding address is known, the
reason the debt qualifies (debt erased by an overindebtedness procedure, balance under the threshold,
no forwarding address), the recovery actions already made, and leaves boxes for the manager's approval
and for accounting.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from arrears.decide.decision import Decision
from arrears.documents.transfer import (
    _connection,
    identity_context,
    read_plans,
    safe_name,
)


def _small_balance_cents() -> int:
    """PLAN.md step 14's "balance < 300 €": the plan file's ``max_balance_cents`` of step 14."""
    from arrears.config.plan import load_plan

    return int(load_plan().step(14).threshold("max_balance_cents"))


def write_off_reasons(lease: dict[str, Any], plans: list[dict[str, Any]], balance_cents: int, as_of: dt.date,
                      *, small_balance_cents: int | None = None) -> list[dict[str, Any]]:
    """The three PLAN.md reasons, each with whether it applies at D and the fact behind it."""
    if small_balance_cents is None:
        small_balance_cents = _small_balance_cents()
    erased = [p for p in plans if p["kind"] == "overindebtedness" and p["status"] == "erased"
              and p["closed_on"] is not None and p["closed_on"] <= as_of]
    no_address = not (lease["forwarding_address_line1"] or "").strip() or not (lease["forwarding_city"] or "").strip()
    from arrears.core.fmt import eur

    return [
        {"code": "debt_erased", "label": "Dette effacée (procédure de surendettement, effacement / PRP)",
         "applies": bool(erased),
         "detail": (f"plan {erased[-1]['plan_id']} clos le {erased[-1]['closed_on'].strftime('%d/%m/%Y')}"
                    if erased else "")},
        {"code": "small_balance", "label": f"Solde inférieur à {eur(small_balance_cents)}",
         "applies": 0 < balance_cents < small_balance_cents,
         "detail": f"solde de {eur(balance_cents)}"},
        {"code": "no_forwarding_address", "label": "Locataire parti sans laisser d'adresse",
         "applies": no_address,
         "detail": "aucune adresse de réexpédition connue" if no_address else ""},
    ]


def write_off_form(conn, decision: Decision, out_dir: Path | str, *, landlord: str | None = None,
                   small_balance_cents: int | None = None) -> Path:
    """Render the fiche passage en perte of ``decision.lease_id`` at ``decision.as_of``.

    Writes ``write_off_form_<period>_<lease>.pdf`` in ``out_dir`` atomically (mode 0600); returns its path.
    """
    from arrears.core.files import write_atomic
    from arrears.documents.render import html_to_pdf, render_html

    with _connection(conn) as c:
        ctx = identity_context(c, decision)
        plans = read_plans(c, decision.lease_id, decision.as_of)
    lease = ctx["lease"]
    as_of = decision.as_of
    forwarding = [x for x in (lease["forwarding_address_line1"], lease["forwarding_address_line2"],
                              " ".join(v for v in (lease["forwarding_postcode"], lease["forwarding_city"]) if v),
                              lease["forwarding_country"]) if x]
    end_on = lease["end_on"]
    ctx_reasons = write_off_reasons(lease, plans, ctx["balance_cents"], as_of, small_balance_cents=small_balance_cents)
    ctx.update(
        plans=plans,
        reasons=ctx_reasons,
        forwarding_lines=forwarding,
        has_forwarding_address=not next(r for r in ctx_reasons if r["code"] == "no_forwarding_address")["applies"],
        months_since_departure=((as_of.year - end_on.year) * 12 + as_of.month - end_on.month
                                - (as_of.day < end_on.day)) if end_on else None,
        recovery_actions=[a for a in ctx["actions"] if a["kind"] not in ("note",)],
        write_off_entries=[e for e in ctx["entries"] if e["kind"] == "write_off" and e["posted_on"] <= as_of],
    )
    if landlord:
        ctx["landlord_name"] = landlord
    ctx.pop("entries")
    pdf = html_to_pdf(render_html("documents/write_off.html", ctx))
    path = Path(out_dir) / f"write_off_form_{safe_name(decision.period)}_{safe_name(decision.lease_id)}.pdf"
    return write_atomic(path, pdf)


# --------------------------------------------------------------------------------------------------
# Step 14's list for accounting (PLAN.md revision 5): its own document, once the manager has answered
# --------------------------------------------------------------------------------------------------

ACCOUNTING_COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("lease_id", "Bail", 12, "text"),
    ("former_tenant", "Ancien locataire", 30, "text"),
    ("end_on", "Date de sortie", 12, "date"),
    ("amount_cents", "Montant à passer en perte", 15, "money"),
    ("reason", "Motif", 40, "text"),
    ("approver", "Approuvé par", 22, "text"),
    ("approved_on", "Date d'approbation", 12, "date"),
    ("last_payment_on", "Dernier paiement", 12, "date"),
    ("last_payment_cents", "Montant dernier paiement", 14, "money"),
)


def accounting_rows(conn, decisions, answers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per approved write-off of ``decisions`` (``answers``: lease → approval row)."""
    from arrears.documents.transfer import living_holders, person_name, read_lease, read_tenants
    from arrears.documents.worklist_reads import read_last_payments

    approved = [d for d in decisions if (answers.get(d.lease_id) or {}).get("approved")]
    if not approved:
        return []
    ids = [d.lease_id for d in approved]
    as_of = approved[0].as_of
    tenants = read_tenants(conn, ids)
    pays = read_last_payments(conn, ids, as_of)
    rows = []
    for d in approved:
        lease = read_lease(conn, d.lease_id)
        balance = int((d.figures or {}).get("balance_cents") or 0)
        reasons = [r["label"] for r in write_off_reasons(lease, read_plans(conn, d.lease_id, as_of), balance, as_of)
                   if r["applies"]]
        people = [t for t in tenants.get(d.lease_id, []) if t["is_holder"]] or tenants.get(d.lease_id, [])
        holders = living_holders(people) or people
        answer = answers[d.lease_id]
        pay = pays.get(d.lease_id)
        rows.append({
            "lease_id": d.lease_id, "former_tenant": "\n".join(person_name(t) for t in holders),
            "end_on": lease["end_on"], "amount_cents": balance, "reason": "\n".join(reasons),
            "approver": answer["author"], "approved_on": answer["decided_at"].date() if answer["decided_at"] else None,
            "last_payment_on": pay["posted_on"] if pay else None,
            "last_payment_cents": -pay["amount_cents"] if pay else None,
        })
    rows.sort(key=lambda r: r["lease_id"])
    return rows


def _accounting_xlsx(rows: list[dict[str, Any]], header_text: str) -> bytes:
    import io
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Passages en perte"
    for col, (_key, header, width, _kind) in enumerate(ACCOUNTING_COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, row in enumerate(rows, start=2):
        for col, (key, _header, _width, kind) in enumerate(ACCOUNTING_COLUMNS, start=1):
            value = row[key]
            if kind == "money" and value is not None:
                value = Decimal(value) / 100
            cell = ws.cell(row=r, column=col, value=value if value != "" else None)
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                cell.data_type = "s"   # text, never a formula
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.number_format = {"money": '#,##0.00 "€"', "date": "dd/mm/yyyy"}.get(kind, "@")
    total_row = len(rows) + 2
    ws.cell(row=total_row, column=1, value="Total").font = Font(bold=True)
    amount_col = [k for k, *_ in ACCOUNTING_COLUMNS].index("amount_cents") + 1
    total = ws.cell(row=total_row, column=amount_col, value=Decimal(sum(r["amount_cents"] for r in rows)) / 100)
    total.number_format = '#,##0.00 "€"'
    total.font = Font(bold=True)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(ACCOUNTING_COLUMNS))}{len(rows) + 1}"
    ws.page_setup.orientation = "landscape"
    ws.oddHeader.center.text = header_text.replace("&", "&&")[:200]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _listed_before(out_dir: Path) -> set[str]:
    """Leases already on an accounting list of this folder (a lease is handed to accounting once)."""
    from openpyxl import load_workbook

    listed: set[str] = set()
    for path in sorted(out_dir.glob("accounting_list_*.xlsx")):
        ws = load_workbook(path, read_only=True).active
        for (value,) in ws.iter_rows(min_row=2, max_col=1, values_only=True):
            if value and value != "Total":
                listed.add(str(value))
    return listed


def write_accounting_list(engine, decisions, out_dir: Path | str, *, as_of: dt.date, step: int = 14,
                          step_title: str = "Passage en pertes locataires sortants",
                          landlord: str | None = None) -> list[Path]:
    """Write step 14's list for accounting (XLSX + PDF) once the manager has answered every proposal of
    ``decisions``: lease, former tenant, amount to write off, reason, approver and approval date, last payment.

    Returns ``[]`` (nothing written) while an answer is missing, when nothing was approved, or when every
    approved lease is already on an earlier list of ``out_dir`` (a lease goes to accounting once; a later
    answer gives a complement list). Files: ``accounting_list_<D>[-n].xlsx|pdf``, never replaced.
    """
    from sqlalchemy import select

    from arrears.core import models as m
    from arrears.core.files import write_atomic
    from arrears.documents.render import html_to_pdf, render_html
    from arrears.documents.transfer import landlord_name

    decisions = list(decisions)
    if not decisions:
        return []
    period = decisions[0].period
    out = Path(out_dir)
    with _connection(engine) as conn:
        answers = {r.lease_id: dict(r._mapping) for r in conn.execute(
            select(m.Approval.lease_id, m.Approval.approved, m.Approval.author, m.Approval.decided_at)
            .where(m.Approval.step == step, m.Approval.period == period))}
        if any(d.lease_id not in answers for d in decisions):
            return []    # the manager has not answered yet: the list waits (the answer writes it)
        listed = _listed_before(out) if out.exists() else set()
        rows = [r for r in accounting_rows(conn, decisions, answers) if r["lease_id"] not in listed]
    if not rows:
        return []
    stem, n = f"accounting_list_{as_of.isoformat()}", 1
    while (out / f"{stem}{'' if n == 1 else f'-{n}'}.xlsx").exists():
        n += 1
    stem = stem if n == 1 else f"{stem}-{n}"
    rejected = sum(1 for d in decisions if not answers[d.lease_id]["approved"])
    title = "Liste des passages en perte pour la comptabilité"
    header = f"{title} — {step_title} — traitement du {as_of.strftime('%d/%m/%Y')}"
    xlsx = write_atomic(out / f"{stem}.xlsx", _accounting_xlsx(rows, header))
    pdf = write_atomic(out / f"{stem}.pdf", html_to_pdf(render_html("documents/accounting_list.html", {
        "title": title, "step_title": step_title, "as_of": as_of, "period": period, "rows": rows,
        "total_cents": sum(r["amount_cents"] for r in rows), "rejected": rejected,
        "complement": n > 1, "landlord_name": landlord_name(landlord)})))
    return [xlsx, pdf]
