"""Chart panel: the patient's treatment courses, linking to each course's plan page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.schedule.access import courses_visible_to


def courses_chart_panel(request: HttpRequest, clinic: Any, *, patient: Any = None, **kwargs: Any) -> str | None:
    if patient is None:
        return None
    courses = list(courses_visible_to(request.user).filter(patient=patient).order_by("-created_at"))
    return render_to_string("courses/partials/chart_courses.html", {"courses": courses, "patient": patient},
                            request=request)
