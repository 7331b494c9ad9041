"""Patient portal pages: progress and charts, questionnaires, journal, sleep diary."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.outcomes import actions
from ketaclinic.outcomes.access import (
    custom_questions_for,
    get_custom_question,
    get_own_journal_entry,
    get_response_for_user,
    journal_entries_visible_to,
    own_patient_or_404,
)
from ketaclinic.outcomes.due import SHORT_NAMES, due_for_patient
from ketaclinic.outcomes.forms import JournalForm, QuestionnaireForm, SleepDiaryForm
from ketaclinic.outcomes.instrument_text import severity_words, wording
from ketaclinic.outcomes.models import CustomQuestion, JournalTag
from ketaclinic.outcomes.progress import score_blocks, sleep_blocks
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.schedule.access import visits_visible_to
from ketaclinic.schedule.models import Visit, VisitStatus

JOURNAL_PAGE = 20


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    patient = own_patient_or_404(request.user)
    now = timezone.now()
    return render(request, "outcomes/my_progress.html", {
        "patient": patient, "clinic": patient.clinic, "due": due_for_patient(patient, now),
        "blocks": score_blocks(patient, provider=False, now=now),
        "sleep": sleep_blocks(patient, provider=False, now=now),
        "instruments": [(code, SHORT_NAMES[code]) for code in INSTRUMENTS],
        "custom_questions": custom_questions_for(request.user, patient.clinic_id),
    })


def _own_visit(request: HttpRequest, patient: Patient) -> Visit | None:
    raw = request.GET.get("visit") or request.POST.get("visit")
    if not raw or not str(raw).isdigit():
        return None
    return visits_visible_to(request.user).filter(pk=int(raw), patient=patient).select_related("course").first()


def _answer(request: HttpRequest, instrument: str, question: CustomQuestion | None) -> HttpResponse:
    patient = own_patient_or_404(request.user)
    visit = _own_visit(request, patient)
    form = QuestionnaireForm(request.POST or None, instrument=instrument, custom_question=question)
    if request.method == "POST" and form.is_valid():
        try:
            response = actions.do_submit_questionnaire(
                request.user, patient, instrument, form.answers(),  # type: ignore[arg-type]
                submission_key=form.cleaned_data["submission_key"], visit=visit, custom_question=question,
                supplementary=form.cleaned_data.get("supplementary") or "")
        except actions.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return redirect("outcomes:answered", response.pk)
    text = None if question else wording(instrument, get_language() or "en")
    return render(request, "outcomes/answer.html", {
        "form": form, "title": question.text if question else text.name,  # type: ignore[union-attr]
        "patient": patient, "visit": visit, "clinic": patient.clinic,
        "recall": text.recall_period if text else "",
    })


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, instrument: str) -> HttpResponse:
    if instrument not in INSTRUMENTS:
        raise Http404
    return _answer(request, instrument, None)


@login_required
@require_http_methods(["GET", "POST"])
def answer_custom(request: HttpRequest, question_id: int) -> HttpResponse:
    patient = own_patient_or_404(request.user)
    return _answer(request, "custom", get_custom_question(patient.clinic_id, question_id))


@login_required
def answered(request: HttpRequest, response_id: int) -> HttpResponse:
    """Thank-you page; with a risk answer, crisis resources come first."""
    patient = own_patient_or_404(request.user)
    response = get_response_for_user(request.user, response_id)
    risk = bool(actions.SAFETY_FLAGS & set(response.flags))
    return render(request, "outcomes/answered.html", {
        "patient": patient, "clinic": patient.clinic, "response": response, "risk": risk,
        "severity": severity_words(response.severity),
        "due": due_for_patient(patient, timezone.now()),
    })


def _journal_visits(request: HttpRequest, patient: Patient):  # type: ignore[no-untyped-def]
    since = timezone.now() - timedelta(days=120)
    return (visits_visible_to(request.user).filter(patient=patient, starts_at__gte=since,
                                                   starts_at__lte=timezone.now(), status=VisitStatus.DISCHARGED)
            .order_by("-starts_at"))


@login_required
@require_http_methods(["GET", "POST"])
def journal(request: HttpRequest) -> HttpResponse:
    """The patient's journal: write, search, share. Newest first, 20 per page."""
    patient = own_patient_or_404(request.user)
    visits = _journal_visits(request, patient)
    initial = {}
    prompt_visit = _own_visit(request, patient) if request.method == "GET" else None
    if prompt_visit is not None:
        initial = {"visit": prompt_visit.pk, "tags": [JournalTag.AFTER_EFFECTS]}
    form = JournalForm(request.POST or None, visits=visits, zone=patient.clinic.zone, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_add_journal_entry(request.user, patient, text=data["text"], mood=data["mood"],  # type: ignore[arg-type]
                                         tags=data["tags"], visit=data["visit"], shared=data["shared"],
                                         submission_key=data["submission_key"])
        except actions.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, gettext("Saved to your journal. Your care team can read it.") if data["shared"]
                             else gettext("Saved to your journal. Only you can read it."))
            return redirect("outcomes:journal")
    query = request.GET.get("q", "").strip()[:100]
    entries = journal_entries_visible_to(request.user).filter(patient=patient).select_related("visit")
    if query:
        entries = entries.filter(text__icontains=query)
    tag = request.GET.get("tag", "")
    if tag in JournalTag.values:
        entries = entries.filter(tags__contains=[tag]) if _json_contains_supported() else entries.filter(
            tags__icontains=tag)
    page = Paginator(entries.order_by("-written_at", "-id"), JOURNAL_PAGE).get_page(request.GET.get("page"))
    return render(request, "outcomes/journal.html", {
        "patient": patient, "clinic": patient.clinic, "form": form, "page": page, "q": query, "tag": tag,
        "tags": JournalTag.choices, "prompt_visit": prompt_visit,
    })


def _json_contains_supported() -> bool:
    from django.db import connection

    return bool(connection.features.supports_json_field_contains)


@login_required
@require_POST
def journal_share(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_own_journal_entry(request.user, entry_id)
    shared = request.POST.get("shared") == "1"
    actions.do_set_journal_sharing(request.user, entry, shared)  # type: ignore[arg-type]
    messages.success(request, gettext("Shared with your care team.") if shared
                     else gettext("This entry is private again."))
    return redirect("outcomes:journal")


@login_required
@require_http_methods(["GET", "POST"])
def sleep_new(request: HttpRequest) -> HttpResponse:
    patient = own_patient_or_404(request.user)
    zone = patient.clinic.zone
    yesterday = timezone.localdate(timezone=zone) - timedelta(days=1)
    form = SleepDiaryForm(request.POST or None, initial={"night_of": yesterday})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_add_sleep_diary_entry(
                request.user, patient, night_of=data["night_of"],  # type: ignore[arg-type]
                sleep_onset_minutes=data["sleep_onset_minutes"], awakenings=data["awakenings"],
                wake_after_sleep_onset_minutes=data["wake_after_sleep_onset_minutes"], quality=data["quality"],
                **form.moments(zone))
        except actions.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, gettext("Thank you. Your sleep diary is saved."))
            return redirect("outcomes:my_progress")
    return render(request, "outcomes/sleep_new.html", {"form": form, "patient": patient, "clinic": patient.clinic})
