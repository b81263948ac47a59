"""Server-made SVG: well-formed, escaped, and drawn where the numbers say."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from questionnaires.summary.charts import BarSegment, TrendBand, TrendPoint, fit_bar, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
BANDS = (
    TrendBand(Decimal(0), Decimal(1), "None", "none"),
    TrendBand(Decimal(1), Decimal(4), "Mild", "mild"),
    TrendBand(Decimal(4), Decimal(7), "Moderate", "moderate"),
    TrendBand(Decimal(7), Decimal(10), "High", "severe"),
)


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - the chart under test, made by us


def _trend(points, **kwargs):
    defaults = {
        "chart_id": "t",
        "title": "Activity over visits",
        "description": "described",
        "points": points,
        "low": Decimal(0),
        "high": Decimal(10),
        "bands": BANDS,
    }
    return _parse(trend_chart(**{**defaults, **kwargs}))


def test_trend_has_a_title_a_description_and_one_dashed_line_per_inner_threshold():
    svg = _trend([TrendPoint("2025-01-01", Decimal(5)), TrendPoint("2025-06-01", Decimal(8), True)])
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Activity over visits"
    assert svg.find(f"{SVG}desc").text == "described"
    dashed = [line for line in svg.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    # Inner boundaries 1, 4 and 7 (0 and 10 are the frame).
    assert len(dashed) == 3


def test_trend_points_are_placed_by_their_value():
    svg = _trend([TrendPoint("a", Decimal(0)), TrendPoint("b", Decimal(10), True)])
    circles = list(svg.iter(f"{SVG}circle"))
    assert len(circles) == 2
    low_y, high_y = (float(circle.get("cy")) for circle in circles)
    assert low_y > high_y  # SVG y grows downwards: the higher score sits higher
    # The current visit is drawn filled, an earlier one hollow.
    assert circles[1].get("fill") != circles[0].get("fill")


def test_a_missing_score_breaks_the_line_instead_of_inventing_a_value():
    svg = _trend(
        [
            TrendPoint("a", Decimal(2)),
            TrendPoint("b", None),
            TrendPoint("c", Decimal(3)),
            TrendPoint("d", Decimal(4), True),
        ]
    )
    assert len(list(svg.iter(f"{SVG}circle"))) == 3
    lines = list(svg.iter(f"{SVG}polyline"))
    assert [len(line.get("points").split()) for line in lines] == [2]


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_any_text_is_escaped(text):
    svg = _trend([TrendPoint(text, Decimal(1), True)], title=text, description=text)
    assert svg.find(f"{SVG}title").text == text
    # Nothing but the chart's own elements exists, whatever the text held.
    tags = {element.tag.removeprefix(SVG) for element in svg.iter()}
    assert tags <= {"svg", "title", "desc", "rect", "text", "line", "polyline", "circle"}


def test_characters_xml_cannot_hold_are_dropped():
    svg = _trend([TrendPoint("a", Decimal(1), True)], title="A\x00B\x1fC\ufffeD")
    assert svg.find(f"{SVG}title").text == "ABCD"


def test_fit_bar_segments_are_as_long_as_their_points():
    svg = _parse(
        fit_bar(
            title="Option A: fit 60 of 100",
            segments=[
                BarSegment("Works", 40.0, "#000001"),
                BarSegment("Harm", 0.0, "#000002"),
                BarSegment("Speed", 20.0, "#000003"),
            ],
            width=100,
        )
    )
    filled = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("fill", "").startswith("#0000")]
    assert [(rect.get("fill"), float(rect.get("width"))) for rect in filled] == [
        ("#000001", 40.0),
        ("#000003", 20.0),
    ]
    assert float(filled[1].get("x")) == 40.0
    assert "Works 40" in svg.get("aria-label")
    assert "Harm" not in svg.get("aria-label")


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=8))
def test_fit_bar_never_draws_past_its_end(values):
    segments = [BarSegment(f"c{index}", value, "#123456") for index, value in enumerate(values)]
    svg = _parse(fit_bar(title="t", segments=segments, width=110))
    ends = [
        float(rect.get("x")) + float(rect.get("width"))
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("fill") == "#123456"
    ]
    assert all(end <= 110 + 1e-6 for end in ends)


def test_the_stylesheet_swatches_use_the_chart_colours():
    from django.conf import settings

    from questionnaires.summary.charts import CRITERION_COLOURS

    for name in ("print-summary.css", "summary.css"):
        css = (settings.BASE_DIR / "static" / "css" / name).read_text()
        found = dict(re.findall(r"\.swatch-(\d+) \{\s*background: (#[0-9A-Fa-f]{6});", css))
        assert found == {str(i): colour for i, colour in enumerate(CRITERION_COLOURS)}, name
