"""Registered-mail numbers (recommandés), taken from the label ranges the landlord holds, each once.

Number format (13 characters, as on La Poste's domestic labels): the range's 2-character prefix (``1A``),
the 10-digit serial, and one check digit. The check digit is the **Luhn (mod 10) key of the 10-digit
serial** (the prefix is not part of it): double every second digit from the right, add the digits, and
take what brings the sum to a multiple of 10. It catches any single wrong digit and most swaps of two
neighbours when a number is typed back from a deposit list. (La Poste computes its own key on labels it
prints; a landlord that receives pre-numbered labels loads their ranges and keeps their numbers.)

Concurrency: a serial is taken by ``update registered_ranges set next_serial = next_serial + 1 where
range_id = :r and next_serial <= last_serial`` — a write first, so PostgreSQL row-locks the range and
SQLite takes its write lock before anything is read; the serial is then read back inside the same
transaction. The number is inserted in ``registered_numbers`` whose unique key (lease, step, period)
stops a second number for the same letter: the loser of that race rolls back (its serial goes back to
the range) and returns the winner's number.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import IntegrityError

from arrears.core import models as m

log = logging.getLogger(__name__)


class RegisteredRangeError(RuntimeError):
    """No registered label left (the message names the exhausted range), or no range at all."""


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:  # rightmost digit of the payload is doubled (it sits left of the key)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def format_number(prefix: str, serial: int) -> str:
    """``1A`` + 10-digit serial + Luhn key: ``1A10000000009``."""
    body = f"{serial:010d}"
    if len(body) != 10:
        raise ValueError(f"serial {serial} has more than 10 digits")
    return f"{prefix}{body}{luhn_digit(body)}"


def is_valid_number(number: str) -> bool:
    number = number.replace(" ", "")
    return len(number) == 13 and number[2:].isdigit() and luhn_digit(number[2:12]) == number[12]


def display_number(number: str) -> str:
    """``1A 100 000 0000 9``: grouped as on the label, easier to read aloud."""
    return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:12]} {number[12:]}"


def ensure_ranges(conn: Connection, landlord) -> int:
    """Seed ``registered_ranges`` from landlord.toml; returns how many ranges were added.

    A range already present keeps its ``next_serial`` (numbers already used stay used); its end and level
    follow the file (a landlord may extend a range it bought more labels for, never shrink it below what
    was used).
    """
    added = 0
    for cfg in landlord.ranges:
        current = conn.execute(select(m.RegisteredRange.__table__)
                               .where(m.RegisteredRange.range_id == cfg.range_id)).first()
        if current is None:
            conn.execute(m.RegisteredRange.__table__.insert().values(
                range_id=cfg.range_id, prefix=cfg.prefix, first_serial=cfg.first_serial,
                last_serial=cfg.last_serial, level=cfg.level, next_serial=cfg.first_serial))
            added += 1
            continue
        if current.prefix != cfg.prefix or current.first_serial != cfg.first_serial:
            raise RegisteredRangeError(
                f"registered range {cfg.range_id}: landlord.toml says {cfg.prefix}{cfg.first_serial} but the "
                f"database holds {current.prefix}{current.first_serial}; a range in use cannot move")
        if cfg.last_serial < current.next_serial - 1:
            raise RegisteredRangeError(
                f"registered range {cfg.range_id}: last_serial {cfg.last_serial} is below serials already used")
        conn.execute(update(m.RegisteredRange).where(m.RegisteredRange.range_id == cfg.range_id)
                     .values(last_serial=cfg.last_serial, level=cfg.level))
    return added


def existing_number(conn: Connection, lease_id: str, step: int, period: str) -> str | None:
    return conn.execute(
        select(m.RegisteredNumber.number).where(
            m.RegisteredNumber.lease_id == lease_id, m.RegisteredNumber.step == step,
            m.RegisteredNumber.period == period)
    ).scalar()


def _take_serial(conn: Connection, level: str | None) -> tuple[str, str, int]:
    """Take one serial from the first range (by range_id) that has one left. Returns (range_id, prefix, serial)."""
    query = select(m.RegisteredRange.range_id).order_by(m.RegisteredRange.first_serial, m.RegisteredRange.range_id)
    if level:
        query = query.where(m.RegisteredRange.level == level)
    range_ids = list(conn.execute(query).scalars())
    if not range_ids:
        raise RegisteredRangeError(
            f"no registered label range{' of level ' + level if level else ''} is loaded: "
            "add [[registered.ranges]] to landlord.toml (ensure_ranges)")
    for range_id in range_ids:
        taken = conn.execute(
            text("update registered_ranges set next_serial = next_serial + 1 "
                 "where range_id = :range_id and next_serial <= last_serial"),
            {"range_id": range_id},
        ).rowcount
        if taken == 1:
            prefix, serial = conn.execute(
                text("select prefix, next_serial - 1 from registered_ranges where range_id = :range_id"),
                {"range_id": range_id},
            ).one()
            return range_id, prefix, int(serial)
    last = range_ids[-1]
    raise RegisteredRangeError(
        f"registered label range {last} is exhausted"
        + (f" (and {', '.join(range_ids[:-1])})" if len(range_ids) > 1 else "")
        + ": load a new range of labels into landlord.toml")


def _insert_number(conn: Connection, lease_id: str, step: int, period: str, document_id: str | None,
                   level: str | None) -> str:
    range_id, prefix, serial = _take_serial(conn, level)
    number = format_number(prefix, serial)
    conn.execute(m.RegisteredNumber.__table__.insert().values(
        number=number, range_id=range_id, lease_id=lease_id, step=step, period=period,
        document_id=document_id, allocated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    return number


def allocate(conn: Connection, lease_id: str, step: int, period: str, document_id: str | None = None, *,
             level: str | None = None) -> str:
    """The registered number of the letter (lease, step, period): allocated once, then always the same.

    On a connection without an open transaction, it runs and commits its own short transactions and
    retries when a concurrent allocator numbered the same letter first. Inside the caller's transaction,
    the number is committed (or rolled back) with it, and that race surfaces as an IntegrityError.
    """
    if conn.in_transaction():
        number = existing_number(conn, lease_id, step, period)
        return number or _insert_number(conn, lease_id, step, period, document_id, level)
    for _attempt in range(5):
        number = existing_number(conn, lease_id, step, period)
        if conn.in_transaction():
            conn.commit()  # end the read: the write below starts a fresh transaction (SQLite WAL snapshots)
        if number:
            if document_id:
                with conn.begin():
                    conn.execute(update(m.RegisteredNumber)
                                 .where(m.RegisteredNumber.number == number,
                                        m.RegisteredNumber.document_id.is_(None))
                                 .values(document_id=document_id))
            return number
        try:
            with conn.begin():
                number = _insert_number(conn, lease_id, step, period, document_id, level)
            return number
        except IntegrityError:
            continue  # another allocator numbered this letter first; our serial went back with the rollback
    raise RegisteredRangeError(f"lease {lease_id}: could not allocate a registered number (step {step}, {period})")


# --------------------------------------------------------------------------------------------------
# Print order (PLAN.md revision 5): numbers follow the batch's order, so labels come off the roll in sequence
# --------------------------------------------------------------------------------------------------


def serial_of(number: str) -> int:
    """The 10-digit serial of a number (``1A`` + serial + key)."""
    return int(number.replace(" ", "")[2:12])


def number_gaps(numbers: list[str]) -> list[str]:
    """The numbers missing between the lowest and the highest of ``numbers`` (same prefix), in order.

    A gap is a label the mailroom must set aside (a number taken by a letter that failed, or by another
    batch); the cover sheet lists them so the roll can be reconciled.
    """
    clean = [n.replace(" ", "") for n in numbers if n]
    if len(clean) < 2:
        return []
    by_prefix: dict[str, set[int]] = {}
    for n in clean:
        by_prefix.setdefault(n[:2], set()).add(serial_of(n))
    gaps: list[str] = []
    for prefix, serials in by_prefix.items():
        for serial in range(min(serials) + 1, max(serials)):
            if serial not in serials:
                gaps.append(format_number(prefix, serial))
    return gaps
