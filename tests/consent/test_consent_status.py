"""has_valid_consent / consent_status: the readiness gate's consent item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consent.access import consent_status, consent_statuses, has_valid_consent
from ketaclinic.consent.actions import do_withdraw_consent
from ketaclinic.consent.models import ConsentTemplate

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_a_patient_who_never_signed_has_no_valid_consent(patient):
    status = consent_status(patient)
    assert not has_valid_consent(patient)
    assert (status.valid, status.signed_version, status.current_version, status.needs_resign) == (False, None, 1, False)
    assert status.never_signed
    # Reading the status never writes: the default form is saved only when someone signs it.
    assert not ConsentTemplate.objects.exists()


def test_signing_the_current_form_makes_consent_valid(patient, sign):
    with time_machine.travel(T0, tick=False):
        signature = sign(patient)
        status = consent_status(patient)
    assert status.valid and status.signed_version == 1 and status.current_version == 1
    assert status.signed_at == T0 and status.signature_id == signature.pk
    assert has_valid_consent(patient, on=T0)


def test_on_looks_at_the_record_as_it_was(patient, sign):
    sign(patient, now=T0)
    assert not has_valid_consent(patient, on=T0 - timedelta(seconds=1))
    assert has_valid_consent(patient, on=T0 + timedelta(days=30))
    # A date means the end of that day in the clinic's zone (New York): 10 March counts.
    assert has_valid_consent(patient, on=date(2026, 3, 10))
    assert not has_valid_consent(patient, on=date(2026, 3, 9))


def test_naive_on_is_refused(patient):
    with pytest.raises(ValueError):
        has_valid_consent(patient, on=datetime(2026, 3, 10, 12, 0))


def test_a_new_version_without_reconsent_keeps_the_old_signature_valid(patient, sign, publish, medical_director):
    sign(patient, now=T0)
    publish(medical_director, patient.clinic, requires_reconsent=False, now=T0 + timedelta(days=1))
    status = consent_status(patient)
    assert status.valid and status.signed_version == 1 and status.current_version == 2 and not status.needs_resign


def test_a_new_version_requiring_reconsent_blocks_until_signed_again(patient, sign, publish, medical_director):
    sign(patient, now=T0)
    publish(medical_director, patient.clinic, requires_reconsent=True, now=T0 + timedelta(days=1))
    status = consent_status(patient, on=T0 + timedelta(days=2))
    assert not status.valid and status.needs_resign and status.signed_version == 1 and status.current_version == 2
    # Before the new version existed the old signature was valid (history is kept).
    assert has_valid_consent(patient, on=T0 + timedelta(hours=1))
    sign(patient, now=T0 + timedelta(days=3))
    assert has_valid_consent(patient, on=T0 + timedelta(days=3))
    assert consent_status(patient).signed_version == 2


def test_a_reconsent_version_followed_by_a_plain_one_still_needs_signing(patient, sign, publish, medical_director):
    sign(patient, now=T0)
    publish(medical_director, patient.clinic, requires_reconsent=True, now=T0 + timedelta(days=1))
    publish(medical_director, patient.clinic, requires_reconsent=False, now=T0 + timedelta(days=2))
    status = consent_status(patient)
    assert status.current_version == 3 and status.needs_resign and not status.valid


def test_withdrawal_ends_consent_until_the_patient_signs_again(patient, sign, nurse):
    sign(patient, now=T0)
    do_withdraw_consent(nurse, patient, reason="Wants to stop treatment for now.", now=T0 + timedelta(days=1))
    status = consent_status(patient)
    assert not status.valid and status.needs_resign and status.withdrawn_at == T0 + timedelta(days=1)
    assert has_valid_consent(patient, on=T0 + timedelta(hours=2))
    sign(patient, now=T0 + timedelta(days=2))
    assert has_valid_consent(patient)
    assert AuditEvent.objects.filter(action="CONSENT_WITHDRAWN", patient_ref=patient.pk).count() == 1


def test_other_patients_signatures_do_not_count(patient, other_patient, sign):
    sign(other_patient, now=T0)
    assert not has_valid_consent(patient)


def test_bulk_statuses_match_single_ones(patient, other_patient, sign, publish, medical_director,
                                         django_assert_num_queries):
    sign(patient, now=T0)
    publish(medical_director, patient.clinic, requires_reconsent=True, now=T0 + timedelta(days=1))
    sign(other_patient, now=T0 + timedelta(days=2))
    with django_assert_num_queries(3):  # templates, signatures, withdrawals
        bulk = consent_statuses([patient, other_patient])
    assert bulk[patient.pk] == consent_status(patient)
    assert bulk[other_patient.pk] == consent_status(other_patient)
    assert not bulk[patient.pk].valid and bulk[other_patient.pk].valid
