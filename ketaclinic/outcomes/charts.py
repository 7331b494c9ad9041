"""Server-rendered SVG charts (no JavaScript, no build step; CSP-safe: classes, no inline style).

Each chart scales to its container (`viewBox`, width 100%), so it reads on a 360 px phone,
carries a <title>/<desc> for screen readers, and every page shows the same numbers in a table.
Colours come from outcomes.css classes. Dates and decimal marks follow the active language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

W, H = 480, 270  # a small viewBox keeps the text readable when scaled down to a phone
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 14, 42
_ids = count(1)


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    label: str = ""


@dataclass(frozen=True)
class Marker:
    at: datetime
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Band:
    lo: float
    hi: float
    label: str
    css: str


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Escaped text without the control characters XML forbids (SVG must stay well-formed)."""
    return str(escape(_CONTROL.sub("", str(value))))


def _fmt(value: float) -> str:
    """1 decimal at most, with the active language's decimal mark ("84.5" / "84,5")."""
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", str(get_format("DECIMAL_SEPARATOR")))


def time_chart(points: Sequence[Point], *, title: str, desc: str, y_min: float, y_max: float, zone: ZoneInfo,
               markers: Sequence[Marker] = (), bands: Sequence[Band] = (), thresholds: Sequence[Threshold] = (),
               y_ticks: Sequence[float] = (), css: str = "series") -> SafeString:
    """A line chart of values over time with vertical event markers (infusions) and optional bands."""
    uid = next(_ids)
    times = [p.at for p in points] + [m.at for m in markers]
    if not times:
        return mark_safe("")
    t0, t1 = min(times), max(times)
    if t1 - t0 < timedelta(days=1):
        t0, t1 = t0 - timedelta(hours=12), t1 + timedelta(hours=12)
    span = (t1 - t0).total_seconds()
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(at: datetime) -> float:
        return LEFT + (at - t0).total_seconds() / span * plot_w

    def y(value: float) -> float:
        value = min(max(value, y_min), y_max)
        return TOP + (y_max - value) / (y_max - y_min) * plot_h

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" '
             f'aria-labelledby="chart-t{uid} chart-d{uid}" preserveAspectRatio="xMidYMid meet">',
             f'<title id="chart-t{uid}">{_text(title)}</title><desc id="chart-d{uid}">{_text(desc)}</desc>']
    for band in bands:
        top, bottom = y(band.hi + 0.5 if band.hi < y_max else band.hi), y(band.lo - 0.5 if band.lo > y_min else band.lo)
        parts.append(f'<rect class="band {_text(band.css)}" x="{LEFT}" y="{top:.1f}" width="{plot_w}" '
                     f'height="{max(bottom - top, 0):.1f}"><title>{_text(band.label)}</title></rect>')
        parts.append(f'<text class="band-label" x="{W - RIGHT - 4}" y="{(top + bottom) / 2 + 4:.1f}" '
                     f'text-anchor="end">{_text(band.label)}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>')
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>')
    for tick in y_ticks or (y_min, y_max):
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    for threshold in thresholds:
        ty = y(threshold.value)
        parts.append(f'<line class="threshold" x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}"/>')
        parts.append(f'<text class="threshold-label" x="{LEFT + 4}" y="{ty - 4:.1f}">{_text(threshold.label)}</text>')
    for m in markers:
        mx = x(m.at)
        parts.append(f'<g class="marker"><line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{TOP + plot_h}"/>'
                     f'<text x="{mx:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{_text(m.label)}</text>'
                     f'<title>{_text(m.detail or m.label)}</title></g>')
    short_day = gettext("M j")  # "Jan 4" / "4 ene": the format is looked up once per chart
    days = sorted({p.at.astimezone(zone).date() for p in points} | {m.at.astimezone(zone).date() for m in markers})
    if days:
        for day in (days[0], days[-1]) if len(days) > 1 else (days[0],):
            at = next(t for t in sorted(times) if t.astimezone(zone).date() == day)
            anchor = "start" if day == days[0] else "end"
            parts.append(f'<text class="tick" x="{x(at):.1f}" y="{H - 6}" text-anchor="{anchor}">'
                         f'{_text(date_format(day, short_day))}</text>')
    ordered = sorted(points, key=lambda p: p.at)
    if len(ordered) > 1:
        path = " ".join(f"{x(p.at):.1f},{y(p.value):.1f}" for p in ordered)
        parts.append(f'<polyline class="line {_text(css)}" points="{path}"/>')
    for p in ordered:
        local = p.at.astimezone(zone)
        parts.append(f'<circle class="dot {_text(css)}" cx="{x(p.at):.1f}" cy="{y(p.value):.1f}" r="5">'
                     f'<title>{_text(date_format(local, short_day))}: {_text(p.label or _fmt(p.value))}'
                     '</title></circle>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text is escaped above


def survival_chart(curve: Sequence[tuple[int, float]], *, title: str, desc: str, until: int = 0) -> SafeString:
    """A Kaplan–Meier step curve: (day, fraction still responding) from day 0 (1.0), drawn to
    `until` (the longest follow-up) when that is later than the last event."""
    uid = next(_ids)
    if not curve:
        return mark_safe("")
    max_day = max(max(d for d, _ in curve), until, 7)
    left = LEFT + 14  # room for "100%"
    plot_w, plot_h = W - left - RIGHT - 16, H - TOP - BOTTOM

    def x(day: float) -> float:
        return left + day / max_day * plot_w

    def y(frac: float) -> float:
        return TOP + (1 - frac) * plot_h

    points = [f"{x(0):.1f},{y(1):.1f}"]
    current = 1.0
    for day, frac in curve:
        points.append(f"{x(day):.1f},{y(current):.1f}")
        points.append(f"{x(day):.1f},{y(frac):.1f}")
        current = frac
    points.append(f"{x(max_day):.1f},{y(current):.1f}")
    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" '
             f'aria-labelledby="chart-t{uid} chart-d{uid}">',
             f'<title id="chart-t{uid}">{_text(title)}</title><desc id="chart-d{uid}">{_text(desc)}</desc>',
             f'<line class="axis" x1="{left}" y1="{TOP + plot_h}" x2="{left + plot_w}" y2="{TOP + plot_h}"/>',
             f'<line class="axis" x1="{left}" y1="{TOP}" x2="{left}" y2="{TOP + plot_h}"/>']
    for frac in (0, 0.5, 1):
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(frac) + 4:.1f}" text-anchor="end">{int(frac * 100)}%'
                     "</text>")
    for day in sorted({0, max_day // 2, max_day}):
        parts.append(f'<text class="tick" x="{x(day):.1f}" y="{H - 6}" text-anchor="middle">day {day}</text>')
    parts.append(f'<polyline class="line series step" points="{" ".join(points)}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — only numbers and escaped text
