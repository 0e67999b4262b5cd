"""Dossier de transmission au contentieux: one PDF per lease handed over to litigation (step 6).

The file gathers what the litigation service needs to act without going back to the agency: who the
tenants are and how to reach them, the lease, a 12-month statement from the ledger, the actions history,
plans, direct-debit rejects, social supports, the CAF / CCAPEX status (CCH R824-1, R824-4) and the
pre-transfer checklist of the step's decision (done / done by this run / missing).

The module also holds the small readers shared by the officers' documents (``worklists``, ``write_off``):
everything personal (names, phones, addresses) is read here from the database at the decision's date; a
``Decision`` carries only ids and figures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from arrears.config.plan import Plan, load_plan
from arrears.core import models as m
from arrears.core.calendar import add_months, month_end
from arrears.core.ledger import arrears_start_of, balance_at, crossing_date, effective_on
from arrears.decide.decision import PROFILES, Decision

# --------------------------------------------------------------------------------------------------
# French labels for what officers read
# --------------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "phone_call": "Appel téléphonique", "letter": "Courrier", "formal_notice": "Mise en demeure (LRAR)",
    "convocation": "Convocation", "appointment": "Rendez-vous", "home_visit": "Visite à domicile",
    "sms": "SMS", "email": "Courriel", "social_referral": "Orientation sociale (CESF)",
    "fsl_request": "Demande FSL", "caf_report": "Signalement CAF / MSA", "ccapex_report": "Saisine CCAPEX",
    "plan_agreed": "Plan d'apurement accordé", "mandate_cancelled": "Mandat de prélèvement annulé",
    "file_closed": "Dossier clôturé", "transfer_litigation": "Transmission au contentieux",
    "write_off": "Passage en perte", "refund": "Remboursement", "note": "Note",
}
OUTCOME_LABELS = {
    "reached": "joint", "no_answer": "sans réponse", "promise": "promesse de paiement", "refused": "refus",
    "no_show": "absent au rendez-vous",
}
PLAN_KIND_LABELS = {
    "amicable": "Plan amiable", "overindebtedness": "Plan de surendettement", "moratorium": "Moratoire",
    "court": "Plan judiciaire",
}
PLAN_STATUS_LABELS = {
    "active": "en cours", "completed": "soldé", "broken": "non respecté (rompu)", "closed": "clôturé",
    "erased": "dette effacée",
}
REJECT_LABELS = {
    "AM04": "provision insuffisante", "MD07": "débiteur décédé", "AC04": "compte clôturé",
    "AC01": "IBAN incorrect", "AC06": "compte bloqué", "AG01": "opération interdite",
    "MD01": "pas de mandat valide", "MD02": "données du mandat manquantes", "MD06": "remboursement demandé",
    "MS02": "refus du débiteur", "MS03": "motif non précisé",
}
SUPPORT_DOMAIN_LABELS = {
    "budget": "Budget", "access_to_rights": "Accès aux droits", "housing_pathway": "Parcours logement",
    "neighbourhood": "Voisinage", "health": "Santé", "ageing": "Vieillissement", "other": "Autre",
}
PAYMENT_METHOD_LABELS = {
    "direct_debit": "prélèvement", "transfer": "virement", "cheque": "chèque", "cash": "espèces",
    "card": "carte bancaire", "other": "autre",
}
STAGE_LABELS = {"precontentieux": "précontentieux", "contentieux": "contentieux"}
# Checklist states as the litigation service reads them (PLAN.md: done, done by this run, missing).
CHECK_STATES = {"done": "fait", "done_by_run": "fait par ce traitement", "missing": "manquant"}

PAYMENT_KINDS = ("payment", "direct_debit")
CHARGE_KINDS = ("rent", "charges", "sls", "fee")

DEFAULT_LANDLORD_NAME = "Bailleur social"


def profile_label(code: str | None) -> str:
    if not code:
        return ""
    return f"{code} — {PROFILES.get(code, code)}"


def action_label(kind: str | None, outcome: str | None = None) -> str:
    if not kind:
        return ""
    text = ACTION_LABELS.get(kind, kind)
    if outcome:
        text += f" ({OUTCOME_LABELS.get(outcome, outcome)})"
    return text


def safe_name(value: str) -> str:
    """An identifier made safe for a file name (``L/12 3`` → ``L_12_3``); leading zeros kept."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(value)) or "_"


def landlord_name(default: str | None = None) -> str:
    """The landlord's name for headers: ``default`` when given, else ``include/landlord.toml``'s name."""
    if default:
        return default
    try:
        from arrears.config.landlord import load_landlord

        return load_landlord().name or DEFAULT_LANDLORD_NAME
    except (ImportError, OSError, ValueError):  # no or invalid landlord.toml: a plain header, not a failure
        return DEFAULT_LANDLORD_NAME


# --------------------------------------------------------------------------------------------------
# Reading a file (portable Core queries: typed dates and booleans on SQLite and PostgreSQL)
# --------------------------------------------------------------------------------------------------


def _rows(conn, stmt) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(stmt)]


def read_lease(conn, lease_id: str) -> dict[str, Any]:
    row = conn.execute(select(m.Lease.__table__).where(m.Lease.lease_id == lease_id)).first()
    if row is None:
        raise LookupError(f"unknown lease {lease_id!r}")
    return dict(row._mapping)


def read_agency(conn, agency_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(m.Agency.__table__).where(m.Agency.agency_id == agency_id)).first()
    return dict(row._mapping) if row else None


def read_staff(conn, staff_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    ids = sorted({s for s in staff_ids if s})
    if not ids:
        return {}
    rows = _rows(conn, select(m.Staff.__table__).where(m.Staff.staff_id.in_(ids)))
    return {r["staff_id"]: r for r in rows}


def staff_name(staff: dict[str, Any] | None, staff_id: str | None = None) -> str:
    if staff:
        return f"{staff['first_name']} {staff['last_name']}"
    return staff_id or ""


def read_tenants(conn, lease_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Tenants per lease, holders first, in a stable order."""
    ids = sorted(set(lease_ids))
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    t = m.Tenant.__table__
    for chunk in _chunks(ids):
        stmt = select(t).where(t.c.lease_id.in_(chunk)).order_by(t.c.lease_id, t.c.is_holder.desc(), t.c.tenant_id)
        for r in _rows(conn, stmt):
            r["is_holder"] = bool(r["is_holder"])
            r["is_deceased"] = bool(r["is_deceased"])
            out[r["lease_id"]].append(r)
    return out


def person_name(tenant: dict[str, Any]) -> str:
    parts = [tenant.get("civility") or "", tenant["first_name"], tenant["last_name"]]
    return " ".join(p for p in parts if p)


def living_holders(tenants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in tenants if t["is_holder"] and not t["is_deceased"]]


def read_ledger(conn, lease_id: str) -> list[dict[str, Any]]:
    t = m.LedgerEntry.__table__
    return _rows(conn, select(t).where(t.c.lease_id == lease_id).order_by(t.c.posted_on, t.c.entry_id))


def last_payment(entries: list[dict[str, Any]], as_of: dt.date) -> dict[str, Any] | None:
    paid = [e for e in entries if e["kind"] in PAYMENT_KINDS and e["posted_on"] <= as_of]
    return max(paid, key=lambda e: (e["posted_on"], e["entry_id"])) if paid else None


def read_actions(conn, lease_id: str, as_of: dt.date) -> list[dict[str, Any]]:
    t = m.Action.__table__
    stmt = (select(t).where(t.c.lease_id == lease_id, t.c.done_on <= as_of)
            .order_by(t.c.done_on, t.c.action_id))
    return _rows(conn, stmt)


def read_plans(conn, lease_id: str, as_of: dt.date) -> list[dict[str, Any]]:
    p, i = m.Plan.__table__, m.PlanInstallment.__table__
    plans = _rows(conn, select(p).where(p.c.lease_id == lease_id, p.c.agreed_on <= as_of)
                  .order_by(p.c.agreed_on, p.c.plan_id))
    for plan in plans:
        inst = _rows(conn, select(i).where(i.c.plan_id == plan["plan_id"]).order_by(i.c.due_on))
        plan["installments"] = len(inst)
        plan["installments_cents"] = sum(x["amount_cents"] for x in inst)
        plan["due_so_far_cents"] = sum(x["amount_cents"] for x in inst if x["due_on"] <= as_of)
        plan["first_due_on"] = inst[0]["due_on"] if inst else None
        plan["last_due_on"] = inst[-1]["due_on"] if inst else None
        plan["kind_label"] = PLAN_KIND_LABELS.get(plan["kind"], plan["kind"])
        plan["status_label"] = PLAN_STATUS_LABELS.get(plan["status"], plan["status"])
    return plans


def read_rejects(conn, lease_id: str, as_of: dt.date) -> list[dict[str, Any]]:
    t = m.DdReject.__table__
    rows = _rows(conn, select(t).where(t.c.lease_id == lease_id, t.c.rejected_on <= as_of)
                 .order_by(t.c.rejected_on, t.c.reject_id))
    for r in rows:
        r["reason_label"] = REJECT_LABELS.get(r["reason_code"], "")
    return rows


def read_supports(conn, lease_id: str, as_of: dt.date) -> list[dict[str, Any]]:
    t = m.SocialSupport.__table__
    rows = _rows(conn, select(t).where(t.c.lease_id == lease_id, t.c.supported_on <= as_of)
                 .order_by(t.c.supported_on, t.c.support_id))
    for r in rows:
        r["domain_label"] = SUPPORT_DOMAIN_LABELS.get(r["domain"], r["domain"])
        r["is_reinforced"] = bool(r["is_reinforced"])
        r["is_qualified"] = bool(r["is_qualified"])
    return rows


def _chunks(values: list[str], size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def monthly_due_cents(lease: dict[str, Any]) -> int:
    """DATA.md "monthly due": rent + charges − benefit when the landlord receives it, else rent + charges."""
    gross = lease["rent_cents"] + lease["charges_cents"]
    return gross - (lease["benefit_cents"] or 0) if lease["benefit_to_landlord"] else gross


# --------------------------------------------------------------------------------------------------
# Derived content of the file
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    month: dt.date           # first day of the month
    label: str               # "septembre 2025" or "septembre 2025 (au 25/09)"
    charges_cents: int       # rent, charges, SLS, fees due in the month
    payments_cents: int      # payments and direct debits received (positive)
    benefit_cents: int       # housing benefit received (positive)
    other_cents: int         # rejects, adjustments, write-offs, refunds (signed, as owed)
    balance_cents: int       # balance at the month's end (or at D for D's month)


def statement(entries: list[dict[str, Any]], as_of: dt.date, months: int = 12) -> tuple[int, list[StatementRow]]:
    """The opening balance and month-by-month rows of the ``months`` calendar months ending with D's month.

    Each entry falls in the month of its DATA.md effective date, so opening + the columns of a row gives its
    closing balance, and the last closing balance is the balance at D.
    """
    from arrears.core.fmt import month_fr

    first = add_months(as_of.replace(day=1), -(months - 1))
    opening = balance_at(entries, first - dt.timedelta(days=1))
    rows: list[StatementRow] = []
    running = opening
    for k in range(months):
        start = add_months(first, k)
        end = min(month_end(start), as_of)
        inside = [e for e in entries if start <= effective_on(e) <= end]
        charges = sum(e["amount_cents"] for e in inside if e["kind"] in CHARGE_KINDS)
        payments = -sum(e["amount_cents"] for e in inside if e["kind"] in PAYMENT_KINDS)
        benefit = -sum(e["amount_cents"] for e in inside if e["kind"] == "benefit")
        other = sum(e["amount_cents"] for e in inside
                    if e["kind"] not in CHARGE_KINDS + PAYMENT_KINDS + ("benefit",))
        running += charges - payments - benefit + other
        label = month_fr(start)
        if end != month_end(start):
            label += f" (au {end.strftime('%d/%m')})"
        rows.append(StatementRow(start, label, charges, payments, benefit, other, running))
    return opening, rows


def caf_status(lease: dict[str, Any], entries: list[dict[str, Any]], actions: list[dict[str, Any]],
               as_of: dt.date, debt_began: dt.date | None, plan: Plan | None = None) -> dict[str, Any]:
    """CAF / CCAPEX status at D: was the report due (R824-1), by when (R824-4), and is it done.

    The multiplier and the deadline are the plan file's ``caf_threshold_multiplier`` and
    ``caf_report_deadline_months`` (the same the step rules read)."""
    plan = plan or load_plan()
    due_monthly = monthly_due_cents(lease)
    threshold = int(plan.caf_threshold_multiplier * due_monthly)
    balance = balance_at(entries, as_of)
    has_benefit = (lease["benefit_cents"] or 0) > 0
    reached_on = crossing_date(entries, as_of, threshold, strict=False) if has_benefit and threshold > 0 else None
    is_due = has_benefit and threshold > 0 and balance >= threshold
    since = debt_began or reached_on
    caf_reports = [a for a in actions if a["kind"] == "caf_report" and (since is None or a["done_on"] >= since)]
    ccapex = [a for a in actions if a["kind"] == "ccapex_report" and (since is None or a["done_on"] >= since)]
    if not has_benefit:
        caf_text = "non concerné : pas d'aide au logement"
    elif caf_reports:
        caf_text = f"fait le {caf_reports[-1]['done_on'].strftime('%d/%m/%Y')}"
    elif is_due:
        caf_text = "dû et non fait"
    else:
        caf_text = "non dû à ce jour : dette inférieure au seuil"
    if ccapex:
        ccapex_text = f"faite le {ccapex[-1]['done_on'].strftime('%d/%m/%Y')}"
    elif caf_reports:
        ccapex_text = "valant saisine : signalement CAF du " + caf_reports[-1]["done_on"].strftime("%d/%m/%Y")
    else:
        ccapex_text = "non faite"
    return {
        "has_benefit": has_benefit,
        "benefit_to_landlord": bool(lease["benefit_to_landlord"]),
        "monthly_due_cents": due_monthly,
        "threshold_cents": threshold,
        "multiplier": plan.caf_threshold_multiplier,
        "balance_cents": balance,
        "is_due": is_due,
        "reached_on": reached_on if is_due else None,
        "deadline_on": add_months(reached_on, plan.caf_report_deadline_months) if is_due and reached_on else None,
        "caf_reports": caf_reports,
        "ccapex_reports": ccapex,
        "caf_text": caf_text,
        "ccapex_text": ccapex_text,
        "is_missing": is_due and not caf_reports,
    }


def decision_checklist(decision: Decision, states: dict[str, str] = CHECK_STATES) -> list[dict[str, str]]:
    """The checklist items of the decision's tasks (first occurrence of each label), with French states."""
    seen: dict[str, dict[str, str]] = {}
    for task in decision.tasks:
        for item in task.checklist:
            if item.label not in seen:
                seen[item.label] = {"label": item.label, "state": item.state,
                                    "state_label": states.get(item.state, item.state)}
    return list(seen.values())


def figure_date(figures: dict[str, Any], key: str) -> dt.date | None:
    value = figures.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def identity_context(conn, decision: Decision) -> dict[str, Any]:
    """What both the transfer file and the write-off form show about the lease and its people."""
    as_of = decision.as_of
    lease = read_lease(conn, decision.lease_id)
    lease["benefit_to_landlord"] = bool(lease["benefit_to_landlord"])
    lease["mandate_active"] = bool(lease["mandate_active"])
    lease["payment_method_label"] = PAYMENT_METHOD_LABELS.get(lease["payment_method"], lease["payment_method"])
    lease["stage_label"] = STAGE_LABELS.get(lease["stage"], lease["stage"])
    lease["monthly_due_cents"] = monthly_due_cents(lease)
    lease["address_lines"] = [x for x in (lease["address_line1"], lease["address_line2"], lease["address_line3"]) if x]
    lease["is_departed"] = lease["end_on"] is not None and lease["end_on"] <= as_of
    tenants = read_tenants(conn, [decision.lease_id])[decision.lease_id]
    for t in tenants:
        t["name"] = person_name(t)
    staff = read_staff(conn, [lease["officer_id"], lease["counsellor_id"]])
    entries = read_ledger(conn, decision.lease_id)
    actions = read_actions(conn, decision.lease_id, as_of)
    staff.update(read_staff(conn, [a["staff_id"] for a in actions]))
    for a in actions:
        a["label"] = ACTION_LABELS.get(a["kind"], a["kind"])
        a["outcome_label"] = OUTCOME_LABELS.get(a["outcome"], a["outcome"] or "")
        a["staff_name"] = staff_name(staff.get(a["staff_id"]), a["staff_id"])
    balance = balance_at(entries, as_of)
    figures = decision.figures or {}
    arrears_start = figure_date(figures, "arrears_start") or arrears_start_of(entries, as_of, load_plan().tolerance_cents)
    last_paid = last_payment(entries, as_of)
    return {
        "decision": decision,
        "as_of": as_of,
        "lease": lease,
        "agency": read_agency(conn, lease["agency_id"]),
        "officer_name": staff_name(staff.get(lease["officer_id"]), lease["officer_id"]),
        "counsellor_name": staff_name(staff.get(lease["counsellor_id"]), lease["counsellor_id"])
        if lease["counsellor_id"] else "",
        "tenants": tenants,
        "entries": entries,
        "actions": actions,
        "balance_cents": balance,
        "arrears_start": arrears_start,
        "debt_since": figure_date(figures, "debt_since"),
        "last_payment": last_paid,
        "profile_label": profile_label(decision.profile),
        "landlord_name": landlord_name(),
        "generated_on": as_of,
    }


# The transfer file's list sections, in print order: (context key, what is said when the list is empty).
EMPTY_SECTIONS = (
    ("actions", "aucune action enregistrée"),
    ("plans", "aucun plan d'apurement"),
    ("rejects", "aucun rejet de prélèvement"),
    ("supports", "aucun accompagnement social enregistré"),
)


def nothing_recorded(ctx: dict[str, Any]) -> list[str]:
    """What the file has nothing of: said in one line after the last section, instead of an empty section.

    An empty section is a heading over "nothing": printed as such it can end up alone on a last page.
    """
    return [text for key, text in EMPTY_SECTIONS if not ctx.get(key)]


def write_transfer_file(conn, decision: Decision, out_dir: Path | str, *, landlord: str | None = None) -> Path:
    """Render the dossier de transmission au contentieux of ``decision.lease_id`` at ``decision.as_of``.

    ``conn`` is a SQLAlchemy connection (or engine). Writes ``transfer_file_<period>_<lease>.pdf`` in
    ``out_dir`` atomically (mode 0600) and returns its path.
    """
    from arrears.core.files import write_atomic
    from arrears.documents.render import html_to_pdf, render_html

    with _connection(conn) as c:
        ctx = identity_context(c, decision)
        as_of = decision.as_of
        opening, rows = statement(ctx["entries"], as_of)
        supports_staff = read_staff(c, [x["counsellor_id"] for x in read_supports(c, decision.lease_id, as_of)])
        ctx.update(
            statement_opening_cents=opening,
            statement=rows,
            plans=read_plans(c, decision.lease_id, as_of),
            rejects=read_rejects(c, decision.lease_id, as_of),
            supports=read_supports(c, decision.lease_id, as_of),
            statement_totals={k: sum(getattr(r, k) for r in rows)
                              for k in ("charges_cents", "payments_cents", "benefit_cents", "other_cents")},
            caf=caf_status(ctx["lease"], ctx["entries"], ctx["actions"], as_of,
                           ctx["arrears_start"] or ctx["debt_since"]),
            checklist=decision_checklist(decision),
        )
    if landlord:
        ctx["landlord_name"] = landlord
    ctx.pop("entries")
    for support in ctx["supports"]:
        support["counsellor_name"] = staff_name(supports_staff.get(support["counsellor_id"]), support["counsellor_id"])
    ctx["months_in_arrears"] = (decision.figures or {}).get("months_in_arrears")
    ctx["nothing_recorded"] = nothing_recorded(ctx)
    pdf = html_to_pdf(render_html("documents/transfer_file.html", ctx))
    path = Path(out_dir) / f"transfer_file_{safe_name(decision.period)}_{safe_name(decision.lease_id)}.pdf"
    return write_atomic(path, pdf)


class _connection:
    """``with _connection(engine_or_conn) as conn``: borrow a connection, or open one from an engine."""

    def __init__(self, bind):
        self.bind = bind
        self.owned = None

    def __enter__(self):
        if hasattr(self.bind, "execute") and not hasattr(self.bind, "raw_connection"):
            return self.bind
        self.owned = self.bind.connect()
        return self.owned

    def __exit__(self, *exc):
        if self.owned is not None:
            self.owned.close()
        return False
