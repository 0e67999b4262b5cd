"""Convocations propose an appointment: a 30-minute slot in the agency's reception hours, on a business day 7 to
14 days after D, never two tenants in one officer's slot (across runs too), recorded as an `appointment`
action, and written per officer as an iCalendar file that parses; a re-run keeps the slots."""

from __future__ import annotations

import datetime as dt
import re

from arrears.act.appointments import appointments_for, write_calendars
from arrears.config.landlord import load_landlord
from arrears.core import models as m
from arrears.core.calendar import is_business_day
from arrears.decide.decision import Decision, LetterOrder
from arrears.documents.letters import render_letters
from factories import Portfolio
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select, text

D = dt.date(2025, 9, 5)   # a Friday: D + 7 = Friday 12, D + 14 = Friday 19 September


def pdf_text(path) -> str:
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages))


def convocation(lease_id: str, period: str = "2025-09", as_of: dt.date = D) -> Decision:
    return Decision(lease_id=lease_id, step=3, step_id="large_balances", period=period, as_of=as_of, profile="P0",
                    letter=LetterOrder("convocation"))


def in_reception_hours(start: dt.datetime, end: dt.datetime) -> bool:
    periods = [("08:30", "12:00"), ("13:30", "17:00")]   # landlord.toml: Monday to Friday, the same hours
    if start.weekday() > 4 or end - start != dt.timedelta(minutes=30):
        return False
    return any(start.strftime("%H:%M") >= a and end.strftime("%H:%M") <= b for a, b in periods)


def test_forty_convocations_two_officers_distinct_slots_ics_and_rerun(engine, tmp_path):
    p = Portfolio(engine)
    p.session.add(m.Staff(staff_id="S2", agency_id="A1", role="recovery_officer", first_name="Marc",
                          last_name="Roux", phone="04 72 00 00 12"))
    p.session.flush()
    # an appointment an earlier run (August's step 3) gave S1 on D + 7 at 8:30: taken across runs
    p.lease("OLD")
    p.monthly("OLD", "2025-06", 4)
    p.session.add(m.Appointment(appointment_id="RDV-OLD", lease_id="OLD", step=3, period="2025-08", staff_id="S1",
                                agency_id="A1", starts_at=dt.datetime(2025, 9, 12, 8, 30),
                                ends_at=dt.datetime(2025, 9, 12, 9, 0), created_at=dt.datetime(2025, 8, 5)))
    ids = []
    for i in range(40):
        lease_id = f"C{i:02d}"
        p.lease(lease_id, officer_id="S1" if i % 2 else "S2")
        p.monthly(lease_id, "2025-01", 9)
        ids.append(lease_id)
    p.commit()

    first = render_letters(engine, [convocation(x) for x in ids], tmp_path / "run1", batch_size=20)
    assert first.failures == []
    with engine.connect() as conn:
        slots = appointments_for(conn, ids, step=3, period="2025-09")
        actions = {r.lease_id: r for r in conn.execute(
            select(m.Action.__table__).where(m.Action.kind == "appointment", m.Action.period == "2025-09"))}
    assert len(slots) == 40
    keys = {(s.staff_id, s.starts_at) for s in slots.values()}
    assert len(keys) == 40                                               # no officer has two tenants at once
    assert ("S1", dt.datetime(2025, 9, 12, 8, 30)) not in keys            # the earlier run's slot stays taken
    for lease_id, s in slots.items():
        assert s.staff_id == ("S1" if int(lease_id[1:]) % 2 else "S2")
        assert D + dt.timedelta(days=7) <= s.day <= D + dt.timedelta(days=14) and is_business_day(s.day)
        assert in_reception_hours(s.starts_at, s.ends_at), s
        # recorded as an appointment action: on the slot's date, the time in the comment, not yet a contact
        a = actions[lease_id]
        assert a.done_on == s.day and a.staff_id == s.staff_id and a.outcome == "scheduled"
        assert f"{s.starts_at:%H:%M}-{s.ends_at:%H:%M}" in a.comment
    # the letter proposes that slot
    letter = next(r for r in first.rendered if r.lease_id == "C00")
    body = pdf_text(letter.path)
    s = slots["C00"]
    assert f"{s.starts_at.day} septembre 2025 à {s.starts_at.hour} h" in body
    assert "vendredi 12 septembre 2025 à 8 h 30" in body                 # S2's first slot
    assert "30 minutes" in body and "l'agence Centre" in body and "Agence Agence" not in body

    # per officer, an .ics that parses and holds exactly that officer's slots
    with engine.connect() as conn:
        paths = write_calendars(conn, 3, "2025-09", tmp_path / "ics", landlord=load_landlord())
    assert sorted(x.name for x in paths) == ["rendez_vous_2025-09_S1.ics", "rendez_vous_2025-09_S2.ics"]  # no run date given: the period
    for path in paths:
        staff = path.stem.rsplit("_", 1)[1]
        cal = Calendar.from_ical(path.read_bytes())
        events = list(cal.walk("VEVENT"))
        assert len(events) == 20
        got = {(e.decoded("dtstart").replace(tzinfo=None), str(e["summary"])) for e in events}
        want = {(x.starts_at, f"RDV impayé — bail {x.lease_id}") for x in slots.values() if x.staff_id == staff}
        assert got == want
        assert all(e.decoded("dtstart").tzinfo is not None for e in events)   # Europe/Paris, with its VTIMEZONE
        assert list(cal.walk("VTIMEZONE"))
        assert "Durand" not in path.read_text(encoding="utf-8")                # no tenant name in a calendar
        assert path.stat().st_mode & 0o077 == 0

    # a re-run of the step keeps every slot and records no second action
    second = render_letters(engine, [convocation(x) for x in ids], tmp_path / "run2", batch_size=20)
    assert second.failures == []
    with engine.connect() as conn:
        again = appointments_for(conn, ids, step=3, period="2025-09")
        n_actions = conn.execute(text("select count(*) from actions where kind = 'appointment'")).scalar()
        n_slots = conn.execute(text("select count(*) from appointments")).scalar()
    assert {k: (v.staff_id, v.starts_at) for k, v in again.items()} == {
        k: (v.staff_id, v.starts_at) for k, v in slots.items()}
    assert n_actions == 40 and n_slots == 41


def test_dry_run_previews_a_slot_and_keeps_nothing(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    p.lease("C1")
    p.monthly("C1", "2025-01", 9)
    p.commit()
    result = render_letters(sqlite_engine, [convocation("C1")], tmp_path, dry_run=True)
    assert result.failures == []
    assert "vendredi 12 septembre 2025 à 8 h 30" in pdf_text(result.rendered[0].path)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("select count(*) from appointments")).scalar() == 0
        assert conn.execute(text("select count(*) from actions")).scalar() == 0
