"""Inline SVG charts for the pages and the audit report: drawn on the server, no script, nothing
loaded from elsewhere.

A chart is part of the HTML, so the pages' Content-Security-Policy (no inline styles, no
scripts) holds: colours are SVG presentation attributes, not CSS. WeasyPrint draws the same
SVG into the audit report's PDF. Every chart carries a title
and a description that says in words what the bars say, and the page shows the same numbers
in a table beside it, so no one needs to see the chart to get its content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Pair", "bar_chart", "pair_chart"]

# Geometry of the drawing, in SVG user units; the SVG scales to the width of its container.
_WIDTH = 640
_ROW = 30
_BAR = 20
_LABEL_WIDTH = 200
_COUNT_WIDTH = 60
_PAD = 8
# Dark enough on white for WCAG AA text contrast, and for the bars' non-text contrast.
_BAR_FILL = "#0b57a4"
_TEXT_FILL = "#1b1f24"
_GRID = "#c9d0d8"
# The second series of a pair chart: a dark red, AA on white, told apart from the blue by
# lightness as well as hue, and by the legend and the table beside the chart.
_SECOND_FILL = "#a4262c"
_PAIR_ROW = 44
_PAIR_BAR = 16
_LEGEND = 28


@dataclass(frozen=True)
class Bar:
    """One bar: what it is (already in the reader's language) and how many."""

    label: str
    value: int


def _id_part(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, description: str) -> Markup:
    """A horizontal bar chart, one row per bar in the order given, as inline SVG.

    ``title`` and ``description`` name the chart for screen readers (``role="img"``); the
    description should restate the values, e.g. "CN 3, JP 1". Labels are escaped.
    """
    ident = _id_part(chart_id)
    top = max((bar.value for bar in bars), default=0)
    height = max(len(bars), 1) * _ROW + 2 * _PAD
    track = _WIDTH - _LABEL_WIDTH - _COUNT_WIDTH - 2 * _PAD
    parts = [
        f'<svg class="chart" id="{ident}" role="img" viewBox="0 0 {_WIDTH} {height}" '
        f'width="{_WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        # The baseline the bars grow from.
        f'<line x1="{_LABEL_WIDTH}" y1="{_PAD}" x2="{_LABEL_WIDTH}" y2="{height - _PAD}" '
        f'stroke="{_GRID}" stroke-width="1"/>',
    ]
    for index, bar in enumerate(bars):
        y = _PAD + index * _ROW
        # A bar of 0 still shows as a sliver, so a listed row never looks like a missing one.
        length = 2 if top == 0 else max(2, round(track * bar.value / top))
        middle = y + _ROW / 2
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f'<text x="{_LABEL_WIDTH - _PAD}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{_TEXT_FILL}" font-size="14">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{_LABEL_WIDTH}" y="{y + (_ROW - _BAR) / 2}" width="{length}" '
            f'height="{_BAR}" rx="2" fill="{_BAR_FILL}"/>'
            f'<text x="{_LABEL_WIDTH + length + _PAD}" y="{middle}" dominant-baseline="middle" '
            f'fill="{_TEXT_FILL}" font-size="14">{bar.value}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Pair:
    """One row of two bars, such as transfers allowed and refused in one month."""

    label: str
    first: int
    second: int


def _legend(first: str, second: str) -> str:
    swatch = 'width="12" height="12" rx="2"'
    text = f'dominant-baseline="middle" fill="{_TEXT_FILL}" font-size="14"'
    middle = _LEGEND / 2
    return (
        f'<g class="legend"><rect x="{_LABEL_WIDTH}" y="{middle - 6}" {swatch} '
        f'fill="{_BAR_FILL}"/><text x="{_LABEL_WIDTH + 18}" y="{middle}" {text}>'
        f"{escape(first)}</text>"
        f'<rect x="{_LABEL_WIDTH + 180}" y="{middle - 6}" {swatch} fill="{_SECOND_FILL}"/>'
        f'<text x="{_LABEL_WIDTH + 198}" y="{middle}" {text}>{escape(second)}</text></g>'
    )


def _pair_bar(x: int, y: float, length: int, value: int, fill: str, series: str) -> str:
    middle = y + _PAIR_BAR / 2
    return (
        f'<rect class="{series}" x="{x}" y="{y}" width="{length}" height="{_PAIR_BAR}" rx="2" '
        f'fill="{fill}"/><text x="{x + length + _PAD}" y="{middle}" dominant-baseline="middle" '
        f'fill="{_TEXT_FILL}" font-size="13">{value}</text>'
    )


def pair_chart(
    rows: Sequence[Pair],
    *,
    chart_id: str,
    title: str,
    description: str,
    first: str,
    second: str,
) -> Markup:
    """A horizontal chart of two bars per row (``first`` above ``second``), as inline SVG.

    Both series share one scale, so a row's bars compare with each other and with every other
    row. ``first`` and ``second`` name the series in the legend; all text is escaped.
    """
    ident = _id_part(chart_id)
    top = max((max(row.first, row.second) for row in rows), default=0)
    height = _LEGEND + max(len(rows), 1) * _PAIR_ROW + 2 * _PAD
    track = _WIDTH - _LABEL_WIDTH - _COUNT_WIDTH - 2 * _PAD

    def length(value: int) -> int:
        # As in bar_chart, a 0 is a sliver, so the row reads as counted, not missing.
        return 2 if top == 0 else max(2, round(track * value / top))

    parts = [
        f'<svg class="chart chart-pair" id="{ident}" role="img" viewBox="0 0 {_WIDTH} {height}" '
        f'width="{_WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        _legend(first, second),
        f'<line x1="{_LABEL_WIDTH}" y1="{_LEGEND + _PAD}" x2="{_LABEL_WIDTH}" '
        f'y2="{height - _PAD}" stroke="{_GRID}" stroke-width="1"/>',
    ]
    for index, row in enumerate(rows):
        y = _LEGEND + _PAD + index * _PAIR_ROW
        gap = (_PAIR_ROW - 2 * _PAIR_BAR) / 2
        parts.append(
            f'<g class="pair" data-label="{escape(row.label)}" data-first="{row.first}" '
            f'data-second="{row.second}">'
            f'<text x="{_LABEL_WIDTH - _PAD}" y="{y + _PAIR_ROW / 2}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{_TEXT_FILL}" font-size="14">'
            f"{escape(row.label)}</text>"
            + _pair_bar(_LABEL_WIDTH, y + gap / 2, length(row.first), row.first, _BAR_FILL, "first")
            + _pair_bar(
                _LABEL_WIDTH,
                y + gap / 2 + _PAIR_BAR + 2,
                length(row.second),
                row.second,
                _SECOND_FILL,
                "second",
            )
            + "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
