"""Demo screening: patients in every screening state, built through the actions.

referred (invited) · intake in progress · ready for review · waiting for clearance · deferred ·
approved (course waiting) · declined (with reason) · a patient in treatment with an open review flag.
Idempotent: does nothing once the clinic has screening cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ketaclinic.patients.models import Patient
from ketaclinic.screening import actions
from ketaclinic.screening.models import ScreeningCase

REFERRERS = [("Dr. Anne Park", "Park Psychiatry"), ("Dr. Luis Ortega", "Harbor Family Medicine"),
             ("Jo Kim, NP", "Casco Bay Behavioral Health")]


def _fill(patient: Patient, now: datetime, *, conditions: tuple[str, ...] = (), bp: tuple[int, int] = (124, 80),
          medications: tuple[tuple[str, str], ...] = (("sertraline", "100 mg daily"),), sections: int = 99,
          indication: str = "depression") -> None:
    """Answer the intake as the patient would, a few minutes apart."""
    user = patient.user
    answers: list[tuple[str, dict[str, Any]]] = [
        ("about", {"preferred_name": patient.first_name, "address": "12 Elm Street, Portland, ME",
                   "phone": patient.phone}),
        ("emergency", {"name": "Chris " + patient.last_name, "relationship": "partner", "phone": "(207) 555-0177"}),
        ("indications", {"conditions": [indication], "details": "It has been hard to get through the day."}),
        ("history", {"conditions": list(conditions), "no_conditions": [] if conditions else ["yes"],
                     "other_conditions": "", "surgeries": "Appendix removed in 2009"}),
        ("body", {"height_cm": 170.0, "weight_kg": 74.0}),
        ("pregnancy", {"pregnant": "not_applicable" if patient.sex_at_birth == "male" else "no",
                       "breastfeeding": "no"}),
        ("reactions", {"ketamine_allergy": "no", "details": ""}),
        ("goals", {"goals": "Feel like myself again and go back to work."}),
    ]
    at = now
    for key, data in answers[:sections]:
        at += timedelta(minutes=3)
        actions.do_save_intake_section(user, patient, key, data, now=at)
    if sections < len(answers):
        return
    for name, dose in medications:
        actions.do_add_medication(user, patient, name=name, dose=dose, now=at)
    if indication == "depression":
        actions.do_add_antidepressant_trial(user, patient, drug="sertraline", dose="150 mg", weeks=10,
                                            response="partial", now=at)
        actions.do_add_antidepressant_trial(user, patient, drug="bupropion", dose="300 mg", weeks=8,
                                            response="none", now=at)
    actions.do_record_measure(user, patient, "phq9", [2, 3, 2, 2, 1, 2, 2, 1, 0], now=at)
    actions.do_record_baseline_vitals(user, patient, systolic=bp[0], diastolic=bp[1], heart_rate=74, now=at)


def seed(ctx: Any) -> None:
    if ScreeningCase.objects.filter(clinic=ctx.clinic).exists():
        return
    desk, provider = ctx.staff["front_desk"], ctx.staff["provider"]

    def days(n: int) -> datetime:
        return ctx.now - timedelta(days=n)  # type: ignore[no-any-return]

    # Referred, invited, nothing filled in yet.
    for i, patient in enumerate(ctx.patients.get("referred", [])):
        name, practice = REFERRERS[i % len(REFERRERS)]
        actions.do_record_referral(desk, patient, referring_clinician=name, referring_practice=practice,
                                   indication_code="F33.2", reason="Treatment-resistant depression",
                                   now=days(3 + i))

    screening = ctx.patients.get("screening", [])
    for i, patient in enumerate(screening):
        name, practice = REFERRERS[i % len(REFERRERS)]
        actions.do_record_referral(desk, patient, referring_clinician=name, referring_practice=practice,
                                   indication_code="F33.1" if i % 2 else "F33.2", now=days(20 - i))
    if len(screening) >= 6:
        _fill(screening[0], days(6), sections=3)  # intake in progress
        _fill(screening[1], days(5), sections=5)  # intake in progress
        _fill(screening[2], days(4))
        actions.do_submit_intake(screening[2].user, screening[2], now=days(4))  # ready, eligible
        _fill(screening[3], days(3), conditions=("bipolar_disorder",),
              medications=(("lamotrigine", "200 mg daily"), ("Xanax", "0.5 mg at night")))
        actions.do_submit_intake(screening[3].user, screening[3], now=days(3))  # ready, holds to review
        _fill(screening[4], days(12), conditions=("unstable_cardiac_disease",))
        actions.do_submit_intake(screening[4].user, screening[4], now=days(12))
        actions.do_request_clearance(provider, screening[4], recipient_kind="cardiologist",
                                     recipient_name="Dr. Maria Santos", recipient_fax="(207) 555-0300",
                                     question="Is the atrial fibrillation rate-controlled and stable enough for "
                                              "40-minute ketamine infusions with a transient blood-pressure rise?",
                                     now=days(10))
        _fill(screening[5], days(9), bp=(168, 98))
        actions.do_submit_intake(screening[5].user, screening[5], now=days(9))
        actions.do_decide_screening(provider, screening[5], decision="defer",
                                    reason="Home BP 168/98 at hold level: recheck at a clinic visit after rest.",
                                    patient_message="We would like to check your blood pressure at the clinic.",
                                    now=days(8))

    for i, patient in enumerate(ctx.patients.get("approved", [])):
        actions.do_record_referral(desk, patient, referring_clinician=REFERRERS[i % 3][0], indication_code="F33.2",
                                   now=days(30 - i))
        _fill(patient, days(25 - i))
        actions.do_submit_intake(patient.user, patient, now=days(25 - i))
        latest = patient.eligibility_assessments.order_by("-version").first()
        # The provider acknowledges each hold/caution finding (the approval refuses otherwise).
        actions.do_decide_screening(provider, patient, decision="approve",
                                    acknowledge=[i for i, _ in latest.findings_to_acknowledge()] if latest else [],
                                    reason="TRD after two adequate trials; no contraindication; BP normal.",
                                    now=days(20 - i))

    declined = ctx.patients.get("declined", [])
    reasons = [(("aneurysmal_vascular_disease",), "Known abdominal aortic aneurysm: absolute contraindication.",
                "Your heart and blood vessel history makes ketamine unsafe for you."),
               (("active_psychosis",), "Current psychotic symptoms: not a candidate now; refer back to psychiatry.",
                "Your psychiatrist can talk with you about other treatments.")]
    for patient, (conditions, reason, message) in zip(declined, reasons, strict=False):
        actions.do_record_referral(desk, patient, referring_clinician="Dr. Anne Park", indication_code="F33.2",
                                   now=days(40))
        _fill(patient, days(35), conditions=conditions)
        actions.do_submit_intake(patient.user, patient, now=days(35))
        actions.do_decide_screening(provider, patient, decision="decline", reason=reason, patient_message=message,
                                    now=days(33))

    # In treatment, with booked visits: a new heart attack reported → flags on the upcoming visits.
    in_treatment = ctx.patients.get("induction", [])
    if in_treatment:
        patient = in_treatment[0]
        _fill(patient, days(50))
        actions.do_run_eligibility(patient.user, patient, reason="history entered", now=days(50))
        actions.do_rerun_eligibility(patient.user, patient, reason="pre-visit health update",
                                     changes={"conditions": ["recent_myocardial_infarction"],
                                              "note": "Heart attack last month"}, now=ctx.now - timedelta(hours=5))
