from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from ketaclinic.accounts.roles import staff_clinic_ids
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.access import own_patient_record


class ClinicTimezoneMiddleware:
    """Show times in the clinic's own zone; the database and server stay in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone_name = None
        if getattr(request.user, "is_authenticated", False):
            ids = staff_clinic_ids(request.user)
            if ids:
                chosen = request.session.get("clinic_id")
                zone_name = Clinic.objects.filter(pk=chosen if chosen in ids else ids[0]).values_list(
                    "timezone", flat=True).first()
            else:
                patient = own_patient_record(request.user)
                zone_name = patient.clinic.timezone if patient else None
        if zone_name:
            timezone.activate(zone_name)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PatientLanguageMiddleware:
    """Patients see the portal in their preferred language; staff screens stay English
    unless a `lang` was chosen for this session (the language switch)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.session.get("lang") if hasattr(request, "session") else None
        if not language and getattr(request.user, "is_authenticated", False) and not staff_clinic_ids(request.user):
            patient = own_patient_record(request.user)
            language = patient.preferred_language if patient else None
        language = language if language in ("en", "es") else "en"
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
