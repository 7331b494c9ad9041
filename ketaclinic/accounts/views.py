"""Sign-in, two-step sign-in, invitations and the clinic team page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import actions
from ketaclinic.accounts.forms import CodeForm, EmailLoginForm, InviteStaffForm, SetPasswordForm
from ketaclinic.accounts.middleware import has_confirmed_device
from ketaclinic.accounts.models import Invitation, Membership
from ketaclinic.accounts.roles import Perm, Role, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.web.clinic import current_clinic
from ketaclinic.web.qr import qr_svg


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest, default: str = "web:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the QR code, confirm with one code, show backup codes once."""
    user = request.user
    if has_confirmed_device(user) and not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("accounts:two_factor_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if request.method == "POST" and device is not None:
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                codes = actions.do_confirm_totp(user, device, form.cleaned_data["code"])  # type: ignore[arg-type]
            except actions.InvitationInvalid as exc:
                form.add_error("code", str(exc))
            else:
                otp_login(request, device)
                return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _safe_next(request)})
    else:
        form = CodeForm()
        if device is None:
            device = actions.start_totp_setup(user)  # type: ignore[arg-type]
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr": qr_svg(device.config_url), "secret": _b32(device), "next": _safe_next(request),
    })


def _b32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if not has_confirmed_device(request.user):
        return redirect("accounts:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"].strip().replace(" ", ""))
        if device is None:
            with_ip = request.user
            record_event(with_ip, "TWO_FACTOR_FAILED")
            form.add_error("code", _("That code did not work. Use the newest code from your app, or a backup code."))
        else:
            otp_login(request, device)
            return redirect(_safe_next(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
@require_http_methods(["POST"])
def regenerate_backup_codes(request: HttpRequest) -> HttpResponse:
    codes = actions.do_regenerate_backup_codes(request.user)  # type: ignore[arg-type]
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": "/"})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = actions.find_open_invitation(token)
    except actions.InvitationInvalid as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
    if invitation.patient is not None and not request.session.get("lang"):
        # Not signed in yet: the page speaks the language the clinic recorded for this patient.
        translation.activate(invitation.patient.preferred_language or "en")
        request.LANGUAGE_CODE = translation.get_language()
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.do_accept_invitation(token, form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_error("password", exc)
        except actions.InvitationInvalid as exc:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if invitation.role != Role.PATIENT:
                return redirect("accounts:two_factor_setup")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("web:home")
    return render(request, "accounts/accept_invitation.html", {"invitation": invitation, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    """The clinic's staff and open invitations; admins invite and revoke here."""
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.MANAGE_STAFF)
    form = InviteStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_invite_staff(request.user, clinic, email=form.cleaned_data["email"],  # type: ignore[arg-type]
                                full_name=form.cleaned_data["full_name"], role=form.cleaned_data["role"])
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("accounts:team")
    members = (Membership.objects.filter(clinic=clinic).exclude(role=Role.PATIENT)
               .select_related("user").order_by("user__full_name", "role"))
    invitations = Invitation.objects.filter(clinic=clinic, accepted_at=None).exclude(role=Role.PATIENT)
    return render(request, "accounts/team.html", {"members": members, "invitations": invitations, "form": form,
                                                  "roles": dict(Role.choices)})


@login_required
@require_http_methods(["POST"])
def revoke_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.MANAGE_STAFF)
    membership = Membership.objects.select_related("user", "clinic").filter(clinic=clinic, pk=membership_id).first()
    if membership is None:
        messages.error(request, "That role was not found.")
    else:
        actions.do_revoke_role(request.user, membership)  # type: ignore[arg-type]
        messages.success(request, f"Removed {membership.role} from {membership.user}.")
    return redirect("accounts:team")
