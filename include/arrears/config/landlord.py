"""The landlord's identity (``include/landlord.toml``): loaded once, validated, handed to the letters.

Every error names the key (``landlord.toml: payment.iban: checksum fails``), so a landlord fixing its own
file knows where to look. ``ARREARS_LANDLORD`` points at another file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arrears.core.settings import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "include" / "landlord.toml"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
LEVELS = ("R1", "R2", "R3")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# what the data-protection notice must name (RGPD art. 13; PLAN.md "Letters", revision 5)
NOTICE_MUST_NAME = ("CAF", "CCAPEX", "commissaire de justice", "Banque de France", "CNIL")

Hours = tuple[tuple[tuple[dt.time, dt.time], ...], ...]   # per weekday (Monday first): the open periods


class LandlordError(ValueError):
    """landlord.toml is missing a key or holds an invalid value (the message names the key)."""


@dataclass(frozen=True)
class RegisteredRangeConfig:
    range_id: str
    prefix: str
    first_serial: int
    last_serial: int
    level: str = "R1"


@dataclass(frozen=True)
class Landlord:
    name: str
    short_name: str
    legal_form: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    phone: str
    email: str
    website: str
    siret: str
    ape: str
    place: str
    logo: str
    iban: str
    bic: str
    bank: str
    payee: str
    pay_online: str
    cheque_to: str
    signatory_name: str
    signatory_title: str
    address_left_mm: float
    address_top_mm: float
    address_width_mm: float
    address_height_mm: float
    offset_x_mm: float
    offset_y_mm: float
    help: dict[str, str] = field(default_factory=dict)
    email_domain: str = ""
    reception: Hours = ((), (), (), (), (), (), ())
    agency_reception: dict[str, Hours] = field(default_factory=dict)
    data_protection_notice: str = ""
    registered_level: str = "R1"
    acknowledgement: bool = True
    ranges: tuple[RegisteredRangeConfig, ...] = ()
    source: str = ""
    mailroom_email: str = ""          # [mailroom] email: the mailroom's message after each run

    @property
    def iban_display(self) -> str:
        """``FR07 9999 9006 …`` in groups of four, as printed on a bank form."""
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))

    @property
    def siret_display(self) -> str:
        s = self.siret
        return f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"

    def hours_of(self, agency_id: str | None) -> Hours:
        """The reception hours of an agency (its own table, else the landlord's)."""
        return self.agency_reception.get(agency_id or "", self.reception)

    def reception_hours_text(self, agency_id: str | None = None) -> str:
        """``du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h`` (days with the same hours grouped)."""
        hours = self.hours_of(agency_id)
        groups: list[tuple[int, int, tuple]] = []
        for day, periods in enumerate(hours):
            if not periods:
                continue
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == periods:
                groups[-1] = (groups[-1][0], day, periods)
            else:
                groups.append((day, day, periods))
        parts = []
        for first, last, periods in groups:
            if first == last:
                days = f"le {WEEKDAYS_FR[first]}"
            elif last == first + 1:
                days = f"le {WEEKDAYS_FR[first]} et le {WEEKDAYS_FR[last]}"
            else:
                days = f"du {WEEKDAYS_FR[first]} au {WEEKDAYS_FR[last]}"
            spans = " et ".join(f"de {_time_fr(a)} à {_time_fr(b)}" for a, b in periods)
            parts.append(f"{days}, {spans}")
        return " ; ".join(parts)

    def to_context(self) -> dict[str, Any]:
        """Plain values for the templates."""
        data = asdict(self)
        data.pop("ranges")
        data.pop("reception")
        data.pop("agency_reception")
        data.update(reception_hours=self.reception_hours_text(),
                    iban_display=self.iban_display, siret_display=self.siret_display,
                    address_left=self.address_left_mm + self.offset_x_mm,
                    address_top=self.address_top_mm + self.offset_y_mm)
        return data


def _time_fr(t: dt.time) -> str:
    """``8 h 30``, ``12 h`` (no-break spaces: never split across lines)."""
    return f"{t.hour}\u00a0h" + (f"\u00a0{t.minute:02d}" if t.minute else "")


def _hours(table: Any, key: str) -> Hours:
    """Validate a weekday -> ["HH:MM-HH:MM", ...] table."""
    if not isinstance(table, dict):
        raise LandlordError(f"{key}: expected a table of weekdays")
    unknown = [k for k in table if k not in WEEKDAYS and k != "agencies"]
    if unknown:
        raise LandlordError(f"{key}.{unknown[0]}: not a weekday (expected {', '.join(WEEKDAYS)})")
    out = []
    for day in WEEKDAYS:
        raw = table.get(day, [])
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise LandlordError(f"{key}.{day}: expected a list of \"HH:MM-HH:MM\" periods")
        periods = []
        for item in raw:
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", item)
            if not match:
                raise LandlordError(f"{key}.{day}: {item!r} is not a period \"HH:MM-HH:MM\"")
            h1, m1, h2, m2 = map(int, match.groups())
            try:
                start, end = dt.time(h1, m1), dt.time(h2, m2)
            except ValueError:
                raise LandlordError(f"{key}.{day}: {item!r} is not a time of day") from None
            if start >= end:
                raise LandlordError(f"{key}.{day}: {item!r} ends before it starts")
            if periods and start < periods[-1][1]:
                raise LandlordError(f"{key}.{day}: {item!r} overlaps the period before (list them in order)")
            periods.append((start, end))
        out.append(tuple(periods))
    if not any(out):
        raise LandlordError(f"{key}: no opening period on any weekday")
    return tuple(out)


def _reception(data: dict) -> tuple[Hours, dict[str, Hours]]:
    table = _get(data, "reception")
    default = _hours(table, "reception")
    agencies = table.get("agencies", {})
    if not isinstance(agencies, dict):
        raise LandlordError("reception.agencies: expected [reception.agencies.<agency_id>] tables")
    return default, {str(k): _hours(v, f"reception.agencies.{k}") for k, v in agencies.items()}


def _get(data: dict, dotted: str, *, required: bool = True, default: Any = "") -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            if required:
                raise LandlordError(f"{dotted}: missing")
            return default
        node = node[part]
    return node


def _text(data: dict, dotted: str, *, required: bool = True) -> str:
    value = _get(data, dotted, required=required)
    if not isinstance(value, str):
        raise LandlordError(f"{dotted}: expected text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise LandlordError(f"{dotted}: empty")
    return value


def _number(data: dict, dotted: str, lo: float, hi: float) -> float:
    value = _get(data, dotted)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LandlordError(f"{dotted}: expected a number of millimetres")
    if not lo <= value <= hi:
        raise LandlordError(f"{dotted}: {value} is outside [{lo}, {hi}] mm")
    return float(value)


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check (mod 97 = 1)."""
    iban = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def luhn_is_valid(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _ranges(data: dict) -> tuple[RegisteredRangeConfig, ...]:
    raw = _get(data, "registered.ranges", required=False, default=[])
    if not isinstance(raw, list):
        raise LandlordError("registered.ranges: expected a list of [[registered.ranges]] tables")
    ranges = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = f"registered.ranges[{i}]"
        if not isinstance(item, dict):
            raise LandlordError(f"{key}: expected a table")
        range_id = str(item.get("range_id") or "").strip()
        prefix = str(item.get("prefix") or "").strip()
        first, last = item.get("first_serial"), item.get("last_serial")
        level = str(item.get("level") or "R1")
        if not range_id:
            raise LandlordError(f"{key}.range_id: missing")
        if range_id in seen:
            raise LandlordError(f"{key}.range_id: {range_id!r} appears twice")
        seen.add(range_id)
        if not re.fullmatch(r"[0-9A-Z]{2}", prefix):
            raise LandlordError(f"{key}.prefix: expected 2 characters (digits or capitals), got {prefix!r}")
        for name, value in (("first_serial", first), ("last_serial", last)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9_999_999_999:
                raise LandlordError(f"{key}.{name}: expected an integer of at most 10 digits")
        if first > last:
            raise LandlordError(f"{key}: first_serial {first} is after last_serial {last}")
        if level not in LEVELS:
            raise LandlordError(f"{key}.level: expected one of {', '.join(LEVELS)}, got {level!r}")
        ranges.append(RegisteredRangeConfig(range_id, prefix, first, last, level))
    for a in ranges:
        for b in ranges:
            if a is not b and a.prefix == b.prefix and a.first_serial <= b.last_serial and b.first_serial <= a.last_serial:
                raise LandlordError(f"registered.ranges: {a.range_id} and {b.range_id} overlap")
    return tuple(ranges)


def parse_landlord(data: dict, source: str = "landlord.toml") -> Landlord:
    """Validate the parsed TOML ``data``; raise LandlordError naming the key."""
    try:
        iban = _text(data, "payment.iban").replace(" ", "").upper()
        if not iban_is_valid(iban):
            raise LandlordError("payment.iban: not a valid IBAN (ISO 13616 checksum fails)")
        bic = _text(data, "payment.bic").upper()
        if not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
            raise LandlordError(f"payment.bic: not a BIC: {bic!r}")
        siret = _text(data, "landlord.siret").replace(" ", "")
        if not re.fullmatch(r"\d{14}", siret) or not luhn_is_valid(siret):
            raise LandlordError("landlord.siret: expected 14 digits passing the Luhn check")
        postcode = _text(data, "landlord.postcode")
        if not re.fullmatch(r"\d{5}", postcode):
            raise LandlordError(f"landlord.postcode: expected 5 digits, got {postcode!r}")
        logo = _text(data, "landlord.logo")
        logo_path = (TEMPLATES_DIR / logo).resolve()
        if not logo_path.is_relative_to(TEMPLATES_DIR.resolve()) or not logo_path.is_file():
            raise LandlordError(f"landlord.logo: no file {logo!r} under templates/")
        level = _text(data, "registered.level", required=False) or "R1"
        if level not in LEVELS:
            raise LandlordError(f"registered.level: expected one of {', '.join(LEVELS)}, got {level!r}")
        help_table = _get(data, "help")
        if not isinstance(help_table, dict):
            raise LandlordError("help: expected a table")
        help_ = {}
        for key in ("fsl_name", "fsl_contact", "caf_name", "caf_contact", "adil_name", "adil_contact"):
            help_[key] = _text(data, f"help.{key}")
        email = _text(data, "landlord.email", required=False)
        email_domain = _text(data, "landlord.email_domain").lower().lstrip("@")
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", email_domain):
            raise LandlordError(f"landlord.email_domain: not a domain name: {email_domain!r}")
        if email and not email.lower().endswith("@" + email_domain):
            raise LandlordError(f"landlord.email: {email!r} is not on landlord.email_domain ({email_domain})")
        reception, agency_reception = _reception(data)
        notice = " ".join(_text(data, "data_protection.notice").split())
        missing = [word for word in NOTICE_MUST_NAME if word.lower() not in notice.lower()]
        if missing:
            raise LandlordError(f"data_protection.notice: must name {', '.join(missing)} (recipients, the CNIL)")
        ack = _get(data, "registered.acknowledgement", required=False, default=True)
        if not isinstance(ack, bool):
            raise LandlordError("registered.acknowledgement: expected true or false")
        return Landlord(
            name=_text(data, "landlord.name"),
            short_name=_text(data, "landlord.short_name", required=False) or _text(data, "landlord.name"),
            legal_form=_text(data, "landlord.legal_form"),
            address_line1=_text(data, "landlord.address_line1"),
            address_line2=_text(data, "landlord.address_line2", required=False),
            postcode=postcode,
            city=_text(data, "landlord.city"),
            phone=_text(data, "landlord.phone"),
            email=email,
            website=_text(data, "landlord.website", required=False),
            siret=siret,
            ape=_text(data, "landlord.ape", required=False),
            place=_text(data, "landlord.place"),
            logo=logo,
            iban=iban,
            bic=bic,
            bank=_text(data, "payment.bank", required=False),
            payee=_text(data, "payment.payee", required=False) or _text(data, "landlord.name"),
            pay_online=_text(data, "payment.online", required=False),
            cheque_to=_text(data, "payment.cheque_to", required=False),
            signatory_name=_text(data, "signatory.name"),
            signatory_title=_text(data, "signatory.title"),
            address_left_mm=_number(data, "envelope.address_left_mm", 0, 150),
            address_top_mm=_number(data, "envelope.address_top_mm", 0, 120),
            address_width_mm=_number(data, "envelope.address_width_mm", 60, 110),
            address_height_mm=_number(data, "envelope.address_height_mm", 20, 60),
            offset_x_mm=_number(data, "envelope.offset_x_mm", -30, 30),
            offset_y_mm=_number(data, "envelope.offset_y_mm", -30, 30),
            help=help_,
            email_domain=email_domain,
            reception=reception,
            agency_reception=agency_reception,
            data_protection_notice=notice,
            registered_level=level,
            acknowledgement=ack,
            ranges=_ranges(data),
            source=source,
            mailroom_email=_text(data, "mailroom.email", required=False),
        )
    except LandlordError as exc:
        raise LandlordError(f"{source}: {exc}") from None


def load_landlord(path: str | Path | None = None) -> Landlord:
    """Load and validate the landlord file (default: ``ARREARS_LANDLORD`` or ``include/landlord.toml``)."""
    path = Path(path or os.environ.get("ARREARS_LANDLORD") or DEFAULT_PATH)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise LandlordError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise LandlordError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_landlord(data, source=path.name)
