"""Postal address blocks to NF Z10-011 (La Poste's rules for a window envelope).

The block has at most 6 lines (7 abroad: the country is the last line) of at most 38 characters,
left-aligned, in this order:

1. the addressee (civility, first name, LAST NAME);
2. what is inside the building: apartment, floor, staircase, "chez …";
3. what is outside: building, entrance, residence;
4. number and street;
5. lieu-dit, BP / CS / TSA (distribution service);
6. ``POSTCODE TOWN`` (or ``… CEDEX nn``), in capitals;
7. abroad only: the country, in capitals.

From line 4 on there is no punctuation and no accent (capitals only: La Poste's optical readers). Lines
2–3 are written in capitals too, punctuation allowed. A line longer than 38 characters is shortened with
the standard's abbreviations (street types first — BOULEVARD → BD —, then titles and common words —
GENERAL → GAL, SAINT → ST —, one word at a time, from the right); a line that still does not fit raises
:class:`AddressError` naming the lease and the line. A line is never cut silently.

The landlord's data gives up to three free address lines; each is sorted into its NF Z10-011 line by what
it starts with (a number or a street type → line 4, ``APT``/``ETAGE``/``ESC`` → line 2, ``BAT``/
``RESIDENCE`` → line 3, ``BP``/``LIEU-DIT`` → line 5); an unrecognised line keeps its place relative to the
street line (before it → line 3, after it → line 5).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_LINES = 6
MAX_LINES_ABROAD = 7
MAX_CHARS = 38

# Street types, AFNOR NF Z10-011 / La Poste list (checked against INSEE RIL's table of the standard's
# abbreviations: ALL, AV, BD, CAR, CHE, MTE, PAS, PL, PLN, PLT, …). Multi-word keys first.
STREET_TYPES: dict[str, str] = {
    "ANCIEN CHEMIN": "ACH", "ANCIENNE ROUTE": "ART", "CHEMIN COMMUNAL": "CC",
    "CHEMIN DEPARTEMENTAL": "CD", "CHEMIN VICINAL": "CV", "GRANDE RUE": "GR", "NOUVELLE ROUTE": "NTE",
    "PETITE AVENUE": "PAE", "PETIT CHEMIN": "PCH", "PETITE ROUTE": "PRT", "PETITE RUE": "PTR",
    "ROND POINT": "RPT", "TERRE PLEIN": "TPL", "CENTRE COMMERCIAL": "CCAL", "ZONE INDUSTRIELLE": "ZI",
    "ZONE ARTISANALE": "ZA", "LIEU DIT": "LD",
    "ALLEE": "ALL", "ARCADE": "ARC", "AVENUE": "AV", "BERGE": "BER", "BOULEVARD": "BD",
    "CARREFOUR": "CAR", "CHAUSSEE": "CHS", "CHEMIN": "CHE", "CITE": "CITE", "CORNICHE": "COR",
    "COURS": "CRS", "DOMAINE": "DOM", "DESCENTE": "DSC", "ECART": "ECA", "ESPLANADE": "ESP",
    "FAUBOURG": "FG", "HAMEAU": "HAM", "HALLE": "HLE", "IMPASSE": "IMP", "LOTISSEMENT": "LOT",
    "MARCHE": "MAR", "MONTEE": "MTE", "PARC": "PARC", "PASSAGE": "PAS", "PASSERELLE": "PLE",
    "PLACE": "PL", "PLAINE": "PLN", "PLATEAU": "PLT", "PORTE": "PTE", "PROMENADE": "PRO",
    "PARVIS": "PRV", "QUARTIER": "QUA", "QUAI": "QUAI", "RESIDENCE": "RES", "RUELLE": "RLE",
    "ROCADE": "ROC", "ROUTE": "RTE", "RUE": "RUE", "SENTIER": "SEN", "SQUARE": "SQ",
    "TRAVERSE": "TRA", "VILLA": "VLA", "VILLAGE": "VLGE", "VOIE": "VOIE",
}

# Titles and common words of street names and complements (same list), abbreviated after the type.
WORDS: dict[str, str] = {
    "SAINT": "ST", "SAINTE": "STE", "GENERAL": "GAL", "MARECHAL": "MAL", "PRESIDENT": "PDT",
    "DOCTEUR": "DR", "PROFESSEUR": "PR", "COMMANDANT": "CDT", "CAPITAINE": "CNE", "LIEUTENANT": "LT",
    "COLONEL": "COL", "ADJUDANT": "ADJ", "AMIRAL": "AMI", "MONSEIGNEUR": "MGR", "MONSIEUR": "M",
    "MADAME": "MME", "MADEMOISELLE": "MLLE", "NOTRE DAME": "ND", "GRAND": "GD", "GRANDE": "GDE",
    "PETIT": "PT", "PETITE": "PTE", "BATIMENT": "BAT", "APPARTEMENT": "APP", "ESCALIER": "ESC",
    "ETAGE": "ETG", "IMMEUBLE": "IMM", "ENTREE": "ENT", "RESIDENCE": "RES", "APPARTEMENTS": "APP",
    "FRERES": "FRS", "SAINTS": "STS", "SAINTES": "STES", "ROUTE": "RTE", "AVENUE": "AV",
    "BOULEVARD": "BD",
}

_INSIDE = re.compile(r"^(APPARTEMENT|APPART|APT|APP|ETAGE|ETG|ESCALIER|ESC|PORTE|LOGEMENT|LOG|CHEZ|C/O|"
                     r"BOITE|BAL|\d+\s*(E|EME|ER|ERE)\s+ETAGE|REZ)\b")
_OUTSIDE = re.compile(r"^(BATIMENT|BAT|BT|RESIDENCE|RES|IMMEUBLE|IMM|ENTREE|ENT|TOUR|CITE|VILLA|"
                      r"ZONE|ZI|ZA|ZAC|CENTRE|CCAL|PAVILLON|BLOC|HALL|ESPACE|DOMAINE|PARC|LE\s|LA\s|LES\s)")
_DELIVERY = re.compile(r"^(BP|B\s*P|CS|TSA|LIEU\s*DIT|LD|HAMEAU|HAM|LIEUDIT|CASE POSTALE|POSTE RESTANTE)\b")
_STREET = re.compile(r"^(\d+\s*(BIS|TER|QUATER|QUINQUIES|[A-Z])?\b|(" +
                     "|".join(sorted((re.escape(k) for k in STREET_TYPES), key=len, reverse=True)) + r")\b)")

_COUNTRY_FRANCE = {"FRANCE", "FR", "FRA", "FRANCE METROPOLITAINE"}


class AddressError(ValueError):
    """An address that cannot be written to NF Z10-011 (names the lease and the line)."""

    def __init__(self, lease_id: str | None, line: str, reason: str):
        self.lease_id, self.line, self.reason = lease_id, line, reason
        super().__init__(f"lease {lease_id}: address line {line!r}: {reason}")


@dataclass(frozen=True)
class AddressBlock:
    lines: tuple[str, ...]
    postcode: str
    town: str
    country: str | None = None      # None = France

    @property
    def is_abroad(self) -> bool:
        return self.country is not None


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE").replace("æ", "ae").replace("ß", "SS")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def postal_upper(text: str) -> str:
    """Capitals, no accent, no punctuation (lines 4–7): ``12, rue de l'Église`` → ``12 RUE DE L EGLISE``."""
    text = strip_accents(_collapse(text)).upper()
    text = re.sub(r"[^A-Z0-9 ]", " ", text)
    return _collapse(text)


def _complement_upper(text: str) -> str:
    """Lines 2–3: capitals without accents; punctuation allowed (but no trailing comma)."""
    return _collapse(strip_accents(_collapse(text)).upper()).strip(" ,;")


def shorten(line: str, *, lease_id: str | None = None, street: bool = True) -> str:
    """Abbreviate ``line`` (already in capitals) word by word until it fits 38 characters.

    Street types are tried first, then titles/common words, each from the right end of the line (the
    street type of ``12 AVENUE DU GENERAL …`` is abbreviated before the general). Raises AddressError
    when it still does not fit.
    """
    if len(line) <= MAX_CHARS:
        return line
    tables = (STREET_TYPES, WORDS) if street else (WORDS,)
    for table in tables:
        for long_form in sorted(table, key=len, reverse=True):
            pattern = re.compile(rf"\b{re.escape(long_form)}\b")
            while len(line) > MAX_CHARS:
                matches = list(pattern.finditer(line))
                if not matches or table[long_form] == long_form:
                    break
                # first occurrence for the street type (it leads the label), last for words
                m_ = matches[0] if table is STREET_TYPES else matches[-1]
                line = line[:m_.start()] + table[long_form] + line[m_.end():]
            if len(line) <= MAX_CHARS:
                return line
    if street:
        line = drop_articles(line)
    if len(line) > MAX_CHARS:
        raise AddressError(lease_id, line, f"{len(line)} characters even abbreviated (at most {MAX_CHARS})")
    return line


# La Poste's rules for street labels: after the type and the titles, the articles are removed from the
# label ("DE" alone is kept: it may be a nobiliary particle, part of the name; "DE LA", "DE L'" go).
_ARTICLES = re.compile(r"\b(DE LA|DE L|DES|DU|D|LE|LA|LES|L|AU|AUX)\s+(?=\S)")


def drop_articles(line: str) -> str:
    """``166 RUE DES DROITS DE L HOMME ET DU CITOYEN`` → ``166 RUE DROITS DE HOMME ET CITOYEN``.

    Only the part after the street type and number is touched, and only when the line is too long.
    """
    if len(line) <= MAX_CHARS:
        return line
    match = _STREET.match(line)
    head_end = 0
    while match and match.end() > head_end:  # skip "12 BIS", then the street type
        head_end = match.end()
        match = _STREET.match(line, head_end + 1) if head_end < len(line) else None
    head, tail = line[:head_end], line[head_end:]
    return _collapse(head + _ARTICLES.sub("", tail))


def name_line(holders: Sequence[dict], *, lease_id: str | None = None) -> list[str]:
    """Line 1 (and 2 when two holders do not fit on one line) from the living holders.

    ``holders``: dicts with civility, first_name, last_name. Mme Nadia DURAND; M. et Mme DURAND when they
    share a name; otherwise both, shortened to initials of the first names if needed.
    """
    if not holders:
        raise AddressError(lease_id, "", "no living holder to address the letter to")

    def full(h, initial=False):
        first = _collapse(h.get("first_name") or "")
        if initial and first:
            first = first[0].upper() + "."
        parts = [_collapse(h.get("civility") or ""), first, _collapse(h.get("last_name") or "").upper()]
        return " ".join(p for p in parts if p)

    def civ_last(h):
        return " ".join(p for p in (_collapse(h.get("civility") or ""), _collapse(h["last_name"]).upper()) if p)

    if len(holders) == 1:
        for text in (full(holders[0]), full(holders[0], initial=True), civ_last(holders[0])):
            if len(text) <= MAX_CHARS:
                return [text]
        raise AddressError(lease_id, full(holders[0]), f"name longer than {MAX_CHARS} characters")
    lasts = {_collapse(h["last_name"]).upper() for h in holders}
    if len(lasts) == 1 and len(holders) == 2:
        civs = [(_collapse(h.get("civility") or "")) for h in holders]
        if all(civs):
            text = f"{civs[0]} et {civs[1]} {lasts.pop()}"
            if len(text) <= MAX_CHARS:
                return [text]
    for initial in (False, True):
        text = " et ".join(full(h, initial) for h in holders)
        if len(text) <= MAX_CHARS:
            return [text]
    text = " et ".join(civ_last(h) for h in holders)
    if len(text) <= MAX_CHARS:
        return [text]
    lines = []
    for h in holders[:2]:
        for candidate in (full(h), full(h, True), civ_last(h)):
            if len(candidate) <= MAX_CHARS:
                lines.append(candidate)
                break
        else:
            raise AddressError(lease_id, full(h), f"name longer than {MAX_CHARS} characters")
    if len(holders) > 2:
        lines[-1] = lines[-1] if len(lines[-1]) + 10 > MAX_CHARS else lines[-1] + " et autres"
    return lines


def _classify(line: str, seen_street: bool) -> int:
    if _DELIVERY.match(line):
        return 5
    if _INSIDE.match(line):
        return 2
    if _STREET.match(line) and not seen_street:
        return 4
    if _OUTSIDE.match(line):
        return 3
    return 5 if seen_street else 3


def address_block(name_lines: Sequence[str], address_lines: Sequence[str | None], postcode: str | None,
                  city: str | None, country: str | None = None, *, lease_id: str | None = None) -> AddressBlock:
    """Build the NF Z10-011 block; raises AddressError (lease, line) when it cannot be made valid."""
    country_norm = postal_upper(country or "")
    abroad = bool(country_norm) and country_norm not in _COUNTRY_FRANCE
    postcode = _collapse(postcode or "").replace(" ", "") if not abroad else _collapse(postcode or "")
    city = _collapse(city or "")
    if not city:
        raise AddressError(lease_id, "", "town is missing")

    ranked: list[tuple[int, int, str]] = []
    seen_street = False
    for i, raw in enumerate(a for a in address_lines if a and _collapse(a)):
        probe = postal_upper(raw)
        rank = _classify(probe, seen_street)
        seen_street = seen_street or rank == 4
        ranked.append((rank, i, raw))
    if not ranked:
        raise AddressError(lease_id, "", "no street, lieu-dit or PO box line")
    ranked.sort()

    lines: list[str] = []
    for text in name_lines:
        if len(text) > MAX_CHARS:
            raise AddressError(lease_id, text, f"{len(text)} characters (at most {MAX_CHARS})")
        lines.append(text)
    for rank, _i, raw in ranked:
        if rank in (2, 3):
            text = shorten(_complement_upper(raw), lease_id=lease_id, street=False)
        else:
            text = shorten(postal_upper(raw), lease_id=lease_id, street=True)
        if text:
            lines.append(text)

    if abroad:
        town_line = postal_upper(f"{postcode} {city}" if postcode else city)
    else:
        if not re.fullmatch(r"\d{5}", postcode):
            raise AddressError(lease_id, f"{postcode} {city}".strip(), "postcode must be 5 digits in France")
        town_line = postal_upper(f"{postcode} {city}")
    if len(town_line) > MAX_CHARS:
        town_line = shorten(town_line, lease_id=lease_id, street=False)
    lines.append(town_line)
    if abroad:
        lines.append(shorten(country_norm, lease_id=lease_id, street=False))

    limit = MAX_LINES_ABROAD if abroad else MAX_LINES
    if len(lines) > limit:
        raise AddressError(lease_id, " / ".join(lines), f"{len(lines)} lines (at most {limit})")
    return AddressBlock(lines=tuple(lines), postcode=postcode, town=postal_upper(city),
                        country=country_norm if abroad else None)
