"""Staff idle timeout and the two-factor requirement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.roles import is_staff_member
from ketaclinic.audit.log import current_ip

# Paths a signed-in user may reach before finishing two-step sign-in.
_TWO_FACTOR_OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")
_LAST_SEEN = "last_seen_at"


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The sign-in email, lower-cased, so "Nurse@X" and "nurse@x" count as one account for lockout."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(raw).strip().lower()


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class StaffIdleTimeoutMiddleware:
    """Sign staff out after the clinic's idle timeout (default 15 min); also records the client IP
    for audit rows written during this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            user = request.user
            if is_staff_member(user):
                now = timezone.now().timestamp()
                last = request.session.get(_LAST_SEEN)
                limit_s = self.timeout_minutes(user) * 60
                if last is not None and now - float(last) > limit_s:
                    logout(request)
                    messages.info(request, "You were signed out after a period without activity. Please sign in again.")
                    if request.headers.get("HX-Request"):
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = reverse("accounts:login")
                        return response
                    return redirect(f"{reverse('accounts:login')}?next={request.path}")
                # polling fragments (htmx with hx-trigger="every …") must not keep a session alive
                if request.headers.get("HX-Trigger-Name") != "poll":
                    request.session[_LAST_SEEN] = now
            return self.get_response(request)
        finally:
            current_ip.reset(token)

    @staticmethod
    def timeout_minutes(user: Any) -> int:
        from ketaclinic.clinics.models import Clinic

        values = Clinic.objects.filter(memberships__user=user, memberships__active=True).values_list(
            "staff_idle_timeout_minutes", flat=True)
        return min(values, default=15) or 15


def needs_two_factor(user: object) -> bool:
    """Staff always; a patient once they have turned it on."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(is_staff_member(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def has_confirmed_device(user: object) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or StaticDevice.objects.filter(user=user, confirmed=True, token_set__isnull=False).exists())


class RequireStaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            getattr(user, "is_authenticated", False)
            and not request.path.startswith(_TWO_FACTOR_OPEN_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr]
            and needs_two_factor(user)
        ):
            target = "accounts:two_factor_verify" if has_confirmed_device(user) else "accounts:two_factor_setup"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Two-step sign-in required."}, status=403)
            return redirect(f"{reverse(target)}?next={request.path}")
        return self.get_response(request)
