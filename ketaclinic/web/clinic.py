"""Which clinic a staff request is about."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ketaclinic.accounts.roles import staff_clinic_ids
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.access import own_patient_record

SESSION_KEY = "clinic_id"


def current_clinic(request: HttpRequest) -> Clinic:
    """The staff member's chosen clinic (or their first), or a patient's own clinic.

    Raises PermissionDenied for a signed-in user with no clinic at all.
    """
    user = request.user
    ids = staff_clinic_ids(user)
    if ids:
        chosen = request.session.get(SESSION_KEY)
        clinic_id = chosen if chosen in ids else ids[0]
        return Clinic.objects.get(pk=clinic_id)
    patient = own_patient_record(user)
    if patient is not None:
        return patient.clinic
    raise PermissionDenied("Your account is not linked to a clinic yet.")
