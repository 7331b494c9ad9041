"""Signing, witnessing and template versions through the actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consent import default_text
from ketaclinic.consent.actions import (
    ConsentError,
    do_publish_consent_template,
    do_sign_consent,
    do_sign_consent_witnessed,
    do_withdraw_consent,
)
from ketaclinic.consent.models import ConsentSignature, ConsentTemplate
from ketaclinic.consent.text import names_match, to_blocks

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York, 10 March
TODAY = date(2026, 3, 10)


def _sign(patient, **overrides):
    args = {"template_version": 1, "language": "en", "typed_name": patient.display_name, "signed_on": TODAY,
            "agreed": True, "ip": "198.51.100.7", "user_agent": "phone", "now": T0}
    args.update(overrides)
    return do_sign_consent(patient.user, patient, **args)


def test_portal_signature_keeps_the_exact_text_ip_time_and_a_printable_copy(patient):
    signature = _sign(patient)
    assert signature.text_snapshot == default_text.BODY_EN and signature.title_snapshot == default_text.TITLE_EN
    assert (signature.ip, signature.signed_at, signature.signed_on, signature.method) == ("198.51.100.7", T0, TODAY,
                                                                                          "portal")
    assert signature.witness is None and signature.signed_by == patient.user
    assert "No driving until the next day" in signature.document_html
    assert patient.display_name in signature.document_html and signature.text_sha256 in signature.document_html
    template = ConsentTemplate.objects.get(clinic=patient.clinic)
    assert template.version == 1 and template.body_en == default_text.BODY_EN
    event = AuditEvent.objects.get(action="CONSENT_SIGNED")
    assert event.patient_ref == patient.pk and event.details["version"] == 1


def test_spanish_signature_snapshots_the_spanish_text(patient):
    signature = _sign(patient, language="es")
    assert signature.text_snapshot == default_text.BODY_ES and "No maneje" in signature.document_html


@pytest.mark.parametrize(("overrides", "field"), [
    ({"agreed": False}, "agree"),
    ({"typed_name": "Someone Else"}, "typed_name"),
    ({"typed_name": "  "}, "typed_name"),
    ({"signed_on": date(2026, 3, 9)}, "signed_on"),
    ({"signed_on": None}, "signed_on"),
    ({"language": "fr"}, "language"),
    ({"template_version": 7}, "template_version"),
])
def test_bad_signatures_are_refused_with_the_field_named(patient, overrides, field):
    with pytest.raises(ConsentError) as info:
        _sign(patient, **overrides)
    assert info.value.field == field
    assert not ConsentSignature.objects.exists()


def test_typed_name_ignores_case_accents_and_spacing(patient):
    assert names_match("  maya   REYES ", "Maya Reyes")
    assert names_match("José O'Neil", "Jose O Neil")
    assert not names_match("Maya", "Maya Reyes")
    assert _sign(patient, typed_name="maya reyes").typed_name == "maya reyes"


def test_date_is_today_in_the_clinic_zone_not_utc(patient):
    late_evening = datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 22:30 on 10 March in New York
    assert _sign(patient, now=late_evening, signed_on=TODAY).signed_on == TODAY


def test_a_double_submit_keeps_one_signature(patient):
    first = _sign(patient)
    second = _sign(patient)
    assert first.pk == second.pk and ConsentSignature.objects.count() == 1


def test_only_the_patient_signs_in_the_portal(patient, other_patient, nurse):
    with pytest.raises(PermissionDenied):
        do_sign_consent(other_patient.user, patient, template_version=1, language="en",
                        typed_name=patient.display_name, signed_on=TODAY, agreed=True, now=T0)
    with pytest.raises(PermissionDenied):
        do_sign_consent(nurse, patient, template_version=1, language="en", typed_name=patient.display_name,
                        signed_on=TODAY, agreed=True, now=T0)


def test_tablet_signature_records_the_staff_witness(patient, front_desk):
    signature = do_sign_consent_witnessed(front_desk, patient, template_version=1, language="en",
                                          typed_name=patient.display_name, signed_on=TODAY, agreed=True,
                                          witness_confirmed=True, now=T0)
    assert signature.method == "tablet" and signature.witness == front_desk
    assert "Witness: Fran Desk" in signature.document_html


def test_tablet_signature_needs_the_witness_box_and_a_staff_member_of_that_clinic(patient, front_desk,
                                                                                    other_clinic_nurse):
    args = {"template_version": 1, "language": "en", "typed_name": patient.display_name, "signed_on": TODAY,
            "agreed": True, "now": T0}
    with pytest.raises(ConsentError) as info:
        do_sign_consent_witnessed(front_desk, patient, witness_confirmed=False, **args)
    assert info.value.field == "witness_confirmed"
    with pytest.raises(PermissionDenied):
        do_sign_consent_witnessed(other_clinic_nurse, patient, witness_confirmed=True, **args)


def _publish(user, clinic, **overrides):
    args = {"based_on_version": 1, "title_en": "Consent", "body_en": "## New\nNew text.", "title_es": "Consentimiento",
            "body_es": "## Nuevo\nTexto nuevo.", "requires_reconsent": True, "change_note": "New risks", "now": T0}
    args.update(overrides)
    return do_publish_consent_template(user, clinic, **args)


def test_publishing_keeps_every_version(medical_director, clinic):
    template = _publish(medical_director, clinic)
    assert template.version == 2 and template.created_by == medical_director and template.requires_reconsent
    assert list(ConsentTemplate.objects.filter(clinic=clinic).values_list("version", flat=True)) == [2, 1]
    assert ConsentTemplate.objects.get(clinic=clinic, version=1).body_en == default_text.BODY_EN
    assert AuditEvent.objects.filter(action="CONSENT_TEMPLATE_PUBLISHED").count() == 1


def test_a_stale_or_repeated_publish_is_refused(medical_director, clinic):
    _publish(medical_director, clinic)
    with pytest.raises(ConsentError, match="while you were editing"):
        _publish(medical_director, clinic)  # same form submitted twice: based on v1, current is v2
    assert ConsentTemplate.objects.filter(clinic=clinic).count() == 2


@pytest.mark.parametrize(("overrides", "field"), [
    ({"body_en": "  "}, "body_en"), ({"title_es": ""}, "title_es"), ({"change_note": " "}, "change_note"),
    ({"title_en": default_text.TITLE_EN, "body_en": default_text.BODY_EN, "title_es": default_text.TITLE_ES,
      "body_es": default_text.BODY_ES}, "body_en"),
])
def test_publish_validates_each_field(medical_director, clinic, overrides, field):
    with pytest.raises(ConsentError) as info:
        _publish(medical_director, clinic, **overrides)
    assert info.value.field == field


@pytest.mark.parametrize("persona", ["nurse", "provider", "admin_user", "front_desk"])
def test_only_the_medical_director_publishes(request, clinic, persona):
    with pytest.raises(PermissionDenied):
        _publish(request.getfixturevalue(persona), clinic)


def test_withdrawal_needs_a_clinician_and_a_reason(patient, front_desk, nurse):
    with pytest.raises(PermissionDenied):
        do_withdraw_consent(front_desk, patient, reason="stop")
    with pytest.raises(ConsentError):
        do_withdraw_consent(nurse, patient, reason=" ")


def test_blocks_parse_headings_paragraphs_and_lists():
    blocks = to_blocks("## Title\nline one\nline two\n\n- a\n- b\nafter")
    assert [(b.kind, b.text, b.items) for b in blocks] == [
        ("heading", "Title", []), ("paragraph", "line one line two", []), ("list", "", ["a", "b"]),
        ("paragraph", "after", [])]


def test_default_text_covers_what_the_issue_requires():
    for needed in ("off-label", "Other choices", "No driving until the next day", "Schedule III",
                   "stop treatment at any time", "911", "988", "nurse stays with you"):
        assert needed in default_text.BODY_EN, needed
    for needed in ("fuera de indicación", "Otras opciones", "No maneje", "Lista III", "parar el tratamiento",
                   "911", "988"):
        assert needed in default_text.BODY_ES, needed
