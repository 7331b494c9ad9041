"""The key portal pages reflow at 200% zoom and on a small phone, in English and in Spanish.

200% zoom of a 1280 px window is a 640 CSS px viewport at device scale factor 2; 320 px is the
WCAG 1.4.10 reflow width. On each page: no sideways scrolling, no text cut off, and axe-core
reports no serious or critical WCAG 2.1 A/AA violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.accessibility import serious_violations
from tests.portal.conftest import portal_pages
from tests.portal.layout import clipped_text, horizontal_scroll, open_all_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"200% zoom": {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2},
         "320 px phone": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 2}}


@pytest.fixture(params=list(SIZES))
def sized_page(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(**SIZES[request.param])
    new_page = context.new_page()
    new_page.set_default_timeout(10_000)
    new_page.base_url = live_server.url
    yield new_page
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_portal_pages_reflow_without_sideways_scrolling_or_cut_text_and_pass_axe(
        sized_page: Any, browser_login: Any, portal_patient: Any, language: str) -> None:
    portal_patient.preferred_language = language
    portal_patient.save()
    browser_login(sized_page, portal_patient.user)
    problems: dict[str, list[str]] = {}
    for name, path in portal_pages(portal_patient).items():
        response = sized_page.goto(sized_page.base_url + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert sized_page.locator("html").get_attribute("lang") == language, name
        open_all_details(sized_page)
        found = []
        scroll = horizontal_scroll(sized_page)
        if scroll > 1:
            found.append(f"scrolls sideways by {scroll}px")
        found += clipped_text(sized_page)
        found += serious_violations(sized_page)
        if found:
            problems[name] = found
    assert problems == {}
