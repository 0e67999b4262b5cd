"""The one Jinja2 environment, French formatting filters, and safe HTML → PDF with WeasyPrint.

- Autoescape is on and undefined variables raise (``StrictUndefined``): a missing field fails the
  document, it never prints a blank in a letter sent to a tenant.
- Amounts and dates are formatted for French readers by Babel (``1 234,56 €``, ``5 septembre 2025``).
- WeasyPrint never fetches from the network: the URL fetcher serves only files under ``templates/``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from arrears.core.fmt import (  # noqa: F401 (filters)
    LOCALE,
    NBSP,
    date_fr,
    day_fr,
    eur,
    month_fr,
    months_fr,
    nbsp,
    number_fr,
    percent_fr,
    phone_fr,
)
from arrears.core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"


class RenderError(Exception):
    """A document could not be rendered (template error, missing field, forbidden resource)."""


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
    env.filters.update(eur=eur, date_fr=date_fr, month_fr=month_fr, number_fr=number_fr, percent_fr=percent_fr,
                       nbsp=nbsp, day_fr=day_fr, months_fr=months_fr, phone=phone_fr)
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


class _SvgStyleNoise(logging.Filter):
    """Drops "Ignored `fill: …`, unknown property" for SVG presentation properties (the chart still shows them)."""

    SVG_PROPERTIES = ("fill", "stroke", "text-anchor", "font", "clip-path", "stroke-linecap", "stroke-linejoin",
                      "stroke-width", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "fill-opacity",
                      "stroke-miterlimit")

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not message.startswith("Ignored `"):
            return True
        text = str(record.args[0]) if record.args else message[len("Ignored `"):]
        return not text.split(":", 1)[0].strip().startswith(self.SVG_PROPERTIES)


@lru_cache(maxsize=1)
def font_config():
    """One WeasyPrint/Pango font configuration per process: fonts are loaded and measured once, not per letter."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=8)
def stylesheet(name: str):
    """``templates/<name>`` parsed once per process (a ``weasyprint.CSS`` reused by every document)."""
    from weasyprint import CSS

    return CSS(filename=_template_file(name, "stylesheet"), url_fetcher=safe_url_fetcher(), font_config=font_config())


def _template_file(name: str, what: str) -> str:
    path = (TEMPLATES_DIR / name).resolve()
    if not path.is_relative_to(_templates_root()) or not path.is_file():
        raise RenderError(f"{what} {name!r}: no such file under templates/")
    return str(path)


@lru_cache(maxsize=4)
def user_agent_stylesheet(name: str):
    """``templates/<name>`` parsed once per process as a user-agent stylesheet (in place of WeasyPrint's)."""
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle

    # its @counter-style rules go to a counter style of their own: WeasyPrint's built-in ones stay in use
    return CSS(filename=_template_file(name, "user-agent stylesheet"), url_fetcher=safe_url_fetcher(),
               font_config=font_config(), counter_style=CounterStyle())


@lru_cache(maxsize=1)
def _html_class_with_user_agent():
    from weasyprint import HTML

    class HTMLWithUserAgent(HTML):
        """``HTML`` whose user-agent stylesheet is ours (WeasyPrint asks the document for it: ``_ua_stylesheets``)."""

        user_agent = None

        def _ua_stylesheets(self, forms=False):
            return [self.user_agent] if self.user_agent is not None and not forms else super()._ua_stylesheets(forms)

    return HTMLWithUserAgent


# Images (the landlord's logo) parsed once per process, shared by every document laid out here.
_IMAGE_CACHE: dict = {}


def html_document(html: str, stylesheets: tuple[str, ...] = (), user_agent: str | None = None):
    """Lay out ``html`` with WeasyPrint (base URL = templates/, safe fetcher). Returns a ``Document``.

    ``stylesheets`` (names under templates/) are applied parsed once per process; the font configuration and
    the image cache are shared by every document of the process. ``user_agent`` (a name under templates/)
    replaces WeasyPrint's user-agent stylesheet (the letters': ``letters/user_agent.css``).
    """
    from weasyprint import HTML

    # WeasyPrint logs every page laid out at INFO: keep run logs readable (warnings still show, except the
    # SVG presentation properties matplotlib's charts carry in style attributes, which WeasyPrint draws anyway).
    weasy_log = logging.getLogger("weasyprint")
    weasy_log.setLevel(logging.WARNING)
    if not any(isinstance(f, _SvgStyleNoise) for f in weasy_log.filters):
        weasy_log.addFilter(_SvgStyleNoise())

    document = HTML if user_agent is None else _html_class_with_user_agent()
    source = document(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=safe_url_fetcher())
    if user_agent is not None:
        source.user_agent = user_agent_stylesheet(user_agent)
    return source.render(stylesheets=[stylesheet(name) for name in stylesheets], font_config=font_config(),
                         cache=_IMAGE_CACHE)


def html_to_pdf(html: str) -> bytes:
    """HTML → PDF bytes (one WeasyPrint layout)."""
    return html_document(html).write_pdf()


def render_workers() -> int:
    """Processes that lay out a run's lists (worklists, review packs): ``ARREARS_RENDER_WORKERS``, 1 by default
    (``dag.test`` runs — command line, demo — set it to the cores, up to 2: see ``runner._dagbag``)."""
    import os

    try:
        return max(1, int(os.environ.get("ARREARS_RENDER_WORKERS") or 1))
    except ValueError:
        return 1


# The pools of rendering processes of this process, by worker count, kept from one call to the next: under
# dag.test (the command line, the demo) a run's rendering tasks, and the month's runs, follow one another in
# one process, and a new pool paid the start of each of its processes again (Python, WeasyPrint, the
# stylesheets, the fonts: about 1.5 s of CPU each). Under the scheduler a task renders in its own process.
_POOLS: dict = {}


def process_pool(workers: int):
    """The kept pool of ``workers`` spawned processes (letters, lists, review packs share it)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = _POOLS.get(workers)
    if pool is None:
        _stop_pools_at_exit()
        pool = _POOLS[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    return pool


@lru_cache(maxsize=1)
def _stop_pools_at_exit() -> None:
    """Once per process: the pools stop while the interpreter is whole (a pool collected during the
    interpreter's own shutdown prints a traceback)."""
    import atexit

    atexit.register(shutdown_pools)


def forget_pool(workers: int) -> None:
    """A process of the pool died (``BrokenProcessPool``): the next call starts a new pool."""
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pools() -> None:
    """Stop the kept processes (they stop at the interpreter's exit otherwise)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True)


def map_documents(fn, jobs: list, *, workers: int = 1, weights: list[int] | None = None) -> list:
    """``[fn(job) for job in jobs]``, over the kept pool of ``workers`` processes (``process_pool``) when
    ``workers > 1`` and there is more than one job (``fn`` a module-level function; jobs and results are
    pickled). The results come back in the jobs' order; with ``weights`` (e.g. rows per list) the heaviest
    jobs start first. On a failure no job goes on running behind the caller's back.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    from concurrent.futures import wait
    from concurrent.futures.process import BrokenProcessPool

    order = sorted(range(len(jobs)), key=lambda i: -(weights[i] if weights else 0))
    results: list = [None] * len(jobs)
    futures = []
    try:
        futures = [(i, process_pool(workers).submit(fn, jobs[i])) for i in order]
        for i, future in futures:
            results[i] = future.result()
    except BrokenProcessPool:
        forget_pool(workers)
        raise
    finally:
        for _i, future in futures:
            future.cancel()
        wait([future for _i, future in futures])
    return results
