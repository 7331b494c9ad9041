from __future__ import annotations

from django.urls import path

from ketaclinic.screening.views import intake, public, review, staff

app_name = "screening"

urlpatterns = [
    # staff
    path("", staff.queue, name="queue"),
    path("refer/", staff.refer, name="refer"),
    path("self-referrals/<int:pk>/checked/", staff.check_self_referral, name="check_self_referral"),
    path("self-referrals/<int:pk>/dismiss/", staff.dismiss_self_referral, name="dismiss_self_referral"),
    path("patients/<int:patient_id>/", review.review, name="review"),
    path("patients/<int:patient_id>/run/", review.run_rules, name="run_rules"),
    path("patients/<int:patient_id>/decide/", review.decide, name="decide"),
    path("patients/<int:patient_id>/findings/acknowledge/", review.acknowledge_finding, name="acknowledge_finding"),
    path("patients/<int:patient_id>/override/", review.propose_override, name="propose_override"),
    path("overrides/<int:override_id>/cosign/", review.cosign_override, name="cosign_override"),
    path("patients/<int:patient_id>/clearance/", review.request_clearance, name="request_clearance"),
    path("clearance/<int:clearance_id>/letter/", review.clearance_letter, name="clearance_letter"),
    path("clearance/<int:clearance_id>/reply/", review.clearance_reply, name="clearance_reply"),
    path("clearance/<int:clearance_id>/accept/", review.clearance_accept, name="clearance_accept"),
    path("clearance/<int:clearance_id>/resend/", review.clearance_resend, name="clearance_resend"),
    path("flags/<int:flag_id>/resolve/", review.resolve_flag, name="resolve_flag"),
    path("documents/<int:document_id>/", review.document, name="document"),
    # intake: the patient's own page, and the same forms for staff on the patient's behalf
    path("intake/", intake.intake, name="intake"),
    path("patients/<int:patient_id>/intake/", intake.intake_for, name="intake_for"),
    path("patients/<int:patient_id>/intake/section/<slug:key>/", intake.save_section, name="save_section"),
    path("patients/<int:patient_id>/intake/medications/", intake.add_medication, name="add_medication"),
    path("patients/<int:patient_id>/intake/medications/<int:medication_id>/stop/", intake.stop_medication,
         name="stop_medication"),
    path("patients/<int:patient_id>/intake/trials/", intake.add_trial, name="add_trial"),
    path("patients/<int:patient_id>/intake/trials/<int:trial_id>/withdraw/", intake.withdraw_trial,
         name="withdraw_trial"),
    path("patients/<int:patient_id>/intake/vitals/", intake.add_vitals, name="add_vitals"),
    path("patients/<int:patient_id>/intake/documents/", intake.upload_document, name="upload_document"),
    path("patients/<int:patient_id>/intake/measures/<slug:instrument>/", intake.measure, name="measure"),
    path("patients/<int:patient_id>/intake/submit/", intake.submit, name="submit"),
    # public
    path("ask/", public.clinics, name="clinics"),
    path("clinic/<slug:clinic_slug>/", public.clinic_page, name="clinic_page"),
    path("ask/<slug:clinic_slug>/", public.self_refer, name="self_refer"),
]
