"""Staff pages: outcomes worklist, safety follow-up, a patient's outcomes, staff entry and
amendments, course review, custom questions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.courses.models import CourseKind, CourseStatus, TreatmentCourse
from ketaclinic.outcomes import actions
from ketaclinic.outcomes.access import (
    get_custom_question,
    get_patient_for_outcomes,
    get_response_for_user,
    get_safety_task_for_user,
    journal_entries_visible_to,
    require_clinician,
    responses_visible_to,
    safety_tasks_visible_to,
)
from ketaclinic.outcomes.due import due_for_patient
from ketaclinic.outcomes.forms import (
    AmendForm,
    CourseReviewForm,
    CustomQuestionForm,
    QuestionnaireForm,
    SafetyCloseForm,
)
from ketaclinic.outcomes.models import CourseReview, CustomQuestion, ReviewDecision
from ketaclinic.outcomes.progress import score_blocks, sleep_blocks
from ketaclinic.outcomes.review import summarise_course, summarise_many
from ketaclinic.patients.actions import record_chart_view
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.schedule.access import courses_visible_to, get_course_for_user
from ketaclinic.schedule.models import VisitStatus
from ketaclinic.web.clinic import current_clinic

FLAGGED_DAYS = 14
LIST_LIMIT = 50


def _require_clinician(request: HttpRequest) -> None:
    require_clinician(request.user)


def courses_ready_for_review(user: Any, clinic: Any) -> QuerySet[TreatmentCourse]:
    """Induction courses with every planned infusion done and no review yet (one query)."""
    return (courses_visible_to(user, Perm.VIEW_CLINICAL).filter(clinic=clinic, kind=CourseKind.INDUCTION)
            .exclude(status=CourseStatus.CANCELLED)
            .annotate(done=Count("visits", filter=Q(visits__status=VisitStatus.DISCHARGED), distinct=True),
                      n_reviews=Count("reviews", distinct=True))
            .filter(done__gte=F("planned_visits"), n_reviews=0).select_related("patient").order_by("created_at"))


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Open safety tasks first, then recent flagged scores and courses ready for review."""
    _require_clinician(request)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    now = timezone.now()
    tasks = list(safety_tasks_visible_to(request.user).filter(clinic=clinic, closed_at__isnull=True)
                 .select_related("patient", "response").order_by("due_at", "id")[:LIST_LIMIT])
    flagged = list(responses_visible_to(request.user).filter(clinic=clinic, answered_at__gte=now - timedelta(
        days=FLAGGED_DAYS)).exclude(flags=[]).select_related("patient").order_by("-answered_at")[:LIST_LIMIT])
    ready = list(courses_ready_for_review(request.user, clinic)[:LIST_LIMIT])
    return render(request, "outcomes/worklist.html", {
        "clinic": clinic, "tasks": tasks, "flagged": flagged, "ready": ready, "now": now,
        "flagged_days": FLAGGED_DAYS, "midcourse": midcourse_reviews(request.user, clinic),
    })


def midcourse_reviews(user: Any, clinic: Any) -> list[Any]:
    """Induction courses in progress with less than the expected early improvement by the mid-course
    infusion (clinical-reference §7): the provider reviews whether to continue. 3 queries."""
    protocol = clinic.protocol()
    at = protocol.course.midcourse_review_after_infusion
    courses = list(courses_visible_to(user, Perm.VIEW_CLINICAL).filter(clinic=clinic, kind=CourseKind.INDUCTION)
                   .exclude(status__in=[CourseStatus.CANCELLED, CourseStatus.COMPLETED])
                   .annotate(done=Count("visits", filter=Q(visits__status=VisitStatus.DISCHARGED), distinct=True))
                   .filter(done__gte=at, done__lt=F("planned_visits")).select_related("patient", "clinic")
                   .order_by("created_at")[:LIST_LIMIT])
    return [s for s in summarise_many(courses, protocol)
            if s.response is not None and s.response.midcourse_review_needed]


@login_required
@require_http_methods(["GET", "POST"])
def safety_task(request: HttpRequest, task_id: int) -> HttpResponse:
    _require_clinician(request)
    task = get_safety_task_for_user(request.user, task_id)
    record_chart_view(request.user, task.patient, "safety task")  # type: ignore[arg-type]
    can_close = has_perm(request.user, task.clinic, Perm.CHART) and task.is_open
    form = SafetyCloseForm(request.POST or None, initial={
        "contacted_by_name": getattr(request.user, "full_name", ""),
        "contacted_at": timezone.localtime(timezone.now(), task.clinic.zone).strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST":
        require_perm(request.user, task.clinic, Perm.CHART)
        if form.is_valid():
            try:
                actions.do_close_safety_task(request.user, task, **form.cleaned_data)  # type: ignore[arg-type]
            except actions.OutcomeError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, f"Safety follow-up for {task.patient} recorded and closed.")
                return redirect("outcomes:worklist")
    return render(request, "outcomes/safety_task.html", {"task": task, "form": form, "can_close": can_close,
                                                         "clinic": task.clinic})


@login_required
def patient_outcomes(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's scores (provider charts with bands), sleep, shared journal, safety and reviews."""
    patient = get_patient_for_outcomes(request.user, patient_id)
    record_chart_view(request.user, patient, "outcomes")  # type: ignore[arg-type]
    now = timezone.now()
    responses = list(responses_visible_to(request.user).filter(patient=patient)
                     .select_related("entered_by", "custom_question").order_by("-answered_at")[:LIST_LIMIT])
    return render(request, "outcomes/patient_outcomes.html", {
        "patient": patient, "clinic": patient.clinic, "responses": responses,
        "blocks": score_blocks(patient, provider=True, now=now), "sleep": sleep_blocks(patient, provider=True, now=now),
        "journal": list(journal_entries_visible_to(request.user).filter(patient=patient)
                        .order_by("-written_at")[:LIST_LIMIT]),
        "tasks": list(safety_tasks_visible_to(request.user).filter(patient=patient).order_by("-created_at")[:20]),
        "courses": list(courses_visible_to(request.user, Perm.VIEW_CLINICAL).filter(
            patient=patient, kind=CourseKind.INDUCTION).order_by("-created_at")[:10]),
        "can_enter": has_perm(request.user, patient.clinic, Perm.CHART),
        "due": due_for_patient(patient, now),
        "instruments": [(code, inst.name) for code, inst in INSTRUMENTS.items()],
        "custom_questions": [(f"custom-{q.pk}", q.text)
                             for q in CustomQuestion.objects.filter(clinic=patient.clinic, active=True)],
    })


@login_required
@require_http_methods(["GET", "POST"])
def staff_entry(request: HttpRequest, patient_id: int, instrument: str) -> HttpResponse:
    """A clinician enters a questionnaire on the patient's behalf (paper, phone, in person)."""
    patient = get_patient_for_outcomes(request.user, patient_id)
    require_perm(request.user, patient.clinic, Perm.CHART)
    question = None
    if instrument.startswith("custom-") and instrument[7:].isdigit():
        question = get_custom_question(patient.clinic_id, int(instrument[7:]))
        code = "custom"
    elif instrument in INSTRUMENTS:
        code = instrument
    else:
        raise Http404
    form = QuestionnaireForm(request.POST or None, instrument=code, custom_question=question, staff=True)
    if request.method == "POST" and form.is_valid():
        try:
            response = actions.do_submit_questionnaire(
                request.user, patient, code, form.answers(),  # type: ignore[arg-type]
                submission_key=form.cleaned_data["submission_key"], source=form.cleaned_data["source"],
                custom_question=question, supplementary=form.cleaned_data.get("supplementary") or "",
                answered_at=form.cleaned_data.get("answered_at"))
        except actions.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            if actions.SAFETY_FLAGS & set(response.flags):
                messages.error(request, "Risk answer: a same-day safety task was created. Follow up today.")
            else:
                messages.success(request, f"Saved: total {response.total if response.total is not None else '—'}.")
            return redirect("outcomes:patient", patient.pk)
    title = question.text if question else INSTRUMENTS[code].name
    return render(request, "outcomes/staff_entry.html", {"form": form, "patient": patient, "clinic": patient.clinic,
                                                         "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, response_id: int) -> HttpResponse:
    _require_clinician(request)
    response = get_response_for_user(request.user, response_id)
    require_perm(request.user, response.clinic, Perm.CHART)
    initial = {f"q{i}": str(a) for i, a in enumerate(response.answers, start=1) if a is not None}
    form = AmendForm(request.POST or None, instrument=response.instrument,
                     custom_question=response.custom_question, staff=True, initial=initial)
    form.fields.pop("source", None)
    form.fields.pop("answered_at", None)
    form.fields.pop("supplementary", None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_amend_questionnaire(request.user, response, form.answers(),  # type: ignore[arg-type]
                                           reason=form.cleaned_data["reason"])
        except actions.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Correction saved; the original answers are kept.")
            return redirect("outcomes:patient", response.patient_id)
    return render(request, "outcomes/amend.html", {
        "form": form, "response": response, "patient": response.patient, "clinic": response.clinic,
        "amendments": list(response.amendments.select_related("amended_by")),
    })


@login_required
@require_http_methods(["GET", "POST"])
def course_review(request: HttpRequest, course_id: int) -> HttpResponse:
    """After induction: trajectory, tolerance, doses and the rule suggestion; the provider decides."""
    _require_clinician(request)
    course = get_course_for_user(request.user, course_id, perm=Perm.VIEW_CLINICAL)
    if course.kind != CourseKind.INDUCTION:
        raise Http404
    record_chart_view(request.user, course.patient, "course review")  # type: ignore[arg-type]
    now = timezone.now()
    protocol = course.clinic.protocol()
    summary = summarise_course(course, protocol)
    can_decide = has_perm(request.user, course.clinic, Perm.PRESCRIBE)
    initial: dict[str, Any] = {}
    if summary.suggestion is not None and summary.suggestion.kind == "taper":
        initial["decision"] = ReviewDecision.MAINTENANCE
        if summary.suggestion.visit_dates:
            initial["maintenance_start_on"] = max(summary.suggestion.visit_dates[0],
                                                  timezone.localdate(now, timezone=course.clinic.zone))
    form = CourseReviewForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_perm(request.user, course.clinic, Perm.PRESCRIBE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = actions.do_record_course_review(
                    request.user, course, decision=data["decision"], reason=data["reason"],  # type: ignore[arg-type]
                    submission_key=data["submission_key"], maintenance_start_on=data["maintenance_start_on"])
            except actions.OutcomeError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                if review.maintenance_course is not None:
                    messages.success(request, "Decision recorded. The maintenance course is waiting to be booked.")
                else:
                    messages.success(request, "Decision recorded.")
                return redirect("outcomes:course_review", course.pk)
    shared_after_effects = list(journal_entries_visible_to(request.user).filter(
        patient=course.patient, visit__course=course).order_by("written_at")[:20])
    return render(request, "outcomes/course_review.html", {
        "course": course, "patient": course.patient, "clinic": course.clinic, "summary": summary, "form": form,
        "can_decide": can_decide, "reviews": list(CourseReview.objects.filter(course=course)
                                                  .select_related("decided_by", "maintenance_course")),
        "blocks": [b for b in score_blocks(course.patient, provider=True, now=now) if b.code == summary.instrument],
        "journal": shared_after_effects,
        "visit_rows": [(v, summary.doses.by_visit.get(v.pk, ""), summary.doses.adverse_by_visit.get(v.pk, 0))
                       for v in summary.visits],
    })


@login_required
@require_http_methods(["GET", "POST"])
def custom_questions(request: HttpRequest) -> HttpResponse:
    """The clinic's own questions; the medical director adds and retires them."""
    _require_clinician(request)
    clinic = current_clinic(request)
    can_edit = has_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    form = CustomQuestionForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
        if form.is_valid():
            try:
                actions.do_create_custom_question(request.user, clinic, **form.cleaned_data)  # type: ignore[arg-type]
            except actions.OutcomeError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, "Question added. Patients can answer it from their progress page.")
                return redirect("outcomes:custom_questions")
    return render(request, "outcomes/custom_questions.html", {
        "clinic": clinic, "form": form, "can_edit": can_edit,
        "questions": list(CustomQuestion.objects.filter(clinic=clinic, active=True)),
    })


@login_required
@require_POST
def retire_custom_question(request: HttpRequest, question_id: int) -> HttpResponse:
    _require_clinician(request)
    clinic = current_clinic(request)
    question = get_custom_question(clinic.pk, question_id)
    actions.do_retire_custom_question(request.user, question)  # type: ignore[arg-type]
    messages.success(request, "Question retired. Earlier answers are kept.")
    return redirect("outcomes:custom_questions")
