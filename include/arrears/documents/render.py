"""The one Jinja2 environment, French formatting filters, and safe HTML → PDF with WeasyPrint.

- Autoescape is on and undefined variables raise (``StrictUndefined``): a missing field fails the
  document, it never prints a blank in a letter sent to a tenant.
- Amounts and dates are formatted for French readers by Babel (``1 234,56 €``, ``5 septembre 2025``).
- WeasyPrint never fetches from the network: the URL fetcher serves only files under ``templates/``.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from arrears.core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
LOCALE = "fr_FR"
NBSP = "\u00a0"


class RenderError(Exception):
    """A document could not be rendered (template error, missing field, forbidden resource)."""


def eur(cents: int | None, *, sign: bool = False) -> str:
    """Cents → ``1 234,56 €`` (no-break spaces, as French typesetting wants)."""
    if cents is None:
        raise RenderError("amount is missing")
    value = Decimal(int(cents)) / 100
    text = format_decimal(value, format="#,##0.00", locale=LOCALE).replace("\u202f", NBSP)
    if sign and cents > 0:
        text = "+" + text
    return f"{text}{NBSP}€"


def date_fr(value: dt.date | str | None, fmt: str = "long") -> str:
    """A date for French readers: ``1er septembre 2025``, ``17 septembre 2025``, or ``17/09/2025`` (short)."""
    if value is None:
        raise RenderError("date is missing")
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if fmt == "short":
        return value.strftime("%d/%m/%Y")
    text = format_date(value, format="d MMMM y", locale=LOCALE)
    if value.day == 1:
        text = "1er" + text[1:]
    return text


def month_fr(value: dt.date | str) -> str:
    """``septembre 2025``."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value if len(value) > 7 else value + "-01")
    return format_date(value, format="MMMM y", locale=LOCALE)


def number_fr(value: Any, decimals: int = 2) -> str:
    """``1,68`` — French decimal comma, no-break thousands separator."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=LOCALE).replace("\u202f", NBSP)


def percent_fr(value: Any, decimals: int = 1) -> str:
    """``19,6 %`` from a ratio (0.196)."""
    return f"{number_fr(Decimal(str(value)) * 100, decimals)}{NBSP}%"


@lru_cache(maxsize=1)
def jinja_env() -> Environment:
    """The process-wide Jinja environment over ``templates/`` (letters/, documents/, reports/)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(eur=eur, date_fr=date_fr, month_fr=month_fr, number_fr=number_fr, percent_fr=percent_fr)
    return env


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """Render ``templates/<template_name>``; any template error or missing field raises RenderError."""
    try:
        return jinja_env().get_template(template_name).render(**context)
    except RenderError:
        raise
    except Exception as exc:  # jinja2 UndefinedError, TemplateError, filter errors
        raise RenderError(f"{template_name}: {exc}") from exc


def _templates_root() -> Path:
    return TEMPLATES_DIR.resolve()


@lru_cache(maxsize=1)
def safe_url_fetcher():
    """A WeasyPrint fetcher serving only files under ``templates/`` (CSS, fonts, logo) and ``data:`` URLs.

    Anything else (http, https, ftp, a file outside templates/) is refused: the resource is left out and
    nothing is fetched from the network.
    """
    from weasyprint.urls import URLFetcher

    class SafeURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if path.is_relative_to(_templates_root()) and path.is_file():
                    return super().fetch(url, headers)
            raise RenderError(f"resource refused (only the project's own files are served): {url[:80]}")

    return SafeURLFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def html_document(html: str):
    """Lay out ``html`` with WeasyPrint (base URL = templates/, safe fetcher). Returns a ``Document``."""
    from weasyprint import HTML

    # WeasyPrint logs every page laid out at INFO: keep run logs readable (warnings still show).
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    return HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=safe_url_fetcher()).render()


def html_to_pdf(html: str) -> bytes:
    """HTML → PDF bytes (one WeasyPrint layout)."""
    return html_document(html).write_pdf()
