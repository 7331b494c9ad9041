"""do_rerun_eligibility and review flags: the interface the preparation and infusion stages call."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.protocol.errors import InputError
from ketaclinic.schedule.actions import do_book_visit, do_create_chair
from ketaclinic.screening import actions
from ketaclinic.screening.access import open_review_flags
from ketaclinic.screening.models import EligibilityAssessment, Medication, ReviewFlag
from tests.screening.conftest import tomorrow_at

pytestmark = pytest.mark.django_db


def test_it_stores_a_new_numbered_assessment_with_the_changes(submitted_patient: Any) -> None:
    before = EligibilityAssessment.objects.filter(patient=submitted_patient).count()
    assessment = actions.do_rerun_eligibility(submitted_patient.user, submitted_patient,
                                              reason="pre-visit health update",
                                              changes={"medications": ["lamotrigine 200 mg"]})
    assert assessment.version == before + 1
    assert "lamotrigine 200 mg" in assessment.inputs["medications"]
    assert "interaction_lamotrigine" in {f["code"] for f in assessment.findings}
    # The change is part of the history now, so a later plain run still sees it.
    assert Medication.objects.filter(patient=submitted_patient, name="lamotrigine 200 mg").exists()
    again = actions.do_run_eligibility(submitted_patient.user, submitted_patient)
    assert "lamotrigine 200 mg" in again.inputs["medications"]


def test_before_approval_a_new_hold_raises_no_flag(submitted_patient: Any) -> None:
    actions.do_rerun_eligibility(submitted_patient.user, submitted_patient, reason="update",
                                 changes={"conditions": ["heart_failure"]})
    assert not open_review_flags(submitted_patient).exists()


def test_after_approval_a_new_hold_flags_each_upcoming_visit(approved_patient: Any, provider: Any,
                                                             front_desk: Any) -> None:
    course = approved_patient.courses.get()
    chair = do_create_chair(None, approved_patient.clinic, "Chair A")
    v1 = do_book_visit(front_desk, course, chair, tomorrow_at(approved_patient.clinic, "09:00"))
    v2 = do_book_visit(front_desk, course, chair, tomorrow_at(approved_patient.clinic, "13:00"))
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="pre-visit health update",
                                 changes={"conditions": ["heart_failure"]}, visit=v1)
    flags = list(open_review_flags(approved_patient))
    assert {(f.finding_code, f.visit_id) for f in flags} == {("heart_failure", v1.pk), ("heart_failure", v2.pk)}
    assert flags[0].severity == "hold"
    # The same finding on the next run raises nothing new.
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="again")
    assert open_review_flags(approved_patient).count() == 2
    assert AuditEvent.objects.filter(action="REVIEW_FLAG_RAISED").count() == 2


def test_after_approval_with_no_visit_the_flag_is_on_the_patient(approved_patient: Any) -> None:
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="update",
                                 changes={"pregnancy": True})
    flag = open_review_flags(approved_patient).get()
    assert flag.visit is None and flag.severity == "contraindicated" and flag.finding_code == "pregnancy"


def test_a_caution_after_approval_raises_no_flag(approved_patient: Any) -> None:
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="update",
                                 changes={"conditions": ["obstructive_sleep_apnea"]})
    assert not open_review_flags(approved_patient).exists()


def test_only_a_prescriber_resolves_a_flag_with_a_note(approved_patient: Any, provider: Any, nurse: Any) -> None:
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="update",
                                 changes={"blood_pressure": {"systolic": 172, "diastolic": 96}})
    flag = open_review_flags(approved_patient).get()
    assert flag.finding_code == "blood_pressure_hold"
    with pytest.raises(PermissionDenied):
        actions.do_resolve_review_flag(nurse, flag, note="fine")
    with pytest.raises(actions.ScreeningError):
        actions.do_resolve_review_flag(provider, flag, note="  ")
    actions.do_resolve_review_flag(provider, flag, note="Rechecked 138/86 after rest; proceed.")
    flag.refresh_from_db()
    assert flag.resolved_by == provider and flag.resolution_note.startswith("Rechecked")
    assert not open_review_flags(approved_patient).exists()
    with pytest.raises(actions.ScreeningError):  # a double submit changes nothing
        actions.do_resolve_review_flag(provider, flag, note="again")
    assert ReviewFlag.objects.get(pk=flag.pk).resolution_note.startswith("Rechecked")


def test_bad_changes_are_refused_naming_the_field(submitted_patient: Any) -> None:
    with pytest.raises(InputError, match=r"changes\.conditions\[0\]"):
        actions.do_rerun_eligibility(submitted_patient.user, submitted_patient, reason="x",
                                     changes={"conditions": ["flu"]})
    with pytest.raises(InputError, match=r"changes\.mood"):
        actions.do_rerun_eligibility(submitted_patient.user, submitted_patient, reason="x", changes={"mood": 1})
    with pytest.raises(InputError, match="diastolic"):
        actions.do_rerun_eligibility(submitted_patient.user, submitted_patient, reason="x",
                                     changes={"blood_pressure": {"systolic": 120, "diastolic": 130}})


def test_other_patients_and_other_clinics_cannot_rerun(submitted_patient: Any, other_patient: Any,
                                                       other_clinic_nurse: Any, admin_user: Any) -> None:
    for user in (other_patient.user, other_clinic_nurse, admin_user):
        with pytest.raises(PermissionDenied):
            actions.do_rerun_eligibility(user, submitted_patient, reason="x")
