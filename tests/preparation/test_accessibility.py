"""axe-core checks of the preparation pages on a 360 px phone screen (the content in <main>)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.preparation.helpers import book_visit


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_preparation_pages_have_no_axe_violations(page: Any, browser_login: Any, patient: Any, provider: Any,
                                                  front_desk: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    zone = patient.clinic.zone
    day = timezone.localdate(timezone=zone) + timedelta(days=1)
    visit = book_visit(patient, datetime.combine(day, time(10), tzinfo=zone), provider=provider, booker=front_desk)
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, patient.user)
    axe = Axe()
    for name in ("preparation:visit", "preparation:ride", "preparation:health_update", "preparation:attest",
                 "preparation:intentions"):
        page.goto(page.base_url + reverse(name, args=[visit.pk]))
        results = axe.run(page, context="main")
        assert results.response["passes"], name  # axe really ran its rules on the page
        assert results.violations_count == 0, (name, results.generate_report())
    for url in (reverse("preparation:breathing"), reverse("notifications:preferences")):
        page.goto(page.base_url + url)
        results = axe.run(page, context="main")
        assert results.violations_count == 0, (url, results.generate_report())
