"""Every messaging and consent URL sends an anonymous visitor to sign in and writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.messaging.actions import do_report_symptoms
from tests.messaging.conftest import answers

pytestmark = pytest.mark.django_db

GET_URLS = ["messaging:my_messages", "messaging:compose", "messaging:report", "messaging:inbox",
            "messaging:settings", "consent:mine", "consent:template_list", "consent:template_new"]
CONVERSATION_URLS = ["messaging:conversation", "messaging:my_conversation", "messaging:assign", "messaging:status",
                     "messaging:triage", "messaging:link_visit"]
PATIENT_URLS = ["messaging:staff_compose", "consent:tablet", "consent:withdraw"]


@pytest.fixture
def report(patient):
    return do_report_symptoms(patient.user, patient, answers=answers(headache=(3, "next_day")))


def _assert_login_redirect(response):
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", GET_URLS)
def test_pages(anon, name):
    _assert_login_redirect(anon.get(reverse(name)))


@pytest.mark.parametrize("name", CONVERSATION_URLS)
def test_conversation_urls(anon, report, name):
    before = AuditEvent.objects.count()
    url = reverse(name, args=[report.conversation_id])
    _assert_login_redirect(anon.get(url) if "status" not in name else anon.post(url, {"status": "closed"}))
    _assert_login_redirect(anon.post(url, {"status": "closed", "assignee": "me", "outcome": "called", "note": "x",
                                           "body": "x"}))
    assert AuditEvent.objects.count() == before
    report.conversation.refresh_from_db()
    assert report.conversation.status == "open" and report.conversation.assigned_to is None


@pytest.mark.parametrize("name", PATIENT_URLS)
def test_patient_urls(anon, patient, name):
    _assert_login_redirect(anon.post(reverse(name, args=[patient.pk]), {"reason": "x", "body": "x"}))
    assert not patient.consent_withdrawals.exists()


def test_report_done_and_attachment(anon, report):
    _assert_login_redirect(anon.get(reverse("messaging:report_done", args=[report.pk])))
    _assert_login_redirect(anon.get(reverse("messaging:attachment", args=[report.conversation.messages.get().pk])))


@pytest.mark.parametrize(("persona", "expected"), [("other_clinic_nurse", 404), ("other_patient", 404)])
def test_report_done_for_outsiders(request, login, report, persona, expected):
    user = request.getfixturevalue(persona)
    assert login(getattr(user, "user", user)).get(reverse("messaging:report_done", args=[report.pk])).status_code \
        == expected
