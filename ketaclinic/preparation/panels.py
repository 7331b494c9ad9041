"""Home-screen and chart panels of the preparation stage (registered in apps.ready)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.notifications.wording import Fmt
from ketaclinic.preparation.access import latest_health_update
from ketaclinic.preparation.plans import active_medication_instructions, ensure_preparation_for_visit, timeline_for
from ketaclinic.preparation.readiness import readiness_rows
from ketaclinic.preparation.step_words import step_text
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit
from ketaclinic.web.panels import register_panel

SKIP_IN_PANEL = ("health_update", "ride_confirmation", "infusion_start", "expected_end")


@register_panel("patient", order=20)
def next_visit_panel(request: HttpRequest, clinic: Any, *, patient: Any = None, **_: Any) -> str | None:
    """'Get ready for your visit on …' with the next steps of the patient's next visit."""
    if patient is None:
        return None
    now = timezone.now()
    visit = (Visit.objects.filter(patient=patient, starts_at__gt=now, status__in=ACTIVE_STATUSES)
             .select_related("clinic", "patient").order_by("starts_at").first())
    if visit is None:
        return None
    plan = ensure_preparation_for_visit(visit, now=now)
    timeline = timeline_for(visit, plan)
    prep = (plan.protocol_version.protocol() if plan.protocol_version else clinic.protocol()).preparation
    lead = timedelta(hours=prep.health_update_lead_h)
    next_steps = [s for s in timeline.steps if s.at.astimezone(UTC) >= now and s.kind not in SKIP_IN_PANEL][:3]
    fmt = Fmt(translation.get_language() or "en", visit.clinic.zone)  # the patient's language and clinic time
    medications = active_medication_instructions(visit)
    return render_to_string("preparation/partials/patient_panel.html", {
        "visit": visit, "plan": plan, "timeline": timeline,
        "next_steps": [step_text(s, timeline, prep, fmt, medications) for s in next_steps],
        "visit_day": fmt.day(visit.starts_at), "visit_clock": fmt.clock(visit.starts_at),
        "arrive_clock": fmt.clock(timeline.arrive_by),
        "health_update_due": now >= visit.starts_at - lead and latest_health_update(plan) is None,
    }, request=request)


@register_panel("staff", order=20)
def readiness_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """How many of today's and tomorrow's visits are not ready yet, and failed messages."""
    if not has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        return None
    from ketaclinic.notifications.models import MessageStatus, OutboundMessage

    today = timezone.localdate(timezone=clinic.zone)
    today_rows = readiness_rows(clinic, today, today=today)
    tomorrow_rows = readiness_rows(clinic, today + timedelta(days=1), today=today)
    return render_to_string("preparation/partials/staff_panel.html", {
        "today_total": len(today_rows), "today_not_ready": sum(not r.is_ready for r in today_rows),
        "tomorrow_total": len(tomorrow_rows), "tomorrow_not_ready": sum(not r.is_ready for r in tomorrow_rows),
        "failed": OutboundMessage.objects.filter(clinic=clinic, status=MessageStatus.FAILED).count(),
    }, request=request)


@register_panel("chart", order=60)
def medication_instructions_panel(request: HttpRequest, clinic: Any, *, patient: Any = None, **_: Any) -> str | None:
    """Upcoming visits with their preparation, and the agreed medication instructions."""
    if patient is None or not has_perm(request.user, clinic, Perm.VIEW_CLINICAL):
        return None
    from ketaclinic.preparation.models import MedicationInstructionRecord

    records = list(MedicationInstructionRecord.objects.filter(patient=patient, ended_at__isnull=True))
    visits = list(Visit.objects.filter(patient=patient, starts_at__gt=timezone.now(), status__in=ACTIVE_STATUSES)
                  .select_related("preparation").order_by("starts_at")[:5])
    return render_to_string("preparation/partials/chart_panel.html",
                            {"patient": patient, "records": records, "visits": visits}, request=request)
