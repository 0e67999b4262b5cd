"""One lease's timeline: why it got what it got (``arrears history LEASE [--as-of D] [--pdf FILE]``).

Ledger movements with the running balance, plans and installments, direct-debit rejects, actions (imported
and the pipeline's), letters with their registered numbers and the reasons of each decision (letters held
back included), officer tasks and managers' approvals — in date order. Printed as text for an officer, or
as a PDF for the tenant file. Only lease ids, amounts, dates and codes: no names or addresses.

    events = lease_history(engine, "L-000123", as_of=dt.date(2025, 9, 30))
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Date, Engine, String, bindparam, text

from arrears.core.sqlfiles import load_sql
from arrears.decide.contact_policy import label_fr

# Order of the sources within one day: money first, then what the file records, then what the pipeline did.
_SOURCE_ORDER = {"ledger": 0, "reject": 1, "plan": 2, "installment": 3, "action": 4, "decision": 5, "task": 6,
                 "approval": 7}
SOURCE_FR = {"ledger": "Compte", "reject": "Rejet", "plan": "Plan", "installment": "Échéance",
             "action": "Action", "decision": "Décision", "task": "Tâche", "approval": "Approbation"}
STATUS_FR = {"reserved": "réservé", "rendered": "édité", "recorded": "enregistré"}
KIND_FR = {
    "rent": "loyer", "charges": "charges", "benefit": "APL/AL", "payment": "paiement",
    "direct_debit": "prélèvement", "direct_debit_reject": "rejet de prélèvement", "fee": "frais", "sls": "SLS",
    "adjustment": "régularisation", "write_off": "passage en perte", "refund": "remboursement",
}


@dataclass(frozen=True)
class Event:
    on: dt.date
    source: str                       # ledger, reject, plan, installment, action, decision, task, approval
    what: str                         # in French
    amount_cents: int | None = None
    balance_cents: int | None = None  # running balance after a ledger movement
    ref: str | None = None            # entry id, plan id, registered number, step…

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "source": self.source, "what": self.what,
                "amount_cents": self.amount_cents, "balance_cents": self.balance_cents, "ref": self.ref}


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _rows(conn, name: str, lease_id: str, as_of: dt.date | None) -> list[dict[str, Any]]:
    query = text(load_sql(f"history/{name}")).bindparams(bindparam("lease_id", type_=String),
                                                         bindparam("as_of", type_=Date))
    return [dict(r) for r in conn.execute(query, {"lease_id": lease_id, "as_of": as_of}).mappings()]


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units:,}".replace(",", "\u202f") + f",{rest:02d} €"


def lease_history(engine: Engine, lease_id: str, as_of: dt.date | None = None) -> list[Event]:
    """The events of ``lease_id`` up to ``as_of`` (all when None), in date order."""
    events: list[Event] = []
    with engine.connect() as conn:
        balance = 0
        for r in _rows(conn, "ledger", lease_id, as_of):
            balance += int(r["amount_cents"])
            what = KIND_FR.get(r["kind"], r["kind"]) + (f" — {r['label']}" if r.get("label") else "")
            events.append(Event(_date(r["effective_on"]), "ledger", what, int(r["amount_cents"]), balance,
                                r["entry_id"]))
        for r in _rows(conn, "rejects", lease_id, as_of):
            events.append(Event(_date(r["rejected_on"]), "reject", f"rejet de prélèvement {r['reason_code']}",
                                int(r["amount_cents"]), None, r["reject_id"]))
        seen_plans: set[str] = set()
        for r in _rows(conn, "plans", lease_id, as_of):
            if r["plan_id"] not in seen_plans:
                seen_plans.add(r["plan_id"])
                closed = (f", {r['status']} le {_date(r['closed_on']).strftime('%d/%m/%Y')}" if r["closed_on"]
                          else f", {r['status']}")
                events.append(Event(_date(r["agreed_on"]), "plan", f"plan {r['kind']} accordé{closed}",
                                    int(r["debt_cents"]), None, r["plan_id"]))
            due = _date(r["installment_due_on"])
            if due is not None and (as_of is None or due <= as_of):
                events.append(Event(due, "installment", f"échéance du plan {r['plan_id']}",
                                    int(r["installment_cents"]), None, r["plan_id"]))
        for r in _rows(conn, "actions", lease_id, as_of):
            origin = f"étape {r['step']} ({r['period']})" if r["step"] is not None else "importée"
            what = f"{r['kind']}" + (f" — {r['outcome']}" if r["outcome"] else "") + f" — {origin}"
            if r.get("comment"):
                what += f" — {r['comment']}"
            events.append(Event(_date(r["done_on"]), "action", what, None, None, r["action_id"]))
        for r in _rows(conn, "journal", lease_id, as_of):
            decision = r["decision"] if isinstance(r["decision"], dict) else json.loads(r["decision"])
            letter = decision.get("letter")
            figures = decision.get("figures") or {}
            if letter:
                what = (f"étape {r['step']} : {label_fr(letter['letter_type'], bool(letter.get('registered')))}"
                        + (f" ({letter['variant']})" if letter.get("variant") not in (None, "default") else "")
                        + (" en LRAR" if letter.get("registered") else ""))
            elif figures.get("held_back_letter"):
                what = f"étape {r['step']} : {label_fr(figures['held_back_letter'])} retenu(e)"
            else:
                what = f"étape {r['step']} : sans courrier"
            if figures.get("held_back"):
                what += " — retenu : " + " ; ".join(figures.get("held_back_reasons") or ())
            reasons = " | ".join(decision.get("reasons") or ())
            if reasons:
                what += f" — motifs : {reasons}"
            what += f" — {STATUS_FR.get(r['status'], r['status'])}"
            events.append(Event(_date(r["as_of"]), "decision", what, figures.get("claimed_cents"), None,
                                r["registered_number"] or f"étape {r['step']}"))
        for r in _rows(conn, "tasks", lease_id, as_of):
            on = _date(r["as_of"]) or dt.date.fromisoformat(f"{r['period']}-01")
            due = f", échéance {_date(r['due_on']).strftime('%d/%m/%Y')}" if r["due_on"] else ""
            events.append(Event(on, "task", f"étape {r['step']} : {r['title']} ({r['status']}{due})", None, None,
                                r["kind"]))
        approvals = text(load_sql("history/approvals")).bindparams(bindparam("lease_id", type_=String))
        for r in conn.execute(approvals, {"lease_id": lease_id}).mappings():
            on = _date(r["decided_at"])
            if as_of is not None and on > as_of:
                continue
            verdict = "approuvé" if r["approved"] else "refusé"
            events.append(Event(on, "approval", f"étape {r['step']} ({r['period']}) : {verdict} par {r['author']}",
                                None, None, None))
    events.sort(key=lambda e: (e.on, _SOURCE_ORDER[e.source]))
    return events


def history_text(lease_id: str, events: list[Event], as_of: dt.date | None) -> str:
    lines = [f"Historique du bail {lease_id}" + (f" au {as_of.strftime('%d/%m/%Y')}" if as_of else ""), ""]
    for e in events:
        amount = _euros(e.amount_cents) if e.amount_cents is not None else ""
        balance = f"solde {_euros(e.balance_cents)}" if e.balance_cents is not None else ""
        lines.append(f"{e.on.isoformat()}  {SOURCE_FR[e.source]:<11} {amount:>14}  {balance:<20} {e.what}"
                     + (f" [{e.ref}]" if e.ref and e.source in ("decision", "plan") else ""))
    return "\n".join(lines) + "\n"


def history_pdf(engine: Engine, lease_id: str, events: list[Event], as_of: dt.date | None, path: Path) -> Path:
    """The timeline as a printable PDF for the tenant file (written atomically, mode 0600)."""
    from arrears.core.files import write_atomic
    from arrears.documents.render import html_to_pdf, render_html

    html = render_html("documents/lease_history.html", {
        "lease_id": lease_id, "as_of": as_of, "events": events, "source_fr": SOURCE_FR,
        "generated_for": lease_id,
    })
    write_atomic(path, html_to_pdf(html))
    return path


def history_cli(engine: Engine, lease_id: str, as_of: dt.date | None, pdf: str | None) -> int:
    import sys

    events = lease_history(engine, lease_id, as_of)
    if not events:
        print(f"no history for lease {lease_id}", file=sys.stderr)
        return 2
    sys.stdout.write(history_text(lease_id, events, as_of))
    if pdf:
        print(history_pdf(engine, lease_id, events, as_of, Path(pdf)))
    return 0

