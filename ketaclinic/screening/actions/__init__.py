"""Writes for screening. Every write a view, command or the seeder makes goes through here."""

from __future__ import annotations

from ketaclinic.screening.actions.common import ScreeningError
from ketaclinic.screening.actions.eligibility import (
    do_rerun_eligibility,
    do_resolve_review_flag,
    do_run_eligibility,
)
from ketaclinic.screening.actions.intake import (
    do_add_antidepressant_trial,
    do_add_medication,
    do_record_baseline_vitals,
    do_record_measure,
    do_save_intake_section,
    do_stop_medication,
    do_submit_intake,
    do_upload_document,
    do_withdraw_antidepressant_trial,
)
from ketaclinic.screening.actions.referral import (
    RateLimited,
    do_check_self_referral,
    do_dismiss_self_referral,
    do_record_referral,
    do_refer_patient,
    do_submit_self_referral,
)
from ketaclinic.screening.actions.review import (
    do_accept_clearance,
    do_acknowledge_finding,
    do_cosign_contraindication_override,
    do_decide_screening,
    do_propose_contraindication_override,
    do_record_clearance_reply,
    do_request_clearance,
    do_resend_clearance_email,
)

__all__ = [
    "RateLimited",
    "ScreeningError",
    "do_accept_clearance",
    "do_acknowledge_finding",
    "do_add_antidepressant_trial",
    "do_add_medication",
    "do_check_self_referral",
    "do_cosign_contraindication_override",
    "do_decide_screening",
    "do_dismiss_self_referral",
    "do_propose_contraindication_override",
    "do_record_baseline_vitals",
    "do_record_clearance_reply",
    "do_record_measure",
    "do_record_referral",
    "do_refer_patient",
    "do_request_clearance",
    "do_rerun_eligibility",
    "do_resend_clearance_email",
    "do_resolve_review_flag",
    "do_run_eligibility",
    "do_save_intake_section",
    "do_stop_medication",
    "do_submit_intake",
    "do_submit_self_referral",
    "do_upload_document",
    "do_withdraw_antidepressant_trial",
]
