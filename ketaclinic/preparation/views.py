"""Patient portal pages of the preparation stage (staff get read-only views of the plan).

Every visit is fetched through schedule.access (Http404 for anyone who may not see it).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.notifications.wording import Fmt, message_language
from ketaclinic.preparation import actions
from ketaclinic.preparation.access import (
    get_visit_for_patient_portal,
    get_visit_for_preparation,
    latest_attestation,
    latest_health_update,
    latest_ride,
    visible_intention,
)
from ketaclinic.preparation.calendar import visit_calendar
from ketaclinic.preparation.forms import AttestationForm, HealthUpdateForm, IntentionForm, RideForm
from ketaclinic.preparation.models import MedicationInstructionRecord
from ketaclinic.preparation.plans import active_medication_instructions, ensure_preparation_for_visit, timeline_for
from ketaclinic.preparation.step_words import day_lists, step_text
from ketaclinic.schedule.models import ACTIVE_STATUSES


def _record_view(request: HttpRequest, visit: Any, what: str) -> None:
    """Audit staff reads of a patient's preparation (patients reading their own are not logged)."""
    if visit.patient.user_id != request.user.pk:
        record_event(request.user, "PREPARATION_VIEWED", patient=visit.patient, obj=visit,
                     details={"view": what})


@login_required
def visit_plan(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The visit's preparation page: timeline with clock times, countdown, lists, ride, update."""
    visit, is_owner = get_visit_for_preparation(request.user, visit_id)
    now = timezone.now()
    plan = ensure_preparation_for_visit(visit, now=now)
    _record_view(request, visit, "plan")
    clinic = visit.clinic
    protocol = clinic.protocol() if plan.protocol_version is None else plan.protocol_version.protocol()
    timeline = timeline_for(visit, plan)
    # The patient's parts of the page (and its printout) are in the patient's language, whoever opens it.
    language = message_language(visit.patient)
    fmt = Fmt(language, clinic.zone)
    medications = active_medication_instructions(visit)
    with translation.override(language):
        steps = [{"step": s, "past": s.at.astimezone(UTC) < now, "when": fmt.when(s.at),
                  "text": step_text(s, timeline, protocol.preparation, fmt, medications)} for s in timeline.steps]
        lists = day_lists(protocol.preparation)
        instruction_labels = {"hold_evening_before": _("skip the evening dose the day before"),
                              "hold_morning_of": _("skip the morning dose on the day of your visit"),
                              "take_as_usual": _("take as usual, with a small sip of water")}
    upcoming = next((row for row in steps if not row["past"]), None)
    if upcoming is not None:
        upcoming["next"] = True
    clinical = has_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    update = latest_health_update(plan)
    return render(request, "preparation/visit_plan.html", {
        "visit": visit, "plan": plan, "clinic": clinic, "is_owner": is_owner, "timeline": timeline,
        "steps": steps, "active": visit.status in ACTIVE_STATUSES, "future": visit.starts_at > now,
        "countdown": visit.starts_at - now if visit.starts_at > now else None,
        "lists": lists, "prep": protocol.preparation, "language": language,
        "visit_day": fmt.day(visit.starts_at), "visit_clock": fmt.clock(visit.starts_at),
        "health_update_when": fmt.when(update.submitted_at) if update else "",
        "instruction_labels": instruction_labels,
        "visit_hours": round((visit.ends_at - visit.starts_at).total_seconds() / 3600, 1),
        "ride": latest_ride(plan), "health_update": update,
        "show_health_answers": is_owner or clinical, "attestation": latest_attestation(plan),
        "intention": visible_intention(plan, request.user, is_owner=is_owner),
        "is_visit_day": timezone.localdate(visit.starts_at, timezone=clinic.zone)
        == timezone.localdate(now, timezone=clinic.zone),
        "health_update_open": now >= visit.starts_at - timedelta(hours=protocol.preparation.health_update_lead_h)
        or update is not None,
        "can_clear_review": has_perm(request.user, clinic, Perm.PRESCRIBE) and plan.is_flagged,
        "medications": MedicationInstructionRecord.objects.filter(patient=visit.patient, ended_at__isnull=True),
    })


@login_required
def visit_ics(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The visit and its food and drink cut-offs as an iCalendar file."""
    visit, _is_owner = get_visit_for_preparation(request.user, visit_id)
    plan = ensure_preparation_for_visit(visit)
    body = visit_calendar(visit, timeline_for(visit, plan))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visit-{visit.pk}.ics"'
    return response


def _form_error(form: Any, exc: actions.PreparationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


def _visit_words(visit: Any) -> dict[str, str]:
    """The visit's day and clock time in the page's language and the clinic's zone."""
    fmt = Fmt(translation.get_language() or "en", visit.clinic.zone)
    return {"visit_day": fmt.day(visit.starts_at), "visit_clock": fmt.clock(visit.starts_at)}


def _moment(visit: Any, at: Any) -> str:
    return Fmt(translation.get_language() or "en", visit.clinic.zone).when(at) if at else ""


@login_required
@require_http_methods(["GET", "POST"])
def ride(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Who takes the patient home; confirm it. The patient, or staff on the phone with them."""
    visit, is_owner = get_visit_for_preparation(request.user, visit_id)
    plan = ensure_preparation_for_visit(visit)
    current = latest_ride(plan)
    initial = {"kind": current.kind, "escort_name": current.escort_name, "escort_phone": current.escort_phone,
               "relationship": current.relationship, "car_service_name": current.car_service_name} if current else {}
    form = RideForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_ride(request.user, visit, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.PreparationError as exc:
            _form_error(form, exc)
        else:
            confirmed = form.cleaned_data["confirm"]
            messages.success(request, _("Thank you. Your ride home is confirmed.") if confirmed
                             else _("Saved. Please come back to confirm it the day before your visit."))
            return redirect("preparation:visit", visit.pk)
    return render(request, "preparation/ride.html", {
        "visit": visit, "plan": plan, "form": form, "is_owner": is_owner, "current": current,
        "escort_required": visit.clinic.protocol().preparation.escort_required,
        "confirmed_when": _moment(visit, plan.ride_confirmed_at), **_visit_words(visit)})


@login_required
@require_http_methods(["GET", "POST"])
def health_update(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The pre-visit health update questionnaire."""
    visit, is_owner = get_visit_for_preparation(request.user, visit_id)
    if not is_owner and not has_perm(request.user, visit.clinic, Perm.VIEW_CLINICAL) \
            and not has_perm(request.user, visit.clinic, Perm.REGISTER_PATIENTS):
        raise PermissionDenied
    plan = ensure_preparation_for_visit(visit)
    form = HealthUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_submit_health_update(request.user, visit,  # type: ignore[arg-type]
                                            actions.HealthAnswers(**form.cleaned_data))
        except actions.PreparationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. We got your health update."))
            return redirect("preparation:visit", visit.pk)
    previous = latest_health_update(plan)
    return render(request, "preparation/health_update.html", {
        "visit": visit, "plan": plan, "form": form, "is_owner": is_owner, "previous": previous,
        "previous_when": _moment(visit, previous.submitted_at if previous else None), **_visit_words(visit)})


@login_required
@require_http_methods(["GET", "POST"])
def attest(request: HttpRequest, visit_id: int) -> HttpResponse:
    """On the day: last food and drink, alcohol and drugs, medicines taken."""
    visit, is_owner = get_visit_for_preparation(request.user, visit_id)
    plan = ensure_preparation_for_visit(visit)
    form = AttestationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_record_attestation(
                request.user, visit, last_solid_food_at=data["last_solid_food_at"],  # type: ignore[arg-type]
                last_clear_liquids_at=data["last_clear_liquids_at"], no_alcohol_or_drugs=data["no_alcohol_or_drugs"],
                last_alcohol_at=data["last_alcohol_at"], medications_taken=data["medications_taken"])
        except actions.PreparationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your nurse will go over this with you when you arrive."))
            return redirect("preparation:visit", visit.pk)
    return render(request, "preparation/attest.html", {"visit": visit, "plan": plan, "form": form,
                                                         "is_owner": is_owner, **_visit_words(visit)})


@login_required
@require_http_methods(["GET", "POST"])
def intentions(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The patient's private intention for the visit (shared only if they choose)."""
    visit = get_visit_for_patient_portal(request.user, visit_id)
    plan = ensure_preparation_for_visit(visit)
    current = visible_intention(plan, request.user, is_owner=True)
    form = IntentionForm(request.POST or None,
                         initial={"text": current.text, "shared": current.shared} if current else {})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_write_intention(request.user, visit, text=form.cleaned_data["text"],  # type: ignore[arg-type]
                                       shared=form.cleaned_data["shared"])
        except actions.PreparationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("preparation:visit", visit.pk)
    return render(request, "preparation/intentions.html", {"visit": visit, "form": form})


@login_required
def breathing(request: HttpRequest) -> HttpResponse:
    """A guided breathing exercise with a timer (CSS animation plus a small static script)."""
    return render(request, "preparation/breathing.html", {})
