"""The medical director's protocol settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.clinics import actions
from ketaclinic.protocol.config import ProtocolConfigError, flatten, parse_override_text, setting_infos
from ketaclinic.web.clinic import current_clinic


@login_required
@require_http_methods(["GET", "POST"])
def protocol_settings(request: HttpRequest) -> HttpResponse:
    """Every clinical number with its default, source and this clinic's value.

    Clinicians may read it; only the medical director changes it, with a reason.
    """
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    can_edit = has_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    if request.method == "POST":
        require_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
        key = request.POST.get("key", "")
        typed = {"key": key, "value": request.POST.get("value", ""), "reason": request.POST.get("reason", "")}
        try:
            value = None if request.POST.get("reset") else parse_override_text(key, typed["value"])
            actions.do_change_protocol_setting(request.user, clinic, key, value, typed["reason"])  # type: ignore[arg-type]
        except ProtocolConfigError as exc:
            errors[key] = exc.reason
        except actions.ReasonRequired as exc:
            errors[key] = str(exc)
        else:
            messages.success(request, f"Saved {key}. The change applies to visits planned from now on.")
            return redirect(f"{request.path}#{key}")
    protocol_values = flatten({section: dict(vars(getattr(clinic.protocol(), section)))
                               for section in ("eligibility", "blood_pressure", "preparation", "dose", "course",
                                               "monitoring", "discharge", "outcomes", "controlled_substances")})
    rows = []
    for info in setting_infos():
        current = protocol_values[info.key]
        shown = ", ".join(str(v) for v in current) if isinstance(current, tuple) else str(current).lower() \
            if isinstance(current, bool) else str(current)
        default_shown = ", ".join(str(v) for v in info.default) if isinstance(info.default, list) else \
            str(info.default).lower() if isinstance(info.default, bool) else str(info.default)
        rows.append({"info": info, "section": info.key.split(".")[0], "name": info.key.split(".")[1],
                     "current": shown, "default": default_shown, "changed": shown != default_shown,
                     "error": errors.get(info.key, ""),
                     "typed": typed if typed.get("key") == info.key else {}})
    versions = clinic.protocol_versions.select_related("created_by").order_by("-number")[:50]
    return render(request, "clinics/protocol_settings.html", {
        "clinic": clinic, "rows": rows, "can_edit": can_edit, "versions": versions,
        "status": 400 if errors else 200,
    }, status=400 if errors else 200)
