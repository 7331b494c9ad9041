"""The front desk readiness list for today and tomorrow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.preparation.actions import HealthAnswers, do_record_attestation, do_record_ride, do_submit_health_update
from ketaclinic.preparation.plans import ensure_preparation_for_visit
from tests.factories import make_patient
from tests.preparation.conftest import VISIT_START
from tests.preparation.helpers import book_visit

DAY_BEFORE = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # noon on Monday 15 March in New York
VISIT_DAY = datetime(2027, 3, 16, 11, 0, tzinfo=UTC)  # 07:00 on the visit day
FINE = HealthAnswers(new_illness=False, surgery=False, new_symptoms=False, new_medications=False, pregnant="no")


def row_status(body: str, visit: Any) -> str:
    marker = f'id="visit-{visit.pk}" data-status="'
    start = body.index(marker) + len(marker)
    return body[start:body.index('"', start)]


@pytest.mark.django_db
def test_readiness_ladder(visit: Any, login: Any, anon: Any, patient: Any, front_desk: Any, nurse: Any,
                          admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse("preparation:readiness") + "?day=tomorrow"
    with time_machine.travel(DAY_BEFORE, tick=False):
        assert "Maya Reyes" in login(front_desk).get(url).content.decode()
        assert "Maya Reyes" in login(nurse).get(url).content.decode()
        assert "Maya Reyes" not in login(other_clinic_nurse).get(url).content.decode()
        assert login(admin_user).get(url).status_code == 404
        assert login(patient.user).get(url).status_code == 404
        assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_statuses_follow_what_the_patient_did(visit: Any, login: Any, patient: Any, front_desk: Any) -> None:
    url = reverse("preparation:readiness")
    with time_machine.travel(DAY_BEFORE, tick=False):
        ensure_preparation_for_visit(visit)
        client = login(front_desk)
        assert row_status(client.get(url + "?day=tomorrow").content.decode(), visit) == \
            "health_update_pending ride_unconfirmed"
        do_record_ride(patient.user, visit, kind="adult", escort_name="Sam", escort_phone="207-555-0188",
                       confirm=True)
        do_submit_health_update(patient.user, visit, FINE)
        body = client.get(url + "?day=tomorrow", HTTP_HX_REQUEST="true").content.decode()
        assert row_status(body, visit) == "ready"
        assert "<html" not in body  # the htmx fragment only
    with time_machine.travel(VISIT_DAY, tick=False):
        client = login(front_desk)  # a new shift: the idle timeout signed the old session out
        assert row_status(client.get(url).content.decode(), visit) == "not_attested"
        do_record_attestation(patient.user, visit, last_solid_food_at=VISIT_DAY - timedelta(hours=9),
                              last_clear_liquids_at=VISIT_DAY - timedelta(hours=1), no_alcohol_or_drugs=True)
        assert row_status(client.get(url).content.decode(), visit) == "ready"


@pytest.mark.django_db
def test_a_flagged_update_shows_as_flagged(visit: Any, login: Any, patient: Any, front_desk: Any) -> None:
    with time_machine.travel(DAY_BEFORE, tick=False):
        do_submit_health_update(patient.user, visit, HealthAnswers(
            new_illness=False, surgery=True, surgery_details="knee surgery", new_symptoms=False,
            new_medications=False, pregnant="no"))
        body = login(front_desk).get(reverse("preparation:readiness") + "?day=tomorrow").content.decode()
        assert row_status(body, visit).startswith("flagged")


@pytest.mark.django_db
def test_the_list_costs_the_same_for_1_and_20_visits(clinic: Any, patient: Any, provider: Any, front_desk: Any,
                                                     login: Any) -> None:
    url = reverse("preparation:readiness") + "?day=tomorrow"

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = login(front_desk)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    with time_machine.travel(DAY_BEFORE, tick=False):
        book_visit(patient, VISIT_START, provider=provider, booker=front_desk, now=DAY_BEFORE)
        one = count_queries()
        for i in range(19):
            other = make_patient(clinic)
            v = book_visit(other, VISIT_START + timedelta(minutes=10 * i), provider=provider,
                           booker=front_desk, now=DAY_BEFORE, chair_name=f"Chair {i + 2}")
            ensure_preparation_for_visit(v)
        twenty = count_queries()
    # session, user, memberships, clinic, visits (one query with every status annotated), …
    assert one == twenty
