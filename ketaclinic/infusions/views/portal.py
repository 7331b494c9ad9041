"""The patient's side: "call nurse" while in the chair, and the next-day check-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.infusions import actions
from ketaclinic.infusions.access import (
    get_follow_up_for_charting,
    own_follow_up,
    own_recent_discharged_visit,
    own_visit_in_chair,
)
from ketaclinic.infusions.actions.discharge import FEELING_CHOICES, FOLLOW_UP_QUESTIONS
from ketaclinic.infusions.messages import aftercare_sections
from ketaclinic.infusions.views.common import require_clinical_staff


@login_required
@require_POST
def call_nurse(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = own_visit_in_chair(request.user, visit_id)
    actions.do_request_nurse(request.user, visit)  # type: ignore[arg-type]
    messages.success(request, _("Your nurse has been called and is on the way."))
    return redirect("web:home")


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = own_follow_up(request.user, follow_up_id)
    errors: dict[str, str] = {}
    if request.method == "POST" and item.answered_at is None:
        try:
            actions.do_answer_follow_up(request.user, item, dict(request.POST.items()))  # type: ignore[arg-type]
        except actions.InfusionError as exc:
            errors[exc.field] = exc.message
        else:
            return redirect("infusions:follow_up", item.pk)
    item.refresh_from_db()
    protocol = item.clinic.protocol()
    return render(request, "infusions/follow_up.html", {
        "item": item,
        "questions": [(k, _(q), request.POST.get(k, "")) for k, q in FOLLOW_UP_QUESTIONS],
        "feelings": [(value, str(label)) for value, label in FEELING_CHOICES], "errors": errors,
        "posted": request.POST, "clinic": item.clinic, "crisis_line": protocol.outcomes.crisis_line,
        "emergency_number": protocol.outcomes.emergency_number,
    }, status=400 if errors else 200)


@login_required
@require_POST
def review_follow_up(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    require_clinical_staff(request)
    item = get_follow_up_for_charting(request.user, follow_up_id)
    actions.do_review_follow_up(request.user, item)  # type: ignore[arg-type]
    return redirect("web:home")


@login_required
def my_aftercare(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The patient's own after-care sheet for a visit they were discharged from."""
    visit = own_recent_discharged_visit(request.user, visit_id)
    return render(request, "infusions/aftercare.html", {"visit": visit, "patient": visit.patient,
                                                        "clinic": visit.clinic,
                                                        "sections": aftercare_sections(visit.clinic)})
