"""Course plan page: the plan and its visits, provider overrides with a second signature for
loosened limits, the maintenance plan, booking boosters, stopping a course."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.audit.log import record_event
from ketaclinic.courses import actions
from ketaclinic.courses.forms import AmendCourseForm, MaintenanceForm, StopCourseForm
from ketaclinic.courses.models import AMENDABLE_FIELDS, AmendmentStatus, CourseAmendment, CourseKind
from ketaclinic.schedule.access import get_course_for_user
from ketaclinic.schedule.planning import do_book_waiting_boosters


def _require_staff(request: HttpRequest) -> None:
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404


def _page(request: HttpRequest, course: Any, status: int = 200, **forms: Any) -> HttpResponse:
    initial = {f: getattr(course, f) for f in AMENDABLE_FIELDS}
    return render(request, "courses/course_detail.html", {
        "course": course, "clinic": course.clinic, "patient": course.patient,
        "visits": course.visits.select_related("chair").order_by("starts_at"),
        "amendments": course.amendments.select_related("amended_by", "cosigned_by"),
        "can_prescribe": has_perm(request.user, course.clinic, Perm.PRESCRIBE),
        "amend_form": forms.get("amend_form") or AmendCourseForm(initial=initial),
        "maintenance_form": forms.get("maintenance_form") or MaintenanceForm(initial={
            "intervals": ", ".join(str(d) for d in course.clinic.protocol().course.maintenance_intervals_days)}),
        "stop_form": forms.get("stop_form") or StopCourseForm(),
        "is_induction": course.kind == CourseKind.INDUCTION,
        "waiting_boosters": course.patient.courses.filter(kind=CourseKind.MAINTENANCE, status="requested"),
    }, status=status)


@login_required
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    _require_staff(request)
    course = get_course_for_user(request.user, course_id)
    record_event(request.user, "COURSE_VIEWED", patient=course.patient, obj=course)
    return _page(request, course)


@login_required
@require_POST
def amend_course(request: HttpRequest, course_id: int) -> HttpResponse:
    _require_staff(request)
    course = get_course_for_user(request.user, course_id)
    require_perm(request.user, course.clinic, Perm.PRESCRIBE)
    form = AmendCourseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in AMENDABLE_FIELDS}
        try:
            amendment = actions.do_amend_course(request.user, course, changes,  # type: ignore[arg-type]
                                                reason=data["reason"])
        except actions.CourseChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Change saved." if amendment.status == AmendmentStatus.APPLIED else
                             "Change recorded. It applies once another prescriber co-signs it.")
            return redirect("courses:detail", course.pk)
    return _page(request, course, status=400, amend_form=form)


@login_required
@require_POST
def cosign_amendment(request: HttpRequest, amendment_id: int) -> HttpResponse:
    _require_staff(request)
    amendment = get_object_or_404(CourseAmendment, pk=amendment_id)
    course = get_course_for_user(request.user, amendment.course_id)
    require_perm(request.user, course.clinic, Perm.PRESCRIBE)
    try:
        actions.do_cosign_course_amendment(request.user, amendment,  # type: ignore[arg-type]
                                           approve=request.POST.get("decision") == "approve",
                                           note=request.POST.get("note", ""))
    except actions.CourseChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Decision recorded.")
    return redirect("courses:detail", course.pk)


@login_required
@require_POST
def plan_maintenance(request: HttpRequest, course_id: int) -> HttpResponse:
    _require_staff(request)
    course = get_course_for_user(request.user, course_id)
    require_perm(request.user, course.clinic, Perm.PRESCRIBE)
    form = MaintenanceForm(request.POST)
    if form.is_valid():
        try:
            boosters = actions.do_plan_maintenance(request.user, course,  # type: ignore[arg-type]
                                                   intervals=form.cleaned_data["intervals"])
        except actions.CourseChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{len(boosters)} booster(s) planned. They are on the waitlist to be booked.")
            return redirect("courses:detail", course.pk)
    return _page(request, course, status=400, maintenance_form=form)


@login_required
@require_POST
def book_boosters(request: HttpRequest, course_id: int) -> HttpResponse:
    _require_staff(request)
    course = get_course_for_user(request.user, course_id)
    booked, missed = do_book_waiting_boosters(request.user, course.patient)  # type: ignore[arg-type]
    if booked:
        messages.success(request, f"Booked {len(booked)} booster visit(s).")
    if missed:
        messages.error(request, f"{len(missed)} booster(s) found no free time in their date range that fits the "
                                "patient's times. They stay on the waitlist.")
    return redirect("courses:detail", course.pk)


@login_required
@require_http_methods(["POST"])
def stop_course(request: HttpRequest, course_id: int) -> HttpResponse:
    _require_staff(request)
    course = get_course_for_user(request.user, course_id)
    require_perm(request.user, course.clinic, Perm.PRESCRIBE)
    form = StopCourseForm(request.POST)
    if form.is_valid():
        try:
            actions.do_cancel_course(request.user, course, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except actions.CourseChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Course stopped; its future visits are cancelled.")
            return redirect("courses:detail", course.pk)
    return _page(request, course, status=400, stop_form=form)
