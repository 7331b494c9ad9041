"""Front desk set-up: opening hours, closed days (holidays), chairs, nurse shifts, staff calendar links."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, Role, has_perm
from ketaclinic.clinics.models import Clinic
from ketaclinic.schedule import actions
from ketaclinic.schedule.feeds import active_feeds, do_create_feed, do_revoke_feed, feed_url
from ketaclinic.schedule.forms import ChairEditForm, ChairForm, ClosedDayForm, HoursForm, ShiftForm, aware
from ketaclinic.schedule.models import CalendarFeed, Chair, ClosedDay, FeedKind, NurseShift, OpeningHours
from ketaclinic.schedule.views import staff_clinic

SHIFT_DAYS = 14


def _nurses(clinic: Clinic) -> Any:
    return User.objects.filter(memberships__clinic=clinic, memberships__role=Role.NURSE,
                               memberships__active=True).distinct().order_by("full_name", "email")


def _context(request: HttpRequest, clinic: Clinic, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate(timezone=clinic.zone)
    current = {h.weekday: (h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(clinic=clinic)}
    since = aware(today, time(0), clinic.zone)
    return {
        "clinic": clinic,
        "hours_form": forms.get("hours_form") or HoursForm(current=current),
        "closed_form": forms.get("closed_form") or ClosedDayForm(),
        "chair_form": forms.get("chair_form") or ChairForm(),
        "shift_form": forms.get("shift_form") or ShiftForm(nurses=_nurses(clinic), initial={"day": today}),
        "closed_days": ClosedDay.objects.filter(clinic=clinic, date__gte=today).order_by("date"),
        "chairs": Chair.objects.filter(clinic=clinic).order_by("name"),
        "shifts": NurseShift.objects.filter(clinic=clinic, ends_at__gte=since,
                                            starts_at__lt=since + timedelta(days=SHIFT_DAYS))
        .select_related("nurse").order_by("starts_at"),
        "feeds": active_feeds(clinic=clinic),
        "can_edit": has_perm(request.user, clinic, Perm.REGISTER_PATIENTS) or has_perm(request.user, clinic,
                                                                                     Perm.EDIT_PROTOCOL),
        "new_feed": request.session.pop("new_feed_url", None),
        "nurses": _nurses(clinic),
    }


@login_required
def setup_view(request: HttpRequest) -> HttpResponse:
    """Opening hours, holidays, chairs, nurse shifts (next two weeks) and calendar links."""
    clinic = staff_clinic(request)
    return render(request, "schedule/setup.html", _context(request, clinic))


@login_required
@require_POST
def hours_view(request: HttpRequest) -> HttpResponse:
    clinic = staff_clinic(request)
    current = {h.weekday: (h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(clinic=clinic)}
    form = HoursForm(request.POST, current=current)
    if not form.is_valid():
        return render(request, "schedule/setup.html", _context(request, clinic, hours_form=form), status=400)
    for d in range(7):
        opens, closes = form.cleaned_data[f"open_{d}"], form.cleaned_data[f"close_{d}"]
        if opens is not None and current.get(d) != (opens, closes):
            actions.do_set_opening_hours(request.user, clinic, d, opens, closes)  # type: ignore[arg-type]
        elif opens is None and d in current:
            actions.do_close_weekday(request.user, clinic, d)  # type: ignore[arg-type]
    messages.success(request, "Opening hours saved.")
    return redirect("schedule:setup")


@login_required
@require_POST
def closed_day_add_view(request: HttpRequest) -> HttpResponse:
    clinic = staff_clinic(request)
    form = ClosedDayForm(request.POST)
    if not form.is_valid():
        return render(request, "schedule/setup.html", _context(request, clinic, closed_form=form), status=400)
    closed = actions.do_add_closed_day(request.user, clinic, form.cleaned_data["date"],  # type: ignore[arg-type]
                                       form.cleaned_data["reason"])
    booked = actions.visits_on_closed_day(closed)
    if booked:
        messages.warning(request, f"{len(booked)} visit(s) are booked on that day. Open the day sheet for "
                                  f"{closed.date:%B %d} to move them, and let the patients know.")
    messages.success(request, f"Closed on {closed.date:%A %B %d}.")
    return redirect("schedule:setup")


@login_required
@require_POST
def closed_day_remove_view(request: HttpRequest, closed_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    closed = get_object_or_404(ClosedDay, clinic=clinic, pk=closed_id)
    actions.do_remove_closed_day(request.user, closed)  # type: ignore[arg-type]
    messages.success(request, f"Open again on {closed.date:%A %B %d}.")
    return redirect("schedule:setup")


@login_required
@require_POST
def chair_add_view(request: HttpRequest) -> HttpResponse:
    clinic = staff_clinic(request)
    form = ChairForm(request.POST)
    if form.is_valid() and Chair.objects.filter(clinic=clinic, name=form.cleaned_data["name"]).exists():
        form.add_error("name", "There is already a chair with this name.")
    if not form.is_valid():
        return render(request, "schedule/setup.html", _context(request, clinic, chair_form=form), status=400)
    try:
        actions.do_create_chair(request.user, clinic, form.cleaned_data["name"],  # type: ignore[arg-type]
                                monitor_device_id=form.cleaned_data["monitor_device_id"])
    except actions.ChairSettingsInvalid as exc:
        form.add_error(exc.field, str(exc))
        return render(request, "schedule/setup.html", _context(request, clinic, chair_form=form), status=400)
    messages.success(request, "Chair added.")
    return redirect("schedule:setup")


@login_required
@require_http_methods(["GET", "POST"])
def chair_edit_view(request: HttpRequest, chair_id: int) -> HttpResponse:
    """Rename a chair, set its bedside monitor id, take it out of use or back (front desk and up)."""
    clinic = staff_clinic(request)
    chair = get_object_or_404(Chair, clinic=clinic, pk=chair_id)
    if not (has_perm(request.user, clinic, Perm.REGISTER_PATIENTS) or has_perm(request.user, clinic,
                                                                                  Perm.EDIT_PROTOCOL)):
        raise PermissionDenied("Your role at this clinic does not allow changing the clinic set-up.")
    form = ChairEditForm(request.POST or None, initial={"name": chair.name, "active": chair.active,
                                                        "monitor_device_id": chair.monitor_device_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_update_chair(request.user, chair, name=data["name"],  # type: ignore[arg-type]
                                    monitor_device_id=data["monitor_device_id"], active=data["active"])
        except actions.ChairSettingsInvalid as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, f"{data['name']} saved.")
            return redirect("schedule:setup")
    return render(request, "schedule/chair_edit.html", {"clinic": clinic, "chair": chair, "form": form},
                  status=400 if form.is_bound else 200)


@login_required
@require_POST
def chair_toggle_view(request: HttpRequest, chair_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    chair = get_object_or_404(Chair, clinic=clinic, pk=chair_id)
    actions.do_set_chair_active(request.user, chair, not chair.active)  # type: ignore[arg-type]
    messages.success(request, f"{chair.name} is {'in use' if chair.active else 'out of use'}.")
    return redirect("schedule:setup")


@login_required
@require_POST
def shift_add_view(request: HttpRequest) -> HttpResponse:
    clinic = staff_clinic(request)
    form = ShiftForm(request.POST, nurses=_nurses(clinic))
    if not form.is_valid():
        return render(request, "schedule/setup.html", _context(request, clinic, shift_form=form), status=400)
    data = form.cleaned_data
    for week in range(data["repeat_weeks"]):
        day = data["day"] + timedelta(weeks=week)
        try:
            actions.do_add_nurse_shift(request.user, clinic, data["nurse"],  # type: ignore[arg-type]
                                       aware(day, data["start"], clinic.zone), aware(day, data["end"], clinic.zone))
        except ValueError as exc:
            form.add_error(None, f"{day:%a %b %d}: {exc}")
            return render(request, "schedule/setup.html", _context(request, clinic, shift_form=form), status=400)
    messages.success(request, f"Shift added for {data['nurse'].full_name or data['nurse'].email}.")
    return redirect("schedule:setup")


@login_required
@require_POST
def shift_remove_view(request: HttpRequest, shift_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    shift = get_object_or_404(NurseShift, clinic=clinic, pk=shift_id)
    actions.do_remove_nurse_shift(request.user, shift)  # type: ignore[arg-type]
    messages.success(request, "Shift removed.")
    return redirect("schedule:setup")


@login_required
@require_http_methods(["POST"])
def staff_feed_add_view(request: HttpRequest) -> HttpResponse:
    """Make a chair or nurse calendar link; the link is shown once on the set-up page."""
    clinic = staff_clinic(request)
    kind = request.POST.get("kind", "")
    chair = nurse = None
    if kind == FeedKind.CHAIR:
        chair = get_object_or_404(Chair, clinic=clinic, pk=request.POST.get("chair") or 0)
    elif kind == FeedKind.NURSE:
        nurse = get_object_or_404(_nurses(clinic), pk=request.POST.get("nurse") or 0)
    else:
        messages.error(request, "Pick a chair or a nurse.")
        return redirect("schedule:setup")
    _, token = do_create_feed(request.user, clinic, kind, chair=chair, nurse=nurse)  # type: ignore[arg-type]
    request.session["new_feed_url"] = feed_url(token)
    return redirect("schedule:setup")


@login_required
@require_POST
def staff_feed_revoke_view(request: HttpRequest, feed_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    feed = get_object_or_404(CalendarFeed.objects.exclude(kind=FeedKind.PATIENT), clinic=clinic, pk=feed_id)
    do_revoke_feed(request.user, feed)  # type: ignore[arg-type]
    messages.success(request, "Calendar link turned off.")
    return redirect("schedule:setup")
