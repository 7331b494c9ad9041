"""The patient's own visits: see the course, reschedule within the rules, cancel within the
notice policy, take a freed slot, say when they can come, and a private calendar link."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.audit.log import record_event
from ketaclinic.courses.models import CourseStatus
from ketaclinic.patients.access import own_patient_record
from ketaclinic.patients.models import Patient
from ketaclinic.schedule import actions
from ketaclinic.schedule.access import courses_visible_to, get_visit_for_user, visits_visible_to
from ketaclinic.schedule.feeds import (
    active_feeds,
    do_create_feed,
    do_revoke_feed,
    feed_for_token,
    feed_url,
    render_feed,
)
from ketaclinic.schedule.forms import AvailabilityForm, CancelForm, availability_args, availability_initial
from ketaclinic.schedule.models import Availability, CalendarFeed, Chair, FeedKind, SlotOfferRecipient, VisitStatus
from ketaclinic.schedule.notify import when_phrase
from ketaclinic.schedule.offers import (
    OfferGone,
    do_accept_offer,
    do_decline_offer,
    open_offers_for_patient,
    taken_offers_for_patient,
)
from ketaclinic.schedule.rules import availability_for, free_slots

RESCHEDULE_DAYS = 21


def own_patient(request: HttpRequest) -> Patient:
    """The signed-in patient's record; staff and strangers get 404 (these are portal pages)."""
    patient = own_patient_record(request.user)
    if patient is None:
        raise Http404
    return patient


def _notice_hours(patient: Patient) -> int:
    return patient.clinic.protocol().course.cancellation_notice_h


@login_required
def my_visits_view(request: HttpRequest) -> HttpResponse:
    """The patient's courses and visits, with what they can change and how."""
    patient = own_patient(request)
    now = timezone.now()
    notice = _notice_hours(patient)
    courses = list(courses_visible_to(request.user).filter(patient=patient)
                   .exclude(status=CourseStatus.CANCELLED).order_by("-created_at"))
    visits = list(visits_visible_to(request.user).filter(patient=patient).select_related("chair", "course")
                  .order_by("starts_at"))
    for v in visits:
        v.can_change = (v.status in (VisitStatus.BOOKED, VisitStatus.CONFIRMED) and not v.locked  # type: ignore[attr-defined]
                        and v.starts_at - now >= timedelta(hours=notice))
        v.too_late = (v.status in (VisitStatus.BOOKED, VisitStatus.CONFIRMED)  # type: ignore[attr-defined]
                      and now < v.starts_at and v.starts_at - now < timedelta(hours=notice))
    for c in courses:
        c.my_visits = [v for v in visits if v.course_id == c.pk]  # type: ignore[attr-defined]
    return render(request, "schedule/my_visits.html", {
        "patient": patient, "clinic": patient.clinic, "courses": courses, "notice": notice, "now": now,
        "offers": open_offers_for_patient(patient.pk, now=now),
        "taken": taken_offers_for_patient(patient.pk, now=now),
        "availability": Availability.objects.filter(patient=patient, course__isnull=True).first(),
        "feeds": active_feeds(patient=patient), "new_feed": request.session.pop("new_feed_url", None),
    })


@login_required
@require_http_methods(["GET", "POST"])
def my_reschedule_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Pick a new time from the slots that keep the whole course inside its rules."""
    patient = own_patient(request)
    visit = get_visit_for_user(request.user, visit_id)
    zone = patient.clinic.zone
    error = ""
    if request.method == "POST":
        try:
            start = datetime.fromisoformat(request.POST.get("slot", "")).astimezone(zone)
        except ValueError:
            error = _("Please pick one of the times.")
        else:
            try:
                actions.do_move_visit(request.user, visit, None, start,  # type: ignore[arg-type]
                                      reason="Rescheduled by the patient online")
            except actions.RuleBroken as exc:
                error = _patient_reason(exc)
            except (actions.SlotTaken, actions.TooLateToChange) as exc:
                error = str(exc)
            else:
                messages.success(request, _("Your visit is now on %(when)s.") % {"when": when_phrase(start, patient)})
                return redirect("schedule:my_visits")
    today = timezone.localdate(timezone=zone)
    try:
        first = max(date.fromisoformat(request.GET.get("from", "")), today)
    except ValueError:
        first = today
    days = [first + timedelta(days=i) for i in range(RESCHEDULE_DAYS)]
    now = timezone.now()
    notice = timedelta(hours=_notice_hours(patient))
    chairs = list(Chair.objects.filter(clinic=patient.clinic, active=True).order_by("name"))
    slots = {}
    if visit.status in (VisitStatus.BOOKED, VisitStatus.CONFIRMED) and visit.starts_at - now >= notice:
        found = free_slots(visit.course, days, chairs, moving=visit, limit_per_day=24, step_minutes=30)
        slots = {d: [s for s, _ in found[d] if s - now >= notice] for d in sorted(found)}
        slots = {d: s for d, s in slots.items() if s}
    availability = availability_for(visit.course)
    return render(request, "schedule/my_reschedule.html", {
        "ride": availability.describe_escort() if availability else "",
        "patient": patient, "clinic": patient.clinic, "visit": visit, "slots": slots, "error": error,
        "too_late": visit.starts_at - now < notice, "notice": _notice_hours(patient),
        "later": first + timedelta(days=RESCHEDULE_DAYS),
    }, status=400 if error else 200)


def _patient_reason(exc: actions.RuleBroken) -> str:
    """Why a time is not allowed, in the patient's words."""
    for p in exc.problems:
        if p.rule == "availability" and "ride home" in p.message:
            return str(_("Your ride is not available then. Please pick another time."))
        if p.rule == "availability":
            return str(_("That time is outside the times you told us you can come. Please pick another time."))
    return str(exc)


@login_required
@require_http_methods(["GET", "POST"])
def my_cancel_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Cancel a visit, outside the clinic's notice period; inside it, we ask the patient to call."""
    patient = own_patient(request)
    visit = get_visit_for_user(request.user, visit_id)
    form = CancelForm(request.POST or None)
    form.fields["reason"].required = False
    form.fields["reason"].label = _("Why are you cancelling? (optional)")
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_cancel_visit(request.user, visit, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except (actions.RuleBroken, actions.TooLateToChange) as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your visit is cancelled. If you want a new time, you can pick one here "
                                        "or call us."))
            return redirect("schedule:my_visits")
    now = timezone.now()
    return render(request, "schedule/my_cancel.html", {
        "patient": patient, "clinic": patient.clinic, "visit": visit, "form": form, "error": error,
        "too_late": visit.starts_at - now < timedelta(hours=_notice_hours(patient)),
        "notice": _notice_hours(patient),
    }, status=400 if error else 200)


@login_required
@require_POST
def my_offer_view(request: HttpRequest, recipient_id: int) -> HttpResponse:
    """Accept or decline a freed slot offered to the patient."""
    patient = own_patient(request)
    recipient = get_object_or_404(SlotOfferRecipient.objects.select_related("offer"), pk=recipient_id,
                                      patient=patient)
    if request.POST.get("answer") == "accept":
        try:
            visits = do_accept_offer(request.user, recipient)  # type: ignore[arg-type]
        except OfferGone as exc:
            messages.error(request, str(exc))
        else:
            first = visits[0].starts_at.astimezone(patient.clinic.zone)
            messages.success(request, _("It's yours! Your visit is on %(when)s.")
                             % {"when": when_phrase(first, patient)})
    else:
        do_decline_offer(request.user, recipient)  # type: ignore[arg-type]
        messages.success(request, _("No problem. You are still on the waiting list."))
    return redirect("schedule:my_visits")


@login_required
@require_http_methods(["GET", "POST"])
def my_availability_view(request: HttpRequest) -> HttpResponse:
    """When the patient and their ride can come; the scheduler only offers times inside it."""
    patient = own_patient(request)
    current = Availability.objects.filter(patient=patient, course__isnull=True).first()
    initial = availability_initial(current)
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        actions.do_set_availability(request.user, patient, **availability_args(d))  # type: ignore[arg-type]
        messages.success(request, _("Thank you. We saved the times you can come."))
        return redirect("schedule:my_visits")
    return render(request, "schedule/availability.html", {"clinic": patient.clinic, "patient": patient,
                                                          "form": form, "staff": False},
                  status=400 if form.is_bound else 200)


@login_required
@require_POST
def my_feed_view(request: HttpRequest) -> HttpResponse:
    """Make a new private calendar link (turning off the old ones), or turn them all off."""
    patient = own_patient(request)
    for feed in active_feeds(patient=patient):
        do_revoke_feed(request.user, feed)  # type: ignore[arg-type]
    if request.POST.get("action") == "create":
        _feed, token = do_create_feed(request.user, patient.clinic, FeedKind.PATIENT,  # type: ignore[arg-type]
                                      patient=patient)
        request.session["new_feed_url"] = feed_url(token)
    else:
        messages.success(request, _("Your calendar link is turned off. Calendars using it will stop updating."))
    return redirect("schedule:my_visits")


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed behind a secret link (no sign-in; calendar apps cannot sign in)."""
    feed = feed_for_token(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        # Audit reads, but at most hourly per feed: calendar apps poll often.
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        record_event(None, "CALENDAR_FEED_READ", clinic=feed.clinic, patient=feed.patient, obj=feed)
    response = HttpResponse(render_feed(feed, now=now), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


