"""Server-made SVG charts for the summary: plain string building, no JavaScript, no library.

Every piece of text that goes into the SVG is escaped (``_text``), and numbers are formatted
by us, so no stored value can break out of the markup. The charts carry ``role="img"``, a
``<title>`` and a ``<desc>`` that says in words what the picture shows, because a screen
reader (and the tagged PDF) cannot read a line. Colours are presentation attributes, never
``style`` attributes: the site's Content Security Policy forbids inline styles.

Two charts:

* ``trend_chart``: one scale over the patient's visits, as a line over shaded score bands,
  with a dashed threshold line at each band boundary (what clinicians read best,
  docs/notes/sdm_anchors.md §5).
* ``fit_bar``: one option's fit as a stacked bar of per-criterion contributions
  (weight × partial value × 100), so the bar's length is the fit score and its parts say why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. The legend
# swatches are CSS classes "swatch-<index>" in print-summary.css and summary.css: keep in step.
CRITERION_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F7F7F",
)
# Light traffic-light tints for score bands, by band severity.
BAND_TINTS = {
    "none": "#E3F2E1",
    "mild": "#FBF6D9",
    "moderate": "#FCE7CF",
    "severe": "#F8D7D5",
    "very_severe": "#F2C4C8",
}
INK = "#1A1A1A"
MUTED = "#5F5F5F"
FONT = "Liberation Sans, Noto Sans CJK SC, sans-serif"


# Characters XML 1.0 does not allow at all (control characters, surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """Text safe inside an SVG element or attribute: escaped, invalid characters dropped."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def _num(value: float) -> str:
    """Coordinates with two decimals and no trailing zeros ("12.5", "3")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def criterion_colour(index: int) -> str:
    return CRITERION_COLOURS[index % len(CRITERION_COLOURS)]


# --- trend --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    label: str  # the visit's date as the reader writes it
    value: Decimal | None  # None: the scale was incomplete at that visit
    current: bool = False


@dataclass(frozen=True)
class TrendBand:
    lower: Decimal
    upper: Decimal
    label: str
    severity: str


def trend_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[TrendPoint],
    low: Decimal,
    high: Decimal,
    bands: Sequence[TrendBand] = (),
    width: int = 330,
    height: int = 118,
) -> SafeString:
    """A line chart of ``points`` between ``low`` and ``high`` over the shaded ``bands``.

    ``chart_id`` makes the title and description ids unique on the page.
    """
    left, right, top, bottom = 24.0, width - 96.0, 6.0, height - 18.0
    span = float(high - low) or 1.0

    def y_of(value: Decimal) -> float:
        clamped = min(max(float(value), float(low)), float(high))
        return bottom - (clamped - float(low)) / span * (bottom - top)

    count = len(points)

    inset = 14.0  # keeps the first and last visit's labels inside the plot

    def x_of(index: int) -> float:
        if count <= 1:
            return (left + right) / 2
        return left + inset + index * (right - left - 2 * inset) / (count - 1)

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-trend" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_text(title_id)} {_text(desc_id)}" '
        f'font-family="{FONT}" font-size="8">',
        f'<title id="{_text(title_id)}">{_text(title)}</title>',
        f'<desc id="{_text(desc_id)}">{_text(description)}</desc>',
    ]
    for band in bands:
        y_top, y_bottom = y_of(band.upper), y_of(band.lower)
        parts.append(
            f'<rect x="{_num(left)}" y="{_num(y_top)}" width="{_num(right - left)}" '
            f'height="{_num(max(y_bottom - y_top, 0))}" '
            f'fill="{BAND_TINTS.get(band.severity, "#EEEEEE")}"/>'
        )
        parts.append(
            f'<text x="{_num(right + 4)}" y="{_num((y_top + y_bottom) / 2 + 2.5)}" '
            f'fill="{MUTED}">{_text(band.label)}</text>'
        )
    # Threshold lines at the inner band boundaries; the axis is labelled at the ends and at
    # each threshold that does not crowd a label already placed.
    axis_labels = [(low, bottom), (high, top)]
    for boundary in sorted({band.lower for band in bands} - {low, high}):
        y = y_of(boundary)
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" '
            f'stroke="{MUTED}" stroke-width="0.6" stroke-dasharray="3 2"/>'
        )
        if all(abs(y - placed) >= 8 for _, placed in axis_labels):
            axis_labels.append((boundary, y))
    for value, y in axis_labels:
        parts.append(
            f'<text x="{_num(left - 3)}" y="{_num(y + 3)}" text-anchor="end" '
            f'fill="{MUTED}">{_text(_score_text(value))}</text>'
        )
    parts.append(
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left)}" '
        f'height="{_num(bottom - top)}" fill="none" stroke="{MUTED}" stroke-width="0.5"/>'
    )
    # The line joins consecutive visits that have a score; a gap stays a gap.
    segment: list[str] = []
    for index, point in enumerate(points):
        if point.value is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        segment.append(f"{_num(x_of(index))},{_num(y_of(point.value))}")
    if len(segment) > 1:
        parts.append(_polyline(segment))
    for index, point in enumerate(points):
        x = x_of(index)
        parts.append(
            f'<text x="{_num(x)}" y="{_num(height - 6)}" text-anchor="middle" '
            f'fill="{INK if point.current else MUTED}">{_text(point.label)}</text>'
        )
        if point.value is None:
            continue
        y = y_of(point.value)
        radius = 3 if point.current else 2.2
        parts.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{radius}" '
            f'fill="{INK if point.current else "#FFFFFF"}" stroke="{INK}" stroke-width="0.8"/>'
        )
        label_y = y - 5 if y - 5 > top + 6 else y + 10
        weight = ' font-weight="bold"' if point.current else ""
        parts.append(
            f'<text x="{_num(x)}" y="{_num(label_y)}" text-anchor="middle" fill="{INK}"{weight}>'
            f"{_text(_score_text(point.value))}</text>"
        )
    parts.append("</svg>")
    # Built from escaped text and our own numbers only (see the module docstring).
    return mark_safe("".join(parts))  # noqa: S308


def _polyline(points: list[str]) -> str:
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{INK}" '
        f'stroke-width="1.2" stroke-linejoin="round"/>'
    )


def _score_text(value: Decimal) -> str:
    normal = Decimal(value).normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    return format(normal, "f")


# --- fit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarSegment:
    label: str  # the criterion's name, for the description
    value: float  # points of fit (0–100 scale)
    colour: str


def fit_bar(
    *, title: str, segments: Sequence[BarSegment], width: int = 90, height: int = 9
) -> SafeString:
    """A stacked bar on a 0–100 scale: one segment per criterion's contribution to the fit."""
    scale = width / 100.0
    description = "; ".join(
        f"{segment.label} {segment.value:.0f}" for segment in segments if segment.value >= 0.5
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-fit" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_text(title)}{": " if description else ""}{_text(description)}">',
        f"<title>{_text(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#F2F2F2"/>',
    ]
    x = 0.0
    for segment in segments:
        if segment.value <= 0:
            continue
        segment_width = min(segment.value * scale, width - x)
        if segment_width <= 0:
            break
        parts.append(
            f'<rect x="{_num(x)}" y="0" width="{_num(segment_width)}" height="{height}" '
            f'fill="{_text(segment.colour)}"/>'
        )
        x += segment_width
    parts.append(
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="none" '
        f'stroke="{MUTED}" stroke-width="0.5"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - escaped text and our own numbers only
