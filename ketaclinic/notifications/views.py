"""Views of the notifications stage: the patient's message preferences and the staff list of
messages that could not be sent."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.notifications import actions
from ketaclinic.notifications.access import get_message_for_user, messages_visible_to
from ketaclinic.notifications.forms import DismissForm, PreferenceForm
from ketaclinic.notifications.models import MessageStatus
from ketaclinic.patients.access import own_patient_record
from ketaclinic.web.clinic import current_clinic

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The patient chooses email, text or both, and quiet hours."""
    patient = own_patient_record(request.user)
    if patient is None:
        raise Http404
    current = actions.preference_for(patient)
    form = PreferenceForm(request.POST or None, initial={
        "channel": current.channel, "quiet_start": current.quiet_start, "quiet_end": current.quiet_end,
        "language": patient.preferred_language})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_message_preference(request.user, patient, **form.cleaned_data)  # type: ignore[arg-type]
        except ValueError as exc:
            form.add_error("channel", str(exc))
        else:
            request.session["lang"] = form.cleaned_data["language"]  # the portal follows at once
            with translation.override(form.cleaned_data["language"]):
                messages.success(request, _("Saved. New reminders will use these settings."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "patient": patient,
                                                              "clinic": patient.clinic})


def _require_staff(request: HttpRequest) -> None:
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404


@login_required
def failed_messages(request: HttpRequest) -> HttpResponse:
    """Messages that failed for good, and messages still retrying, newest first."""
    _require_staff(request)
    clinic = current_clinic(request)
    qs = (messages_visible_to(request.user).filter(clinic=clinic)
          .filter(Q(status=MessageStatus.FAILED) | Q(status=MessageStatus.PENDING, attempts__gt=0))
          .select_related("patient").order_by("-due_at", "-id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/failed.html", {"clinic": clinic, "page": page,
                                                         "dismiss_form": DismissForm()})


@login_required
@require_POST
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    _require_staff(request)
    message = get_message_for_user(request.user, message_id)
    try:
        actions.do_retry_message(request.user, message)  # type: ignore[arg-type]
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The message to {message.patient} will be sent again in a moment.")
    return redirect("notifications:failed")


@login_required
@require_POST
def dismiss(request: HttpRequest, message_id: int) -> HttpResponse:
    _require_staff(request)
    message = get_message_for_user(request.user, message_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how you reached the patient before closing the message.")
        return redirect("notifications:failed")
    try:
        actions.do_dismiss_message(request.user, message, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Closed.")
    return redirect("notifications:failed")
