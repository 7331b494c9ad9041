from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketaclinic.accounts.roles import ROLE_PERMS, STAFF_ROLES, Perm, roles_at, staff_clinic_ids
from ketaclinic.protocol.config import default_protocol


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    """Navigation needs: is this staff, which permissions at the current clinic, crisis numbers."""
    user = getattr(request, "user", None)
    outcomes = default_protocol().outcomes
    context: dict[str, Any] = {"crisis_line": outcomes.crisis_line, "emergency_number": outcomes.emergency_number,
                               "is_staff_member": False, "perms_here": set()}
    if user is None or not user.is_authenticated:
        return context
    ids = staff_clinic_ids(user)
    if ids:
        chosen = request.session.get("clinic_id")
        clinic_id = chosen if chosen in ids else ids[0]
        roles = roles_at(user, clinic_id)
        context["is_staff_member"] = True
        context["perms_here"] = {p.value for r in roles if r in STAFF_ROLES for p in ROLE_PERMS[r]}
        context["Perm"] = Perm
    return context
