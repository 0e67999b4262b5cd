"""Officers' worklists (XLSX + the same as a printable PDF), and the hand-over / accounting lists.

One worklist per officer (the ``staff_id`` of a decision's tasks) and run: one row per file with its
priority score and the reason for it, lease, living holders, phone numbers, e-mail, the lease's address,
balance, months in arrears, arrears start and age, debt age, housing benefit (amount, paid to the landlord
or not), social counsellor, plan status, profile and reasons, last payment, last action, the appointment
slot, the checklist of incontournables with their states, the task and its deadline, flagged when already
past (PLAN.md "What each audience receives", revision 5). Rows are sorted by score, highest first.

The score (rule in the plan file, ``worklist_*`` settings): a task deadline within 7 days or already past
comes first (``worklist_deadline_points``), then points per 100 € of balance and per 30 days of arrears.

File names carry the run date (``worklist_<step>_<YYYY-MM-DD>_<staff>``); a file is never replaced: a
second run on the same date writes ``…-2``. ``write_month_index`` lists an officer's files of the month.

With ``group_by=None`` the same function writes one list of every decision (step 6's hand-over list for
the litigation service, step 14's list for accounting), tasks or not.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from arrears.decide.decision import ChecklistItem, Decision, TaskOrder
from arrears.documents.transfer import (
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
from arrears.documents.worklist_reads import (
    _address,
    read_appointments,
    read_last_actions,
    read_last_payments,
    read_lease_details,
    read_plan_statuses,
)

# Checklist states as the officer reads them on a worklist.
WORKLIST_STATES = {"done": "fait", "done_by_run": "fait par ce traitement", "missing": "à faire"}
PRIORITY_LABELS = {1: "haute", 2: "normale", 3: "basse"}

MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "dd/mm/yyyy"




@dataclass(frozen=True)
class PriorityRule:
    """How the worklist score is computed (the plan file's ``worklist_*`` settings)."""

    deadline_days: int = 7
    deadline_points: int = 1000
    points_per_100_eur: float = 1
    points_per_30_days: float = 2

    @classmethod
    def from_plan(cls, plan=None) -> PriorityRule:
        if plan is None:
            from arrears.config.plan import load_plan

            plan = load_plan()
        return cls(deadline_days=plan.worklist_deadline_days, deadline_points=plan.worklist_deadline_points,
                   points_per_100_eur=plan.worklist_points_per_100_eur,
                   points_per_30_days=plan.worklist_points_per_30_days)


@dataclass
class WorklistRow:
    priority: int | None                  # the task's own priority (1 high, 2 normal, 3 low)
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
    arrears_age_days: int | None = None
    email: str = ""
    lease_address: str = ""
    benefit_cents: int | None = None
    benefit_to_landlord: str = ""         # "oui" / "non" / "" (no benefit)
    counsellor: str = ""
    plan_status: str = ""
    appointment_on: dt.date | None = None
    appointment_time: str = ""
    score: int = 0
    score_reason: str = ""
    overdue_days: int | None = None       # > 0: the deadline is past by that many days

    @property
    def checklist_text(self) -> str:
        return "\n".join(f"{label} : {state_fr}" for label, _state, state_fr in self.checklist)

    @property
    def deadline_flag(self) -> str:
        """``en retard de N j`` once the deadline is past."""
        return f"en retard de {self.overdue_days} j" if self.overdue_days else ""

    @property
    def appointment(self) -> str:
        if self.appointment_on is None:
            return ""
        return f"{self.appointment_on.strftime('%d/%m/%Y')}" + (f" {self.appointment_time}" if self.appointment_time else "")

    @property
    def benefit(self) -> str:
        if not self.benefit_cents:
            return ""
        from arrears.documents.render import eur

        return f"{eur(self.benefit_cents)} ({'versée au bailleur' if self.benefit_to_landlord == 'oui' else 'versée au locataire'})"


# (attribute, header, width in characters, kind) — the XLSX columns, in order. The first two (score,
# lease) stay in view when scrolling right.
COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("score", "Priorité (score)", 9, "int"),
    ("lease_id", "Bail", 12, "text"),
    ("score_reason", "Raison de la priorité", 34, "text"),
    ("tenants", "Locataire(s)", 28, "text"),
    ("phone_mobile", "Tél. mobile", 16, "text"),
    ("phone_home", "Tél. domicile", 16, "text"),
    ("phone_work", "Tél. travail (employeur)", 16, "text"),
    ("email", "E-mail", 26, "text"),
    ("lease_address", "Adresse du logement", 30, "text"),
    ("balance_cents", "Solde", 13, "money"),
    ("months_in_arrears", "Mois d'impayé", 9, "decimal"),
    ("arrears_start", "Début de l'impayé", 12, "date"),
    ("arrears_age_days", "Jours d'impayé", 9, "int"),
    ("debt_age_days", "Ancienneté de la dette (jours)", 12, "int"),
    ("benefit_cents", "APL / AL mensuelle", 12, "money"),
    ("benefit_to_landlord", "APL versée au bailleur", 10, "text"),
    ("counsellor", "Conseillère sociale (CESF)", 20, "text"),
    ("plan_status", "Plan d'apurement", 24, "text"),
    ("profile", "Profil", 26, "text"),
    ("profile_reasons", "Motifs du profil", 36, "text"),
    ("reasons", "Motifs de sélection", 36, "text"),
    ("last_payment_on", "Dernier paiement", 12, "date"),
    ("last_payment_cents", "Montant dernier paiement", 13, "money"),
    ("last_action_on", "Dernière action", 12, "date"),
    ("last_action", "Nature dernière action", 24, "text"),
    ("appointment", "Rendez-vous", 16, "text"),
    ("checklist_text", "Incontournables", 44, "text"),
    ("task", "Tâche", 36, "text"),
    ("due_on", "Échéance", 12, "date"),
    ("deadline_flag", "Retard", 16, "text"),
)
FROZEN_CELL = "C2"   # header row, score and lease columns


# --------------------------------------------------------------------------------------------------
# Priority score and building rows
# --------------------------------------------------------------------------------------------------


def _points(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score_row(row: WorklistRow, as_of: dt.date, rule: PriorityRule) -> tuple[int, str]:
    """The score of a row and its reason in French (each part with its points)."""
    from arrears.documents.render import eur

    score, parts = 0, []
    if row.due_on is not None:
        days = (row.due_on - as_of).days
        if days <= rule.deadline_days:
            score += rule.deadline_points
            when = (f"dépassée de {-days} j" if days < 0 else "aujourd'hui" if days == 0 else f"dans {days} j")
            parts.append(f"échéance {when} : +{rule.deadline_points}")
    if row.balance_cents and row.balance_cents > 0:
        pts = _points(row.balance_cents / 10000 * rule.points_per_100_eur)
        score += pts
        parts.append(f"solde {eur(row.balance_cents)} : +{pts}")
    age = row.arrears_age_days if row.arrears_age_days is not None else row.debt_age_days
    if age and age > 0:
        pts = _points(age / 30 * rule.points_per_30_days)
        score += pts
        parts.append(f"impayé depuis {age} j : +{pts}")
    return score, " ; ".join(parts)


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


def _emails(people: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for person in people:
        email = (person.get("email") or "").strip()
        if email and email not in out:
            out.append(email)
    return "\n".join(out)


def _row(decision: Decision, tasks: Sequence[TaskOrder], tenants: list[dict[str, Any]],
         last_pay: dict[str, Any] | None, last_act: dict[str, Any] | None,
         extra: dict[str, Any] | None = None) -> WorklistRow:
    extra = extra or {}
    figures = decision.figures or {}
    tenant_text, phone_people = _tenant_cells(tenants)
    debt_age = _int(figures.get("debt_age_days"))
    debt_since = figure_date(figures, "debt_since")
    if debt_age is None and debt_since is not None:
        debt_age = (decision.as_of - debt_since).days
    dues = [t.due_on for t in tasks if t.due_on]
    arrears_start = figure_date(figures, "arrears_start")
    arrears_age = _int(figures.get("arrears_age_days"))
    if arrears_age is None and arrears_start is not None:
        arrears_age = (decision.as_of - arrears_start).days
    lease = extra.get("lease") or {}
    benefit = _int(lease.get("benefit_cents"))
    appointment = extra.get("appointment")
    due_on = min(dues) if dues else None
    row = WorklistRow(
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
        due_on=due_on,
        arrears_age_days=arrears_age,
        email=_emails(phone_people),
        lease_address=_address(lease),
        benefit_cents=benefit or None,
        benefit_to_landlord=("oui" if lease.get("benefit_to_landlord") else "non") if benefit else "",
        counsellor=extra.get("counsellor") or "",
        plan_status=extra.get("plan_status") or "",
        appointment_on=appointment[0] if appointment else None,
        appointment_time=appointment[1] if appointment else "",
        overdue_days=(decision.as_of - due_on).days if due_on and due_on < decision.as_of else None,
    )
    row.score, row.score_reason = score_row(row, decision.as_of, extra.get("rule") or PriorityRule())
    return row


def sort_key(row: WorklistRow) -> tuple:
    """Highest score first; then the nearest deadline, the largest balance, the lease id."""
    return (-row.score, row.due_on or dt.date.max, -(row.balance_cents or 0), row.lease_id)


def build_rows(conn, decisions: Sequence[Decision], as_of: dt.date, *,
               group_by: str | None = "staff", rule: PriorityRule | None = None) -> dict[str | None, list[WorklistRow]]:
    """Rows per officer (``group_by="staff"``) or one group ``None`` of every decision, each sorted."""
    lease_ids = sorted({d.lease_id for d in decisions})
    tenants = read_tenants(conn, lease_ids)
    pays = read_last_payments(conn, lease_ids, as_of)
    acts = read_last_actions(conn, lease_ids, as_of)
    leases = read_lease_details(conn, lease_ids)
    officers = {k: v["officer_id"] for k, v in leases.items()} if group_by else {}
    counsellors = read_staff(conn, [v["counsellor_id"] for v in leases.values()])
    plans = read_plan_statuses(conn, lease_ids, as_of)
    appointments = read_appointments(conn, lease_ids, as_of)
    rule = rule or PriorityRule()

    def extra(lease_id: str) -> dict[str, Any]:
        lease = leases.get(lease_id) or {}
        cid = lease.get("counsellor_id")
        return {"lease": lease, "counsellor": staff_name(counsellors.get(cid), cid) if cid else "",
                "plan_status": plans.get(lease_id, ""), "appointment": appointments.get(lease_id), "rule": rule}

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
                                                   pays.get(decision.lease_id), acts.get(decision.lease_id),
                                                   extra(decision.lease_id)))
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
    late_fill = PatternFill("solid", fgColor="FFC7CE")
    late_font = Font(bold=True, color="9C0006")
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
            if row.overdue_days and attr in ("due_on", "deadline_flag"):
                cell.fill = late_fill   # a deadline already past: red, as the officer's eye expects
                cell.font = late_font
    last_col = get_column_letter(len(COLUMNS))
    ws.freeze_panes = FROZEN_CELL   # the header row, the score and the lease stay in view
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


# Stylesheets applied to the worklist PDF parsed once per process (``render.stylesheet``).
PDF_STYLESHEETS: tuple[str, ...] = ("documents/documents.css",)
# From this many rows in a run, its lists are laid out over ``render_workers()`` processes.
POOL_ROWS = 300


def pdf_context(rows: Sequence[WorklistRow], *, title: str, step_title: str, owner: str, as_of: dt.date,
                period: str, landlord: str, deadline_days: int = 7) -> dict[str, Any]:
    """What ``templates/documents/worklist.html`` reads."""
    return {
        "title": title, "step_title": step_title, "owner": owner, "as_of": as_of, "period": period,
        "landlord_name": landlord, "rows": rows, "priority_labels": PRIORITY_LABELS,
        "total_balance_cents": sum(r.balance_cents or 0 for r in rows),
        "overdue": sum(1 for r in rows if r.overdue_days), "deadline_days": deadline_days,
    }


def worklist_pdf(rows: Sequence[WorklistRow], *, title: str, step_title: str, owner: str, as_of: dt.date,
                 period: str, landlord: str, deadline_days: int = 7) -> bytes:
    from arrears.documents.render import html_document, render_html

    html = render_html("documents/worklist.html", pdf_context(
        rows, title=title, step_title=step_title, owner=owner, as_of=as_of, period=period, landlord=landlord,
        deadline_days=deadline_days))
    return html_document(html, stylesheets=PDF_STYLESHEETS).write_pdf()


def _free_stem(out: Path, stem: str) -> str:
    """``stem`` or ``stem-2``, ``stem-3``…: the first whose files do not exist (no run replaces a list)."""
    n = 1
    while True:
        candidate = stem if n == 1 else f"{stem}-{n}"
        if not (out / f"{candidate}.xlsx").exists() and not (out / f"{candidate}.pdf").exists():
            return candidate
        n += 1


def write_worklists(engine, decisions: Sequence[Decision], out_dir: Path | str, *, step_title: str,
                    as_of: dt.date, title: str | None = None, group_by: str | None = "staff",
                    file_prefix: str = "worklist", landlord: str | None = None,
                    rule: PriorityRule | None = None, workers: int | None = None) -> list[Path]:
    """Write the worklists of ``decisions`` as XLSX + PDF pairs in ``out_dir``; returns the paths.

    ``group_by="staff"``: one pair per officer named ``<file_prefix>_<step_id>_<D>_<staff_id>`` (D the run
    date, ``YYYY-MM-DD``); a decision's tasks go to their ``staff_id`` (the lease's officer when unset);
    decisions without tasks are on no officer's list. ``group_by=None``: one pair
    ``<file_prefix>_<step_id>_<D>`` of every decision (hand-over list; pass ``title`` and ``file_prefix``).
    A name already taken (an earlier run on the same date) gets ``-2``, ``-3``…: no file is replaced.
    ``workers``: processes laying the lists out (default ``render.render_workers()`` from ``POOL_ROWS`` rows).
    """
    from arrears.core.files import write_atomic
    from arrears.documents.render import map_documents, render_workers

    if not decisions:
        return []
    if group_by not in ("staff", None):
        raise ValueError(f"group_by must be 'staff' or None, not {group_by!r}")
    step_id = decisions[0].step_id
    period = decisions[0].period or as_of.strftime("%Y-%m")
    title = title or "Liste de travail"
    landlord = landlord_name(landlord)
    rule = rule or PriorityRule.from_plan()
    with _connection(engine) as conn:
        groups = build_rows(conn, decisions, as_of, group_by=group_by, rule=rule)
        staff = read_staff(conn, [k for k in groups if k])
    out = Path(out_dir)
    stems, jobs = [], []
    for key in sorted(groups, key=lambda k: k or ""):
        if key is None:
            owner = "Tous les dossiers"
            stem = f"{safe_name(file_prefix)}_{safe_name(step_id)}_{as_of.isoformat()}"
        else:
            owner = staff_name(staff.get(key), key)
            stem = f"{safe_name(file_prefix)}_{safe_name(step_id)}_{as_of.isoformat()}_{safe_name(key)}"
        stems.append(_free_stem(out, stem))
        header = f"{title} — {step_title} — {owner} — traitement du {as_of.strftime('%d/%m/%Y')}"
        jobs.append((groups[key], {"sheet_title": title, "header_text": header}, {
            "title": title, "step_title": step_title, "owner": owner, "as_of": as_of, "period": period,
            "landlord": landlord, "deadline_days": rule.deadline_days}))
    # A run's lists laid out over the render workers when they are long enough to pay for the processes.
    rows = sum(len(job[0]) for job in jobs)
    files = map_documents(_list_files, jobs, workers=workers or (render_workers() if rows >= POOL_ROWS else 1),
                          weights=[len(job[0]) for job in jobs])
    paths: list[Path] = []
    for stem, (xlsx, pdf) in zip(stems, files, strict=True):
        paths.append(write_atomic(out / f"{stem}.xlsx", xlsx))
        paths.append(write_atomic(out / f"{stem}.pdf", pdf))
    return paths


def _list_files(job: tuple) -> tuple[bytes, bytes]:
    """One list's XLSX and PDF (a job of ``map_documents``: module level, run in a worker process)."""
    rows, xlsx_args, pdf_args = job
    return worklist_xlsx(rows, **xlsx_args), worklist_pdf(rows, **pdf_args)


def worklist_owner(path: Path) -> str | None:
    """The staff id at the end of an officer's worklist file name (``worklist_<step>_<D>_<staff>[-n]``)."""
    match = re.fullmatch(r"worklist_.+?_\d{4}-\d{2}-\d{2}_(.+?)(?:-\d+)?", Path(path).stem)
    return match.group(1) if match else None


def write_month_index(engine, period_dir: Path | str, period: str) -> list[Path]:
    """Per officer, ``worklists_<period>_<staff>.html`` in ``period_dir``: the month's worklist files of
    every step, by run date (rewritten after each run; it only ever grows, as the files it lists stay)."""
    from arrears.core.files import write_atomic
    from arrears.documents.render import render_html

    period_dir = Path(period_dir)
    files: dict[str, list[dict[str, Any]]] = {}
    for xlsx in sorted(period_dir.glob("*/worklists/worklist_*.xlsx")):
        owner = worklist_owner(xlsx)
        if not owner:
            continue
        match = re.search(r"_(\d{4}-\d{2}-\d{2})_", xlsx.name)
        pdf = xlsx.with_suffix(".pdf")
        files.setdefault(owner, []).append({
            "run_date": dt.date.fromisoformat(match.group(1)) if match else None, "step_dir": xlsx.parent.parent.name,
            "xlsx": xlsx.relative_to(period_dir).as_posix(),
            "pdf": pdf.relative_to(period_dir).as_posix() if pdf.exists() else None})
    if not files:
        return []
    with _connection(engine) as conn:
        staff = read_staff(conn, list(files))
    paths = []
    for owner, entries in sorted(files.items()):
        entries.sort(key=lambda e: (e["run_date"] or dt.date.min, e["step_dir"], e["xlsx"]))
        html = render_html("documents/worklist_index.html", {
            "owner": staff_name(staff.get(owner), owner), "period": period, "entries": entries})
        paths.append(write_atomic(period_dir / f"worklists_{safe_name(period)}_{safe_name(owner)}.html", html))
    return paths
