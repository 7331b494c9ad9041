"""Writes for clinics and their protocol settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic, ProtocolVersion
from ketaclinic.protocol.config import ProtocolConfigError, default_values, flatten, load_protocol


class ReasonRequired(ValueError):
    pass


@transaction.atomic
def do_create_clinic(acting_user: User | None, *, name: str, slug: str, tz: str = "America/New_York",
                     **fields: Any) -> Clinic:
    """Create a clinic (bootstrap and demo seeding; the actor may be None for the very first one).

    Writes: Clinic, AuditEvent.
    """
    clinic = Clinic(name=name, slug=slug, timezone=tz, **fields)
    clinic.full_clean()
    clinic.save()
    record_event(acting_user, "CLINIC_CREATED", clinic=clinic, obj=clinic, details={"name": name})
    return clinic


@transaction.atomic
def do_change_protocol_setting(acting_user: User, clinic: Clinic, key: str, value: Any, reason: str,
                               *, now: datetime | None = None) -> ProtocolVersion:
    """Set (or, with value None, reset to default) one protocol key for a clinic.

    Who: medical director of the clinic. Validates the whole resulting protocol, so no saved
    version is ever invalid. Writes: ProtocolVersion (new number), AuditEvent.
    Raises: PermissionDenied, ProtocolConfigError (names the key), ReasonRequired.
    """
    require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    if not reason.strip():
        raise ReasonRequired("Say why this setting changes; the reason is kept with the change.")
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    current = clinic.current_protocol_version()
    overrides = dict(current.overrides) if current else {}
    defaults = flatten(default_values())
    if key not in defaults:
        raise ProtocolConfigError(key, "unknown setting")
    old = overrides.get(key, defaults[key])
    if value is None or value == defaults[key]:
        overrides.pop(key, None)
    else:
        overrides[key] = value
    load_protocol(overrides)  # raises ProtocolConfigError with the key and reason
    version = ProtocolVersion.objects.create(
        clinic=clinic,
        number=(current.number + 1) if current else 1,
        overrides=overrides,
        changed_key=key,
        old_value=old,
        new_value=overrides.get(key, defaults[key]),
        reason=reason.strip(),
        created_by=acting_user,
        created_at=now or timezone.now(),
    )
    record_event(acting_user, "PROTOCOL_CHANGED", clinic=clinic, obj=version,
                 details={"key": key, "old": old, "new": version.new_value, "version": version.number,
                          "reason": version.reason})
    return version
