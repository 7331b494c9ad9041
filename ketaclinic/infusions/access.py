"""Reads of infusion-day records. Not visible → 404 (same as missing); wrong role → 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.infusions.models import CallRequest, FollowUp, VitalSign
from ketaclinic.schedule.models import Visit, VisitStatus

IN_CHAIR_STATUSES = (VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING)


def visits_for_charting(user: Any) -> QuerySet[Visit]:
    """Visits of the clinics where `user` may read the clinical chart (nurse, provider, director)."""
    return Visit.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.VIEW_CLINICAL))


def get_visit_for_charting(user: Any, visit_id: int) -> Visit:
    """One visit for the infusion chart, or Http404 (patients, front desk, other clinics)."""
    return get_object_or_404(visits_for_charting(user).select_related("patient", "clinic", "chair", "course"),
                             pk=visit_id)


def get_visit_for_front_desk(user: Any, visit_id: int) -> Visit:
    """A visit for arrival: any staff who sees patients at its clinic, else Http404."""
    return get_object_or_404(Visit.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.VIEW_PATIENTS))
                             .select_related("patient", "clinic"), pk=visit_id)


def get_vital_for_charting(user: Any, vital_id: int) -> VitalSign:
    qs = VitalSign.objects.filter(visit__in=visits_for_charting(user)).select_related("visit")
    vital: VitalSign = get_object_or_404(qs, pk=vital_id)
    return vital


def get_call_for_charting(user: Any, call_id: int) -> CallRequest:
    return get_object_or_404(CallRequest.objects.filter(visit__in=visits_for_charting(user)).select_related("visit"),
                             pk=call_id)


def own_visit_in_chair(user: Any, visit_id: int) -> Visit:
    """The signed-in patient's own visit, while they are in the chair; else Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Visit.objects.select_related("patient", "clinic"), pk=visit_id,
                             patient__user=user, status__in=IN_CHAIR_STATUSES)


def current_visit_in_chair(patient: Any) -> Visit | None:
    return (Visit.objects.filter(patient=patient, status__in=IN_CHAIR_STATUSES).select_related("chair")
            .order_by("-starts_at").first())


def own_follow_up(user: Any, follow_up_id: int) -> FollowUp:
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(FollowUp.objects.select_related("visit__patient", "clinic"), pk=follow_up_id,
                             visit__patient__user=user)


def get_follow_up_for_charting(user: Any, follow_up_id: int) -> FollowUp:
    return get_object_or_404(FollowUp.objects.filter(visit__in=visits_for_charting(user)).select_related(
        "visit__patient"), pk=follow_up_id)


def own_recent_discharged_visit(user: Any, visit_id: int) -> Visit:
    """The signed-in patient's own discharged visit (for their after-care sheet); else Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Visit.objects.select_related("patient", "clinic"), pk=visit_id, patient__user=user,
                             status=VisitStatus.DISCHARGED)


def latest_discharged_visit(patient: Any, since: Any) -> Visit | None:
    return (Visit.objects.filter(patient=patient, status=VisitStatus.DISCHARGED, status_changed_at__gte=since)
            .order_by("-status_changed_at").first())
