"""Consent pages as every persona, the sign flow through the form, and the home/chart panels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consent.access import has_valid_consent
from ketaclinic.consent.models import ConsentSignature

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _status(client, url):
    response = client.get(url)
    return response.status_code


@pytest.fixture
def signature(patient, sign):
    return sign(patient, now=T0)


PERSONAS_SIGNED_COPY = [("patient", 200), ("nurse", 200), ("front_desk", 200), ("provider", 200),
                        ("admin_user", 404), ("other_patient", 404), ("other_clinic_nurse", 404)]


@pytest.mark.parametrize(("persona", "expected"), PERSONAS_SIGNED_COPY)
@pytest.mark.parametrize("name", ["consent:signature", "consent:download"])
def test_signed_copy_is_seen_only_by_the_patient_and_their_clinic(request, login, signature, persona, expected, name):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    assert _status(login(user), reverse(name, args=[signature.pk])) == expected


@pytest.mark.parametrize("name", ["consent:signature", "consent:download"])
def test_signed_copy_sends_anonymous_to_login(anon, signature, name):
    response = anon.get(reverse(name, args=[signature.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_download_is_the_stored_copy_and_is_audited(login, patient, signature):
    response = login(patient.user).get(reverse("consent:download", args=[signature.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert signature.document_html in response.content.decode()
    assert AuditEvent.objects.filter(action="CONSENT_VIEWED", patient_ref=patient.pk,
                                     details__view="download").exists()


@pytest.mark.parametrize(("persona", "expected"), [
    ("patient", 200), ("other_patient", 200), ("nurse", 404), ("front_desk", 404), ("admin_user", 404)])
def test_my_consent_is_for_patients_only(request, login, persona, expected):
    user = request.getfixturevalue(persona)
    assert _status(login(getattr(user, "user", user)), reverse("consent:mine")) == expected


def test_my_consent_sends_anonymous_to_login(anon):
    assert anon.get(reverse("consent:mine")).status_code == 302


@pytest.mark.parametrize(("persona", "expected"), [
    ("front_desk", 200), ("nurse", 200), ("medical_director", 200), ("admin_user", 404), ("patient", 404),
    ("other_patient", 404), ("other_clinic_nurse", 404)])
def test_tablet_page_is_for_the_patients_clinic_staff(request, login, patient, persona, expected):
    user = request.getfixturevalue(persona)
    assert _status(login(getattr(user, "user", user)), reverse("consent:tablet", args=[patient.pk])) == expected


def test_tablet_page_sends_anonymous_to_login(anon, patient):
    assert anon.get(reverse("consent:tablet", args=[patient.pk])).status_code == 302


@time_machine.travel(T0, tick=False)
def test_patient_signs_through_the_form_and_a_mistake_keeps_what_was_typed(login, patient):
    client = login(patient.user)
    page = client.get(reverse("consent:mine"))
    assert "Please read this form and sign it" in page.content.decode()
    assert "off-label" in page.content.decode()
    data = {"template_version": 1, "language": "en", "agree": "on", "typed_name": "Maya Ryes",
            "signed_on": "2026-03-10"}
    bad = client.post(reverse("consent:mine"), data)
    assert bad.status_code == 200 and "Please type the full name" in bad.content.decode()
    assert 'value="Maya Ryes"' in bad.content.decode()
    assert not ConsentSignature.objects.exists()
    data["typed_name"] = "Maya Reyes"
    good = client.post(reverse("consent:mine"), data)
    signature = ConsentSignature.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("consent:signature", args=[signature.pk])
    assert signature.ip == "127.0.0.1" and has_valid_consent(patient)
    again = client.post(reverse("consent:mine"), data)  # double submit
    assert again.status_code == 302 and ConsentSignature.objects.count() == 1


@time_machine.travel(T0, tick=False)
def test_spanish_reader_sees_and_signs_the_spanish_form(login, patient):
    client = login(patient.user)
    page = client.get(reverse("consent:mine") + "?lang=es").content.decode()
    assert "Consentimiento para el tratamiento" in page and "Firmar el consentimiento" in page
    client.post(reverse("consent:mine"), {"template_version": 1, "language": "es", "agree": "on",
                                           "typed_name": "Maya Reyes", "signed_on": "2026-03-10"})
    assert ConsentSignature.objects.get().language == "es"


@time_machine.travel(T0, tick=False)
def test_staff_witness_signs_on_the_tablet(login, patient, nurse):
    client = login(nurse)
    url = reverse("consent:tablet", args=[patient.pk])
    data = {"template_version": 1, "language": "en", "agree": "on", "typed_name": "Maya Reyes",
            "signed_on": "2026-03-10"}
    missing = client.post(url, data)
    assert "As the witness" in missing.content.decode()
    data["witness_confirmed"] = "on"
    assert client.post(url, data).status_code == 302
    assert ConsentSignature.objects.get().witness == nurse


def test_patient_home_asks_for_a_signature_until_signed(login, patient, sign):
    client = login(patient.user)
    assert "Please read and sign your consent" in client.get(reverse("web:home")).content.decode()
    sign(patient)
    home = client.get(reverse("web:home")).content.decode()
    assert "Please read and sign your consent" not in home and "See or download your copy" in home


def test_chart_shows_consent_status_and_withdrawal(login, patient, nurse, sign):
    client = login(nurse)
    chart = reverse("patients:chart", args=[patient.pk])
    assert "Not signed. No infusion can start" in client.get(chart).content.decode()
    sign(patient)
    assert "Signed: version 1" in client.get(chart).content.decode()
    response = client.post(reverse("consent:withdraw", args=[patient.pk]), {"reason": "Wants to stop"})
    assert response.status_code == 302 and not has_valid_consent(patient)
    assert "consent withdrawn" in client.get(chart).content.decode()


@pytest.mark.parametrize(("persona", "expected"), [
    ("front_desk", 403), ("patient", 404), ("other_clinic_nurse", 404)])
def test_withdraw_is_for_clinicians_of_the_patients_clinic(request, login, patient, persona, expected):
    user = request.getfixturevalue(persona)
    response = login(getattr(user, "user", user)).post(reverse("consent:withdraw", args=[patient.pk]),
                                                       {"reason": "x"})
    assert response.status_code == expected
    assert not patient.consent_withdrawals.exists()


@pytest.mark.parametrize(("persona", "list_status", "new_status"), [
    ("medical_director", 200, 200), ("nurse", 200, 403), ("provider", 200, 403), ("front_desk", 404, 404),
    ("admin_user", 404, 404), ("patient", 404, 404)])
def test_template_pages_by_role(request, login, persona, list_status, new_status):
    user = request.getfixturevalue(persona)
    client = login(getattr(user, "user", user))
    assert _status(client, reverse("consent:template_list")) == list_status
    assert _status(client, reverse("consent:template_detail", args=[1])) == list_status
    assert _status(client, reverse("consent:template_new")) == new_status


def test_other_clinic_sees_its_own_forms_only(login, other_clinic_nurse, medical_director, publish, clinic):
    publish(medical_director, clinic)
    client = login(other_clinic_nurse)
    assert client.get(reverse("consent:template_detail", args=[2])).status_code == 404


def test_template_pages_send_anonymous_to_login(anon):
    assert anon.get(reverse("consent:template_list")).status_code == 302


def test_director_publishes_a_new_version_through_the_form(login, medical_director, clinic):
    client = login(medical_director)
    form = client.get(reverse("consent:template_new")).context["form"]
    data = {name: form.initial[name] for name in ("based_on_version", "title_en", "body_en", "title_es", "body_es")}
    data.update({"body_en": data["body_en"] + "\nOne more line.", "requires_reconsent": "on", "change_note": ""})
    bad = client.post(reverse("consent:template_new"), data)
    assert bad.status_code == 200 and "One more line." in bad.content.decode()
    data["change_note"] = "Added a line"
    assert client.post(reverse("consent:template_new"), data).status_code == 302
    assert client.post(reverse("consent:template_new"), data).status_code == 200  # double submit refused
    page = client.get(reverse("consent:template_list")).content.decode()
    assert "Added a line" in page and clinic.consent_templates.count() == 2


def test_template_list_query_count_is_bounded(login, medical_director, clinic, publish, django_assert_max_num_queries):
    client = login(medical_director)
    publish(medical_director, clinic)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("consent:template_list"))
    for _ in range(10):
        publish(medical_director, clinic)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("consent:template_list"))


def test_staff_home_lists_upcoming_patients_who_still_need_to_sign(login, patient, other_patient, front_desk,
                                                                   provider, sign):
    from datetime import timedelta

    from django.utils import timezone

    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair

    chair = do_create_chair(None, patient.clinic, "Chair 1")
    tomorrow = timezone.now().replace(microsecond=0) + timedelta(days=1)
    for i, p in enumerate([patient, other_patient]):
        course = do_create_course(provider, p, indication_code="F33.2", earliest_on=tomorrow.date())
        do_book_visit(front_desk, course, chair, tomorrow + timedelta(hours=2 * i))
    sign(other_patient)
    page = login(front_desk).get(reverse("web:home")).content.decode()
    panel = page.split('id="consent-staff-title"')[1].split("</section>")[0]
    assert "Maya Reyes" in panel and "never signed" in panel and "Omar Blake" not in panel
    assert reverse("consent:tablet", args=[patient.pk]) in panel


@pytest.mark.parametrize(("persona", "shown"), [("medical_director", True), ("nurse", False), ("front_desk", False)])
def test_home_links_to_the_consent_form_editor_for_the_director(request, login, persona, shown):
    page = login(request.getfixturevalue(persona)).get(reverse("web:home")).content.decode()
    assert (reverse("consent:template_list") in page) is shown
