"""Home-screen panels: "Today's visits" for staff, "Your next visit" for the patient."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.schedule.access import visits_visible_to
from ketaclinic.schedule.models import ACTIVE_STATUSES, VisitStatus
from ketaclinic.schedule.offers import open_offers_for_patient


def todays_visits_panel(request: HttpRequest, clinic: Any, **kwargs: Any) -> str | None:
    """Today's visits at the staff member's clinic, by time, with chair and status (3 queries)."""
    if not has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        return None
    today = timezone.localdate(timezone=clinic.zone)
    start = datetime.combine(today, time(0), tzinfo=clinic.zone)
    visits = list(visits_visible_to(request.user).filter(clinic=clinic, starts_at__gte=start,
                                                         starts_at__lt=start + timedelta(days=1))
                  .select_related("patient", "chair", "course").order_by("starts_at", "chair__name"))
    return render_to_string("schedule/partials/todays_visits.html", {
        "visits": visits, "active": sum(1 for v in visits if v.status in ACTIVE_STATUSES), "today": today,
    }, request=request)


def next_visit_panel(request: HttpRequest, clinic: Any, *, patient: Any = None, **kwargs: Any) -> str | None:
    """The patient's next booked visit, with what to do to change it."""
    if patient is None:
        return None
    now = timezone.now()
    visit = (visits_visible_to(request.user).filter(patient=patient, ends_at__gt=now,
                                                    status__in=[VisitStatus.BOOKED, VisitStatus.CONFIRMED,
                                                                VisitStatus.ARRIVED, VisitStatus.IN_CHAIR,
                                                                VisitStatus.INFUSING, VisitStatus.RECOVERING])
             .select_related("course").order_by("starts_at").first())
    offers = open_offers_for_patient(patient.pk, now=now)
    return render_to_string("schedule/partials/next_visit.html", {"visit": visit, "clinic": clinic,
                                                                  "offers": offers}, request=request)
