"""The SVG chart helpers: accessible, escaped, scaled to round numbers."""

import re
from xml.etree import ElementTree

import pytest

from knowledge.insights import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


@pytest.mark.parametrize(
    ("maximum", "integer", "expected"),
    [(0, True, [0, 1]), (3, True, [0, 1, 2, 3]), (7, True, [0, 2, 4, 6, 8]), (95, True, [0, 50, 100]),
     (37, True, [0, 10, 20, 30, 40]), (4.2, False, [0, 2, 4, 6]), (0.9, False, [0, 0.25, 0.5, 0.75, 1.0])],
)
def test_nice_ticks_are_round_and_cover_the_maximum(maximum, integer, expected):
    assert charts.nice_ticks(maximum, integer=integer) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (42, "42 s"), (600, "10 min"), (7200, "2 h"), (7500, "2 h 5 min"), (90000, "1 d 1 h"),
     (172800, "2 d")],
)
def test_durations_read_in_human_units(seconds, text):
    assert charts.format_duration(seconds) == text


def test_stacked_bars_are_a_labelled_group_with_title_desc_and_linked_segments():
    svg = charts.stacked_bars(
        chart_id="c1", title="Per month", desc="Jan 3, Feb 0", labels=["Jan 2024", "Feb 2024"], ticks=["Jan", "Feb"],
        series=[charts.Series("sev1", "SEV1", [1, 0], ["/a?x=1&y=2", None]),
                charts.Series("sev2", "SEV2", [2, 0], ["/b", None])],
    )
    root = parse(svg)
    assert root.get("role") == "group"  # an "img" may not hold links (axe nested-interactive)
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Per month"
    assert root.find(f"{SVG}desc").text == "Jan 3, Feb 0"
    links = root.findall(f"{SVG}a")
    assert [a.get("href") for a in links] == ["/a?x=1&y=2", "/b"]
    assert all(a.get("tabindex") == "-1" for a in links)  # keyboard users follow the table's links
    assert all(a.get("aria-hidden") == "true" for a in links)  # and so do screen-reader users
    heights = [float(a.find(f"{SVG}rect").get("height")) for a in links]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert [a.find(f"{SVG}rect/{SVG}title").text for a in links] == ["Jan 2024 · SEV1: 1", "Jan 2024 · SEV2: 2"]


def test_text_in_charts_is_escaped():
    svg = charts.horizontal_bars(chart_id="c2", title="<b>Tags</b>", desc='"quoted" & <script>',
                                 bars=[charts.Bar("<script>alert(1)</script>", 3, '/x?a="1"')])
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "<b>Tags</b>"
    assert root.find(f"{SVG}a").get("href") == '/x?a="1"'


def test_duration_lines_break_where_a_month_has_no_figure():
    svg = charts.duration_lines(
        chart_id="c3", title="Time to resolve", desc="…", labels=["Jan", "Feb", "Mar", "Apr"], ticks=["", "", "", ""],
        series=[charts.Series("median", "Median", [3600, 7200, None, 1800])],
    )
    root = parse(svg)
    assert len(root.findall(f".//{SVG}polyline")) == 1  # Jan–Feb; Apr stands alone as a dot
    assert len(root.findall(f".//{SVG}circle")) == 3
    assert re.search(r">\d+(\.\d+)? h<", svg)  # an axis in hours for values of hours


def test_horizontal_bars_draw_the_overdue_part_over_the_open_bar():
    svg = charts.horizontal_bars(chart_id="c4", title="Open", desc="…", bars=[charts.Bar("Platform", 4, "/o")],
                                 parts=[charts.Bar("Platform", 1, "/d", "overdue")])
    rects = parse(svg).findall(f".//{SVG}rect")
    assert [r.get("class") for r in rects] == ["series--accent", "series--overdue"]
    assert float(rects[0].get("width")) == pytest.approx(4 * float(rects[1].get("width")))


def test_one_long_incident_does_not_flatten_the_duration_chart():
    hour = 3600
    typical = [hour, 2 * hour, hour, 3 * hour, 2 * hour, hour]
    svg = charts.duration_lines(
        chart_id="d1", title="Time to resolve", desc="d", labels=[f"M{i}" for i in range(7)], ticks=[""] * 7,
        series=[charts.Series("median", "Median", [*typical, 400 * hour])],
    )
    root = parse(svg)
    # The axis reaches just above the typical figures, not to 400 hours.
    axis_labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert axis_labels[-1] == "3 h" and not any(label.startswith("400") for label in axis_labels)
    marked = [p for p in root.iter(f"{SVG}path") if "chart-dot--off-scale" in p.get("class", "")]
    assert len(marked) == 1 and "16 d 16 h" in marked[0].find(f"{SVG}title").text.replace("\u00a0", " ")
    assert "(off the scale)" in marked[0].find(f"{SVG}title").text
    assert "off the scale" in "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert len(root.findall(f"{SVG}circle")) == 6


def test_a_duration_chart_without_an_outlier_is_drawn_in_full():
    hour = 3600
    svg = charts.duration_lines(
        chart_id="d2", title="T", desc="d", labels=["a", "b", "c", "d", "e"], ticks=[""] * 5,
        series=[charts.Series("median", "Median", [hour, 2 * hour, 3 * hour, 4 * hour, 5 * hour])],
    )
    root = parse(svg)
    assert not [p for p in root.iter(f"{SVG}path") if "off-scale" in p.get("class", "")]
    assert "off the scale" not in svg
