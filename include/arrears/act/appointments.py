"""Appointments proposed by convocations (PLAN.md "Letters", revision 5).

A convocation proposes a slot of ``appointment_minutes`` (plan file, ``[letters]``) inside the agency's
reception hours (landlord file, ``[reception]``), on a business day from D + ``appointment_min_days`` to
D + ``appointment_max_days``, with the lease's recovery officer. The slot is chosen when the letter is
rendered and kept in the ``appointments`` table:

- one slot per (lease, step, period): a re-run of the step finds the slot it gave (same letter, same time);
- never two tenants in one officer's slot, across runs too (unique key on (officer, start), and an overlap
  check against every slot already given to that officer);
- it is recorded at once as an ``appointment`` action: ``done_on`` = the slot's date, ``outcome`` =
  ``scheduled``, ``staff_id`` = the officer, ``comment`` = ``RDV 2025-09-16 09:00-09:30 …`` (the time the
  worklist reads; :func:`appointments_for` gives the same as data);
- per officer, :func:`write_calendars` writes an iCalendar file (RFC 5545, ``icalendar`` library) that
  Outlook and Thunderbird import; each event's UID is stable, so importing a newer file updates, never
  duplicates.

A dry run only previews a slot (:func:`preview`): nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from arrears.core import models as m
from arrears.core.calendar import is_business_day
from arrears.core.files import ensure_dir, write_atomic

ACTION_KIND = "appointment"
ACTION_OUTCOME = "scheduled"   # not a contact yet: the officer records reached / no_show afterwards
TIMEZONE = "Europe/Paris"


class AppointmentError(RuntimeError):
    """No free slot is left in the window (the message names the lease and the officer)."""


@dataclass(frozen=True)
class Slot:
    appointment_id: str
    lease_id: str
    staff_id: str
    agency_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.starts_at.date()

    @property
    def time_text(self) -> str:
        """``9 h 30`` — as a letter prints it (no-break spaces)."""
        t = self.starts_at
        return f"{t.hour}\u00a0h" + (f"\u00a0{t.minute:02d}" if t.minute else "")

    @property
    def span(self) -> str:
        """``09:00-09:30``: what the action's comment and the worklist show."""
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def to_context(self) -> dict:
        return {"appointment_id": self.appointment_id, "on": self.day, "time": self.time_text,
                "starts_at": self.starts_at, "ends_at": self.ends_at, "span": self.span,
                "minutes": int((self.ends_at - self.starts_at).total_seconds() // 60)}


def appointment_id(lease_id: str, step: int, period: str) -> str:
    digest = hashlib.sha1(f"{lease_id}|{step}|{period}|appointment".encode()).hexdigest()[:12]
    return f"RDV-{period}-S{step:02d}-{digest}"


def candidate_slots(landlord, agency_id: str, as_of: dt.date, settings, region: str | None = None
                    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every slot of the window in time order: business days D + min .. D + max, inside reception hours."""
    length = dt.timedelta(minutes=settings.appointment_minutes)
    hours = landlord.hours_of(agency_id)
    for offset in range(settings.appointment_min_days, settings.appointment_max_days + 1):
        day = as_of + dt.timedelta(days=offset)
        if not is_business_day(day, region):
            continue
        for start, end in hours[day.weekday()]:
            at = dt.datetime.combine(day, start)
            close = dt.datetime.combine(day, end)
            while at + length <= close:
                yield at, at + length
                at += length


def _row_slot(row) -> Slot:
    return Slot(row.appointment_id, row.lease_id, row.staff_id, row.agency_id, row.starts_at, row.ends_at)


def existing(conn: Connection, lease_id: str, step: int, period: str) -> Slot | None:
    row = conn.execute(select(m.Appointment.__table__).where(
        m.Appointment.lease_id == lease_id, m.Appointment.step == step, m.Appointment.period == period)).first()
    return _row_slot(row) if row else None


def _first_free(conn: Connection, lease_id: str, step: int, period: str, staff_id: str, agency_id: str,
                as_of: dt.date, landlord, settings, region: str | None) -> Slot:
    lo = dt.datetime.combine(as_of, dt.time())
    hi = dt.datetime.combine(as_of + dt.timedelta(days=settings.appointment_max_days + 1), dt.time())
    taken = conn.execute(select(m.Appointment.starts_at, m.Appointment.ends_at).where(
        m.Appointment.staff_id == staff_id, m.Appointment.ends_at > lo, m.Appointment.starts_at < hi)).all()
    for start, end in candidate_slots(landlord, agency_id, as_of, settings, region):
        if all(end <= t.starts_at or start >= t.ends_at for t in taken):
            return Slot(appointment_id(lease_id, step, period), lease_id, staff_id, agency_id, start, end)
    raise AppointmentError(
        f"lease {lease_id}: no free appointment slot for officer {staff_id} between D+"
        f"{settings.appointment_min_days} and D+{settings.appointment_max_days} days (reception hours of "
        f"agency {agency_id})")


def preview(conn: Connection, lease_id: str, step: int, period: str, *, staff_id: str, agency_id: str,
            as_of: dt.date, landlord, settings, region: str | None = None) -> Slot:
    """The slot the letter would propose (dry run): the one already given, else the first free; stores nothing."""
    return existing(conn, lease_id, step, period) or _first_free(
        conn, lease_id, step, period, staff_id, agency_id, as_of, landlord, settings, region)


def action_comment(slot: Slot) -> str:
    return f"RDV {slot.day.isoformat()} {slot.span} agence {slot.agency_id} ({slot.appointment_id})"


def allocate(conn: Connection, lease_id: str, step: int, period: str, *, staff_id: str, agency_id: str,
             as_of: dt.date, landlord, settings, region: str | None = None,
             document_id: str | None = None) -> Slot:
    """The slot of the convocation (lease, step, period): given once, then always the same.

    Runs its own short transactions (the caller's connection must have none open); a concurrent renderer
    that took the same officer's slot first makes the unique key refuse ours, and the next free one is tried.
    """
    from arrears.act.journal import action_id

    if conn.in_transaction():
        conn.commit()
    for _attempt in range(50):
        slot = existing(conn, lease_id, step, period)
        if conn.in_transaction():
            conn.commit()
        if slot is not None:
            return slot
        slot = _first_free(conn, lease_id, step, period, staff_id, agency_id, as_of, landlord, settings, region)
        if conn.in_transaction():
            conn.commit()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        try:
            with conn.begin():
                conn.execute(m.Appointment.__table__.insert().values(
                    appointment_id=slot.appointment_id, lease_id=lease_id, step=step, period=period,
                    staff_id=staff_id, agency_id=agency_id, starts_at=slot.starts_at, ends_at=slot.ends_at,
                    document_id=document_id, created_at=now))
                conn.execute(m.Action.__table__.insert().values(
                    action_id=action_id(lease_id, step, period, ACTION_KIND), lease_id=lease_id,
                    done_on=slot.day, kind=ACTION_KIND, outcome=ACTION_OUTCOME, staff_id=staff_id,
                    comment=action_comment(slot), step=step, period=period, document_id=document_id))
            return slot
        except IntegrityError:
            continue  # the slot (or this letter's appointment) was taken meanwhile: look again
    raise AppointmentError(f"lease {lease_id}: could not allocate an appointment slot (step {step}, {period})")


def appointments_for(conn: Connection, lease_ids: Sequence[str], step: int | None = None,
                     period: str | None = None) -> dict[str, Slot]:
    """The appointment of each lease (the latest one; for a step and period when given): for worklists."""
    out: dict[str, Slot] = {}
    ids = list(lease_ids)
    for i in range(0, len(ids), 500):
        query = select(m.Appointment.__table__).where(m.Appointment.lease_id.in_(ids[i:i + 500]))
        if step is not None:
            query = query.where(m.Appointment.step == step)
        if period is not None:
            query = query.where(m.Appointment.period == period)
        for row in conn.execute(query.order_by(m.Appointment.starts_at)):
            out[row.lease_id] = _row_slot(row)
    return out


def calendar_bytes(slots: Sequence[Slot], *, officer_name: str, landlord, agencies: dict[str, dict]) -> bytes:
    """One VCALENDAR with a VEVENT per slot (times in Europe/Paris, with its VTIMEZONE)."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    tz = ZoneInfo(TIMEZONE)
    cal = Calendar()
    cal.add("prodid", f"-//{landlord.name}//arrears appointments//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Rendez-vous recouvrement — {officer_name}")
    stamp = max((s.starts_at for s in slots), default=dt.datetime(2000, 1, 1)).replace(tzinfo=tz)
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.lease_id)):
        event = Event()
        event.add("uid", f"{slot.appointment_id}@{landlord.email_domain}")
        event.add("dtstamp", stamp.astimezone(dt.UTC))   # stable: a re-run writes the same file
        event.add("dtstart", slot.starts_at.replace(tzinfo=tz))
        event.add("dtend", slot.ends_at.replace(tzinfo=tz))
        # lease id only: the summary shows in notifications and shared calendars (no tenant name)
        event.add("summary", f"RDV impayé — bail {slot.lease_id}")
        agency = agencies.get(slot.agency_id) or {}
        where = ", ".join(x for x in (agency.get("name"), agency.get("address_line1"),
                                      f"{agency.get('postcode', '')} {agency.get('city', '')}".strip()) if x)
        if where:
            event.add("location", where)
        event.add("description", f"Convocation (plan impayés) — bail {slot.lease_id} — {slot.appointment_id}")
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    years = [s.starts_at.year for s in slots] or [2000]
    # the transitions of the slots' years only: a short VTIMEZONE that Outlook and Thunderbird read alike
    cal.add_missing_timezones(first_date=dt.date(min(years), 1, 1), last_date=dt.date(max(years) + 1, 1, 1))
    return cal.to_ical()


def write_calendars(conn: Connection, step: int, period: str, out_dir: str | Path, *, landlord,
                    file_prefix: str = "rendez_vous", run_date: str | None = None) -> list[Path]:
    """Per officer: ``<out_dir>/<file_prefix>_<run date or period>_<staff_id>.ics`` with every slot the step
    gave this month (stable event ids: importing a later file updates the calendar). No run replaces a file
    an earlier run wrote: the same content is kept as it is; different content goes to ``…-2.ics``."""
    rows = conn.execute(select(m.Appointment.__table__).where(
        m.Appointment.step == step, m.Appointment.period == period).order_by(m.Appointment.starts_at)).all()
    if not rows:
        return []
    by_staff: dict[str, list[Slot]] = {}
    for row in rows:
        by_staff.setdefault(row.staff_id, []).append(_row_slot(row))
    staff = {s.staff_id: f"{s.first_name} {s.last_name}" for s in conn.execute(
        select(m.Staff.staff_id, m.Staff.first_name, m.Staff.last_name).where(m.Staff.staff_id.in_(list(by_staff))))}
    agency_ids = sorted({r.agency_id for r in rows})
    agencies = {a.agency_id: dict(a._mapping) for a in conn.execute(
        select(m.Agency.__table__).where(m.Agency.agency_id.in_(agency_ids)))}
    folder = ensure_dir(Path(out_dir))
    paths = []
    for staff_id, slots in sorted(by_staff.items()):
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in staff_id)
        data = calendar_bytes(slots, officer_name=staff.get(staff_id, staff_id), landlord=landlord, agencies=agencies)
        stem, n = f"{file_prefix}_{run_date or period}_{safe}", 1
        path = folder / f"{stem}.ics"
        while path.exists() and path.read_bytes() != data:
            n += 1
            path = folder / f"{stem}-{n}.ics"
        if not path.exists():
            write_atomic(path, data)
        paths.append(path)
    return paths
