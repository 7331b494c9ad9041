"""Staff pages of the preparation stage: readiness list, review flags, tasks, medication
instructions."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.patients.access import get_patient_for_user
from ketaclinic.preparation import actions
from ketaclinic.preparation.forms import MedicationInstructionForm, NoteForm
from ketaclinic.preparation.models import MedicationInstructionRecord, PreparationTask
from ketaclinic.preparation.readiness import STATUS_LABELS, readiness_rows
from ketaclinic.schedule.access import get_visit_for_user
from ketaclinic.web.clinic import current_clinic

POLL_SECONDS = 30


def _require_staff(request: HttpRequest) -> None:
    # Staff pages: anyone without a staff role that sees patients gets the same 404 as a missing page.
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404


@login_required
def readiness(request: HttpRequest) -> HttpResponse:
    """Today's and tomorrow's visits with what is still missing. htmx polls the rows."""
    _require_staff(request)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_PATIENTS)
    today = timezone.localdate(timezone=clinic.zone)
    which = request.GET.get("day", "today")
    if which not in ("today", "tomorrow"):
        which = "today"
    day = today if which == "today" else today + timedelta(days=1)
    rows = readiness_rows(clinic, day, today=today)
    counts: dict[str, int] = {}
    for row in rows:
        for code in row.statuses:
            counts[code] = counts.get(code, 0) + 1
    context = {
        "clinic": clinic, "day": day, "which": which, "rows": rows, "poll_seconds": POLL_SECONDS,
        "counts": [(code, label, counts.get(code, 0)) for code, label in STATUS_LABELS.items()
                   if code not in ("no_plan", "plan_error")],
        "updated_at": timezone.now(),
        "can_prescribe": has_perm(request.user, clinic, Perm.PRESCRIBE),
    }
    template = "preparation/partials/readiness_rows.html" if request.htmx else "preparation/readiness.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def clear_review(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A prescriber records that the flagged health update was reviewed and the visit may go ahead."""
    _require_staff(request)
    visit = get_visit_for_user(request.user, visit_id, perm=Perm.VIEW_CLINICAL)
    require_perm(request.user, visit.clinic, Perm.PRESCRIBE)
    form = NoteForm(request.POST or None, label="What did you decide, and why?")
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_clear_review_flag(request.user, visit, note=form.cleaned_data["note"])  # type: ignore[arg-type]
        except actions.PreparationError as exc:
            form.add_error("note" if exc.field == "note" else None, str(exc))
        else:
            messages.success(request, "Review recorded.")
            return redirect("preparation:visit", visit.pk)
    return render(request, "preparation/clear_review.html", {"visit": visit, "form": form})


@login_required
@require_POST
def close_task(request: HttpRequest, task_id: int) -> HttpResponse:
    """Close a front desk task with a note."""
    _require_staff(request)
    task = get_object_or_404(PreparationTask.objects.select_related("plan__visit", "plan__patient"), pk=task_id,
                             plan__clinic_id__in=staff_clinic_ids(request.user, Perm.VIEW_PATIENTS))
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.do_close_task(request.user, task, note=form.cleaned_data["note"])  # type: ignore[arg-type]
        messages.success(request, "Task closed.")
    else:
        messages.error(request, "Write what you did before closing the task.")
    return redirect(f"{_readiness_url()}?day={request.POST.get('day', 'today')}")


def _readiness_url() -> str:
    from django.urls import reverse

    return reverse("preparation:readiness")


@login_required
@require_http_methods(["GET", "POST"])
def medications(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Agreed medication instructions for a patient's visits. Clinicians read; prescribers write."""
    _require_staff(request)
    patient = get_patient_for_user(request.user, patient_id, perm=Perm.VIEW_CLINICAL)
    can_write = has_perm(request.user, patient.clinic, Perm.PRESCRIBE)
    form = MedicationInstructionForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, patient.clinic, Perm.PRESCRIBE)
        if form.is_valid():
            try:
                actions.do_add_medication_instruction(request.user, patient, **form.cleaned_data)  # type: ignore[arg-type]
            except actions.PreparationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, "Instruction saved. The patient's plans now show it.")
                return redirect("preparation:medications", patient.pk)
    records = MedicationInstructionRecord.objects.filter(patient=patient).select_related("recorded_by", "ended_by")
    return render(request, "preparation/medications.html", {
        "patient": patient, "records": records, "form": form, "can_write": can_write,
        "end_form": NoteForm(label="Why does it end?")})


@login_required
@require_POST
def end_medication(request: HttpRequest, record_id: int) -> HttpResponse:
    _require_staff(request)
    record = get_object_or_404(MedicationInstructionRecord.objects.select_related("patient"), pk=record_id,
                               clinic_id__in=staff_clinic_ids(request.user, Perm.VIEW_CLINICAL))
    require_perm(request.user, record.clinic_id, Perm.PRESCRIBE)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.do_end_medication_instruction(request.user, record, reason=form.cleaned_data["note"])  # type: ignore[arg-type]
        messages.success(request, "Instruction ended.")
    else:
        messages.error(request, "Say why the instruction ends.")
    return redirect("preparation:medications", record.patient_id)
