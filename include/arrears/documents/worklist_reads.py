"""What a worklist row reads from the database for many leases at once: personal data, the last payment and
action, plan status, appointment slots (``arrears.documents.worklists`` builds the rows)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from arrears.core import models as m
from arrears.documents.transfer import PAYMENT_KINDS, _chunks

PLAN_STATUS = {"active": "en cours", "completed": "soldé", "broken": "rompu", "closed": "clos",
               "erased": "effacé"}
PLAN_KINDS = {"amicable": "Plan amiable", "overindebtedness": "Plan de surendettement",
              "moratorium": "Moratoire", "court": "Plan judiciaire"}

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


def read_lease_details(conn, lease_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Address, housing benefit, officer and counsellor of each lease."""
    t = m.Lease.__table__
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(lease_ids):
        for row in conn.execute(select(t.c.lease_id, t.c.officer_id, t.c.counsellor_id, t.c.address_line1,
                                       t.c.address_line2, t.c.address_line3, t.c.postcode, t.c.city,
                                       t.c.benefit_cents, t.c.benefit_to_landlord).where(t.c.lease_id.in_(chunk))):
            out[row.lease_id] = dict(row._mapping)
    return out


def read_plan_statuses(conn, lease_ids: list[str], as_of: dt.date) -> dict[str, str]:
    """The latest plan agreed on or before D, as the officer reads it: ``Plan amiable en cours depuis …``."""
    t = m.Plan.__table__
    latest = _latest(conn, t, (t.c.plan_id, t.c.lease_id, t.c.kind, t.c.status, t.c.agreed_on, t.c.closed_on),
                     t.c.agreed_on, lease_ids, (t.c.agreed_on <= as_of,))
    out: dict[str, str] = {}
    for lease_id, plan in latest.items():
        text = f"{PLAN_KINDS.get(plan['kind'], plan['kind'])} {PLAN_STATUS.get(plan['status'], plan['status'])}"
        text += f" (accord du {plan['agreed_on'].strftime('%d/%m/%Y')}"
        if plan["closed_on"] and plan["status"] != "active":
            text += f", fin le {plan['closed_on'].strftime('%d/%m/%Y')}"
        out[lease_id] = text + ")"
    return out


_TIME = re.compile(r"\b([01]?\d|2[0-3])\s*[:hH]\s*([0-5]\d)\b")


def read_appointments(conn, lease_ids: list[str], as_of: dt.date) -> dict[str, tuple[dt.date, str]]:
    """The next appointment slot of each lease (an ``appointment`` action on or after D: done_on is the
    slot's date, the time ``HH:MM`` is in its comment). A lease without one is absent."""
    t = m.Action.__table__
    out: dict[str, tuple[dt.date, str]] = {}
    for chunk in _chunks(lease_ids):
        rows = conn.execute(select(t.c.lease_id, t.c.done_on, t.c.comment)
                            .where(t.c.lease_id.in_(chunk), t.c.kind == "appointment", t.c.done_on >= as_of)
                            .order_by(t.c.lease_id, t.c.done_on, t.c.action_id))
        for row in rows:
            if row.lease_id in out or row.done_on is None:
                continue
            match = _TIME.search(row.comment or "")
            out[row.lease_id] = (row.done_on, f"{int(match.group(1)):02d}:{match.group(2)}" if match else "")
    return out


def _address(lease: dict[str, Any] | None) -> str:
    if not lease:
        return ""
    lines = [lease.get(k) for k in ("address_line1", "address_line2", "address_line3")]
    lines.append(" ".join(x for x in (lease.get("postcode"), lease.get("city")) if x))
    return "\n".join(x for x in lines if x)
