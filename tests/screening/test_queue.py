"""The screening queue and the home panels: bounded queries, counts, filters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.screening import actions
from tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _patients_in_screening(clinic: Any, n: int) -> None:
    for _ in range(n):
        p = make_patient(clinic)
        actions.do_save_intake_section(p.user, p, "goals", {"goals": "feel better"})
        actions.do_run_eligibility(p.user, p)
        # and a new self-referral from the public form (listed for the front desk to check)
        actions.do_submit_self_referral(clinic, first_name="Self", last_name=f"Referred{p.pk}",
                                        date_of_birth=date(1990, 1, 1), sex_at_birth="female",
                                        email=f"self{p.pk}@example.org")


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_runs_the_same_queries_for_1_and_20_patients(login: Any, clinic: Any, provider: Any,
                                                                 front_desk: Any) -> None:
    url = reverse("screening:queue")
    _patients_in_screening(clinic, 1)
    provider_client, desk_client = login(provider), login(front_desk)
    one = (_queries(provider_client, url), _queries(desk_client, url))
    _patients_in_screening(clinic, 19)
    twenty = (_queries(provider_client, url), _queries(desk_client, url))
    assert one == twenty
    # Fixed: session, user, OTP device, the middlewares' and base template's membership/clinic look-ups
    # (about 13), then the queue's own: count, page of cases with patient and two subqueries
    # (latest rules result, open flags), new self-referrals, open review flags (clinical staff only),
    # and the session save.
    assert twenty == (20, 19)


def test_the_queue_filters_by_status(login: Any, submitted_patient: Any, other_patient: Any, provider: Any) -> None:
    actions.do_save_intake_section(other_patient.user, other_patient, "goals", {"goals": "x"})
    client = login(provider)
    ready = client.get(reverse("screening:queue") + "?show=ready").content.decode()
    assert "Reyes" in ready and "Blake" not in ready
    flags = client.get(reverse("screening:queue") + "?show=flags").content.decode()
    assert "Reyes" not in flags


def test_staff_home_shows_the_waiting_count(login: Any, submitted_patient: Any, front_desk: Any,
                                            admin_user: Any) -> None:
    body = login(front_desk).get(reverse("web:home")).content.decode()
    assert "Screening queue: 1 waiting for review" in body
    assert "Screening queue" not in login(admin_user).get(reverse("web:home")).content.decode()


def test_patient_home_shows_status_and_next_step(login: Any, patient: Any) -> None:
    body = login(patient.user).get(reverse("web:home")).content.decode()
    assert "We need your health history." in body and reverse("screening:intake") in body


def test_the_chart_shows_screening_to_clinical_staff(login: Any, submitted_patient: Any, nurse: Any) -> None:
    body = login(nurse).get(reverse("patients:chart", args=[submitted_patient.pk])).content.decode()
    assert "Ready for review" in body and "Open the screening review" in body


def test_the_patient_panel_steps_aside_once_treatment_starts(login: Any, approved_patient: Any) -> None:
    from ketaclinic.patients.actions import do_set_patient_stage

    do_set_patient_stage(None, approved_patient, "induction")
    body = login(approved_patient.user).get(reverse("web:home")).content.decode()
    assert "Your screening" not in body


def test_flags_of_patients_in_treatment_are_listed_for_clinical_staff(login: Any, clinic: Any, provider: Any,
                                                                      front_desk: Any) -> None:
    from ketaclinic.patients.actions import do_set_patient_stage
    from tests.screening.conftest import fill_intake

    p = make_patient(clinic, first_name="Ines", last_name="Berg")
    do_set_patient_stage(None, p, "induction")
    fill_intake(p.user, p)
    actions.do_run_eligibility(provider, p)
    actions.do_rerun_eligibility(p.user, p, reason="update", changes={"conditions": ["glaucoma"]})
    body = login(provider).get(reverse("screening:queue")).content.decode()
    assert "Open review flags (1)" in body and "Ines Berg" in body
    assert "Open review flags (" not in login(front_desk).get(reverse("screening:queue")).content.decode()


def test_a_spanish_speaking_patient_reads_the_status_in_spanish(login: Any, clinic: Any, provider: Any) -> None:
    from tests.screening.conftest import approve, submitted

    p = make_patient(clinic, preferred_language="es")
    body = login(p.user).get(reverse("web:home")).content.decode()
    assert "Necesitamos su historial de salud." in body and "Completar mi historial de salud" in body
    submitted(p)
    approve(provider, p)
    body = login(p.user).get(reverse("web:home")).content.decode()
    assert "Buenas noticias: puede comenzar el tratamiento." in body
