"""Mailroom batches: one print-ready PDF per letter class (simple, registered) and the deposit list.

``assemble_batches(rendered_docs, out_dir, step=…, period=…, as_of=…, batch_id_prefix=…)`` sorts the
letters of each class by postcode then addressee name (foreign addresses last), and merges (pikepdf, qpdf's
page copy: about 1 ms a letter):

- a cover sheet (batch id, step and title, date, letters, sheets), followed by a blank back;
- each letter, followed by a blank page when it has an odd page count, so that every letter starts on a
  new sheet when the batch is printed duplex;

and, for registered letters, the deposit list (liste de dépôt: line, registered number, addressee,
postcode, town, R level, acknowledgement requested) as PDF and as CSV (``;``, UTF-8 with BOM for Excel).
Letters going abroad form their own batch (international postage). Registered numbers were allocated in
this print order (``numbering.allocate_in_print_order``): the cover gives the first and last number and
any gap. File names carry the run date (``batch_id_prefix``) and a batch file is never replaced: a later
run of the same date writes a complement batch (``…-2``). Files are written atomically, mode 0600, into
``out_dir/batches/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from arrears.core.files import ensure_dir, write_atomic
from arrears.core.tabular import safe_row
from arrears.documents.render import html_document, render_html

CLASSES = ("simple", "registered")
log = logging.getLogger(__name__)
DEPOSIT_HEADER = ("ligne", "numero_recommande", "destinataire", "code_postal", "commune", "pays", "niveau",
                  "avis_de_reception")


@dataclass
class BatchResult:
    batch_id: str
    letter_class: str                 # simple | registered
    step: int
    period: str
    path: str                         # the print-ready batch PDF
    letters: int
    sheets: int                       # sheets of paper printed duplex, cover sheet included
    pages: int                        # pages of the batch PDF, blank backs included
    blank_pages: int
    document_ids: list[str] = field(default_factory=list)
    deposit_pdf: str | None = None
    deposit_csv: str | None = None
    international: bool = False       # letters going abroad: international postage
    first_number: str | None = None   # registered batches: the lowest and highest number, and the gaps
    last_number: str | None = None
    gaps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _get(doc: Any, name: str, default: Any = None) -> Any:
    if isinstance(doc, dict):
        return doc.get(name, default)
    return getattr(doc, name, default)


def _is_registered(doc: Any) -> bool:
    return bool(_get(doc, "registered"))


def sort_key(doc: Any) -> tuple:
    """Postcode, then addressee name (French addresses first, then abroad by country)."""
    country = _get(doc, "country") or ""
    return (1 if country else 0, country, _get(doc, "postcode") or "", (_get(doc, "sort_name") or "").upper(),
            _get(doc, "lease_id") or "")


def _step_title(step: int) -> str:
    try:
        from arrears.config.plan import (
            load_plan,  # the plan file names each step (another module; optional here)
        )

        plan = load_plan()
        for s in getattr(plan, "steps", ()):
            if getattr(s, "number", None) == step:
                return s.title
    except Exception as exc:  # noqa: BLE001 - the title is a convenience on the cover sheet
        log.debug("no step title from the plan file: %s", exc)
    return f"étape {step}"


def _pdf_bytes(html: str) -> bytes:
    return html_document(html).write_pdf()


ADDRESS_COLUMNS = 7  # NF Z10-011: at most 6 lines in France, 7 abroad (country last)


def address_lines(doc: Any) -> list[str]:
    """The address block as printed in the envelope window (addressee first, ``POSTCODE TOWN`` / country last)."""
    lines = [line for line in (_get(doc, "address_lines") or ()) if line]
    return lines or [x for x in (_get(doc, "addressee"), f"{_get(doc, 'postcode') or ''} {_get(doc, 'town') or ''}".strip(),
                                 _get(doc, "country")) if x]


def deposit_rows(docs: Sequence[Any], *, level: str, acknowledgement: bool) -> list[dict[str, Any]]:
    rows = []
    for line, doc in enumerate(docs, start=1):
        number = _get(doc, "number")
        if not number:
            raise ValueError(f"lease {_get(doc, 'lease_id')}: registered letter without a registered number")
        rows.append({"line": line, "number": number, "addressee": _get(doc, "addressee") or "",
                     "postcode": _get(doc, "postcode") or "", "town": _get(doc, "town") or "",
                     "country": _get(doc, "country") or "FRANCE", "level": level,
                     "ar": "Oui" if acknowledgement else "Non", "lease_id": _get(doc, "lease_id"),
                     "address_lines": address_lines(doc)})
    return rows


def deposit_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The deposit list as CSV text (``;``); written with a UTF-8 BOM so that Excel opens it right.

    After the columns of the list, the complete address block as printed on the letter (one column per
    line), the proof that the letter went to the lease's (or the forwarding) address.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(DEPOSIT_HEADER + tuple(f"adresse_ligne_{i}" for i in range(1, ADDRESS_COLUMNS + 1)))
    for r in rows:
        lines = list(r.get("address_lines") or ())[:ADDRESS_COLUMNS]
        writer.writerow(safe_row([r["line"], r["number"], r["addressee"], r["postcode"], r["town"], r["country"],
                                  r["level"], r["ar"], *lines, *([""] * (ADDRESS_COLUMNS - len(lines)))]))
    return buffer.getvalue()


def batch_kind(doc: Any) -> str:
    """``simple``, ``registered``, or — for letters going abroad (international postage) —
    ``international`` / ``international-registered``."""
    registered = _is_registered(doc)
    if _get(doc, "country"):
        return "international-registered" if registered else "international"
    return "registered" if registered else "simple"


KINDS = ("simple", "registered", "international", "international-registered")


def _already_batched(engine, batch_dir: Path, document_ids: list[str]) -> set[str]:
    """Documents already in a batch file an earlier run (or an earlier try of this task) wrote."""
    if engine is None or not document_ids:
        return set()
    from sqlalchemy import select

    from arrears.core import models as m

    out: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(document_ids), 500):
            chunk = document_ids[start:start + 500]
            for doc_id, batch_id in conn.execute(select(m.Document.document_id, m.Document.batch_id).where(
                    m.Document.document_id.in_(chunk), m.Document.batch_id.is_not(None))):
                if (batch_dir / f"{batch_id}.pdf").exists():
                    out.add(doc_id)
    return out


def _free_batch_id(batch_dir: Path, base: str) -> tuple[str, int]:
    """``base``, or ``base-2``, ``base-3``… the first whose file does not exist: a batch file is never
    replaced (a re-run that completes a batch writes a complement batch)."""
    n = 1
    while True:
        batch_id = base if n == 1 else f"{base}-{n}"
        if not (batch_dir / f"{batch_id}.pdf").exists():
            return batch_id, n
        n += 1


def assemble_batches(rendered_docs: Iterable[Any], out_dir: str | Path, *, step: int, period: str,
                     as_of: dt.date, batch_id_prefix: str, step_title: str | None = None, landlord=None,
                     engine=None) -> list[BatchResult]:
    """Build the batch PDF of each kind of letter present in ``rendered_docs`` (RenderedLetter or dicts).

    Kinds: simple, registered, and letters going abroad in their own batch (international postage). The
    batch id (and file name) is ``<batch_id_prefix>-<kind>``, or ``…-<kind>-<n>`` when a file of that name
    exists already: a complement batch, never a replacement. With ``engine``, letters already in an
    existing batch file are left out, and the ``documents`` rows of the batch's letters get its ``batch_id``.
    """
    import pikepdf

    from arrears.config.landlord import load_landlord
    from arrears.documents.registered import number_gaps, serial_of

    landlord = landlord or load_landlord()
    docs = list(rendered_docs)
    batch_dir = ensure_dir(Path(out_dir) / "batches")
    done = _already_batched(engine, batch_dir, [_get(d, "document_id") for d in docs])
    docs = [d for d in docs if _get(d, "document_id") not in done]
    title = step_title or _step_title(step)
    results: list[BatchResult] = []
    for kind in KINDS:
        members = sorted((d for d in docs if batch_kind(d) == kind), key=sort_key)
        if not members:
            continue
        letter_class = "registered" if kind.endswith("registered") else "simple"
        international = kind.startswith("international")
        batch_id, sequence = _free_batch_id(batch_dir, f"{batch_id_prefix}-{kind}")
        # read into memory: a batch of thousands of letters would otherwise hold a file open per letter
        # until the batch is written
        sources = [pikepdf.Pdf.open(io.BytesIO(Path(_get(d, "path")).read_bytes())) for d in members]
        pages = [len(source.pages) for source in sources]
        blank_after = [p % 2 for p in pages]
        letter_pages = sum(pages) + sum(blank_after)
        total_pages = 2 + letter_pages                    # cover + its blank back
        sheets = total_pages // 2
        rows = (deposit_rows(members, level=landlord.registered_level, acknowledgement=landlord.acknowledgement)
                if letter_class == "registered" else [])
        numbers = [r["number"] for r in rows]
        in_sequence = all(serial_of(a) < serial_of(b) for a, b in pairwise(numbers))
        context = {
            "landlord": landlord.to_context(), "batch_id": batch_id, "letter_class": letter_class,
            "kind": kind, "international": international, "sequence": sequence,
            "countries": sorted({(_get(d, "country") or "").upper() for d in members if _get(d, "country")}),
            "step": step, "step_title": title, "period": period, "as_of": as_of, "letters": len(members),
            "sheets": sheets, "pages": total_pages, "blank_pages": sum(blank_after) + 1,
            "level": landlord.registered_level, "acknowledgement": landlord.acknowledgement,
            "first_number": min(numbers, key=serial_of) if numbers else "",
            "last_number": max(numbers, key=serial_of) if numbers else "",
            "gaps": number_gaps(numbers), "in_sequence": in_sequence,
        }
        cover = pikepdf.Pdf.open(io.BytesIO(_pdf_bytes(render_html("letters/mailroom/cover.html", context))))
        batch = pikepdf.Pdf.new()
        batch.pages.append(cover.pages[0])
        batch.add_blank_page(page_size=_page_size(cover.pages[0]))
        for source, odd in zip(sources, blank_after, strict=True):
            batch.pages.extend(source.pages)
            if odd:
                batch.add_blank_page(page_size=_page_size(source.pages[-1]))
        buffer = io.BytesIO()
        batch.save(buffer)
        for pdf in (batch, cover, *sources):
            pdf.close()
        result = BatchResult(batch_id=batch_id, letter_class=letter_class, step=step, period=period,
                             path="", letters=len(members), sheets=sheets, pages=total_pages,
                             blank_pages=sum(blank_after) + 1,
                             document_ids=[_get(d, "document_id") for d in members],
                             international=international, first_number=context["first_number"] or None,
                             last_number=context["last_number"] or None, gaps=context["gaps"])
        if rows:
            # the deposit list first: the batch file is what marks the letters as batched
            pdf = _pdf_bytes(render_html("letters/mailroom/deposit_list.html", {**context, "rows": rows}))
            result.deposit_pdf = str(write_atomic(batch_dir / f"{batch_id}_liste_de_depot.pdf", pdf))
            result.deposit_csv = str(write_atomic(batch_dir / f"{batch_id}_liste_de_depot.csv",
                                                  deposit_csv(rows), encoding="utf-8-sig"))
        result.path = str(write_atomic(batch_dir / f"{batch_id}.pdf", buffer.getvalue()))
        results.append(result)
        if engine is not None:
            _mark_batch(engine, result)
    return results


def _page_size(page) -> tuple[float, float]:
    """Width and height of ``page`` in points (a blank back has the size of the page it backs)."""
    left, bottom, right, top = (float(x) for x in page.mediabox)
    return right - left, top - bottom


def _mark_batch(engine, result: BatchResult) -> None:
    from sqlalchemy import update

    from arrears.core import models as m

    with engine.begin() as conn:
        conn.execute(update(m.Document).where(m.Document.document_id.in_(result.document_ids))
                     .values(batch_id=result.batch_id))
