"""The public self-referral page (anonymous): honeypot and a per-address rate limit against spam."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.middleware import client_ip
from ketaclinic.clinics.models import Clinic
from ketaclinic.screening import actions
from ketaclinic.screening.forms import SelfReferralForm


@require_http_methods(["GET", "POST"])
def self_refer(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    form = SelfReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["website"]:
            # A bot filled the hidden field: answer as if it worked, keep nothing.
            return render(request, "screening/self_refer_done.html", {"clinic": clinic})
        try:
            actions.do_submit_self_referral(
                clinic, first_name=d["first_name"], last_name=d["last_name"], date_of_birth=d["date_of_birth"],
                sex_at_birth=d["sex_at_birth"], email=d["email"], phone=d["phone"], reason=d["reason"],
                ip=client_ip(request))
        except actions.RateLimited as exc:
            form.add_error(None, str(exc))
            return render(request, "screening/self_refer.html", {"form": form, "clinic": clinic}, status=429)
        return render(request, "screening/self_refer_done.html", {"clinic": clinic})
    return render(request, "screening/self_refer.html", {"form": form, "clinic": clinic},
                  status=400 if form.errors else 200)
