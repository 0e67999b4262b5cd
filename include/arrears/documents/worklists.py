"""Officers' worklists (XLSX + the same as a printable PDF), and the hand-over / accounting lists.

One worklist per officer (the ``staff_id`` of a decision's tasks) and run: one row per file with priority,
lease, living holders, phone numbers, balance, months in arrears, arrears start and debt age, profile and
reasons, last payment, last action, the checklist of incontournables with their states, the task and its
deadline (PLAN.md "What each audience receives"). Rows are sorted by priority, then oldest arrears and
largest balance first.

With ``group_by=None`` the same function writes one list of every decision (step 6's hand-over list for
the litigation service, step 14's list for accounting), tasks or not.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from arrears.core import models as m
from arrears.decide.decision import ChecklistItem, Decision, TaskOrder
from arrears.documents.transfer import (
    PAYMENT_KINDS,
    _chunks,
    _connection,
    action_label,
    figure_date,
    landlord_name,
    living_holders,
    person_name,
    profile_label,
    read_staff,
    read_tenants,
    safe_name,
    staff_name,
)

# Checklist states as the officer reads them on a worklist.
WORKLIST_STATES = {"done": "fait", "done_by_run": "fait par ce traitement", "missing": "à faire"}
PRIORITY_LABELS = {1: "haute", 2: "normale", 3: "basse"}

MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "dd/mm/yyyy"


@dataclass
class WorklistRow:
    priority: int | None
    lease_id: str
    tenants: str
    phone_mobile: str
    phone_home: str
    phone_work: str
    balance_cents: int | None
    months_in_arrears: Decimal | None
    arrears_start: dt.date | None
    debt_age_days: int | None
    profile: str
    profile_reasons: str
    reasons: str
    last_payment_on: dt.date | None
    last_payment_cents: int | None
    last_action_on: dt.date | None
    last_action: str
    checklist: list[tuple[str, str, str]] = field(default_factory=list)   # (label, state, French state)
    task: str = ""
    due_on: dt.date | None = None

    @property
    def checklist_text(self) -> str:
        return "\n".join(f"{label} : {state_fr}" for label, _state, state_fr in self.checklist)


# (attribute, header, width in characters, kind) — the XLSX columns, in order.
COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("priority", "Priorité", 9, "int"),
    ("lease_id", "Bail", 12, "text"),
    ("tenants", "Locataire(s)", 28, "text"),
    ("phone_mobile", "Tél. mobile", 16, "text"),
    ("phone_home", "Tél. domicile", 16, "text"),
    ("phone_work", "Tél. travail (employeur)", 16, "text"),
    ("balance_cents", "Solde", 13, "money"),
    ("months_in_arrears", "Mois d'impayé", 9, "decimal"),
    ("arrears_start", "Début de l'impayé", 12, "date"),
    ("debt_age_days", "Ancienneté de la dette (jours)", 12, "int"),
    ("profile", "Profil", 26, "text"),
    ("profile_reasons", "Motifs du profil", 36, "text"),
    ("reasons", "Motifs de sélection", 36, "text"),
    ("last_payment_on", "Dernier paiement", 12, "date"),
    ("last_payment_cents", "Montant dernier paiement", 13, "money"),
    ("last_action_on", "Dernière action", 12, "date"),
    ("last_action", "Nature dernière action", 24, "text"),
    ("checklist_text", "Incontournables", 44, "text"),
    ("task", "Tâche", 36, "text"),
    ("due_on", "Échéance", 12, "date"),
)


# --------------------------------------------------------------------------------------------------
# Reading the personal data and the last payment / action of many leases at once
# --------------------------------------------------------------------------------------------------


def _latest(conn, table, key_cols, date_col, lease_ids: list[str], where) -> dict[str, dict[str, Any]]:
    """The latest row per lease (by date, then id) among rows matching ``where`` — one window query."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(lease_ids):
        ranked = (
            select(*key_cols,
                   func.row_number().over(partition_by=table.c.lease_id,
                                          order_by=(date_col.desc(), key_cols[0].desc())).label("rn"))
            .where(table.c.lease_id.in_(chunk), *where)
            .subquery("ranked")
        )
        for row in conn.execute(select(ranked).where(ranked.c.rn == 1)):
            out[row._mapping["lease_id"]] = dict(row._mapping)
    return out


def read_last_payments(conn, lease_ids: list[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
    t = m.LedgerEntry.__table__
    return _latest(conn, t, (t.c.entry_id, t.c.lease_id, t.c.posted_on, t.c.amount_cents), t.c.posted_on,
                   lease_ids, (t.c.kind.in_(PAYMENT_KINDS), t.c.posted_on <= as_of))


def read_last_actions(conn, lease_ids: list[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
    t = m.Action.__table__
    return _latest(conn, t, (t.c.action_id, t.c.lease_id, t.c.done_on, t.c.kind, t.c.outcome), t.c.done_on,
                   lease_ids, (t.c.done_on <= as_of,))


def read_lease_officers(conn, lease_ids: list[str]) -> dict[str, str]:
    t = m.Lease.__table__
    out: dict[str, str] = {}
    for chunk in _chunks(lease_ids):
        for row in conn.execute(select(t.c.lease_id, t.c.officer_id).where(t.c.lease_id.in_(chunk))):
            out[row.lease_id] = row.officer_id
    return out


# --------------------------------------------------------------------------------------------------
# Building rows
# --------------------------------------------------------------------------------------------------


def _phones(people: list[dict[str, Any]], column: str) -> str:
    """The numbers of ``people``; with several people each says whose it is (last name, or first name
    when they share a last name)."""
    same_name = len({p["last_name"] for p in people}) < len(people)
    numbers: list[str] = []
    for person in people:
        number = (person.get(column) or "").strip()
        if not number:
            continue
        whose = person["first_name"] if same_name else person["last_name"]
        text = f"{number} ({whose})" if len(people) > 1 else number
        if text not in numbers:
            numbers.append(text)
    return "\n".join(numbers)


def _tenant_cells(tenants: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The tenant cell (living holders) and the people whose phones are shown."""
    holders = living_holders(tenants)
    if holders:
        return "\n".join(person_name(t) for t in holders), holders
    deceased = [t for t in tenants if t["is_holder"]]
    others = [t for t in tenants if not t["is_holder"] and not t["is_deceased"]]
    names = [f"{person_name(t)} (décédé·e)" for t in deceased]
    text = "\n".join(["Succession — aucun titulaire en vie", *names]) if deceased else "Aucun titulaire connu"
    return text, others


def _months(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _merge_checklists(tasks: Sequence[TaskOrder]) -> list[tuple[str, str, str]]:
    seen: dict[str, ChecklistItem] = {}
    for task in tasks:
        for item in task.checklist:
            seen.setdefault(item.label, item)
    return [(i.label, i.state, WORKLIST_STATES.get(i.state, i.state)) for i in seen.values()]


def _row(decision: Decision, tasks: Sequence[TaskOrder], tenants: list[dict[str, Any]],
         last_pay: dict[str, Any] | None, last_act: dict[str, Any] | None) -> WorklistRow:
    figures = decision.figures or {}
    tenant_text, phone_people = _tenant_cells(tenants)
    debt_age = _int(figures.get("debt_age_days"))
    debt_since = figure_date(figures, "debt_since")
    if debt_age is None and debt_since is not None:
        debt_age = (decision.as_of - debt_since).days
    dues = [t.due_on for t in tasks if t.due_on]
    return WorklistRow(
        priority=min((t.priority for t in tasks), default=None),
        lease_id=decision.lease_id,
        tenants=tenant_text,
        phone_mobile=_phones(phone_people, "phone_mobile"),
        phone_home=_phones(phone_people, "phone_home"),
        phone_work=_phones(phone_people, "phone_work"),
        balance_cents=_int(figures.get("balance_cents")),
        months_in_arrears=_months(figures.get("months_in_arrears")),
        arrears_start=figure_date(figures, "arrears_start"),
        debt_age_days=debt_age,
        profile=profile_label(decision.profile),
        profile_reasons="\n".join(decision.profile_reasons),
        reasons="\n".join(decision.reasons),
        last_payment_on=last_pay["posted_on"] if last_pay else None,
        last_payment_cents=-last_pay["amount_cents"] if last_pay else None,
        last_action_on=last_act["done_on"] if last_act else None,
        last_action=action_label(last_act["kind"], last_act["outcome"]) if last_act else "",
        checklist=_merge_checklists(tasks),
        task="\n".join(t.title for t in tasks),
        due_on=min(dues) if dues else None,
    )


def sort_key(row: WorklistRow) -> tuple:
    """Priority (1 first, none last), then oldest arrears start, then largest balance, then lease id."""
    return (row.priority if row.priority is not None else 99, row.arrears_start or dt.date.max,
            -(row.balance_cents or 0), row.lease_id)


def build_rows(conn, decisions: Sequence[Decision], as_of: dt.date, *,
               group_by: str | None = "staff") -> dict[str | None, list[WorklistRow]]:
    """Rows per officer (``group_by="staff"``) or one group ``None`` of every decision, each sorted."""
    lease_ids = sorted({d.lease_id for d in decisions})
    tenants = read_tenants(conn, lease_ids)
    pays = read_last_payments(conn, lease_ids, as_of)
    acts = read_last_actions(conn, lease_ids, as_of)
    officers = read_lease_officers(conn, lease_ids) if group_by else {}
    groups: dict[str | None, list[WorklistRow]] = {}
    for decision in decisions:
        if group_by:
            by_staff: dict[str, list[TaskOrder]] = {}
            for task in decision.tasks:
                staff = task.staff_id or officers.get(decision.lease_id)
                if staff:
                    by_staff.setdefault(staff, []).append(task)
            parts: Iterable[tuple[str | None, list[TaskOrder]]] = by_staff.items()
        else:
            parts = [(None, list(decision.tasks))]
        for key, tasks in parts:
            groups.setdefault(key, []).append(_row(decision, tasks, tenants.get(decision.lease_id, []),
                                                   pays.get(decision.lease_id), acts.get(decision.lease_id)))
    for rows in groups.values():
        rows.sort(key=sort_key)
    return groups


# --------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------


def _cell_value(row: WorklistRow, attr: str, kind: str):
    value = getattr(row, attr)
    if value is None or value == "":
        return None
    if kind == "money":
        return Decimal(value) / 100
    if kind == "decimal":
        return value
    return value


def worklist_xlsx(rows: Sequence[WorklistRow], *, sheet_title: str, header_text: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from arrears.core.tabular import safe_cell

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    for col, (_attr, header, width, _kind) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 32
    top = Alignment(vertical="top", wrap_text=True)
    for r, row in enumerate(rows, start=2):
        for col, (attr, _header, _width, kind) in enumerate(COLUMNS, start=1):
            value = _cell_value(row, attr, kind)
            if isinstance(value, str):
                value = safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name like "=HYPERLINK(…)" is text, never a formula
            cell.alignment = top
            if kind == "money":
                cell.number_format = MONEY_FORMAT
            elif kind == "date":
                cell.number_format = DATE_FORMAT
            elif kind == "decimal":
                cell.number_format = "0.00"
            elif kind == "text":
                cell.number_format = "@"
    last_col = get_column_letter(len(COLUMNS))
    ws.freeze_panes = "A2"   # the header row stays in view
    ws.auto_filter.ref = f"A1:{last_col}{max(len(rows) + 1, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = header_text.replace("&", "&&")[:200]
    ws.oddFooter.right.text = "Page &P / &N"
    wb.properties.title = header_text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# PDF and the entry point
# --------------------------------------------------------------------------------------------------


def worklist_pdf(rows: Sequence[WorklistRow], *, title: str, step_title: str, owner: str, as_of: dt.date,
                 period: str, landlord: str) -> bytes:
    from arrears.documents.render import html_to_pdf, render_html

    ctx = {
        "title": title, "step_title": step_title, "owner": owner, "as_of": as_of, "period": period,
        "landlord_name": landlord, "rows": rows, "priority_labels": PRIORITY_LABELS,
        "total_balance_cents": sum(r.balance_cents or 0 for r in rows),
    }
    return html_to_pdf(render_html("documents/worklist.html", ctx))


def write_worklists(engine, decisions: Sequence[Decision], out_dir: Path | str, *, step_title: str,
                    as_of: dt.date, title: str | None = None, group_by: str | None = "staff",
                    file_prefix: str = "worklist", landlord: str | None = None) -> list[Path]:
    """Write the worklists of ``decisions`` as XLSX + PDF pairs in ``out_dir``; returns the paths.

    ``group_by="staff"``: one pair per officer named ``<file_prefix>_<step_id>_<period>_<staff_id>``; a
    decision's tasks go to their ``staff_id`` (the lease's officer when unset); decisions without tasks are
    on no officer's list. ``group_by=None``: one pair ``<file_prefix>_<step_id>_<period>`` of every
    decision (hand-over or accounting list; pass ``title`` and ``file_prefix``).
    """
    from arrears.core.files import write_atomic

    if not decisions:
        return []
    if group_by not in ("staff", None):
        raise ValueError(f"group_by must be 'staff' or None, not {group_by!r}")
    step_id = decisions[0].step_id
    period = decisions[0].period or as_of.strftime("%Y-%m")
    title = title or "Liste de travail"
    landlord = landlord_name(landlord)
    with _connection(engine) as conn:
        groups = build_rows(conn, decisions, as_of, group_by=group_by)
        staff = read_staff(conn, [k for k in groups if k])
    paths: list[Path] = []
    out = Path(out_dir)
    for key in sorted(groups, key=lambda k: k or ""):
        rows = groups[key]
        if key is None:
            owner = "Tous les dossiers"
            stem = f"{safe_name(file_prefix)}_{safe_name(step_id)}_{safe_name(period)}"
        else:
            owner = staff_name(staff.get(key), key)
            stem = f"{safe_name(file_prefix)}_{safe_name(step_id)}_{safe_name(period)}_{safe_name(key)}"
        header = f"{title} — {step_title} — {owner} — traitement du {as_of.strftime('%d/%m/%Y')}"
        paths.append(write_atomic(out / f"{stem}.xlsx",
                                  worklist_xlsx(rows, sheet_title=title, header_text=header)))
        paths.append(write_atomic(out / f"{stem}.pdf",
                                  worklist_pdf(rows, title=title, step_title=step_title, owner=owner,
                                               as_of=as_of, period=period, landlord=landlord)))
    return paths
