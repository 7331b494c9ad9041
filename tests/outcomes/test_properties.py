"""Property tests: the survival curve and the SVG charts hold for any input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.outcomes.charts import Marker, Point, time_chart
from ketaclinic.outcomes.reports import kaplan_meier

durations = st.lists(st.tuples(st.integers(0, 400), st.booleans()), max_size=60)


@given(durations)
def test_survival_never_rises_and_stays_between_0_and_1(rows: list[tuple[int, bool]]) -> None:
    curve = kaplan_meier(rows)
    fractions = [f for _, f in curve]
    assert all(0 <= f <= 1 for f in fractions)
    assert fractions == sorted(fractions, reverse=True)
    assert len(curve) == len({d for d, e in rows if e})  # one step per day with an event


@given(st.lists(st.tuples(st.integers(0, 60 * 24 * 90), st.integers(0, 27), st.text(max_size=20)), min_size=1,
                max_size=30),
       st.lists(st.integers(0, 60 * 24 * 90), max_size=10), st.text(max_size=30))
def test_time_chart_is_always_well_formed_svg(points: list[tuple[int, int, str]], markers: list[int],
                                              title: str) -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    svg = time_chart([Point(start + timedelta(minutes=m), v, label) for m, v, label in points],
                     title=title, desc="d", y_min=0, y_max=27, zone=ZoneInfo("America/New_York"),
                     markers=[Marker(start + timedelta(minutes=m), "1") for m in markers])
    root = ET.fromstring(str(svg))  # noqa: S314 — our own markup
    assert root.tag == "svg" and len(root.findall("circle")) == len(points)
    for circle in root.findall("circle"):
        assert 0 <= float(circle.get("cx", "-1")) <= 480 and 0 <= float(circle.get("cy", "-1")) <= 270
