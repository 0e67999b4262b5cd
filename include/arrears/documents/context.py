"""Everything a letter prints, read from the database as of the decision's date D.

``letter_context(conn, decision, landlord)`` returns a plain dict for the templates: the living holders
and the NF Z10-011 address block (the lease's address, or the forwarding address), the agency, the
officer and the social counsellor, the balance and the 12-month statement from the ledger at D (DATA.md's
balance rule: a charge counts from its due date, a credit from its posting date), the payment details,
the registered number and the deadline of a formal notice. Nothing is read at "now".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from sqlalchemy import Connection, select

from arrears.core import models as m
from arrears.core.calendar import add_months, month_end, next_business_day
from arrears.core.fmt import date_fr, nbsp, phone_fr
from arrears.core.ledger import balance_at, effective_on
from arrears.decide.decision import LETTER_TYPES, PROFILES, Decision
from arrears.documents.address import AddressBlock, AddressError, address_block, name_line
from arrears.documents.render import RenderError

STATEMENT_MONTHS = 12
DEFAULT_DEADLINE_DAYS = 8

# Letter types that are formal notices in law (Code civil art. 1344): registered number + deadline.
FORMAL_TYPES = {"formal_notice", "last_notice"}

DUES_KINDS = {"rent", "charges", "sls", "fee"}
BENEFIT_KINDS = {"benefit"}
PAYMENT_KINDS = {"payment", "direct_debit", "direct_debit_reject"}

REJECT_LABELS = {
    "AM04": "provision insuffisante", "MD07": "titulaire du compte décédé", "AC04": "compte clôturé",
    "AC01": "coordonnées bancaires (IBAN) erronées", "AC06": "compte bloqué", "AG01": "opération interdite sur ce compte",
    "MD01": "absence de mandat valide", "MD02": "données du mandat incomplètes",
    "MD06": "remboursement demandé par le titulaire", "MS02": "opposition du titulaire du compte",
    "MS03": "motif non précisé par la banque",
}
CIVILITY_SALUTATION = {"M.": "Monsieur", "M": "Monsieur", "MR": "Monsieur", "MONSIEUR": "Monsieur",
                       "MME": "Madame", "MADAME": "Madame", "MLLE": "Madame", "MADEMOISELLE": "Madame"}




def agreement(holders: list[dict]) -> dict[str, str]:
    """Endings that agree with the addressees (PLAN.md revision 5: never "(e)" or "·e"):
    ``e`` for a past participle or an adjective (engagé / engagée / engagés / engagées), ``x`` for
    "vous-même(s)". A couple or two men: masculine plural; two women: feminine plural; an unknown
    civility reads as masculine (French's generic form)."""
    kinds = [CIVILITY_SALUTATION.get(re.sub(r"[\s.]", "", (h.get("civility") or "").upper()), "") for h in holders]
    plural = len(holders) > 1
    feminine = bool(kinds) and all(k == "Madame" for k in kinds)
    e = ("es" if feminine else "s") if plural else ("e" if feminine else "")
    return {"e": e, "s": "s" if plural else "", "plural": plural, "feminine": feminine,
            "vous_meme": "vous-mêmes" if plural else "vous-même"}


def on_domain(email: str | None, domain: str) -> str:
    """The address when it is on the landlord's domain, else "" (never print a foreign address)."""
    email = (email or "").strip()
    return email if domain and email.lower().endswith("@" + domain.lower()) else ""


def agency_phrase(name: str) -> str:
    """``l'agence Lyon 8e - 9e`` from "Agence Lyon 8e - 9e" or "Lyon 8e - 9e" (never "agence Agence")."""
    bare = re.sub(r"^\s*agence\s+", "", name or "", flags=re.IGNORECASE).strip()
    return f"l'agence {bare}" if bare else "votre agence"


def late_months(entries: list[dict], as_of: dt.date, monthly_due: int, *, grace_days: int,
                tolerance_cents: int) -> list[dict[str, Any]]:
    """DATA.md "month paid late" (revision 5) over the 6 months before D's month, with the date each late
    month was settled: what the late-payment letter lists (the rule: ``arrears.select.positions.late_months``)."""
    from arrears.select.positions import late_months as months_paid_late

    ledger = [(effective_on(e), int(e["amount_cents"]), e["kind"] == "rent") for e in entries]
    return [{**mth, "days_late": (mth["paid_on"] - mth["due_on"]).days}
            for mth in months_paid_late(ledger, as_of, monthly_due_cents=monthly_due,
                                        tolerance_cents=tolerance_cents, grace_days=grace_days)]


def move_out_statement(entries: list[dict], end_on: dt.date | None, as_of: dt.date) -> dict[str, Any] | None:
    """The departed tenant's statement: balance at the start of the month of departure, every movement since
    (last dues, repairs, the deposit returned or kept, payments), the final balance."""
    if end_on is None:
        return None
    start = end_on.replace(day=1)
    opening_on = start - dt.timedelta(days=1)
    rows = []
    for e in sorted(entries, key=lambda e: (effective_on(e), -e["amount_cents"])):
        day = effective_on(e)
        if not start <= day <= as_of:
            continue
        label = (e.get("label") or "").strip()
        is_deposit = "garantie" in label.lower()
        rows.append({"on": day, "label": label or KIND_LABELS.get(e["kind"], e["kind"]),
                     "amount_cents": e["amount_cents"], "is_deposit": is_deposit})
    deposit = [r for r in rows if r["is_deposit"]]
    return {"opening_on": opening_on, "opening_cents": balance_at(entries, opening_on), "rows": rows,
            "closing_on": as_of, "closing_cents": balance_at(entries, as_of),
            "deposit_cents": -sum(r["amount_cents"] for r in deposit), "has_deposit": bool(deposit)}


KIND_LABELS = {"rent": "Loyer", "charges": "Provisions pour charges", "benefit": "Aide au logement",
               "payment": "Règlement", "direct_debit": "Prélèvement", "direct_debit_reject": "Rejet de prélèvement",
               "fee": "Frais", "sls": "Supplément de loyer de solidarité", "adjustment": "Régularisation",
               "write_off": "Admission en perte", "refund": "Remboursement"}


def sls_figures(entries: list[dict], as_of: dt.date) -> dict[str, Any] | None:
    """The SLS charged: the latest monthly supplement at D and the total charged over the statement months."""
    sls = sorted((e for e in entries if e["kind"] == "sls" and e["amount_cents"] > 0 and effective_on(e) <= as_of),
                 key=effective_on)
    if not sls:
        return None
    first = add_months(as_of.replace(day=1), -(STATEMENT_MONTHS - 1))
    last_day = effective_on(sls[-1])
    monthly = sum(e["amount_cents"] for e in sls if effective_on(e).replace(day=1) == last_day.replace(day=1))
    return {"monthly_cents": monthly, "last_on": last_day, "since": effective_on(sls[0]),
            "total_cents": sum(e["amount_cents"] for e in sls if effective_on(e) >= first)}


def formal_notice_of(conn: Connection, lease_id: str, as_of: dt.date) -> dict[str, Any] | None:
    """The latest formal notice sent to the lease on or before D: its date and registered number (from the
    action's document, else the number allocated to the same lease, step and period)."""
    row = conn.execute(select(m.Action.done_on, m.Action.step, m.Action.period, m.Action.document_id,
                              m.Action.comment)
                       .where(m.Action.lease_id == lease_id, m.Action.kind == "formal_notice",
                              m.Action.done_on <= as_of)
                       .order_by(m.Action.done_on.desc(), m.Action.action_id.desc())).first()
    if row is None:
        return None
    number = None
    if row.document_id:
        number = conn.execute(select(m.Document.registered_number)
                              .where(m.Document.document_id == row.document_id)).scalar()
    if not number and row.step is not None:
        number = conn.execute(select(m.RegisteredNumber.number).where(
            m.RegisteredNumber.lease_id == lease_id, m.RegisteredNumber.step == row.step,
            m.RegisteredNumber.period == row.period)).scalar()
    if not number and row.comment:
        found = re.search(r"\b([0-9A-Z]{2}\d{11})\b", row.comment)
        number = found.group(1) if found else None
    return {"on": row.done_on, **registered_fields(number)}


def document_id_for(lease_id: str, step: int, period: str) -> str:
    """A stable document id for the letter (lease, step, period): a re-render finds the same one."""
    digest = hashlib.sha1(f"{lease_id}|{step}|{period}".encode()).hexdigest()[:12]
    return f"LTR-{period}-S{step:02d}-{digest}"


def statement(entries: list[dict], as_of: dt.date, months: int = STATEMENT_MONTHS) -> dict[str, Any]:
    """The last ``months`` calendar months up to D: what fell due, housing benefit, payments, balance."""
    first = add_months(as_of.replace(day=1), -(months - 1))
    opening_day = first - dt.timedelta(days=1)
    rows = []
    for i in range(months):
        start = add_months(as_of.replace(day=1), -(months - 1 - i))
        end = min(month_end(start), as_of)
        dues = benefit = paid = other = 0
        for e in entries:
            if not start <= effective_on(e) <= end:
                continue
            kind, amount = e["kind"], e["amount_cents"]
            if kind in DUES_KINDS and amount > 0:
                dues += amount
            elif kind in BENEFIT_KINDS:
                benefit -= amount
            elif kind in PAYMENT_KINDS:
                paid -= amount
            else:
                other += amount
        rows.append({"month": start, "until": end, "partial": end != month_end(start), "dues_cents": dues,
                     "benefit_cents": benefit, "paid_cents": paid, "other_cents": other,
                     "balance_cents": balance_at(entries, end)})
    return {
        "opening_on": opening_day,
        "opening_cents": balance_at(entries, opening_day),
        "rows": rows,
        "closing_on": as_of,
        "closing_cents": balance_at(entries, as_of),
        "has_other": any(r["other_cents"] for r in rows),
        "has_benefit": any(r["benefit_cents"] for r in rows),
    }


def _person(row) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"staff_id": row.staff_id, "first_name": row.first_name, "last_name": row.last_name,
            "name": f"{row.first_name} {row.last_name}", "phone": row.phone or "", "email": row.email or "",
            "role": row.role}


def salutation(holders: list[dict]) -> str:
    """``Madame,`` / ``Monsieur,`` / ``Madame, Monsieur,`` from the civilities of the living holders."""
    kinds = []
    for h in holders:
        key = re.sub(r"[\s.]", "", (h.get("civility") or "").upper()) or ""
        kinds.append(CIVILITY_SALUTATION.get(key) or CIVILITY_SALUTATION.get(key + ".") or "")
    if kinds and all(kinds) and len(set(kinds)) == 1:
        return kinds[0] + ","
    if kinds and all(kinds) and set(kinds) == {"Madame", "Monsieur"}:
        return "Madame, Monsieur,"
    return "Madame, Monsieur,"


def departement_of(postcode: str | None) -> str | None:
    """First 2 digits of the postcode, 3 for overseas (97x); PLAN.md step 15."""
    postcode = (postcode or "").strip()
    if not re.fullmatch(r"\d{5}", postcode):
        return None
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


def registered_fields(number: str | None) -> dict[str, str | None]:
    """The registered number as stored and as printed (``1A 100 000 0000 9``)."""
    display = f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:12]} {number[12:]}" if number else None
    return {"registered_number": number, "registered_display": display}


def letter_context(conn: Connection, decision: Decision, landlord, *, registered_number: str | None = None,
                   document_id: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """The template context of ``decision``'s letter; raises RenderError / AddressError naming the lease.

    ``registered_number`` may be filled in afterwards (``ctx.update(registered_fields(number))``): the
    letters module allocates a number only once the letter's data is known to be complete.
    """
    if decision.letter is None:
        raise RenderError(f"lease {decision.lease_id}: the decision has no letter")
    order = decision.letter
    lease_id = decision.lease_id
    as_of = decision.as_of
    lease = conn.execute(select(m.Lease.__table__).where(m.Lease.lease_id == lease_id)).first()
    if lease is None:
        raise RenderError(f"lease {lease_id}: no such lease")
    agency = conn.execute(select(m.Agency.__table__).where(m.Agency.agency_id == lease.agency_id)).first()
    if agency is None:
        raise RenderError(f"lease {lease_id}: field agency ({lease.agency_id}) not found")
    staff_ids = [s for s in (lease.officer_id, lease.counsellor_id) if s]
    staff = {s.staff_id: s for s in conn.execute(select(m.Staff.__table__).where(m.Staff.staff_id.in_(staff_ids)))}
    officer = _person(staff.get(lease.officer_id))
    if officer is None:
        raise RenderError(f"lease {lease_id}: field officer ({lease.officer_id}) not found")
    counsellor = _person(staff.get(lease.counsellor_id)) if lease.counsellor_id else None

    tenants = conn.execute(select(m.Tenant.__table__).where(m.Tenant.lease_id == lease_id)
                           .order_by(m.Tenant.tenant_id)).all()
    holders = [{"civility": t.civility or "", "first_name": t.first_name, "last_name": t.last_name}
               for t in tenants if t.is_holder and not t.is_deceased]
    if not holders:
        if any(t.is_holder for t in tenants):
            raise RenderError(f"lease {lease_id}: every holder is deceased — no letter is addressed to a deceased "
                              "tenant (the step should produce a succession task)")
        raise RenderError(f"lease {lease_id}: field holders: the lease has no holder to write to")

    # Address: the lease's, or the forwarding address of a departed tenant.
    if order.to_forwarding_address:
        if not (lease.forwarding_address_line1 and lease.forwarding_city):
            raise RenderError(f"lease {lease_id}: field forwarding_address is empty (address-search task instead)")
        lines = [lease.forwarding_address_line1, lease.forwarding_address_line2]
        postcode, city, country = lease.forwarding_postcode, lease.forwarding_city, lease.forwarding_country
    else:
        lines = [lease.address_line1, lease.address_line2, lease.address_line3]
        postcode, city, country = lease.postcode, lease.city, None
    block: AddressBlock = address_block(name_line(holders, lease_id=lease_id), lines, postcode, city, country,
                                        lease_id=lease_id)

    entries = [dict(r._mapping) for r in conn.execute(
        select(m.LedgerEntry.kind, m.LedgerEntry.amount_cents, m.LedgerEntry.posted_on, m.LedgerEntry.due_on,
               m.LedgerEntry.label)
        .where(m.LedgerEntry.lease_id == lease_id))]
    stmt = statement(entries, as_of)
    balance = stmt["closing_cents"]
    benefit_to_landlord = bool(lease.benefit_to_landlord)
    monthly_due = lease.rent_cents + lease.charges_cents - ((lease.benefit_cents or 0) if benefit_to_landlord else 0)

    rejects = [dict(r._mapping) for r in conn.execute(
        select(m.DdReject.reject_id, m.DdReject.rejected_on, m.DdReject.amount_cents, m.DdReject.reason_code)
        .where(m.DdReject.lease_id == lease_id, m.DdReject.rejected_on <= as_of)
        .order_by(m.DdReject.rejected_on.desc(), m.DdReject.reject_id.desc()))]
    for r in rejects:
        r["reason_label"] = REJECT_LABELS.get(r["reason_code"], "motif communiqué par votre banque")
    figures = dict(decision.figures or {})
    last_reject = rejects[0] if rejects else None
    if "reject_amount_cents" in figures and last_reject is not None:
        last_reject = {**last_reject, "amount_cents": int(figures["reject_amount_cents"])}

    plans = conn.execute(select(m.Plan.__table__).where(m.Plan.lease_id == lease_id, m.Plan.agreed_on <= as_of)
                         .order_by(m.Plan.agreed_on.desc(), m.Plan.plan_id.desc())).all()
    plan = None
    if plans:
        chosen = next((p for p in plans if p.status == "active"), plans[0])
        installments = conn.execute(select(m.PlanInstallment.__table__)
                                    .where(m.PlanInstallment.plan_id == chosen.plan_id)
                                    .order_by(m.PlanInstallment.due_on)).all()
        due = [i for i in installments if i.due_on <= as_of]
        plan = {"plan_id": chosen.plan_id, "kind": chosen.kind, "agreed_on": chosen.agreed_on,
                "debt_cents": chosen.debt_cents, "status": chosen.status,
                "installment_cents": (due[-1].amount_cents if due else
                                      installments[0].amount_cents if installments else None),
                "installments_due_cents": sum(i.amount_cents for i in due),
                "next_due_on": next((i.due_on for i in installments if i.due_on > as_of), None)}

    deadline_days = order.deadline_days if order.deadline_days is not None else DEFAULT_DEADLINE_DAYS
    registered = bool(order.registered)
    plan_settings = _plan()
    region = plan_settings.region
    # A registered letter's deadline runs from its first presentation (no date can be printed); a simple
    # letter's printed deadline is a business day.
    deadline_on = next_business_day(as_of + dt.timedelta(days=deadline_days), region)
    domain = landlord.email_domain

    agency_dep = departement_of(agency.postcode)
    for person in (officer, counsellor):
        if person:
            person["email"] = on_domain(person["email"], domain)
            person["phone"] = phone_fr(person["phone"])
    lease_start = lease.start_on
    tenure_months = ((as_of.year - lease_start.year) * 12 + as_of.month - lease_start.month
                     - (1 if as_of.day < lease_start.day else 0)) if lease_start else None
    new_tenant_months = int(plan_settings.step(7).threshold("new_tenant_months"))
    landlord_ctx = landlord.to_context()
    landlord_ctx["phone"] = phone_fr(landlord_ctx["phone"])
    letter_type = order.letter_type
    document_id = document_id or document_id_for(lease_id, decision.step, decision.period)
    return {
        "document_id": document_id,
        "dry_run": dry_run,
        "landlord": landlord_ctx,
        "letter": {
            "type": letter_type, "variant": order.variant or "default", "registered": registered,
            "is_formal_notice": letter_type in FORMAL_TYPES, "known_type": letter_type in LETTER_TYPES,
            "to_forwarding_address": bool(order.to_forwarding_address),
            "out_of_departement": bool(order.out_of_departement), "abroad": block.is_abroad,
            "deadline_days": deadline_days, "deadline_on": deadline_on,
            "deadline_from_presentation": registered,
            "acknowledgement": registered and landlord.acknowledgement,
            "level": landlord.registered_level,
        },
        **registered_fields(registered_number),
        "decision": {"step": decision.step, "step_id": decision.step_id, "period": decision.period,
                     "as_of": as_of, "reasons": list(decision.reasons)},
        "profile": decision.profile or "P0",
        "profile_label": PROFILES.get(decision.profile or "P0", ""),
        "figures": figures,
        "as_of": as_of,
        "date_line": f"{landlord.place}, le {nbsp(date_fr(as_of))}",
        "holders": holders,
        "g": agreement(holders),
        "tenure_months": tenure_months,
        "is_new_tenant": tenure_months is not None and tenure_months < new_tenant_months,
        "help": plan_settings.letters.help_level(balance, monthly_due, decision.profile),
        "page_total": 2,
        "salutation": salutation(holders),
        "address": {"lines": list(block.lines), "postcode": block.postcode, "town": block.town,
                    "country": block.country},
        "lease": {
            "lease_id": lease_id, "start_on": lease.start_on, "end_on": lease.end_on,
            "address_lines": [x for x in (lease.address_line1, lease.address_line2, lease.address_line3) if x],
            "postcode": lease.postcode, "city": lease.city, "rent_cents": lease.rent_cents,
            "charges_cents": lease.charges_cents, "benefit_cents": lease.benefit_cents or 0,
            "benefit_to_landlord": benefit_to_landlord, "payment_method": lease.payment_method,
            "mandate_active": bool(lease.mandate_active), "sls_status": lease.sls_status or "none",
            "departed": lease.end_on is not None and lease.end_on <= as_of,
        },
        "reference": lease_id,
        "agency": {"agency_id": agency.agency_id, "name": agency.name, "phrase": agency_phrase(agency.name),
                   "address_line1": agency.address_line1,
                   "address_line2": agency.address_line2 or "", "postcode": agency.postcode, "city": agency.city,
                   "phone": phone_fr(agency.phone or landlord.phone),
                   "email": on_domain(agency.email, domain) or landlord.email,
                   "reception_hours": landlord.reception_hours_text(agency.agency_id),
                   "departement": agency_dep},
        "officer": officer,
        "counsellor": counsellor,
        "balance_cents": balance,
        "monthly_due_cents": monthly_due,
        "statement": stmt,
        "rejects": rejects,
        "last_reject": last_reject,
        "plan": plan,
        "formal_notice": formal_notice_of(conn, lease_id, as_of) if letter_type == "last_notice" else None,
        "late_months": late_months(entries, as_of, monthly_due, grace_days=plan_settings.late_payment_grace_days,
                                   tolerance_cents=plan_settings.tolerance_cents)
        if letter_type == "late_payment" else [],
        "move_out": move_out_statement(entries, lease.end_on, as_of) if order.to_forwarding_address else None,
        "sls": sls_figures(entries, as_of),
        "appointment": None,
    }


def _plan():
    from arrears.config.plan import load_plan

    return _cached_plan(load_plan)


_PLAN_CACHE: dict[str, Any] = {}


def _cached_plan(loader):
    if "plan" not in _PLAN_CACHE:
        _PLAN_CACHE["plan"] = loader()
    return _PLAN_CACHE["plan"]


__all__ = [
    "AddressError", "balance_at", "departement_of", "document_id_for", "letter_context", "registered_fields",
    "statement",
]
