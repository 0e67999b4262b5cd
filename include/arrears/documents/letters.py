"""Render the letters of a step: each letter laid out and written as its own PDF document.

``render_letters(engine, decisions, out_dir)`` takes the decisions that carry a letter and, per batch of
``batch_size`` letters:

1. reads each letter's context (``context.letter_context``) and renders its HTML (``templates/letters/
   <letter_type>/letter.html``); a missing field, an address that cannot be written to NF Z10-011 or a
   template error fails THAT letter (a :class:`RenderFailure` naming the lease), the others go on;
2. allocates the registered number of a registered letter (not in a dry run) — once per (lease, step,
   period): a re-render finds the same number and the same document id;
3. lays each letter out as its own WeasyPrint document (stylesheet, fonts and logo parsed once per process)
   and writes it to ``out_dir/letters/<lease_id>_<document_id>.pdf`` (its own font subset: a letter is
   about 29 KB, and the mailroom batch merges small files);
4. records the ``documents`` rows of the batch (not in a dry run; an upsert keyed by the document id).

``render_letters`` on one chunk is self-contained (it opens its own connections), so the orchestration can
map one Airflow task per chunk; ``render_letters_parallel`` does the same over a process pool.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from arrears.act.appointments import AppointmentError
from arrears.core import models as m
from arrears.core.files import ensure_dir, write_atomic
from arrears.decide.decision import Decision
from arrears.documents.address import AddressError
from arrears.documents.context import document_id_for, letter_context, registered_fields
from arrears.documents.registered import RegisteredRangeError, allocate, ensure_ranges
from arrears.documents.render import (
    RenderError,
    forget_pool,
    html_document,
    jinja_env,
    process_pool,
    render_html,
)

log = logging.getLogger(__name__)

STYLESHEET = "letters/letter.css"
# WeasyPrint's user-agent stylesheet without the rules a letter never needs (see the file's header)
USER_AGENT = "letters/user_agent.css"

# Letters whose ``documents`` rows are recorded in one transaction (each letter is laid out and written alone:
# writing a batch as one PDF and splitting it with pypdf cost more than writing each letter, measured with
# bench/bench_render.py).
DEFAULT_BATCH_SIZE = 20
# Letters per task of the process pool, at most: the letters are cut into chunks of equal size, a whole
# number of rounds of the pool (``balanced_chunks``), so that no process renders the last chunk alone while
# the others wait. Small chunks keep that tail short; a chunk costs a pickled list of decisions and a
# connection.
DEFAULT_CHUNK_SIZE = 25


@dataclass(frozen=True)
class RenderedLetter:
    """One rendered letter: what the mailroom batches and the run summary need (no tenant data logged)."""

    document_id: str
    lease_id: str
    step: int
    period: str
    letter_type: str
    variant: str
    registered: bool
    number: str | None
    path: str
    pages: int
    postcode: str
    town: str
    country: str | None
    sort_name: str
    addressee: str
    address_lines: tuple[str, ...] = ()

    @property
    def letter_class(self) -> str:
        return "registered" if self.registered else "simple"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RenderFailure:
    lease_id: str
    message: str


@dataclass
class RenderResult:
    rendered: list[RenderedLetter] = field(default_factory=list)
    failures: list[RenderFailure] = field(default_factory=list)
    dry_run: bool = False

    def extend(self, other: RenderResult) -> None:
        self.rendered.extend(other.rendered)
        self.failures.extend(other.failures)

    def summary(self) -> dict[str, Any]:
        """Counts for the run summary (ids and messages only: the messages name leases and fields)."""
        return {
            "letters": len(self.rendered),
            "registered": sum(1 for r in self.rendered if r.registered),
            "pages": sum(r.pages for r in self.rendered),
            "failures": [{"lease_id": f.lease_id, "message": f.message} for f in self.failures],
            "dry_run": self.dry_run,
        }


def template_for(letter_type: str) -> str:
    """``letters/<type>/letter.html`` (a landlord's own type is a folder with that name)."""
    if not re.fullmatch(r"[a-z0-9_]+", letter_type or ""):
        raise RenderError(f"letter type {letter_type!r} is not a template name")
    return f"letters/{letter_type}/letter.html"


def safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80] or "_"


def _existing_document_id(conn, decision: Decision) -> str | None:
    return conn.execute(
        select(m.Document.document_id).where(
            m.Document.lease_id == decision.lease_id, m.Document.step == decision.step,
            m.Document.period == decision.period, m.Document.letter_class.is_not(None))
        .order_by(m.Document.created_at)).scalars().first()


def _record(conn, rows: list[RenderedLetter]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    values = [{"document_id": r.document_id, "lease_id": r.lease_id, "step": r.step, "period": r.period,
               "doc_type": r.letter_type, "variant": r.variant, "letter_class": r.letter_class,
               "registered_number": r.number, "path": r.path, "pages": r.pages, "created_at": now}
              for r in rows]
    stmt = insert(m.Document.__table__).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["document_id"],
        set_={"path": stmt.excluded.path, "pages": stmt.excluded.pages,
              "registered_number": stmt.excluded.registered_number, "variant": stmt.excluded.variant,
              "doc_type": stmt.excluded.doc_type, "letter_class": stmt.excluded.letter_class})
    conn.execute(stmt)


def _sort_name(ctx: dict) -> str:
    h = ctx["holders"][0]
    return f"{h['last_name']} {h['first_name']}".upper()


def _prepare(conn, decision: Decision, landlord, dry_run: bool) -> tuple[dict, str]:
    """Context + HTML of one letter; allocates its registered number once the data is complete."""
    order = decision.letter
    template = template_for(order.letter_type)
    try:  # an unknown letter type fails here, before any number is taken
        jinja_env().get_template(template)
    except Exception as exc:  # TemplateNotFound, TemplateSyntaxError
        raise RenderError(f"lease {decision.lease_id}: letter template {template}: {exc}") from exc
    document_id = _existing_document_id(conn, decision) if not dry_run else None
    document_id = document_id or document_id_for(decision.lease_id, decision.step, decision.period)
    ctx = letter_context(conn, decision, landlord, document_id=document_id, dry_run=dry_run)
    ctx["page_total"] = _PAGES_SEEN.get(order.letter_type, DEFAULT_PAGE_GUESS)
    if conn.in_transaction():
        conn.commit()
    if order.letter_type in APPOINTMENT_TYPES:  # a preview first: a letter that fails takes no slot
        ctx["appointment"] = _appointment(conn, decision, ctx, landlord, True).to_context()
    html = render_html(template, ctx)  # first pass: a template error or missing field fails before a number
    if order.letter_type in APPOINTMENT_TYPES and not dry_run:
        ctx["appointment"] = _appointment(conn, decision, ctx, landlord, False).to_context()
        html = render_html(template, ctx)
    if order.registered and not dry_run:
        number = allocate(conn, decision.lease_id, decision.step, decision.period, document_id,
                          level=landlord.registered_level)
        ctx.update(registered_fields(number))
        html = render_html(template, ctx)
    return ctx, html


# Letter types that propose an appointment (PLAN.md "Letters", revision 5: the convocation).
APPOINTMENT_TYPES = {"convocation"}


def _appointment(conn, decision: Decision, ctx: dict, landlord, dry_run: bool):
    """The convocation's slot: given once per (lease, step, period) and recorded as an ``appointment``
    action (``arrears.act.appointments``); a dry run only previews it."""
    from arrears.act import appointments
    from arrears.documents.context import _plan

    plan = _plan()
    args = {"staff_id": ctx["officer"]["staff_id"], "agency_id": ctx["agency"]["agency_id"],
            "as_of": decision.as_of, "landlord": landlord, "settings": plan.letters, "region": plan.region}
    if dry_run:
        slot = appointments.preview(conn, decision.lease_id, decision.step, decision.period, **args)
        if conn.in_transaction():
            conn.commit()
        return slot
    return appointments.allocate(conn, decision.lease_id, decision.step, decision.period,
                                 document_id=ctx["document_id"], **args)


_PAGE_TOTAL_RE = re.compile(r'(<div class="page-total">)\d+(</div>)')
# The page count printed as "page x / y" before a letter is laid out: the last count seen for its type
# (per process). The footer lives in a page margin box, so the printed total never changes the flow: a
# letter whose guess was wrong is laid out once more with its count now known.
_PAGES_SEEN: dict[str, int] = {}
DEFAULT_PAGE_GUESS = 2


def _with_page_total(html: str, total: int) -> str:
    return _PAGE_TOTAL_RE.sub(rf"\g<1>{int(total)}\g<2>", html, count=1)


def letter_document(html: str):
    """One letter laid out as its own WeasyPrint document (stylesheet, fonts and logo shared by the process).

    A document per letter keeps layout cost proportional to the letter (a batch document grows per-page
    costs with its size) and needs no second layout pass for the batch."""
    return html_document(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Courrier</title></head><body>'
        + html + "</body></html>", stylesheets=(STYLESHEET,), user_agent=USER_AGENT)


def _layout(decision: Decision, ctx: dict, html: str):
    """Lay the letter out; its "page x / y" carries its own page count."""
    document = letter_document(html)
    count = len(document.pages)
    _PAGES_SEEN[decision.letter.letter_type] = count
    if ctx.get("page_total") != count:
        ctx["page_total"] = count
        document = letter_document(_with_page_total(html, count))
    return document


def render_letters(engine: Engine | str, decisions: Sequence[Decision], out_dir: str | Path, *,
                   dry_run: bool = False, landlord=None, batch_size: int = DEFAULT_BATCH_SIZE) -> RenderResult:
    """Render the letters of ``decisions`` (those with a letter) into ``out_dir/letters/``.

    ``batch_size``: letters prepared, written and recorded together (see DEFAULT_BATCH_SIZE).
    """
    from arrears.config.landlord import load_landlord
    from arrears.core.db import engine_for

    if isinstance(engine, str):
        engine = engine_for(engine)
    landlord = landlord or load_landlord()
    batch_size = max(1, int(batch_size))
    letters_dir = ensure_dir(Path(out_dir) / "letters")
    result = RenderResult(dry_run=dry_run)
    todo = [d for d in decisions if d.letter is not None]
    if not todo:
        return result

    with engine.connect() as conn:
        if not dry_run and any(d.letter.registered for d in todo):
            ensure_ranges(conn, landlord)
            conn.commit()
        for start in range(0, len(todo), batch_size):
            items: list[tuple[Decision, dict, str]] = []
            for decision in todo[start:start + batch_size]:
                try:
                    ctx, html = _prepare(conn, decision, landlord, dry_run)
                    items.append((decision, ctx, html))
                except (RenderError, AddressError, RegisteredRangeError, AppointmentError) as exc:
                    if conn.in_transaction():
                        conn.rollback()
                    message = str(exc)
                    if not message.startswith("lease "):
                        message = f"lease {decision.lease_id}: {message}"
                    result.failures.append(RenderFailure(decision.lease_id, message))
            if not items:
                continue
            batch_rows: list[RenderedLetter] = []
            for decision, ctx, html in items:
                try:
                    document = _layout(decision, ctx, html)
                    pdf = document.write_pdf()
                except Exception as exc:  # noqa: BLE001 - a letter that breaks the layout fails alone
                    result.failures.append(RenderFailure(decision.lease_id, f"layout failed: {exc}"))
                    continue
                doc_id = ctx["document_id"]
                path = letters_dir / f"{safe_filename(decision.lease_id)}_{doc_id}.pdf"
                write_atomic(path, pdf)
                address = ctx["address"]
                batch_rows.append(RenderedLetter(
                    document_id=doc_id, lease_id=decision.lease_id, step=decision.step,
                    period=decision.period, letter_type=decision.letter.letter_type,
                    variant=decision.letter.variant or "default", registered=bool(decision.letter.registered),
                    number=ctx["registered_number"], path=str(path), pages=len(document.pages),
                    postcode=address["postcode"], town=address["town"], country=address["country"],
                    sort_name=_sort_name(ctx), addressee=address["lines"][0],
                    address_lines=tuple(address["lines"])))
            if not dry_run:
                with conn.begin():
                    _record(conn, batch_rows)
            result.rendered.extend(batch_rows)
    log.info("rendered %d letters, %d failures", len(result.rendered), len(result.failures))
    return result


def _engine_url(engine: Engine | str) -> str:
    if isinstance(engine, str):
        return engine
    return engine.url.render_as_string(hide_password=False)


def _render_chunk(url: str, decisions: list[Decision], out_dir: str, dry_run: bool, landlord,
                  batch_size: int) -> RenderResult:
    from arrears.core.db import engine_for

    try:
        return render_letters(url, decisions, out_dir, dry_run=dry_run, landlord=landlord, batch_size=batch_size)
    finally:
        # the process stays in the pool: it keeps no connection open between chunks (a test database can be
        # dropped, a server restarted)
        engine_for(url).dispose()


def balanced_chunks(items: Sequence, workers: int, chunk_size: int) -> list[list]:
    """``items`` cut into chunks of at most ``chunk_size``, of equal sizes (within one), their count a
    multiple of ``workers`` where there are enough items: every process of the pool gets as many chunks."""
    items = list(items)
    if not items:
        return []
    workers, chunk_size = max(1, workers), max(1, chunk_size)
    count = workers * -(-len(items) // (workers * chunk_size))   # whole rounds of the pool
    count = min(count, len(items))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def render_letters_parallel(engine: Engine | str, decisions: Sequence[Decision], out_dir: str | Path, *,
                            workers: int = 2, dry_run: bool = False, landlord=None,
                            batch_size: int = DEFAULT_BATCH_SIZE,
                            chunk_size: int = DEFAULT_CHUNK_SIZE) -> RenderResult:
    """``render_letters`` over the kept pool of ``workers`` processes (``render.process_pool``), one chunk of
    letters per task."""
    from concurrent.futures import wait
    from concurrent.futures.process import BrokenProcessPool

    from arrears.config.landlord import load_landlord

    landlord = landlord or load_landlord()
    todo = [d for d in decisions if d.letter is not None]
    result = RenderResult(dry_run=dry_run)
    if not todo:
        return result
    url = _engine_url(engine)
    if not dry_run and any(d.letter.registered for d in todo):
        from arrears.core.db import engine_for

        with engine_for(url).begin() as conn:  # seed once, before the workers race for numbers
            ensure_ranges(conn, landlord)
    workers = max(1, workers)
    chunks = balanced_chunks(todo, workers, chunk_size)
    futures = []
    try:
        pool = process_pool(workers)
        futures = [pool.submit(_render_chunk, url, c, str(out_dir), dry_run, landlord, batch_size) for c in chunks]
        for future in futures:
            result.extend(future.result())
    except BrokenProcessPool:
        forget_pool(workers)  # a rendering process died: the next call starts a new pool
        raise
    finally:
        # on a failure, no chunk goes on rendering behind the caller's back (a retry renders them)
        for future in futures:
            future.cancel()
        wait(futures)
    return result
