"""A Spanish-speaking patient walks their whole portal (every page linked from the menu and the
home panels, GET only) at each stage: every page says <html lang="es"> and its visible text
has no common English words. A failure names the page and the words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from tests.portal_spanish.conftest import own_words, speaks_spanish
from tests.portal_spanish.crawl import crawl, english_words, read_page

pytestmark = pytest.mark.django_db

# Pages allowed to keep English, path -> why. Each entry would be a known bug; there are none.
KNOWN_EXCEPTIONS: dict[str, str] = {}


def _walk(client: Any, patient: Any, start: tuple[str, ...] = ("/",), *, must_visit: tuple[str, ...] = ()) -> list[str]:
    result = crawl(client, start, ignore=own_words(patient), exceptions=KNOWN_EXCEPTIONS)
    # The walk really went through the portal, including the pages this stage is about.
    assert len(result.visited) >= 10, result.visited
    missed = [p for p in (*must_visit, *PORTAL_MENU) if not any(v.startswith(p) for v in result.visited)]
    assert not missed, f"not reached: {missed}; visited: {result.visited}"
    return [str(f) for f in result.findings]


# Every page of the patient's menu (base.html) is reached from the home page.
PORTAL_MENU = ("/screening/intake/", "/schedule/my/", "/outcomes/my-progress/", "/outcomes/journal/", "/messages/",
               "/guide/", "/consent/", "/notifications/")


def _report(findings: list[str]) -> str:
    return "\n".join(findings)


def test_the_portal_before_signing_the_consent(login: Any, portal_patient: Any) -> None:
    patient = speaks_spanish(portal_patient)
    client = login(patient.user)
    assert "consent" in client.get("/").content.decode()  # the consent panel asks to sign
    assert not (found := _walk(client, patient, must_visit=("/preparation/visit/",))), _report(found)


def test_the_portal_after_signing_the_consent_in_spanish(login: Any, portal_patient: Any) -> None:
    from django.utils import timezone

    from ketaclinic.consent.access import current_or_default_template
    from ketaclinic.consent.models import ConsentSignature

    patient = speaks_spanish(portal_patient)
    client = login(patient.user)
    url = reverse("consent:mine")
    form = {"template_version": current_or_default_template(patient.clinic).version, "language": "es",
            "typed_name": patient.display_name, "agree": "on",
            "signed_on": timezone.localdate(timezone=patient.clinic.zone).isoformat()}
    missing = client.post(url, {**form, "agree": ""})
    assert missing.status_code == 200
    errors = " ".join(read_page(missing.content.decode()).text)
    assert "Por favor" in errors and english_words(errors, own_words(patient)) == []
    signed = client.post(url, form, follow=True)
    assert ConsentSignature.objects.filter(patient=patient, language="es").count() == 1
    assert english_words(" ".join(read_page(signed.content.decode()).text), own_words(patient)) == []
    assert not (found := _walk(client, patient, must_visit=("/consent/signed/",))), _report(found)


def test_the_infusion_day_in_the_chair_and_the_next_day(login: Any, frozen: Any, nurse: Any,
                                                        ready_visit: Any) -> None:
    from ketaclinic.infusions.actions import do_discharge_patient, do_record_pump_event, do_score_discharge
    from ketaclinic.infusions.models import FollowUp
    from tests.infusions.conftest import at

    patient = speaks_spanish(ready_visit.patient)
    client = login(patient.user)
    home = client.get("/").content.decode()
    assert reverse("infusions:call_nurse", args=[ready_visit.pk]) in home
    assert not (found := _walk(client, patient)), _report(found)
    client.post(reverse("infusions:call_nurse", args=[ready_visit.pk]))
    assert not (found := _walk(client, patient)), _report(found)  # "your nurse is on the way"

    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    do_score_discharge(nurse, ready_visit, "aldrete", {"activity": 2, "respiration": 2, "circulation": 2,
                                                       "consciousness": 2, "oxygen_saturation": 2}, now=at(10, 26))
    do_discharge_patient(nurse, ready_visit, escort_name="Sam Reyes", escort_relationship="husband",
                         aftercare_given=True, now=at(10, 27))
    follow_up = FollowUp.objects.get(visit=ready_visit)
    frozen.move_to(at(10, 5) + timedelta(days=1))
    client = login(patient.user)  # a new day, a new sign-in
    home = client.get("/").content.decode()
    assert reverse("infusions:follow_up", args=[follow_up.pk]) in home
    aftercare = reverse("infusions:my_aftercare", args=[ready_visit.pk])
    assert not (found := _walk(client, patient, must_visit=(aftercare, "/infusions/check-in/"))), _report(found)
    url = reverse("infusions:follow_up", args=[follow_up.pk])
    missing = client.post(url, {"feeling": "okay"})
    assert missing.status_code == 400
    assert english_words(" ".join(read_page(missing.content.decode()).text), own_words(patient)) == []
    answers = {"feeling": "okay", "vomiting": "no", "strange_feelings": "no", "urine_pain": "no",
               "headache": "yes", "mood_worse": "no", "self_harm": "yes"}
    client.post(url, answers)
    assert not (found := _walk(client, patient, ("/", url))), _report(found)  # the thank-you, with the crisis line
