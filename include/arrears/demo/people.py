"""Synthetic people, addresses and the base lease of the demo portfolio (no real person)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from arrears.demo import words as W
from arrears.demo.builder import (
    Builder,
    DemoCalendar,
    LeaseDraft,
)

# --------------------------------------------------------------------------------------------------
# People, addresses, amounts
# --------------------------------------------------------------------------------------------------


def _digits(r: random.Random, n: int) -> str:
    return " ".join(f"{r.randint(0, 99):02d}" for _ in range(n))


def _phone(r: random.Random, kind: str) -> str:
    if kind == "mobile":
        return f"06 39 98 {_digits(r, 2)}" if r.random() < 0.7 else f"07 {_digits(r, 4)}"
    return f"04 65 71 {_digits(r, 2)}"


def _street(r: random.Random) -> str:
    kinds = [k for k, _ in W.STREET_TYPES_WEIGHTED]
    weights = [w for _, w in W.STREET_TYPES_WEIGHTED]
    number = r.randint(1, 180)
    suffix = " bis" if r.random() < 0.04 else (" ter" if r.random() < 0.01 else "")
    return f"{number}{suffix} {r.choices(kinds, weights)[0]} {r.choice(W.STREET_NAMES)}"


def _line2(r: random.Random) -> str:
    flat = f"Appartement {r.randint(1, 12)}{r.randint(0, 2)}{r.randint(1, 9)}"
    parts = [flat]
    if r.random() < 0.5:
        parts.append(f"escalier {r.randint(1, 6)}")
    if r.random() < 0.4:
        floor = r.randint(1, 14)
        parts.append("1er étage" if floor == 1 else f"{floor}e étage")
    return ", ".join(parts)


def _line3(r: random.Random) -> str | None:
    residence = r.choice(W.RESIDENCES)
    roll = r.random()
    if roll < 0.35:
        return f"Bâtiment {r.choice(W.BUILDINGS)} - {residence}"
    if roll < 0.7:
        return residence
    return f"Bâtiment {r.choice(W.BUILDINGS)}"


def _email(r: random.Random, first: str, last: str) -> str:
    import unicodedata

    def ascii_(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    return f"{ascii_(first)}.{ascii_(last)}{r.randint(1, 99)}@{r.choice(W.EMAIL_DOMAINS)}"


def _tenant(r: random.Random, lease_id: str, last_name: str | None, is_holder: bool,
            sex: str | None = None) -> dict[str, Any]:
    sex = sex or r.choice("FM")
    first = r.choice(W.FIRST_NAMES_F if sex == "F" else W.FIRST_NAMES_M)
    last = last_name or r.choice(W.LAST_NAMES)
    return {
        "lease_id": lease_id, "is_holder": is_holder, "civility": W.CIVILITY[sex], "first_name": first,
        "last_name": last, "phone_mobile": _phone(r, "mobile") if r.random() < 0.9 else None,
        "phone_home": _phone(r, "home") if r.random() < 0.2 else None,
        "phone_work": _phone(r, "work") if is_holder and r.random() < 0.15 else None,
        "email": _email(r, first, last) if r.random() < 0.55 else None, "is_deceased": False,
    }


def _household(r: random.Random, lease_id: str) -> list[dict[str, Any]]:
    first = _tenant(r, lease_id, None, True)
    people = [first]
    if r.random() < 0.4:  # a couple; most share a name
        sex = "M" if first["civility"] == "Mme" else "F"
        people.append(_tenant(r, lease_id, first["last_name"] if r.random() < 0.7 else None, True, sex))
    if r.random() < 0.12:  # an adult child living there, not a signatory
        people.append(_tenant(r, lease_id, first["last_name"], False))
    return people


_ANY_START = ("normal", "new_entrant", "new_entrant_fragile", "future_lease")


def _base_lease(r: random.Random, cal: DemoCalendar, lease_id: str, agency: tuple, archetype: str,
                staff: dict[str, dict[str, list[str]]]) -> tuple[LeaseDraft, Builder]:
    agency_id = agency[0]
    postcode, city = r.choice(agency[7])
    rooms = r.choices((1, 2, 3, 4, 5), (12, 25, 33, 22, 8))[0]
    rent = r.randint(*((300, 420), (360, 520), (430, 650), (500, 760), (580, 800))[rooms - 1]) * 100
    charges = r.randint(50 + 20 * (rooms - 1), 110 + 22 * (rooms - 1)) * 100
    years_back = min(30.0, r.expovariate(1 / 7))
    start = cal.month + dt.timedelta(days=14) - dt.timedelta(days=int(years_back * 365.25))
    if archetype not in _ANY_START and start > cal.m(-20):  # archetypes need a history behind them
        start = cal.m(-20) - dt.timedelta(days=r.randint(0, 4000))
    start = start.replace(day=1) if r.random() < 0.6 else start
    income = round(r.triangular(700, 3400, 1100)) * 100
    p_benefit = 0.9 if income < 140_000 else (0.5 if income < 200_000 else (0.2 if income < 260_000 else 0.03))
    benefit, to_landlord = 0, False
    if r.random() < p_benefit:
        benefit = min(r.randint(120, 420) * 100, rent + charges - 12_000)
        to_landlord = r.random() < 0.85
    officers = staff[agency_id]["recovery_officer"]
    counsellors = staff[agency_id]["social_counsellor"]
    d = LeaseDraft(
        lease_id=lease_id, archetype=archetype, agency_id=agency_id, officer_id=r.choice(officers),
        counsellor_id=r.choice(counsellors), start_on=start, address_line1=_street(r),
        address_line2=_line2(r) if r.random() < 0.75 else None,
        address_line3=_line3(r) if r.random() < 0.7 else None, postcode=postcode, city=city,
        rent_cents=rent, charges_cents=charges, benefit_cents=benefit, benefit_to_landlord=to_landlord,
        income_cents=None if r.random() < 0.05 else income,
    )
    d.tenants = _household(r, lease_id)
    b = Builder(d, cal, r, officers)
    method = r.choices(("direct_debit", "transfer", "cheque", "cash", "card", "other"), (50, 30, 6, 3, 9, 2))[0]
    if method == "direct_debit":
        if r.random() < 0.85:
            b.set_method(method, "dd1", 1)
        else:
            b.set_method(method, "dd", r.choice((5, 10)))
    elif method == "transfer" and r.random() < 0.55:
        b.set_method(method, "advance", r.randint(24, 28))
    elif method == "card":
        b.set_method(method, "after", r.randint(1, 6))
    else:
        b.set_method(method, "after", r.randint(2, 12))
    if archetype == "normal" and benefit == 0 and income > 230_000 and r.random() < 0.3:
        d.sls_status = "answered"
        b.sls_cents = r.randint(10, 90) * 100
        b.sls_from = cal.history_start
    b.bill_all()
    return d, b
