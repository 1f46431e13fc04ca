"""Server-rendered SVG charts: stacked bars, grouped bars, lines and horizontal bars.

Plain data in, a safe SVG string out; no JavaScript. Each chart is a group labelled by its <title>
and <desc> for assistive technology (not an "img": an image may not hold links); the numbers and the
links live in the HTML table the page shows beside every chart. Colours come from CSS classes (`series--<key>`), so
the charts follow the light and dark themes and print in the page's colours. Links inside the
SVG are for pointing devices only (tabindex -1, aria-hidden): keyboard and screen-reader users reach the
same links in the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 1080  # drawn 1:1 in the page's full width; narrower screens scale or scroll
HEIGHT = 250
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 32


@dataclass
class Series:
    key: str
    label: str
    values: Sequence[float | None]
    hrefs: Sequence[str | None] | None = None
    dashed: bool = False

    def href(self, i: int) -> str | None:
        return self.hrefs[i] if self.hrefs else None


@dataclass
class Cell:
    """One table cell: `value` for the CSV, `text` for the page, an optional link."""

    value: object
    text: str
    href: str | None = None
    numeric: bool = True


@dataclass
class Bar:
    label: str
    value: float
    href: str | None = None
    key: str = "accent"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(maximum: float, *, count: int = 4, integer: bool = True) -> list[float]:
    """Return evenly spaced round tick values from 0 up to at least `maximum`."""
    if maximum <= 0:
        return [0, 1] if integer else [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if integer:
        step = max(1, round(step))
    top = math.ceil(maximum / step - 1e-9) * step
    return [i * step for i in range(round(top / step) + 1)]


def duration_unit(maximum_seconds: float) -> tuple[float, str]:
    """Return (seconds per unit, unit label) that reads well for values up to `maximum_seconds`."""
    if maximum_seconds < 2 * 3600:
        return 60, "min"
    if maximum_seconds < 3 * 86400:
        return 3600, "h"
    return 86400, "d"


def format_duration(seconds: float | None) -> str:
    """Return a duration in one or two human units: '45 min', '2 h 5 min', '3 d 4 h'."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


class _Frame:
    """A plot area with a y scale and one band per label."""

    def __init__(self, n: int, ticks: list[float], width: int = WIDTH, height: int = HEIGHT):
        self.n = max(n, 1)
        self.height = height
        self.ticks = ticks
        self.top_value = ticks[-1] or 1
        self.x0, self.x1 = LEFT, width - RIGHT
        self.y0, self.y1 = height - BOTTOM, TOP
        self.band = (self.x1 - self.x0) / self.n

    def y(self, value: float) -> float:
        return self.y0 - (self.y0 - self.y1) * (value / self.top_value)

    def centre(self, i: int) -> float:
        return self.x0 + self.band * (i + 0.5)


def _open(chart_id: str, title: str, desc: str, width: int, height: int, css: str) -> list[str]:
    return [
        f'<svg class="chart-svg {css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="group" aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _axes(frame: _Frame, ticks_text: Sequence[str], tick_label: Callable[[float], str]) -> list[str]:
    parts = ['<g class="chart-axis" aria-hidden="true">']
    for value in frame.ticks:
        y = frame.y(value)
        parts.append(f'<line class="chart-grid" x1="{frame.x0}" x2="{frame.x1}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-label" x="{frame.x0 - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(tick_label(value))}</text>"
        )
    for i, text in enumerate(ticks_text):
        if text:
            parts.append(
                f'<text class="chart-label" x="{frame.centre(i):.1f}" y="{frame.y0 + 18}" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    parts.append(f'<line class="chart-baseline" x1="{frame.x0}" x2="{frame.x1}" y1="{frame.y0}" y2="{frame.y0}"/>')
    parts.append("</g>")
    return parts


def _linked(element: str, href: str | None) -> str:
    if not href:
        return element
    return f'<a href="{escape(href)}" tabindex="-1" aria-hidden="true">{element}</a>'


def _rect(x: float, y: float, w: float, h: float, css: str, tip: str, href: str | None) -> str:
    rect = (
        f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}">'
        f"<title>{escape(tip)}</title></rect>"
    )
    return _linked(rect, href)


def stacked_bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    ticks: Sequence[str],
    series: Sequence[Series],
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """Return one bar per label, each stacked from the series' values (counts)."""
    n = len(labels)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(n)]
    frame = _Frame(n, nice_ticks(max(totals, default=0)), width, height)
    parts = _open(chart_id, title, desc, width, height, "chart-svg--bars")
    parts += _axes(frame, ticks, _num)
    width = min(frame.band * 0.72, 48)
    for i, label in enumerate(labels):
        base = 0.0
        x = frame.centre(i) - width / 2
        for s in series:
            value = s.values[i] or 0
            if not value:
                continue
            top, bottom = frame.y(base + value), frame.y(base)
            tip = f"{label} · {s.label}: {_num(value)}"
            parts.append(_rect(x, top, width, bottom - top, f"series--{s.key}", tip, s.href(i)))
            base += value
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def grouped_bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    ticks: Sequence[str],
    series: Sequence[Series],
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """Return side-by-side bars per label, one per series (counts)."""
    n = len(labels)
    peak = max((v or 0 for s in series for v in s.values), default=0)
    frame = _Frame(n, nice_ticks(peak), width, height)
    parts = _open(chart_id, title, desc, width, height, "chart-svg--bars")
    parts += _axes(frame, ticks, _num)
    group = min(frame.band * 0.8, 60)
    width = group / max(len(series), 1)
    for i, label in enumerate(labels):
        left = frame.centre(i) - group / 2
        for k, s in enumerate(series):
            value = s.values[i] or 0
            if not value:
                continue
            top = frame.y(value)
            tip = f"{label} · {s.label}: {_num(value)}"
            parts.append(_rect(left + k * width, top, width * 0.92, frame.y0 - top, f"series--{s.key}", tip, s.href(i)))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def duration_lines(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    ticks: Sequence[str],
    series: Sequence[Series],
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """Return lines through per-label durations in seconds; None leaves a gap.

    One long incident must not flatten the rest: figures more than OUTLIER_RATIO times the upper
    quartile of all figures drawn are outliers; the axis stops at the largest other figure, and the
    outliers are drawn as triangles on the top edge, marked "off the scale" (the table and each
    point's tooltip give the real value).
    """
    n = len(labels)
    drawn = sorted(v for s in series for v in s.values if v is not None)
    peak = drawn[-1] if drawn else 0
    cap = axis_cap(drawn)
    unit, unit_label = duration_unit(cap)
    scaled = nice_ticks(cap / unit, integer=False) if cap else [0, 1]
    frame = _Frame(n, [t * unit for t in scaled], width, height)
    top = frame.ticks[-1]
    off_scale = peak > top
    if off_scale:
        frame.y1 += 12  # room above the plot for the "off the scale" note
    if off_scale:
        desc = f"{desc} The axis stops at {format_duration(top)}; longer figures are marked at the top edge."
    parts = _open(chart_id, title, desc, width, height, "chart-svg--lines")
    parts += _axes(frame, ticks, lambda v: f"{_num(v / unit)} {unit_label}")
    if off_scale:
        parts.append(f'<text class="chart-label chart-label--strong" x="{frame.x1:.1f}" y="{TOP - 1}" '
                     'text-anchor="end">▲ off the scale: see the table</text>')
    for s in series:
        segments, current = [], []
        for i, value in enumerate(s.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((frame.centre(i), frame.y(min(value, top))))
        if current:
            segments.append(current)
        dash = " chart-line--dashed" if s.dashed else ""
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                parts.append(f'<polyline class="chart-line series--{s.key}{dash}" points="{points}"/>')
        for i, value in enumerate(s.values):
            if value is None:
                continue
            tip = f"{labels[i]} · {s.label}: {format_duration(value)}"
            x, y = frame.centre(i), frame.y(min(value, top))
            if value > top:  # off the scale: a triangle pointing up on the top edge
                tip += " (off the scale)"
                dot = (
                    f'<path class="chart-dot chart-dot--off-scale series--{s.key}" '
                    f'd="M{x:.1f},{y - 6:.1f} L{x + 6:.1f},{y + 5:.1f} L{x - 6:.1f},{y + 5:.1f} Z">'
                    f"<title>{escape(tip)}</title></path>"
                )
            else:
                dot = (
                    f'<circle class="chart-dot series--{s.key}" cx="{x:.1f}" cy="{y:.1f}" r="4">'
                    f"<title>{escape(tip)}</title></circle>"
                )
            parts.append(_linked(dot, s.href(i)))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


OUTLIER_RATIO = 3


def axis_cap(values: Sequence[float]) -> float:
    """Return the value a duration axis must reach: the largest figure that is not an outlier.

    An outlier is a figure over OUTLIER_RATIO times the upper quartile (nearest rank) of the sorted
    `values`. Fewer than five figures are always drawn in full.
    """
    if not values:
        return 0
    if len(values) < 5:
        return values[-1]
    quartile = values[math.ceil(0.75 * len(values)) - 1]
    if quartile <= 0:
        return values[-1]
    return max(v for v in values if v <= OUTLIER_RATIO * quartile)


def horizontal_bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    parts: Sequence[Bar] | None = None,
    width: int = 420,
) -> SafeString:
    """Return one labelled horizontal bar per item, in the order given.

    `parts`, when given, are drawn over the bars from the left (e.g. the overdue share of open items).
    """
    row, label_width, value_width = 28, 150, 40
    height = 8 + row * max(len(bars), 1) + 8
    peak = max((b.value for b in bars), default=0) or 1
    x0, x1 = label_width, width - value_width
    overlays = list(parts or [])
    parts = _open(chart_id, title, desc, width, height, "chart-svg--hbars")
    for i, bar in enumerate(bars):
        y = 8 + i * row
        label = bar.label if len(bar.label) <= 18 else bar.label[:17] + "…"
        parts.append(
            f'<text class="chart-label chart-label--strong" x="{x0 - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        width = (x1 - x0) * bar.value / peak
        tip = f"{bar.label}: {_num(bar.value)}"
        parts.append(_rect(x0, y + 4, width, row - 8, f"series--{bar.key}", tip, bar.href))
        if i < len(overlays) and overlays[i].value:
            part = overlays[i]
            tip = f"{part.label}: {_num(part.value)} overdue"
            part_width = (x1 - x0) * part.value / peak
            parts.append(_rect(x0, y + 4, part_width, row - 8, f"series--{part.key}", tip, part.href))
        parts.append(f'<text class="chart-label" x="{x0 + width + 6:.1f}" y="{y + 17}">{_num(bar.value)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _row(cells: Sequence[Cell]) -> str:
    out = []
    for i, cell in enumerate(cells):
        content = escape(cell.text)
        if cell.href:
            content = f'<a href="{escape(cell.href)}">{content}</a>'
        if i == 0:
            out.append(f'<th scope="row">{content}</th>')
        else:
            out.append(f'<td class="num">{content}</td>' if cell.numeric else f"<td>{content}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def table(*, caption: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]],
          total: Sequence[Cell] | None = None) -> SafeString:
    """Return the HTML table behind a chart: a header row, one row per label, an optional total row."""
    head = "".join(
        f'<th scope="col" class="num">{escape(c)}</th>' if i else f'<th scope="col">{escape(c)}</th>'
        for i, c in enumerate(columns)
    )
    parts = [f'<table><caption class="visually-hidden">{escape(caption)}</caption>',
             f"<thead><tr>{head}</tr></thead><tbody>", *(_row(r) for r in rows), "</tbody>"]
    if total:
        parts.append(f"<tfoot>{_row(total)}</tfoot>")
    parts.append("</table>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
