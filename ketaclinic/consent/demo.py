"""Demo consent: everyone treated has signed (portal or tablet), two approved patients still need to.

Idempotent: does nothing once the demo clinic has any signature. Uses actions only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketaclinic.consent.actions import (
    do_ensure_consent_template,
    do_sign_consent,
    do_sign_consent_witnessed,
    do_withdraw_consent,
)
from ketaclinic.consent.models import ConsentSignature
from ketaclinic.patients.models import Stage


def seed(ctx: Any) -> None:
    clinic = ctx.clinic
    if ConsentSignature.objects.filter(clinic=clinic).exists():
        return
    template = do_ensure_consent_template(ctx.staff["director"], clinic, now=ctx.now - timedelta(days=120))
    treated = (ctx.patients.get(Stage.INDUCTION, []) + ctx.patients.get(Stage.MAINTENANCE, [])
               + ctx.patients.get(Stage.DISCHARGED, []))
    approved = ctx.patients.get(Stage.APPROVED, [])
    # The first two approved patients signed; the others still need to sign before their first visit.
    for i, patient in enumerate(treated + approved[:2]):
        first = patient.visits.order_by("starts_at").first()
        when = min(first.starts_at - timedelta(days=3) if first else ctx.now, ctx.now - timedelta(hours=2))
        when -= timedelta(minutes=17 * i)
        common = {"template_version": template.version, "language": patient.preferred_language,
                  "typed_name": patient.display_name, "agreed": True,
                  "signed_on": timezone.localtime(when, clinic.zone).date(), "now": when}
        if i % 3 == 0:
            do_sign_consent_witnessed(ctx.staff["front_desk"], patient, witness_confirmed=True,
                                      user_agent="Clinic tablet (demo)", **common)
        else:
            do_sign_consent(patient.user, patient, ip="198.51.100.24", user_agent="Phone browser (demo)", **common)
    discharged = ctx.patients.get(Stage.DISCHARGED, [])
    if discharged:
        do_withdraw_consent(ctx.staff["nurse"], discharged[-1], now=ctx.now - timedelta(days=5),
                            reason="Told the nurse by phone she wants to stop treatment for now.")
