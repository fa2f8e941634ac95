"""Charts drawn on the server as inline SVG: no script, no CDN, nothing fetched.

Labels are text elements in a CJK-capable font stack, escaped like any other text; colours and
fonts are presentation attributes (the console's Content-Security-Policy forbids inline
``style``). Every chart is ``role="img"`` with a ``<title>`` and ``<desc>``; the page puts the
same numbers in a table beside it for screen readers and copying.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = ("Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, "
        "PingFang SC, sans-serif")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_X_LABELS = 12


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × 10^k)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp  # pragma: no cover


def _fmt(v: float) -> str:
    if abs(v) >= 10000:
        return f"{v / 10000:.4g}万"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _text(x: float, y: float, s: str, *, anchor: str = "middle", size: int = 12,
          fill: str = "#333", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-family="{FONT}" fill="{fill}"{extra}>{escape(s)}</text>')


def _frame(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _axes(body: list[str], left: int, top: int, w: int, h: int, ymax: float, y_label: str) -> None:
    for i in range(5):
        v = ymax * i / 4
        y = top + h - h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y + 4, _fmt(v), anchor="end", size=11, fill="#555"))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#888"/>')
    body.append(f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#888"/>')
    body.append(_text(12, top + h / 2, y_label, size=12,
                      extra=f' transform="rotate(-90 12 {top + h / 2:.1f})"'))


def line_chart(chart_id: str, title: str, x_labels: Sequence[str], series: dict[str, Sequence[float]],
               *, y_label: str = "篇数", width: int = 760, height: int = 340) -> Markup:
    """One line per series over ``x_labels`` (the periods), with a legend."""
    left, top, right = 64, 24, 150
    w, h = width - left - right, height - top - 64
    ymax = _nice_max(max((max(v) for v in series.values() if v), default=0))
    body: list[str] = []
    _axes(body, left, top, w, h, ymax, y_label)
    n = len(x_labels)
    xs = [left + (w * i / (n - 1) if n > 1 else w / 2) for i in range(n)]
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            body.append(_text(xs[i], top + h + 18, label, size=11, fill="#555"))
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        pts = " ".join(f"{xs[i]:.1f},{top + h - h * v / ymax:.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="series" data-name="{escape(name)}" points="{pts}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            body.append(f'<circle cx="{xs[i]:.1f}" cy="{top + h - h * v / ymax:.1f}" r="2.5" fill="{colour}">'
                        f'<title>{escape(name)} {escape(x_labels[i])}: {escape(_fmt(v))}</title></circle>')
        ly = top + 8 + 20 * k
        body.append(f'<rect x="{left + w + 16}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(left + w + 34, ly + 1, name, anchor="start", size=12))
    desc = f"{len(series)} 条折线，{n} 个时间点；数据见旁边的表格"
    return _frame(chart_id, title, desc, width, height, body)


def bar_chart(chart_id: str, title: str, labels: Sequence[str], values: Sequence[float | None],
              *, y_label: str = "", width: int = 760, height: int = 340) -> Markup:
    """Vertical bars, one per label (None: no bar, "无数据" under it)."""
    left, top = 72, 24
    w, h = width - left - 16, height - top - 90
    ymax = _nice_max(max((v for v in values if v is not None), default=0))
    body: list[str] = []
    _axes(body, left, top, w, h, ymax, y_label)
    n = max(1, len(labels))
    slot = w / n
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i
        if v is not None:
            bh = h * v / ymax
            body.append(f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{top + h - bh:.1f}" '
                        f'width="{slot * 0.7:.1f}" height="{bh:.1f}" fill="{PALETTE[0]}">'
                        f'<title>{escape(label)}: {escape(_fmt(v))}</title></rect>')
            body.append(_text(x + slot / 2, top + h - bh - 4, _fmt(v), size=10, fill="#333"))
        cx, cy = x + slot / 2, top + h + 14
        short = label if len(label) <= 12 else label[:11] + "…"
        body.append(_text(cx, cy, short if v is not None else short + "（无数据）", size=11, fill="#555",
                          anchor="end", extra=f' transform="rotate(-35 {cx:.1f} {cy:.1f})"'))
    desc = f"{len(labels)} 个柱形；数据见旁边的表格"
    return _frame(chart_id, title, desc, width, height, body)
