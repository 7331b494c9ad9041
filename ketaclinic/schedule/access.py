"""Every read of a visit or a treatment course goes through here.

Staff holding `perm` (default: view patients) at the visit's clinic see it; a patient sees
only their own visits and courses. Anything else is Http404, the same as missing, so ids
cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.schedule.models import Chair, Visit


def visits_visible_to(user: Any, perm: Perm = Perm.VIEW_PATIENTS) -> QuerySet[Visit]:
    """Visits `user` may see: staff with `perm` see their clinics' visits, a patient their own.

    Anonymous users see nothing. The queryset is not ordered beyond the model default
    (`starts_at`) and does not join anything; callers add `select_related` as they need.
    """
    if not getattr(user, "is_authenticated", False):
        return Visit.objects.none()
    clinic_ids = staff_clinic_ids(user, perm)
    if clinic_ids:
        return Visit.objects.filter(clinic_id__in=clinic_ids)
    return Visit.objects.filter(patient__user=user)


def get_visit_for_user(user: Any, visit_id: int, *, perm: Perm = Perm.VIEW_PATIENTS,
                       lock: bool = False) -> Visit:
    """The visit if `user` may see it (staff with `perm` at its clinic, or its patient), else Http404.

    Joins clinic, patient, course and chair. `lock=True` (SELECT … FOR UPDATE of the visit row)
    only inside an action's transaction.
    """
    qs = visits_visible_to(user, perm).select_related("clinic", "patient", "course", "chair")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=visit_id)


def courses_visible_to(user: Any, perm: Perm = Perm.VIEW_PATIENTS) -> QuerySet[TreatmentCourse]:
    """Courses `user` may see: staff with `perm` see their clinics' courses, a patient their own."""
    if not getattr(user, "is_authenticated", False):
        return TreatmentCourse.objects.none()
    clinic_ids = staff_clinic_ids(user, perm)
    if clinic_ids:
        return TreatmentCourse.objects.filter(clinic_id__in=clinic_ids)
    return TreatmentCourse.objects.filter(patient__user=user)


def get_course_for_user(user: Any, course_id: int, *, perm: Perm = Perm.VIEW_PATIENTS,
                        lock: bool = False) -> TreatmentCourse:
    """The course if `user` may see it (staff with `perm` at its clinic, or its patient), else Http404.

    Joins clinic and patient. `lock=True` only inside an action's transaction.
    """
    qs = courses_visible_to(user, perm).select_related("clinic", "patient")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=course_id)


def chairs_visible_to(user: Any) -> QuerySet[Chair]:
    """Chairs of the clinics where `user` holds a staff role (patients see none)."""
    return Chair.objects.filter(clinic_id__in=staff_clinic_ids(user))


def get_chair_for_user(user: Any, chair_id: int) -> Chair:
    """A chair of one of the user's clinics, else Http404."""
    return get_object_or_404(chairs_visible_to(user).select_related("clinic"), pk=chair_id)
