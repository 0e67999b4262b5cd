"""Registered numbers in the mailroom's print order (PLAN.md revision 5): the labels come off the roll in
sequence along each batch, because numbers are allocated after the batch's sort, before any letter renders."""

from __future__ import annotations

import logging
from typing import Any

from arrears.documents.registered import allocate, ensure_ranges, existing_number

log = logging.getLogger(__name__)


def allocate_in_print_order(engine, decisions, *, landlord=None) -> dict[str, str]:
    """Allocate the registered numbers of the registered letters of ``decisions`` in print order.

    Print order is the mailroom batch's (``batches.sort_key``: French addresses by postcode then name,
    letters abroad after them, by country), so along each batch the numbers strictly increase. A letter
    whose data is incomplete (its context or first HTML pass fails) gets no number here: it fails again
    when rendered and is named in the run summary. A letter already numbered keeps its number (a re-run
    finds the same numbers). Returns ``{lease_id: number}`` for every registered letter numbered.
    """
    from arrears.config.landlord import load_landlord
    from arrears.documents.address import AddressError
    from arrears.documents.batches import sort_key
    from arrears.documents.context import document_id_for, letter_context
    from arrears.documents.letters import _existing_document_id, _sort_name, template_for
    from arrears.documents.render import RenderError, render_html

    landlord = landlord or load_landlord()
    todo = [d for d in decisions if d.letter is not None and d.letter.registered]
    if not todo:
        return {}
    numbered: dict[str, str] = {}
    keyed: list[tuple[tuple, Any, str]] = []
    with engine.connect() as conn:
        ensure_ranges(conn, landlord)
        conn.commit()
        for decision in todo:
            number = existing_number(conn, decision.lease_id, decision.step, decision.period)
            if number:
                numbered[decision.lease_id] = number
                continue
            try:
                document_id = (_existing_document_id(conn, decision)
                               or document_id_for(decision.lease_id, decision.step, decision.period))
                ctx = letter_context(conn, decision, landlord, document_id=document_id)
                render_html(template_for(decision.letter.letter_type), ctx)
            except (RenderError, AddressError, KeyError, ValueError) as exc:
                log.info("lease %s: no registered number before rendering (%s)", decision.lease_id,
                         type(exc).__name__)
            
                continue
            finally:
                if conn.in_transaction():
                    conn.commit()
            address = ctx["address"]
            key = sort_key({"country": address["country"], "postcode": address["postcode"],
                            "sort_name": _sort_name(ctx), "lease_id": decision.lease_id})
            keyed.append((key, decision, document_id))
        keyed.sort(key=lambda item: item[0])
        for _key, decision, document_id in keyed:
            numbered[decision.lease_id] = allocate(conn, decision.lease_id, decision.step, decision.period,
                                                   document_id, level=landlord.registered_level)
    return numbered
