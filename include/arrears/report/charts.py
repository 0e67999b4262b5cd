"""The KPI report's charts, drawn by matplotlib and embedded in the report as inline SVG.

matplotlib lays out the axes, ticks and legends; the value labels are placed here, each at the first of a few
candidate positions whose box overlaps no other label, no reference line, no plotted marker and stays inside
the plot (measured with matplotlib's own text metrics). Reference lines are named in the legend, never by a
text on the line, so a value close to a reference (97,36 % against LMH's 97,96 %) cannot hide it.

Every chart is a :class:`Chart`: its SVG (text kept as ``<text>``, so the PDF's words are searchable), and the
boxes of every text drawn, for the tests that check nothing collides. Each plotted mark is an SVG group
carrying ``data-series``, ``data-label`` and ``data-value`` (the raw value: a ratio for rates, cents for
amounts, a count for counts). Element ids are prefixed with the chart's id, so several charts live in one page.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

NBSP = "\u00a0"
WIDTH_MM = 180  # the A4 text width (210 mm − 2 × 15 mm margins)
MM_PER_INCH = 25.4
DPI = 72  # one display unit = one point, as in matplotlib's SVG output

INK = "#1d2430"
MUTED = "#5b6573"
ACCENT = "#1f3a5f"
BAR = "#4a78a8"
GRID = "#e3e6ea"
REF_COLORS = ("#9b2c2c", "#c27c0e", "#2e6b3a")
FONT_SIZE = 7.5

RC = {
    "svg.fonttype": "none",          # text stays text (searchable in the PDF, rendered with the page's font)
    "svg.hashsalt": "arrears-kpi",   # stable ids from one run to the next
    "font.family": "DejaVu Sans",
    "font.size": FONT_SIZE,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "text.color": INK,
    "axes.unicode_minus": True,
}


# --------------------------------------------------------------------------------------------------
# French numbers (labels are rounded half away from zero before formatting)
# --------------------------------------------------------------------------------------------------


def _number(value: Decimal | float, decimals: int) -> str:
    from arrears.core.fmt import number_fr

    quantum = Decimal(1).scaleb(-decimals)
    return number_fr(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP), decimals)


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    """A ratio as ``97,36 %`` (no-break space), rounded half away from zero; ``—`` when undefined."""
    if value is None:
        return "—"
    return f"{_number(Decimal(str(value)) * 100, decimals)}{NBSP}%"


def fmt_eur0(cents: int) -> str:
    """Whole euros, rounded half away from zero: ``12 345 €``."""
    from arrears.core.ledger import div_round

    return f"{_number(div_round(int(cents), 100), 0)}{NBSP}€"


def fmt_count(value: float) -> str:
    return _number(value, 0)


# --------------------------------------------------------------------------------------------------
# The chart object
# --------------------------------------------------------------------------------------------------


@dataclass
class TextBox:
    kind: str            # value / legend / tick / title
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in points, origin bottom left


@dataclass
class Chart:
    id: str
    title: str
    svg: Markup
    width_mm: float
    height_mm: float
    texts: list[TextBox] = field(default_factory=list)
    reference_lines: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)

    def __html__(self) -> str:
        return str(self.svg)


def _figure(height_mm: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_MM / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=2.5, width=0.6, labelsize=FONT_SIZE)
    ax.set_axisbelow(True)


def _freeze_layout(fig):
    """Run the layout once, then keep the axes where they are while value labels are placed."""
    fig.canvas.draw()
    fig.set_layout_engine("none")
    return fig.canvas.get_renderer()


def _legend(fig, handles: list, ncols: int | None = None) -> None:
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=ncols or min(len(handles), 4),
                   frameon=False, fontsize=FONT_SIZE, handlelength=2.2, columnspacing=1.6)


# --------------------------------------------------------------------------------------------------
# Label placement
# --------------------------------------------------------------------------------------------------


@dataclass
class _Obstacles:
    area: Any                    # Bbox the labels must stay in
    boxes: list = field(default_factory=list)       # hard: other labels, reference lines, markers
    segments: list = field(default_factory=list)    # soft: the plotted line


def _inside(box, area) -> bool:
    return box.x0 >= area.x0 - 0.5 and box.x1 <= area.x1 + 0.5 and box.y0 >= area.y0 - 0.5 and box.y1 <= area.y1 + 0.5


def _place(ax, renderer, text: str, candidates: list[dict[str, Any]], obstacles: _Obstacles, **style):
    """Annotate at the cheapest candidate: one that collides with nothing, else the least bad one."""
    best = None
    for rank, cand in enumerate(candidates):
        cand = dict(cand)
        xy = cand.pop("xy")
        offset = cand.pop("offset")
        ann = ax.annotate(text, xy=xy, xytext=offset, textcoords="offset points", annotation_clip=False,
                          **{**style, **cand})
        box = ann.get_window_extent(renderer).padded(1.0)
        cost = rank * 0.01
        cost += 1000 * sum(1 for other in obstacles.boxes if box.overlaps(other))
        cost += 0 if _inside(box, obstacles.area) else 500
        cost += 5 * sum(1 for seg in obstacles.segments if seg.intersects_bbox(box, filled=False))
        if best is None or cost < best[0]:
            if best is not None:
                best[1].remove()
            best = (cost, ann, box)
        else:
            ann.remove()
        if cost < 1:
            break
    assert best is not None
    obstacles.boxes.append(best[2])
    return best[1]


def _hline_box(ax, renderer, y: float):
    from matplotlib.transforms import Bbox

    area = ax.get_window_extent(renderer)
    _, yd = ax.transData.transform((0, y))
    return Bbox([[area.x0, yd - 0.8], [area.x1, yd + 0.8]])


def _vline_box(ax, renderer, x: float):
    from matplotlib.transforms import Bbox

    area = ax.get_window_extent(renderer)
    xd, _ = ax.transData.transform((x, 0))
    return Bbox([[xd - 0.8, area.y0], [xd + 0.8, area.y1]])


def _point_box(ax, x: float, y: float, radius: float = 3.0):
    from matplotlib.transforms import Bbox

    xd, yd = ax.transData.transform((x, y))
    return Bbox([[xd - radius, yd - radius], [xd + radius, yd + radius]])


# --------------------------------------------------------------------------------------------------
# Axes helpers
# --------------------------------------------------------------------------------------------------


def nice_top(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = step * 10**exp
        if top >= value * (1 - 1e-9):
            return float(top)
    return float(10 ** (exp + 1))


def _percent_axis(axis, top: float) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    locator = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
    axis.set_major_locator(locator)
    ticks = locator.tick_values(0, top)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else top
    decimals = 0
    while decimals < 3 and abs(step * 100 * 10**decimals - round(step * 100 * 10**decimals)) > 1e-6:
        decimals += 1
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_percent(v, decimals)))


def _formatter_axis(axis, fmt: Callable[[float], str]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


# --------------------------------------------------------------------------------------------------
# SVG output
# --------------------------------------------------------------------------------------------------

_REF_RE = re.compile(r"#([A-Za-z_][\w.\-]*)")


def _svg(fig, chart_id: str, title: str, kind: str, data: dict[str, dict[str, Any]]) -> str:
    """The figure as an inline ``<svg>``: ids prefixed, data-* attributes on the marks, a title, a size in mm."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    root = ET.fromstring(buf.getvalue().encode("utf-8"))
    ids = {}
    for element in root.iter():
        old = element.get("id")
        if old:
            ids[old] = f"{chart_id}-{old}"
    for element in root.iter():
        old = element.get("id")
        if old:
            element.set("id", ids[old])
            for key, value in data.get(old, {}).items():
                element.set(f"data-{key}", str(value))
        xlink_href = element.attrib.pop(f"{{{XLINK_NS}}}href", None)
        if xlink_href is not None:  # SVG 2's plain href: no namespace prefix to depend on
            element.set("href", xlink_href)
        for attr, value in list(element.attrib.items()):
            if attr == "id" or "#" not in value:
                continue
            element.set(attr, _REF_RE.sub(lambda m: "#" + ids.get(m.group(1), m.group(1)), value))
    for meta in root.findall(f"{{{SVG_NS}}}metadata"):
        root.remove(meta)
    width_in, height_in = fig.get_size_inches()
    root.set("id", f"chart-{chart_id}")
    root.set("class", f"chart {kind}")
    root.set("data-chart", chart_id)
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("width", f"{round(width_in * MM_PER_INCH, 1)}mm")
    root.set("height", f"{round(height_in * MM_PER_INCH, 1)}mm")
    title_el = ET.Element(f"{{{SVG_NS}}}title")
    title_el.text = title
    root.insert(0, title_el)
    # The SVG namespace as the default one, whatever prefix another library registered with ElementTree since.
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def _finish(fig, chart_id: str, title: str, kind: str, data: dict[str, dict[str, Any]],
            ref_artists: list[tuple[str, Any]], marks: list[dict[str, Any]]) -> Chart:
    import matplotlib.text as mtext

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = []
    legend_texts = {id(t) for legend in fig.legends for t in legend.get_texts()}
    tick_texts = set()
    for ax in fig.axes:
        for t in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            tick_texts.add(id(t))
    for t in fig.findobj(mtext.Text):
        if not t.get_visible() or not t.get_text().strip() or not t.get_figure():
            continue
        box = t.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0:
            continue
        kind_of = "legend" if id(t) in legend_texts else "tick" if id(t) in tick_texts else "value"
        texts.append(TextBox(kind_of, t.get_text(), (box.x0, box.y0, box.x1, box.y1)))
    refs = []
    for label, artist in ref_artists:
        box = artist.get_window_extent(renderer)
        refs.append((label, (box.x0, box.y0, box.x1, box.y1)))
    svg = _svg(fig, chart_id, title, kind, data)
    width_in, height_in = fig.get_size_inches()
    return Chart(id=chart_id, title=title, svg=Markup(svg), width_mm=round(width_in * MM_PER_INCH, 1),
                 height_mm=round(height_in * MM_PER_INCH, 1), texts=texts, reference_lines=refs, marks=marks)


def _with_rc(build: Callable[[], Chart]) -> Chart:
    import matplotlib

    with matplotlib.rc_context(RC):
        return build()


# --------------------------------------------------------------------------------------------------
# The charts
# --------------------------------------------------------------------------------------------------


def line_chart(chart_id: str, points: list[dict[str, Any]], refs: list[tuple[str, float]],
               decimals: int = 1, title: str = "") -> Chart:
    """A rate over 12 months. ``points``: dicts with key, label (axis text), value (ratio or None), partial.

    The axis starts at 0 % (a rate's honest baseline); partial points are hollow and their segment dashed.
    """
    return _with_rc(lambda: _line_chart(chart_id, points, refs, decimals, title))


def _line_chart(chart_id, points, refs, decimals, title) -> Chart:
    from matplotlib.lines import Line2D
    from matplotlib.path import Path as MPath

    fig = _figure(62)
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    xs = list(range(len(points)))
    values = [p["value"] for p in points]
    known = [v for v in values if v is not None]
    top = nice_top(max([*known, *(v for _, v in refs), 0.0]) * 1.12 or 0.01)
    ax.set_ylim(0, top)
    ax.set_xlim(-0.5, len(points) - 0.5)
    _percent_axis(ax.yaxis, top)
    ax.set_xticks(xs, [p["label"] for p in points])

    data: dict[str, dict[str, Any]] = {}
    marks = []
    handles = []
    ref_artists = []
    for i, (label, value) in enumerate(refs):
        gid = f"ref-{i}"
        color = REF_COLORS[i % len(REF_COLORS)]
        line = ax.axhline(value, color=color, linestyle=(0, (4, 3)), linewidth=0.9, gid=gid, zorder=2)
        data[gid] = {"series": "reference", "label": label, "value": value}
        ref_artists.append((label, line))
        handles.append(Line2D([], [], color=color, linestyle=(0, (4, 3)), linewidth=0.9,
                              label=f"{label} {fmt_percent(value, decimals)}"))

    # The line: dashed over partial points, solid over full ones.
    for i in range(len(points) - 1):
        if values[i] is None or values[i + 1] is None:
            continue
        dashed = bool(points[i]["partial"])
        ax.plot(xs[i:i + 2], values[i:i + 2], color=ACCENT, linewidth=1.8 if not dashed else 1.2,
                linestyle=(0, (3, 2)) if dashed else "-", solid_joinstyle="round", zorder=3)
    for i, p in enumerate(points):
        if p["value"] is None:
            continue
        gid = f"pt-{p['key']}"
        ax.plot([i], [p["value"]], marker="o", markersize=4.6, markeredgewidth=1.1, markeredgecolor=ACCENT,
                markerfacecolor="white" if p["partial"] else ACCENT, linestyle="none", gid=gid, zorder=4)
        data[gid] = {"series": chart_id, "label": p["key"], "value": p["value"],
                     "partial": "true" if p["partial"] else "false"}
        marks.append({"key": p["key"], "value": p["value"], "partial": bool(p["partial"])})
    if any(p["partial"] for p in points):
        handles.append(Line2D([], [], color=ACCENT, marker="o", markerfacecolor="white", linestyle=(0, (3, 2)),
                              linewidth=1.2, markersize=4.6,
                              label="partiel : moins de 12 mois de quittancement"))
    _legend(fig, handles)

    renderer = _freeze_layout(fig)
    obstacles = _Obstacles(area=ax.get_window_extent(renderer))
    obstacles.boxes += [_hline_box(ax, renderer, v) for _, v in refs]
    obstacles.boxes += [_point_box(ax, i, v) for i, v in enumerate(values) if v is not None]
    for i in range(len(points) - 1):
        if values[i] is not None and values[i + 1] is not None:
            obstacles.segments.append(MPath(ax.transData.transform([(i, values[i]), (i + 1, values[i + 1])])))
    candidates = [(0, 5, "bottom"), (0, -5, "top")]
    candidates += [(0, sign * dy, va) for dy in (12, 20, 28, 36, 44) for sign, va in ((1, "bottom"), (-1, "top"))]
    order = list(range(len(points) - 1, -1, -1))  # the month of the report first: it gets the best place
    for i in order:
        p = points[i]
        if p["value"] is None:
            continue
        _place(ax, renderer, fmt_percent(p["value"], decimals),
               [{"xy": (i, p["value"]), "offset": (dx, dy), "ha": "center", "va": va} for dx, dy, va in candidates],
               obstacles, fontsize=FONT_SIZE - 0.5, fontweight="bold" if i == len(points) - 1 else "normal",
               color=MUTED if p["partial"] else INK, zorder=5)
    return _finish(fig, chart_id, title, "line-chart", data, ref_artists, marks)


def bar_chart(chart_id: str, items: list[tuple[str, float | None]], refs: list[tuple[str, float]],
              kind: str = "percent", decimals: int = 1, title: str = "") -> Chart:
    """Horizontal bars (label, value) with vertical reference lines named in the legend."""
    return _with_rc(lambda: _bar_chart(chart_id, items, refs, kind, decimals, title))


def _bar_chart(chart_id, items, refs, kind, decimals, title) -> Chart:
    from matplotlib.lines import Line2D

    def fmt(v: float | None) -> str:
        if v is None:
            return "—"
        if kind == "percent":
            return fmt_percent(v, decimals)
        if kind == "eur":
            return fmt_eur0(int(v))
        return fmt_count(v)

    n = max(len(items), 1)
    fig = _figure(16 + 7.5 * n + (7 if refs else 0))
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    values = [v for _, v in items if v is not None]
    top = nice_top(max([*values, *(v for _, v in refs), 0.0]) * 1.18 or 0.01)
    ax.set_xlim(0, top)
    if kind == "percent":
        _percent_axis(ax.xaxis, top)
    elif kind == "eur":
        _formatter_axis(ax.xaxis, lambda v: fmt_eur0(int(v)))
    else:
        _formatter_axis(ax.xaxis, fmt_count)
    ys = list(range(len(items)))
    ax.set_yticks(ys, [label for label, _ in items])
    ax.set_ylim(max(len(items), 1) - 0.5, -0.5)

    data: dict[str, dict[str, Any]] = {}
    marks = []
    handles = []
    ref_artists = []
    for i, (label, value) in enumerate(items):
        gid = f"bar-{i}"
        ax.barh(i, value or 0, height=0.62, color=BAR, gid=gid, zorder=2)
        data[gid] = {"series": chart_id, "label": label, "value": "" if value is None else value}
        marks.append({"label": label, "value": value})
    for i, (label, value) in enumerate(refs):
        gid = f"ref-{i}"
        color = REF_COLORS[i % len(REF_COLORS)]
        line = ax.axvline(value, color=color, linestyle=(0, (4, 3)), linewidth=0.9, gid=gid, zorder=3)
        data[gid] = {"series": "reference", "label": label, "value": value}
        ref_artists.append((label, line))
        handles.append(Line2D([], [], color=color, linestyle=(0, (4, 3)), linewidth=0.9,
                              label=f"{label} {fmt(value)}"))
    _legend(fig, handles)

    renderer = _freeze_layout(fig)
    obstacles = _Obstacles(area=ax.get_window_extent(renderer))
    obstacles.boxes += [_vline_box(ax, renderer, v) for _, v in refs]
    for i, (_, value) in enumerate(items):
        end = value or 0
        candidates = [{"xy": (end, i), "offset": (4, 0), "ha": "left", "va": "center"}]
        candidates.append({"xy": (end, i), "offset": (-4, 0), "ha": "right", "va": "center", "color": "white"})
        for _, ref in sorted(refs, key=lambda r: r[1]):
            if ref > end:
                candidates.append({"xy": (ref, i), "offset": (4, 0), "ha": "left", "va": "center"})
        _place(ax, renderer, fmt(value), candidates, obstacles, fontsize=FONT_SIZE, fontweight="bold",
               color=INK, zorder=5)
    return _finish(fig, chart_id, title, "bar-chart", data, ref_artists, marks)


def stacked_chart(chart_id: str, rows: list[tuple[str, list[tuple[str, str, str, int]]]],
                  title: str = "") -> Chart:
    """Horizontal stacked bars of amounts: rows of (label, [(series key, series label, colour, cents)])."""
    return _with_rc(lambda: _stacked_chart(chart_id, rows, title))


def _stacked_chart(chart_id, rows, title) -> Chart:
    from matplotlib.patches import Patch

    n = max(len(rows), 1)
    fig = _figure(22 + 7.5 * n)
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    totals = [sum(seg[3] for seg in segs) for _, segs in rows]
    top = nice_top(max([*totals, 0]) * 1.25 or 100)
    ax.set_xlim(0, top)
    _formatter_axis(ax.xaxis, lambda v: fmt_eur0(int(v)))
    ax.set_yticks(list(range(len(rows))), [label for label, _ in rows])
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    data: dict[str, dict[str, Any]] = {}
    marks = []
    for i, (label, segs) in enumerate(rows):
        left = 0
        for j, (key, _seg_label, color, cents) in enumerate(segs):
            gid = f"seg-{i}-{j}"
            ax.barh(i, cents, left=left, height=0.6, color=color, gid=gid, zorder=2)
            data[gid] = {"series": key, "label": label, "value": cents}
            marks.append({"series": key, "label": label, "value": cents})
            left += cents
    handles = [Patch(color=color, label=seg_label) for _key, seg_label, color, _ in (rows[0][1] if rows else [])]
    _legend(fig, handles)
    renderer = _freeze_layout(fig)
    obstacles = _Obstacles(area=ax.get_window_extent(renderer))
    for i, ((label, _segs), total) in enumerate(zip(rows, totals, strict=True)):
        gid = f"total-{i}"
        ann = _place(ax, renderer, fmt_eur0(total),
                     [{"xy": (total, i), "offset": (4, 0), "ha": "left", "va": "center"}], obstacles,
                     fontsize=FONT_SIZE, fontweight="bold", zorder=5)
        ann.set_gid(gid)
        data[gid] = {"series": "total", "label": label, "value": total}
    return _finish(fig, chart_id, title, "stacked-chart", data, [], marks)


def histogram(chart_id: str, items: list[tuple[str, str, int, int]], title: str = "") -> Chart:
    """Vertical bars of debtors (key, label, count, cents); each bar says its count and its amount."""
    return _with_rc(lambda: _histogram(chart_id, items, title))


def _histogram(chart_id, items, title) -> Chart:
    fig = _figure(58)
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    counts = [c for _, _, c, _ in items]
    top = nice_top(max([*counts, 0]) * 1.45 or 1)
    ax.set_ylim(0, top)
    _formatter_axis(ax.yaxis, fmt_count)
    ax.set_xticks(list(range(len(items))), [label for _, label, _, _ in items])
    ax.set_xlim(-0.6, len(items) - 0.4)
    data: dict[str, dict[str, Any]] = {}
    marks = []
    for i, (key, _label, count, cents) in enumerate(items):
        gid = f"bar-{key}"
        ax.bar(i, count, width=0.58, color=BAR, gid=gid, zorder=2)
        data[gid] = {"series": chart_id, "label": key, "value": count, "amount": cents}
        marks.append({"key": key, "value": count, "amount": cents})
    renderer = _freeze_layout(fig)
    obstacles = _Obstacles(area=ax.get_window_extent(renderer))
    for i, (_key, _label, count, cents) in enumerate(items):
        word = "débiteur" if count < 2 else "débiteurs"
        _place(ax, renderer, f"{fmt_count(count)} {word}\n{fmt_eur0(cents)}",
               [{"xy": (i, count), "offset": (0, 3), "ha": "center", "va": "bottom"}], obstacles,
               fontsize=FONT_SIZE, linespacing=1.25, zorder=5)
    return _finish(fig, chart_id, title, "histogram", data, [], marks)
