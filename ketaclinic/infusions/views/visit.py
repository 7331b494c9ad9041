"""The visit chart a nurse works in: gate, check-in, vitals, pump, observations, events, discharge.

GET renders every section; each POST calls one action and redirects back to the section, or
re-renders the page with the bound form (what was typed stays) and status 400 on an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.infusions import actions
from ketaclinic.infusions import forms as f
from ketaclinic.infusions.access import get_visit_for_charting, get_vital_for_charting
from ketaclinic.infusions.actions.checkin import CHECKIN_FIELDS
from ketaclinic.infusions.actions.discharge import discharge_blockers, infusion_ended_at
from ketaclinic.infusions.actions.dose import ALLOWED_AFTER, start_blockers
from ketaclinic.infusions.models import (
    AdverseEvent,
    ControlledSubstanceEntry,
    DischargeScore,
    DoseOrder,
    Observation,
    PumpEvent,
    PumpEventKind,
    RescueMedication,
    VitalAlert,
    VitalSign,
)
from ketaclinic.infusions.readiness import latest_checkin, preparation_summary, readiness
from ketaclinic.infusions.records import next_vitals_due, pump_course
from ketaclinic.infusions.views.board import OVERRUN_GRACE_MIN
from ketaclinic.infusions.views.common import attach_error, providers_of, require_clinical_staff, user_by_email
from ketaclinic.protocol.discharge import required_scores
from ketaclinic.schedule.models import Chair, Visit, VisitStatus


def _checkin_initial(visit: Visit) -> dict[str, Any]:
    c = latest_checkin(visit)
    zone = visit.clinic.zone
    if c is not None:
        data = {k: getattr(c, k) for k in CHECKIN_FIELDS}
        data["last_solid_food"] = timezone.localtime(c.last_solid_food_at, zone).time() if c.last_solid_food_at \
            else None
        data["last_clear_liquids"] = timezone.localtime(c.last_clear_liquids_at, zone).time() \
            if c.last_clear_liquids_at else None
        return data
    s = preparation_summary(visit)
    return {  # what the patient told us before the visit; the nurse confirms each item at the bedside
        "ride_name": s.ride_name, "ride_phone": s.ride_phone, "medications_taken": s.medications_taken,
        "last_solid_food": timezone.localtime(s.last_solid_food_at, zone).time() if s.last_solid_food_at else None,
        "last_clear_liquids": timezone.localtime(s.last_clear_liquids_at, zone).time()
        if s.last_clear_liquids_at else None,
        "last_alcohol_at": s.last_alcohol_at,
    }


def _checkin_form(visit: Visit, form: f.CheckInForm | None) -> f.CheckInForm:
    return form or f.CheckInForm(initial=_checkin_initial(visit))


def _pump_form(form: f.PumpForm | None, events: list[PumpEvent]) -> f.PumpForm:
    """Offer only the pump events possible now (start first; then pause, rate change or stop …)."""
    form = form or f.PumpForm()
    allowed = ALLOWED_AFTER[events[-1].kind if events else None]
    field = form.fields["kind"]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 — declared as a ChoiceField
    field.choices = [(k, label) for k, label in PumpEventKind.choices if k in allowed]
    return form


def visit_context(request: HttpRequest, visit: Visit, **bound: Any) -> dict[str, Any]:
    now = timezone.now()
    clinic = visit.clinic
    protocol = clinic.protocol()
    providers = providers_of(clinic)
    vitals = list(VitalSign.objects.filter(visit=visit).select_related("entered_by", "confirmed_by", "amends")
                  .order_by("taken_at", "id"))
    current_vitals = [v for v in vitals if not any(o.amends_id == v.pk for o in vitals)]
    events = list(PumpEvent.objects.filter(visit=visit).select_related("entered_by").order_by("at", "id"))
    order = DoseOrder.objects.current().filter(visit=visit).select_related("ordered_by", "cosigned_by").first()
    adverse = list(AdverseEvent.objects.current().filter(visit=visit).select_related("provider_notified"))
    pre_start = visit.status in (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR)
    course = pump_course(order, events, now)
    score_forms = {name: bound.get(f"score_{name}") or (f.AldreteForm() if name == "aldrete" else f.PadssForm())
                   for name in required_scores(protocol)}
    return {
        "visit": visit, "patient": visit.patient, "clinic": clinic, "now": now, "pre_start": pre_start,
        "not_started": visit.status in (VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.CANCELLED,
                                        VisitStatus.NO_SHOW),
        "can_prescribe": has_perm(request.user, clinic, Perm.PRESCRIBE),
        "gate": readiness(visit, now=now) if pre_start else [],
        "start_blockers": start_blockers(visit, now=now) if visit.status == VisitStatus.IN_CHAIR else [],
        "summary": preparation_summary(visit) if pre_start else None,
        "checkin": latest_checkin(visit),
        "chairs": Chair.objects.filter(clinic=clinic, active=True),
        "checkin_form": _checkin_form(visit, bound.get("checkin_form")),
        "override_form": bound.get("override_form") or f.OverrideForm(),
        "vitals_form": bound.get("vitals_form") or f.VitalsForm(autofocus=not pre_start),
        "vitals": vitals, "current_vitals": current_vitals,
        "due": next_vitals_due(visit, current_vitals, events, protocol),
        "alerts": list(VitalAlert.objects.filter(visit=visit).select_related("acknowledged_by")
                       .order_by("status", "-raised_at")),
        "ack_form": f.AckForm(),
        "order": order, "pump_events": events, "course": course,
        "overrun": order is not None and course.started_at is not None and course.stopped_at is None
        and course.actual_minutes > float(order.duration_minutes) + OVERRUN_GRACE_MIN,
        "pump_form": _pump_form(bound.get("pump_form"), events),
        "observations": list(Observation.objects.current().filter(visit=visit).select_related("entered_by")),
        "observation_form": bound.get("observation_form") or f.ObservationForm(),
        "adverse_events": adverse,
        "adverse_form": bound.get("adverse_form") or f.AdverseEventForm(providers=providers),
        "rescue_meds": list(RescueMedication.objects.filter(visit=visit).select_related("ordered_by", "given_by")),
        "rescue_form": bound.get("rescue_form") or f.RescueForm(providers=providers, events=adverse),
        "cs_entries": list(ControlledSubstanceEntry.objects.filter(visit=visit).select_related("witness")),
        "cs_form": bound.get("cs_form") or f.CsAdministrationForm(initial={
            "mg_drawn": order.dose_mg if order else None, "mg_given": order.dose_mg if order else None,
            "mg_wasted": 0}),
        "scores": list(DischargeScore.objects.filter(visit=visit).select_related("scored_by")),
        "score_forms": score_forms,
        "ended_at": infusion_ended_at(visit),
        "discharge_blockers": discharge_blockers(visit, now=now) if visit.status == VisitStatus.RECOVERING else [],
        "discharge_form": bound.get("discharge_form") or f.DischargeForm(initial={
            "escort_name": getattr(latest_checkin(visit), "ride_name", "")}),
        "discharge": getattr(visit, "discharge", None) if visit.status == VisitStatus.DISCHARGED else None,
        "open_calls": list(visit.call_requests.filter(answered_at__isnull=True)),
    }


def _page(request: HttpRequest, visit: Visit, status: int = 200, **bound: Any) -> HttpResponse:
    return render(request, "infusions/visit.html", visit_context(request, visit, **bound), status=status)


@login_required
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    require_clinical_staff(request)
    visit = get_visit_for_charting(request.user, visit_id)
    record_event(request.user, "INFUSION_CHART_VIEWED", patient=visit.patient, obj=visit)
    return _page(request, visit)


def _post(request: HttpRequest, visit_id: int, form_name: str, form: forms.Form, anchor: str,
          run: Callable[[Visit, dict[str, Any]], Any], done: str) -> HttpResponse:
    """Validate `form`, run the action, and go back to `anchor`; errors re-render with the typed values."""
    require_clinical_staff(request)
    visit = get_visit_for_charting(request.user, visit_id)
    if form.is_valid():
        try:
            run(visit, form.cleaned_data)
        except actions.InfusionError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(f"/infusions/visit/{visit.pk}/#{anchor}")
    return _page(request, visit, status=400, **{form_name: form})


@login_required
@require_POST
def checkin(request: HttpRequest, visit_id: int) -> HttpResponse:
    require_clinical_staff(request)
    form = _checkin_form(get_visit_for_charting(request.user, visit_id), f.CheckInForm(request.POST))
    return _post(request, visit_id, "checkin_form", form, "gate", lambda v, d: actions.do_record_checkin(
        request.user, v, **form.action_values(v.clinic.zone, timezone.now())), "Check-in saved.")  # type: ignore[arg-type]


@login_required
@require_POST
def override(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "override_form", f.OverrideForm(request.POST), "gate",
                 lambda v, d: actions.do_override_gate_item(request.user, v, d["item"], reason=d["reason"]),  # type: ignore[arg-type]
                 "Override recorded.")


@login_required
@require_POST
def vitals(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "vitals_form", f.VitalsForm(request.POST), "vitals",
                 lambda v, d: actions.do_record_vitals(request.user, v, **d), "Vitals saved.")  # type: ignore[arg-type]


@login_required
@require_POST
def amend_vitals(request: HttpRequest, vital_id: int) -> HttpResponse:
    require_clinical_staff(request)
    vital = get_vital_for_charting(request.user, vital_id)
    form = f.AmendVitalsForm(request.POST)
    if form.is_valid():
        d = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            actions.do_amend_vitals(request.user, vital, **d)  # type: ignore[arg-type]
        except actions.InfusionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Correction saved; the original is kept.")
    else:
        messages.error(request, "Give the corrected values and why.")
    return redirect(f"/infusions/visit/{vital.visit_id}/#vitals")


@login_required
@require_POST
def confirm_vitals(request: HttpRequest, vital_id: int) -> HttpResponse:
    require_clinical_staff(request)
    vital = get_vital_for_charting(request.user, vital_id)
    actions.do_confirm_vitals(request.user, vital)  # type: ignore[arg-type]
    return redirect(f"/infusions/visit/{vital.visit_id}/#vitals")


@login_required
@require_POST
def ack_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    require_clinical_staff(request)
    from ketaclinic.infusions.access import visits_for_charting

    alert = get_object_or_404(VitalAlert.objects.filter(visit__in=visits_for_charting(request.user))
                              .select_related("visit"), pk=alert_id)
    form = f.AckForm(request.POST)
    if form.is_valid():
        try:
            actions.do_acknowledge_alert(request.user, alert, action_taken=form.cleaned_data["action_taken"])  # type: ignore[arg-type]
        except actions.InfusionError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Say what was done before acknowledging the alert.")
    return redirect(f"/infusions/visit/{alert.visit_id}/#alerts")


@login_required
@require_POST
def pump(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "pump_form", f.PumpForm(request.POST), "pump",
                 lambda v, d: actions.do_record_pump_event(request.user, v, d["kind"],  # type: ignore[arg-type]
                                                           rate_ml_per_h=d["rate_ml_per_h"],
                                                           volume_infused_ml=d["volume_infused_ml"],
                                                           reason=d["reason"]), "Pump event charted.")


@login_required
@require_POST
def observation(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "observation_form", f.ObservationForm(request.POST), "observations",
                 lambda v, d: actions.do_record_observation(request.user, v, d["kind"], value=d["value"],  # type: ignore[arg-type]
                                                            text=d["text"]), "Observation saved.")


def _user_choice(visit: Visit, pk: Any) -> Any:
    from ketaclinic.accounts.models import User

    return User.objects.filter(pk=pk or 0).first()


@login_required
@require_POST
def adverse_event(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for_charting(request.user, visit_id)
    form = f.AdverseEventForm(request.POST, providers=providers_of(visit.clinic))
    return _post(request, visit_id, "adverse_form", form, "events",
                 lambda v, d: actions.do_record_adverse_event(
                     request.user, v, event_type=d["event_type"], severity=d["severity"],  # type: ignore[arg-type]
                     action_taken=d["action_taken"], outcome=d["outcome"],
                     provider_notified=_user_choice(v, d["provider_notified"])), "Adverse event charted.")


@login_required
@require_POST
def rescue(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for_charting(request.user, visit_id)
    events = list(AdverseEvent.objects.current().filter(visit=visit))
    form = f.RescueForm(request.POST, providers=providers_of(visit.clinic), events=events)
    return _post(request, visit_id, "rescue_form", form, "events",
                 lambda v, d: actions.do_give_rescue_medication(
                     request.user, v, drug=d["drug"], dose=d["dose"], unit=d["unit"], route=d["route"],  # type: ignore[arg-type]
                     ordered_by=_user_choice(v, d["ordered_by"]),
                     adverse_event=next((e for e in events if str(e.pk) == d["adverse_event"]), None)),
                 "Rescue medicine charted.")


@login_required
@require_POST
def cs_administration(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "cs_form", f.CsAdministrationForm(request.POST), "drug",
                 lambda v, d: actions.do_record_cs_administration(
                     request.user, v, lot=d["lot"], mg_drawn=d["mg_drawn"], mg_given=d["mg_given"],  # type: ignore[arg-type]
                     mg_wasted=d["mg_wasted"], witness=user_by_email(v.clinic, d["witness_email"]),
                     witness_password=d["witness_password"]), "Controlled-substance record saved.")


@login_required
@require_POST
def score(request: HttpRequest, visit_id: int, name: str) -> HttpResponse:
    if name not in ("aldrete", "padss"):
        raise Http404
    form: forms.Form = f.AldreteForm(request.POST) if name == "aldrete" else f.PadssForm(request.POST)
    return _post(request, visit_id, f"score_{name}", form, "discharge",
                 lambda v, d: actions.do_score_discharge(request.user, v, name, d), "Score saved.")  # type: ignore[arg-type]


@login_required
@require_POST
def discharge(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _post(request, visit_id, "discharge_form", f.DischargeForm(request.POST), "discharge",
                 lambda v, d: actions.do_discharge_patient(request.user, v, **d),  # type: ignore[arg-type]
                 "Discharged. The after-care sheet and tomorrow's check-in are on their way.")


@login_required
@require_POST
def amend_adverse_event(request: HttpRequest, event_id: int) -> HttpResponse:
    require_clinical_staff(request)
    from ketaclinic.infusions.access import visits_for_charting

    event = get_object_or_404(AdverseEvent.objects.filter(visit__in=visits_for_charting(request.user))
                              .select_related("visit"), pk=event_id)
    try:
        actions.do_amend_adverse_event(request.user, event, reason=request.POST.get("reason", ""),  # type: ignore[arg-type]
                                       outcome=request.POST.get("outcome", ""))
    except actions.InfusionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Event updated; the original entry is kept.")
    return redirect(f"/infusions/visit/{event.visit_id}/#events")
