"""Home and chart panels for the guide."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.guide import access
from ketaclinic.guide.content import TOPICS
from ketaclinic.guide.models import GuideRead
from ketaclinic.web.panels import register_panel


@register_panel("patient", order=40)
def reading_for_you(request: HttpRequest, clinic: Any, *, patient: Any) -> str | None:
    due = access.pages_due(patient, timezone.now())
    unread = [slug for slug in due if slug not in access.read_slugs(patient)]
    if not unread:
        return None
    titles = access.page_titles(clinic, patient.preferred_language)
    return render_to_string("guide/partials/reading_panel.html",
                            {"pages": [(slug, titles[slug]) for slug in unread]}, request=request)


@register_panel("chart", order=90)
def guide_reading(request: HttpRequest, clinic: Any, *, patient: Any) -> str | None:
    reads = {r.slug: r for r in GuideRead.objects.filter(patient=patient)}
    rows = [(t.slug, reads.get(t.slug)) for t in TOPICS]
    return render_to_string("guide/partials/chart_panel.html", {"rows": rows}, request=request)
