"""Public pages (anonymous): the clinics' pages and the self-referral form.

The form has a honeypot and a per-address rate limit against spam. It is offered in English
and Spanish (`?lang=es`, kept in a hidden field); the language chosen becomes the new patient's
preferred language.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.clinics.models import Clinic
from ketaclinic.screening import actions
from ketaclinic.screening.client_address import rate_limit_address
from ketaclinic.screening.forms import SelfReferralForm

PUBLIC_LANGUAGES = ("en", "es")


def _language(request: HttpRequest) -> str:
    chosen = request.POST.get("lang") or request.GET.get("lang") or translation.get_language() or "en"
    return chosen if chosen in PUBLIC_LANGUAGES else "en"


def _render(request: HttpRequest, template: str, language: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    with translation.override(language):
        response = render(request, template, {**context, "lang": language}, status=status)
    response.headers["Content-Language"] = language
    return response


@require_GET
def clinics(request: HttpRequest) -> HttpResponse:
    """Every clinic, with a link to its public page (linked from the sign-in page)."""
    return _render(request, "screening/public_clinics.html", _language(request),
                   {"clinics": Clinic.objects.order_by("name")})


@require_GET
def clinic_page(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """One clinic's public page: how to reach it and how to ask about treatment."""
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    return _render(request, "screening/public_clinic.html", _language(request), {"clinic": clinic})


@require_http_methods(["GET", "POST"])
def self_refer(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    language = _language(request)
    with translation.override(language):
        form = SelfReferralForm(request.POST or None)
        valid = request.method == "POST" and form.is_valid()
    context = {"form": form, "clinic": clinic}
    if valid:
        d = form.cleaned_data
        if d["website"]:
            # A bot filled the hidden field: answer as if it worked, keep nothing.
            return _render(request, "screening/self_refer_done.html", language, {"clinic": clinic})
        try:
            with translation.override(language):
                actions.do_submit_self_referral(
                    clinic, first_name=d["first_name"], last_name=d["last_name"], date_of_birth=d["date_of_birth"],
                    sex_at_birth=d["sex_at_birth"], email=d["email"], phone=d["phone"], reason=d["reason"],
                    preferred_language=language, ip=rate_limit_address(request))
        except actions.RateLimited as exc:
            form.add_error(None, str(exc))
            return _render(request, "screening/self_refer.html", language, context, status=429)
        # The same page whether a chart was made or the person was already registered: the form
        # must not tell a stranger who is a patient here.
        return _render(request, "screening/self_refer_done.html", language, {"clinic": clinic})
    return _render(request, "screening/self_refer.html", language, context, status=400 if form.errors else 200)
