"""The inline SVG charts the pages and the audit report share: one bar or two per row, drawn to
one scale, text escaped, nothing loaded."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from gatehouse.reports.charts import Bar, Pair, bar_chart, pair_chart

SVG = "{http://www.w3.org/2000/svg}"


def _rect_widths(svg: str, series: str) -> list[int]:
    root = ElementTree.fromstring(svg)
    return [int(r.attrib["width"]) for r in root.iter(f"{SVG}rect") if r.get("class") == series]


def test_a_bar_chart_is_titled_described_and_scaled_to_its_largest_bar() -> None:
    svg = str(
        bar_chart(
            [Bar("CN", 4), Bar("JP", 2), Bar("US", 0)],
            chart_id="by country",
            title="Recipients by country",
            description="CN 4, JP 2, US 0",
        )
    )
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("id") == "by-country"
    assert root.findtext(f"{SVG}title") == "Recipients by country"
    assert root.findtext(f"{SVG}desc") == "CN 4, JP 2, US 0"
    widths = [int(r.attrib["width"]) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]
    # A zero still shows, as a sliver.
    assert widths[2] == 2


def test_a_pair_chart_draws_both_series_to_one_scale_with_a_legend() -> None:
    svg = str(
        pair_chart(
            [Pair("2026-07", 400, 4), Pair("2026-08", 200, 0)],
            chart_id="audit-by-month",
            title="Transfers by month",
            description="2026-07: 400 and 4; 2026-08: 200 and 0",
            first="Allowed",
            second="Refused",
        )
    )
    root = ElementTree.fromstring(svg)
    first, second = _rect_widths(svg, "first"), _rect_widths(svg, "second")
    assert first[0] == 2 * first[1]
    assert round(first[0] / 100) == second[0]
    assert second[1] == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:2] == ["Allowed", "Refused"]
    assert texts[2:] == ["2026-07", "400", "4", "2026-08", "200", "0"]
    groups = [g.attrib for g in root.iter(f"{SVG}g") if g.get("class") == "pair"]
    assert groups[0]["data-label"] == "2026-07"
    assert (groups[0]["data-first"], groups[0]["data-second"]) == ("400", "4")


def test_an_empty_pair_chart_is_still_a_valid_drawing() -> None:
    svg = str(pair_chart([], chart_id="empty", title="t", description="d", first="a", second="b"))
    root = ElementTree.fromstring(svg)
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "pair"]
    assert int(root.attrib["height"]) > 0


def test_chart_text_is_escaped_and_nothing_is_loaded() -> None:
    svg = str(
        pair_chart(
            [Pair('<script>"x"</script>', 1, 1)],
            chart_id="x",
            title="<b>title</b>",
            description="a & b",
            first="<i>",
            second="ok",
        )
    )
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    ElementTree.fromstring(svg)
    assert not re.search(r"\b(href|src)=", svg)
