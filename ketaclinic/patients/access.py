"""Every read of a patient goes through here. Not visible → 404, the same as missing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.patients.models import Patient


def patients_visible_to(user: Any, perm: Perm = Perm.VIEW_PATIENTS) -> QuerySet[Patient]:
    """Staff with `perm` see their clinics' patients; a patient sees only their own record."""
    if not getattr(user, "is_authenticated", False):
        return Patient.objects.none()
    clinic_ids = staff_clinic_ids(user, perm)
    if clinic_ids:
        return Patient.objects.filter(clinic_id__in=clinic_ids)
    return Patient.objects.filter(user=user)


def get_patient_for_user(user: Any, patient_id: int, *, perm: Perm = Perm.VIEW_PATIENTS,
                         lock: bool = False) -> Patient:
    """The patient if `user` may see it with `perm` (or is that patient), else Http404.

    `lock=True` only inside an action's transaction.
    """
    qs = patients_visible_to(user, perm).select_related("clinic")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=patient_id)


def own_patient_record(user: Any) -> Patient | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Patient.objects.select_related("clinic").filter(user=user).first()
