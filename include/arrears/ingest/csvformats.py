"""The CSV input conventions of DATA.md: encoding, delimiter, money, dates, booleans.

Each parser takes the stripped text of one cell and returns the stored value, or raises ``ValueProblem``
whose message is the reason a recovery officer reads in the quarantine file. Messages quote only the
offending amount, date or flag, never a name or an address.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

ENCODING_UTF8 = "utf-8-sig"  # also strips a BOM when there is one
ENCODING_CP1252 = "cp1252"
_CHUNK = 1 << 20


class ValueProblem(ValueError):
    """A cell that cannot be read: the message is the reason written to the quarantine file."""


class FileProblem(Exception):
    """A whole file that cannot be read (encoding, header); the message names the problem, not the file."""


# --------------------------------------------------------------------------------------------------
# Encoding and delimiter
# --------------------------------------------------------------------------------------------------


def _decodes(path: Path, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly in ``encoding``; else the offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return False, offset + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return False, offset + exc.start
    return True, -1


# A multi-byte UTF-8 sequence (a BOM included): text a Windows-1252 file practically never contains.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _first_utf8_sequence(path: Path) -> int | None:
    """The byte offset of the first multi-byte UTF-8 sequence of the file, if any."""
    offset, carry = 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            data = carry + chunk
            match = _UTF8_SEQUENCE.search(data)
            if match:
                return offset - len(carry) + match.start()
            carry = data[-3:]
            offset += len(chunk)
    return None


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the file is valid UTF-8 (with or without BOM), else ``cp1252`` when it is valid
    Windows-1252; anything else (bytes undefined in both, NUL bytes of UTF-16) is a ``FileProblem``."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise FileProblem("encoded in UTF-16; expected UTF-8 or Windows-1252")
        fh.seek(0)
        offset = 0
        while chunk := fh.read(_CHUNK):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise FileProblem(f"NUL byte at offset {offset + nul}: not a UTF-8 or Windows-1252 text file")
            offset += len(chunk)
    ok, utf8_bad = _decodes(path, "utf-8")
    if ok:
        return ENCODING_UTF8
    utf8_at = _first_utf8_sequence(path)
    if utf8_at is not None:
        # Windows-1252 would load the UTF-8 part as mojibake ("Ã©") into names that letters print.
        raise FileProblem(
            f"mixes encodings: UTF-8 text (first at byte offset {utf8_at}) and a byte that is not UTF-8 at "
            f"byte offset {utf8_bad}; save the file again in one encoding (UTF-8 or Windows-1252)")
    ok, cp_bad = _decodes(path, ENCODING_CP1252)
    if ok:
        return ENCODING_CP1252
    raise FileProblem(
        f"neither UTF-8 (bad byte at offset {utf8_bad}) nor Windows-1252 (bad byte at offset {cp_bad})"
    )


def detect_delimiter(header_line: str) -> str:
    """``;`` or ``,``: whichever appears more often outside quotes in the header line (``,`` on a tie)."""
    counts = {";": 0, ",": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def stray_quote(raw: str, delimiter: str) -> int | None:
    """The 1-based field of ``raw`` (one CSV record as written, line breaks included) holding a stray
    double quote: inside an unquoted field, after a closing quote, or a quoted field never closed.

    Python's CSV reader keeps such quotes (``Dupont"``) or glues text around them (``"a"b``) silently.
    """
    field, i, n = 1, 0, len(raw)
    at_start, quoted = True, False
    while i < n:
        char = raw[i]
        if quoted:
            if char == '"':
                if i + 1 < n and raw[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
                i += 1
                if i < n and raw[i] not in (delimiter, "\r", "\n"):
                    return field
                continue
            i += 1
            continue
        if char == delimiter:
            field, at_start = field + 1, True
        elif char == '"':
            if not at_start:
                return field
            quoted, at_start = True, False
        elif char not in "\r\n":
            at_start = False
        i += 1
    return field if quoted else None


# --------------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------------

# Spaces that group thousands: ordinary, no-break (U+00A0), narrow no-break (U+202F), thin (U+2009), tab.
_DROP_SPACES = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None, "\t": None,
                              "\u2212": "-"})
_INT_RE = re.compile(r"[+-]?[0-9]+")
# ±10^10 cents (100 million euros): far beyond any rent, and every sum of a portfolio's amounts stays
# inside a 64-bit integer (9 223 372 036 854 775 807 used to load, then every step overflowed).
MAX_CENTS = 10**10
_MAX_CENTS = MAX_CENTS
# Dates a landlord's data can hold; 0001-01-01 or 9999-12-31 are placeholders, not dates.
MIN_YEAR, MAX_YEAR = 1900, 2100


def _check_range(cents: int, text: str) -> int:
    if abs(cents) > _MAX_CENTS:
        raise ValueProblem(f"amount out of range (beyond ±100 000 000 €, 10^10 cents): {text!r}")
    return cents


def parse_cents(text: str) -> int:
    """An integer number of cents (``123456``, ``-1 250``); a decimal separator is a row error."""
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit():
        return _check_range(int(text), text)
    s = text.translate(_DROP_SPACES)
    if "." in s or "," in s:
        raise ValueProblem(f"decimal separator in a cents column: {text!r}")
    if not _INT_RE.fullmatch(s):
        raise ValueProblem(f"not an amount in cents: {text!r}")
    return _check_range(int(s), text)


def parse_eur(text: str) -> int:
    """An amount in euros (``1234,56``, ``1 234,56``, ``1.234,56``, ``1234.56``, ``-12,5``, ``1234``) as cents.

    Spaces group thousands. Where both ``.`` and ``,`` appear the last one is the decimal separator and
    the other must group exactly three digits; a single separator is always the decimal one. The same
    separator twice, more than two decimals, or anything else is a ``ValueProblem``. A ``€`` sign before or
    after the number is allowed.
    """
    s = text.translate(_DROP_SPACES).replace("€", "")
    sign = ""
    if s and s[0] in "+-":
        sign, s = s[0], s[1:]
    dots, commas = s.count("."), s.count(",")
    if dots > 1 or commas > 1:
        raise ValueProblem(f"same separator twice in an amount: {text!r}")
    frac = ""
    if dots and commas:
        decimal, group = (",", ".") if s.rfind(",") > s.rfind(".") else (".", ",")
        s, frac = s.split(decimal)
        head, _, tail = s.partition(group)
        if not head or len(tail) != 3:
            raise ValueProblem(f"misplaced thousands separator in an amount: {text!r}")
        s = head + tail
        has_decimal = True
    elif dots or commas:
        s, frac = s.split("." if dots else ",")
        has_decimal = True
    else:
        has_decimal = False
    if not (s.isascii() and s.isdigit()) or (has_decimal and not (frac.isascii() and frac.isdigit())):
        raise ValueProblem(f"not an amount in euros: {text!r}")
    if len(frac) > 2:
        raise ValueProblem(f"more than two decimals in an amount: {text!r}")
    cents = int(s) * 100 + int(frac.ljust(2, "0") if frac else "0")
    return _check_range(-cents if sign == "-" else cents, text)


_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FR_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> dt.date:
    """An ISO date (``2025-09-05``) or a French day-first one (``05/09/2025``)."""
    match = _ISO_RE.fullmatch(text)
    if match:
        year, month, day = match.groups()
    else:
        match = _FR_RE.fullmatch(text)
        if not match:
            raise ValueProblem(f"not a date (YYYY-MM-DD or DD/MM/YYYY): {text!r}")
        day, month, year = match.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise ValueProblem(f"date outside {MIN_YEAR}-{MAX_YEAR}: {text!r}")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueProblem(f"no such date: {text!r}") from None


_BOOLEANS = {
    "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
    "oui": True, "non": False, "vrai": True, "faux": False,
}


def parse_bool(text: str) -> bool:
    """``true/false``, ``1/0``, ``yes/no``, ``oui/non``, ``vrai/faux`` in any case (empty is handled by the
    caller: it means false)."""
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise ValueProblem(f"not a boolean (true/false, 1/0, yes/no, oui/non, vrai/faux): {text!r}") from None
