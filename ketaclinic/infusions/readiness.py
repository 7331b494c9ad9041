"""The readiness gate: every item that must hold before an infusion starts.

Reads only. `readiness(visit, now=...)` returns one GateItem per check, met or not, with a
plain detail for the nurse. An unmet item passes only when a provider overrode that very item
with a reason (GateOverride). `do_record_pump_event(kind="start")` refuses while any item does
not pass, so no URL or API can start an infusion around it.

Other apps' checks are read through their access functions: consent, screening review flags,
the preparation summary and the outcomes safety follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.consent.access import has_valid_consent
from ketaclinic.infusions.models import CheckIn, GateOverride, Phase, VitalAlert, VitalSign
from ketaclinic.outcomes.access import has_open_safety_task
from ketaclinic.preparation.access import PreparationSummary, visit_preparation_summary
from ketaclinic.protocol.preparation import earliest_safe_start
from ketaclinic.schedule.models import Visit
from ketaclinic.screening.access import open_review_flags

HEALTH_UPDATE = "health_update"
WEIGHT = "weight"
FASTING = "fasting"
ALCOHOL_DRUGS = "alcohol_drugs"
MEDICATIONS = "medications"
RIDE = "ride"
BASELINE_VITALS = "baseline_vitals"
PREGNANCY = "pregnancy"
CONSENT = "consent"
REVIEW_FLAGS = "review_flags"
SAFETY_TASK = "safety_task"

ITEM_LABELS: dict[str, str] = {
    HEALTH_UPDATE: "Health update reviewed",
    WEIGHT: "Today's weight",
    FASTING: "Fasting windows",
    ALCOHOL_DRUGS: "No alcohol or drugs",
    MEDICATIONS: "Medications taken today checked",
    RIDE: "Ride home confirmed",
    BASELINE_VITALS: "Baseline vitals",
    PREGNANCY: "Pregnancy check",
    CONSENT: "Consent on file",
    REVIEW_FLAGS: "No open provider-review flags",
    SAFETY_TASK: "No open same-day safety follow-up",
}
# Blood-pressure findings that mean "do not start yet", whatever the acknowledgement says.
BP_HOLD_CODES = {"bp_preinfusion_hold", "bp_preinfusion_block", "hypertensive_emergency"}
BP_FLAG_CODE = "bp_preinfusion_flag"


@dataclass(frozen=True)
class GateItem:
    code: str
    met: bool
    detail: str
    override: GateOverride | None = None

    @property
    def label(self) -> str:
        return ITEM_LABELS[self.code]

    @property
    def passed(self) -> bool:
        return self.met or self.override is not None


def preparation_summary(visit: Visit) -> PreparationSummary:
    """The patient's pre-visit answers (ride, last food and drink, medicines); empty when none."""
    return visit_preparation_summary(visit)


def latest_checkin(visit: Visit) -> CheckIn | None:
    return CheckIn.objects.filter(visit=visit).order_by("-recorded_at", "-id").first()


def latest_baseline(visit: Visit) -> VitalSign | None:
    """The newest complete baseline set a nurse has confirmed (an unconfirmed monitor reading does not count)."""
    return (VitalSign.objects.current().filter(visit=visit, phase=Phase.BASELINE, confirmed_at__isnull=False,
                                               systolic__isnull=False, diastolic__isnull=False,
                                               heart_rate__isnull=False, spo2__isnull=False,
                                               respiratory_rate__isnull=False)
            .prefetch_related("alerts").order_by("-taken_at", "-id").first())


def _fmt(moment: datetime, visit: Visit) -> str:
    return timezone.localtime(moment, visit.clinic.zone).strftime("%H:%M")


def readiness(visit: Visit, *, now: datetime | None = None, checkin: CheckIn | None = None) -> list[GateItem]:
    """Every gate item for `visit` at `now`, in the order the nurse works through them."""
    now = now or timezone.now()
    c = checkin or latest_checkin(visit)
    overrides = {o.item: o for o in GateOverride.objects.filter(visit=visit).select_related("overridden_by")}
    protocol = visit.clinic.protocol()
    items: list[GateItem] = []

    def add(code: str, met: bool, detail: str) -> None:
        items.append(GateItem(code, met, detail, overrides.get(code) if not met else None))

    reviewed = bool(c and c.health_update_reviewed)
    add(HEALTH_UPDATE, reviewed,
        "Reviewed with the patient." if reviewed else "Review the health update with the patient.")
    weighed = bool(c and c.weight_kg)
    add(WEIGHT, weighed, f"{c.weight_kg} kg today." if weighed and c else "Weigh the patient today.")

    if c and c.last_solid_food_at and c.last_clear_liquids_at:
        start = earliest_safe_start(protocol, last_solid_food=c.last_solid_food_at,
                                    last_clear_liquids=c.last_clear_liquids_at, last_alcohol=c.last_alcohol_at)
        ok = start.earliest_start is None or now >= start.earliest_start
        when = _fmt(start.earliest_start, visit) if start.earliest_start else "now"
        limit = start.limiting.replace("_", " ")
        add(FASTING, ok, f"Earliest safe start {when} ({limit})." if not ok else f"Fasting windows met (from {when}).")
    else:
        add(FASTING, False, "Ask when they last ate and last drank.")

    add(ALCOHOL_DRUGS, bool(c and c.no_alcohol_or_drugs),
        "Patient says no alcohol or drugs." if c and c.no_alcohol_or_drugs
        else f"Ask about alcohol and recreational drugs in the last {protocol.preparation.alcohol_abstinence_h:g} h.")
    meds = bool(c and c.medications_confirmed)
    add(MEDICATIONS, meds,
        (c.medications_taken or "Checked.") if meds and c else "Check which medicines were taken today.")
    ride_ok = bool(c and c.ride_confirmed and c.ride_name and c.ride_phone)
    add(RIDE, ride_ok, f"{c.ride_name}, {c.ride_phone}." if ride_ok and c else "Confirm the ride home: name and phone.")

    base = latest_baseline(visit)
    if base is None or None in (base.systolic, base.diastolic, base.heart_rate, base.spo2, base.respiratory_rate):
        add(BASELINE_VITALS, False, "Take (or confirm the monitor's) baseline BP, heart rate, SpO2 and breathing "
                                    "rate.")
    else:
        # A later reading clears a hold; but every baseline alert of the visit must be acknowledged, and a
        # raised BP before the start (the flag band) by a provider (§8.2).
        holding = [a for a in base.alerts.all() if a.code in BP_HOLD_CODES or a.severity == "critical"]
        alerts: list[VitalAlert] = list(VitalAlert.objects.filter(visit=visit, vital_sign__phase=Phase.BASELINE)
                                        .select_related("acknowledged_by"))
        open_alerts = [a for a in alerts if a.status == "open"]
        flags = [a for a in alerts if a.code == BP_FLAG_CODE]
        seen_by_provider = any(a.status != "open" and has_perm(a.acknowledged_by, visit.clinic, Perm.PRESCRIBE)
                               for a in flags)
        unseen_by_provider = flags if flags and not seen_by_provider else []
        if holding:
            add(BASELINE_VITALS, False, " ".join(a.message for a in holding) + " " + holding[0].suggested_action)
        elif open_alerts:
            add(BASELINE_VITALS, False, "Acknowledge the alert: " + open_alerts[0].message)
        elif unseen_by_provider:
            add(BASELINE_VITALS, False, "A provider acknowledges the raised blood pressure before the start: "
                + unseen_by_provider[0].message)
        else:
            add(BASELINE_VITALS, True, f"BP {base.bp_text}, HR {base.heart_rate}, SpO2 {base.spo2}%, "
                                       f"RR {base.respiratory_rate} at {_fmt(base.taken_at, visit)}.")

    if protocol.preparation.pregnancy_check_each_visit and visit.patient.sex_at_birth == "female":
        value = c.pregnancy if c else CheckIn.Pregnancy.NOT_DONE
        detail = {"negative": "Test negative.", "not_applicable": "Not of childbearing potential.",
                  "positive": "Positive test: do not start. The provider decides.",
                  "not_done": "Check pregnancy status."}[value]
        add(PREGNANCY, value in ("negative", "not_applicable"), detail)

    ok = has_valid_consent(visit.patient, on=now)
    add(CONSENT, ok, "Valid consent on file." if ok else "No valid consent on file.")

    review_flags = list(open_review_flags(visit.patient))
    add(REVIEW_FLAGS, not review_flags, "No open flags." if not review_flags
        else f"{len(review_flags)} open flag(s) need a provider: " + "; ".join(str(f) for f in review_flags[:3]))

    # clinical-reference §11: a positive PHQ-9 item 9 needs same-day clinician review before any infusion.
    open_task = has_open_safety_task(visit.patient)
    add(SAFETY_TASK, not open_task, "No open safety follow-up." if not open_task
        else "A same-day safety follow-up is open: a clinician must see the patient and close it first.")
    return items


def unmet(items: list[GateItem]) -> list[GateItem]:
    return [i for i in items if not i.passed]
