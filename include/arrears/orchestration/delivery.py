"""After each run, the people receive what is theirs (issue 16, item 7), by Airflow's SMTP connection.

- every officer with a worklist from this run gets one message (French) with the list attached (XLSX and
  PDF), saying how many files it holds and how many deadlines are already past;
- the mailroom (``[mailroom] email`` of the landlord file) gets one message per run naming its batches,
  each with its letters, sheets and, for registered letters, the first and last number and any gap.

Nothing is sent in a dry run. A body carries counts, batch ids and numbers — no tenant name or address
(the officer's own list, attached, holds those). A message that cannot be sent does not fail the run: the
run summary lists each delivery as sent, or not with the reason (the error type only).

The connection is ``smtp_default`` unless ``ARREARS_SMTP_CONN_ID`` names another (as for the alerts).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Plan impayés]"


def _date_fr(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def worklist_counts(xlsx: Path | str) -> tuple[int, int]:
    """(rows, overdue deadlines) of a worklist XLSX, read back as the officer will open it."""
    from openpyxl import load_workbook

    ws = load_workbook(xlsx, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return 0, 0
    header = list(rows[0])
    late = header.index("Retard") if "Retard" in header else None
    body = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    overdue = sum(1 for r in body if late is not None and r[late])
    return len(body), overdue


def officer_messages(summary: dict[str, Any], staff: dict[str, dict[str, Any]], step_title: str) -> list[dict]:
    """One message per officer's worklist of the run (XLSX + its PDF attached)."""
    from arrears.documents.worklists import worklist_owner

    out = []
    for path in summary.get("worklists", []):
        xlsx = Path(path)
        if xlsx.suffix != ".xlsx" or not xlsx.name.startswith("worklist_"):
            continue
        staff_id = worklist_owner(xlsx)
        person = staff.get(staff_id or "") or {}
        rows, overdue = worklist_counts(xlsx)
        name = f"{person.get('first_name', '')} {person.get('last_name', '')}".strip() or staff_id
        day = _date_fr(summary["as_of"])
        subject = (f"{SUBJECT_PREFIX} Votre liste de travail — étape {summary['step']} — {step_title} — "
                   f"{day} : {_plural(rows, 'dossier', 'dossiers')}"
                   + (f", {_plural(overdue, 'échéance dépassée', 'échéances dépassées')}" if overdue else ""))
        body = (f"<p>Bonjour {html.escape(name)},</p>"
                f"<p>Le traitement du {day} de l'étape {summary['step']} « {html.escape(step_title)} » vous "
                f"confie <strong>{_plural(rows, 'dossier', 'dossiers')}</strong>"
                + (f", dont <strong>{_plural(overdue, 'échéance dépassée', 'échéances dépassées')}</strong> "
                   "(en rouge dans la liste)" if overdue else ", sans échéance dépassée")
                + ".</p><p>Votre liste est jointe (tableur et PDF), classée par priorité.</p>"
                "<p>— Plan mensuel de l'impayé</p>")
        files = [str(xlsx)] + ([str(xlsx.with_suffix(".pdf"))] if xlsx.with_suffix(".pdf").exists() else [])
        out.append({"kind": "worklist", "staff_id": staff_id, "to": person.get("email") or "", "rows": rows,
                    "overdue": overdue, "subject": subject, "html": body, "files": files,
                    "attachments": [Path(f).name for f in files]})
    return out


def mailroom_message(summary: dict[str, Any], to: str, step_title: str) -> dict | None:
    """The mailroom's one message of the run: its batches, letters, sheets and registered numbers."""
    batches = summary.get("batches") or []
    if not batches:
        return None
    day = _date_fr(summary["as_of"])
    letters = sum(int(b.get("letters") or 0) for b in batches)
    sheets = sum(int(b.get("sheets") or 0) for b in batches)
    lines = []
    for b in batches:
        kind = ("recommandés AR" if b.get("letter_class") == "registered" else "courriers simples")
        if b.get("international"):
            kind += ", international (affranchissement pour l'étranger)"
        text = (f"<li><strong>{html.escape(b['batch_id'])}</strong> — {kind} : "
                f"{_plural(int(b['letters']), 'courrier', 'courriers')}, {_plural(int(b['sheets']), 'feuille', 'feuilles')}")
        if b.get("first_number"):
            text += f" ; recommandés du n° {b['first_number']} au n° {b['last_number']}"
            gaps = b.get("gaps") or []
            text += (f" ; {_plural(len(gaps), 'numéro absent', 'numéros absents')} : {', '.join(gaps)}"
                     if gaps else " ; aucun numéro absent")
        if b.get("deposit_pdf"):
            text += " ; liste de dépôt jointe au lot (PDF et CSV)"
        lines.append(text + "</li>")
    numbers = [b for b in batches if b.get("first_number")]
    subject = (f"{SUBJECT_PREFIX} Courrier — étape {summary['step']} — {day} : "
               f"{_plural(len(batches), 'lot', 'lots')}, {_plural(letters, 'courrier', 'courriers')}, "
               f"{_plural(sheets, 'feuille', 'feuilles')}")
    body = (f"<p>Bonjour,</p><p>Le traitement du {day} de l'étape {summary['step']} « {html.escape(step_title)} » "
            f"a préparé {_plural(len(batches), 'lot', 'lots')} à imprimer en recto verso :</p><ul>"
            + "".join(lines) + "</ul>"
            + (f"<p>Plage des recommandés de ce traitement : du n° {min(b['first_number'] for b in numbers)} au n° "
               f"{max(b['last_number'] for b in numbers)}.</p>" if numbers else "")
            + f"<p>Dossier : {html.escape(str(Path(batches[0]['path']).parent))}</p><p>— Plan mensuel de l'impayé</p>")
    return {"kind": "mailroom", "to": to, "subject": subject, "html": body, "files": [],
            "batches": [b["batch_id"] for b in batches], "letters": letters, "sheets": sheets}


def _send(message: dict, conn_id: str) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=message["to"], subject=message["subject"], html_content=message["html"],
                             files=message["files"] or None)


def deliver_run(summary: dict[str, Any], engine, *, step_title: str, smtp_conn_id: str | None = None,
                landlord=None) -> dict[str, Any]:
    """Send the run's messages; returns what the run summary lists (recipients, counts, sent or why not)."""
    if summary.get("dry_run"):
        return {"sent": 0, "skipped": "dry run: nothing sent"}
    from arrears.config.landlord import load_landlord
    from arrears.documents.transfer import read_staff
    from arrears.documents.worklists import worklist_owner
    from arrears.orchestration.alerts import default_smtp_conn_id

    conn_id = smtp_conn_id or default_smtp_conn_id()
    landlord = landlord or load_landlord()
    owners = [worklist_owner(Path(p)) for p in summary.get("worklists", [])]
    with engine.connect() as conn:
        staff = read_staff(conn, [o for o in owners if o])
    messages = officer_messages(summary, staff, step_title)
    mailroom = mailroom_message(summary, landlord.mailroom_email, step_title)
    if mailroom:
        messages.append(mailroom)
    if not messages:
        return {"sent": 0, "messages": []}
    try:
        from airflow.sdk import BaseHook

        BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 - no connection: nothing can be sent, the run goes on
        # said in the run summary ("deliveries"); a set-up without e-mail (the demo) is not an error
        log.info("deliveries not sent: no SMTP connection %s (%s)", conn_id, type(exc).__name__)
        return {"sent": 0, "skipped": f"no SMTP connection {conn_id}",
                "messages": [_listed(m, False, "no SMTP connection") for m in messages]}
    listed = []
    for message in messages:
        if not message["to"]:
            listed.append(_listed(message, False, "no e-mail address"))
            continue
        try:
            _send(message, conn_id)
            listed.append(_listed(message, True))
        except Exception as exc:  # noqa: BLE001 - one message failing must not stop the others or the run
            log.warning("delivery to %s not sent: %s", message.get("staff_id") or message["kind"], type(exc).__name__)
            listed.append(_listed(message, False, type(exc).__name__))
    return {"sent": sum(1 for x in listed if x["sent"]), "messages": listed}


def _listed(message: dict, sent: bool, reason: str | None = None) -> dict[str, Any]:
    """A message as the run summary lists it: recipient and counts (no tenant data)."""
    keep = ("kind", "staff_id", "to", "rows", "overdue", "attachments", "batches", "letters", "sheets")
    out = {k: message[k] for k in keep if k in message}
    out["sent"] = sent
    if reason:
        out["reason"] = reason
    return out
