"""Home-screen and chart panels of the outcomes stage (registered in OutcomesConfig.ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.outcomes.access import responses_visible_to, safety_tasks_visible_to
from ketaclinic.outcomes.due import due_for_patient
from ketaclinic.outcomes.models import JournalEntry, SleepDiaryEntry
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.schedule.models import Visit, VisitStatus
from ketaclinic.web.panels import register_panel

JOURNAL_PROMPT_DAYS = 3
PANEL_LIMIT = 20


@register_panel("staff", order=0)
def safety_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Open same-day safety tasks, at the very top of the staff home (clinicians only)."""
    if not has_perm(request.user, clinic, Perm.VIEW_CLINICAL):
        return None
    tasks = list(safety_tasks_visible_to(request.user).filter(clinic=clinic, closed_at__isnull=True)
                 .select_related("patient").order_by("due_at", "id")[:PANEL_LIMIT])
    if not tasks:
        return None
    return render_to_string("outcomes/partials/safety_panel.html", {"tasks": tasks, "now": timezone.now()},
                            request=request)


@register_panel("patient", order=20)
def questionnaires_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    """"Questionnaires to answer", the sleep diary for last night, and a journal prompt after an infusion."""
    now = timezone.now()
    due = due_for_patient(patient, now)
    yesterday = timezone.localdate(now, timezone=clinic.zone) - timedelta(days=1)
    in_care = patient.stage in (Stage.INDUCTION, Stage.MAINTENANCE)
    sleep_missing = in_care and not SleepDiaryEntry.objects.filter(patient=patient, night_of=yesterday).exists()
    recent = (Visit.objects.filter(patient=patient, status=VisitStatus.DISCHARGED,
                                   starts_at__gte=now - timedelta(days=JOURNAL_PROMPT_DAYS), starts_at__lte=now)
              .order_by("-starts_at").first())
    prompt_visit = None
    if recent is not None and not JournalEntry.objects.filter(patient=patient, visit=recent).exists():
        prompt_visit = recent
    if not due and not sleep_missing and prompt_visit is None:
        return None
    return render_to_string("outcomes/partials/patient_panel.html", {
        "due": due, "sleep_missing": sleep_missing, "prompt_visit": prompt_visit, "clinic": clinic,
    }, request=request)


@register_panel("chart", order=30)
def chart_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    """Latest scores and open safety tasks on the patient chart."""
    if not has_perm(request.user, patient.clinic, Perm.VIEW_CLINICAL):
        return None
    latest = list(responses_visible_to(request.user).filter(patient=patient).order_by("-answered_at")[:5])
    tasks = list(safety_tasks_visible_to(request.user).filter(patient=patient, closed_at__isnull=True))
    return render_to_string("outcomes/partials/chart_panel.html", {"patient": patient, "latest": latest,
                                                                   "tasks": tasks}, request=request)
