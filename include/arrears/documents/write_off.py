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
