"""No URL and no action starts an infusion without the gate, or discharges before the score and time.

Every infusions URL is tried with every plausible payload, as a nurse and as a provider; only the
two guarded routes (pump start, discharge) may change those statuses, and only when the rules hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse

from ketaclinic.infusions.actions import (
    GateNotMet,
    InfusionError,
    do_discharge_patient,
    do_record_pump_event,
    do_score_discharge,
)
from ketaclinic.infusions.models import Discharge, PumpEvent
from tests.infusions.conftest import at

pytestmark = pytest.mark.django_db
FULL = {"activity": "2", "respiration": "2", "circulation": "2", "consciousness": "2", "oxygen_saturation": "2"}
ATTEMPTS: list[dict[str, str]] = [
    {},
    {"kind": "start"},
    {"kind": "start", "rate_ml_per_h": "156"},
    {"status": "infusing"},
    {"status": "discharged"},
    {"escort_name": "Sam Reyes", "escort_relationship": "brother", "aftercare_given": "on"},
    {"escort_name": "Sam Reyes", "escort_relationship": "brother", "aftercare_given": "on", "override_reason": ""},
    {"item": "ride", "reason": "x"},
    FULL,
]


def infusion_urls(visit: Any) -> list[str]:
    """Every infusions URL that takes a visit id, filled with this visit."""
    resolver = get_resolver().url_patterns
    infusions = next(p for p in resolver if getattr(p, "app_name", None) == "infusions")
    urls = []
    for pattern in infusions.url_patterns:  # type: ignore[attr-defined]
        assert isinstance(pattern, URLPattern)
        keys = pattern.pattern.regex.groupindex.keys()
        if "visit_id" in keys:
            kwargs: dict[str, Any] = {"visit_id": visit.pk}
            if "name" in keys:
                for name in ("aldrete", "padss"):
                    urls.append(reverse(f"infusions:{pattern.name}", kwargs={**kwargs, "name": name}))
                continue
            urls.append(reverse(f"infusions:{pattern.name}", kwargs=kwargs))
    return urls


def test_no_url_starts_an_infusion_while_the_gate_is_unmet(login: Any, nurse: Any, provider: Any,
                                                           visit: Any, frozen: Any) -> None:
    from ketaclinic.infusions.actions import do_order_dose, do_take_patient, parse_request
    from tests.infusions.conftest import complete_checkin

    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit, ride_confirmed=False)  # one item unmet
    do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                 concentration_mg_per_ml="10", bag_volume_ml="100",
                                                 duration_minutes="40"), now=at(9, 12))
    urls = infusion_urls(visit)
    assert len(urls) >= 15
    for user, attempts in ((nurse, ATTEMPTS), (provider, ATTEMPTS[:4])):
        client = login(user)
        for url in urls:
            for data in attempts:
                client.post(url, data)
                visit.refresh_from_db()
                assert visit.status == "in_chair", (url, data)
    assert not PumpEvent.objects.exists()
    with pytest.raises(GateNotMet):
        do_record_pump_event(provider, visit, "start")


def test_no_url_discharges_before_the_score_and_the_minimum_time(login: Any, nurse: Any, provider: Any,
                                                                 ready_visit: Any, frozen: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    frozen.move_to(at(10, 0))  # 5 minutes after the end: not yet
    client = login(nurse)
    for url in infusion_urls(ready_visit):
        for data in ATTEMPTS:
            client.post(url, data)
            ready_visit.refresh_from_db()
            assert ready_visit.status == "recovering", (url, data)
    # a full score now does not help: the minimum observation time is not over
    do_score_discharge(nurse, ready_visit, "aldrete", {k: 2 for k in FULL}, now=at(10, 1))
    response = client.post(reverse("infusions:discharge", args=[ready_visit.pk]), ATTEMPTS[5])
    assert response.status_code == 400 and "observe" in response.content.decode()
    # a provider's empty reason is not an override
    response = login(provider).post(reverse("infusions:discharge", args=[ready_visit.pk]), ATTEMPTS[6])
    assert response.status_code == 400
    assert not Discharge.objects.exists()
    with pytest.raises(InfusionError):
        do_discharge_patient(nurse, ready_visit, escort_name="Sam", escort_relationship="brother",
                             aftercare_given=True)
    frozen.move_to(at(10, 26))
    client = login(nurse)  # a fresh sign-in: 25 idle minutes end a staff session
    assert client.post(reverse("infusions:discharge", args=[ready_visit.pk]), ATTEMPTS[5]).status_code == 302
    ready_visit.refresh_from_db()
    assert ready_visit.status == "discharged"


def test_a_patient_cannot_drive_the_visit_from_the_portal(login: Any, patient: Any, ready_visit: Any,
                                                          frozen: Any) -> None:
    client = login(patient.user)
    for url in infusion_urls(ready_visit):
        for data in ATTEMPTS[:3]:
            client.post(url, data)
    ready_visit.refresh_from_db()
    assert ready_visit.status == "in_chair"
    assert not PumpEvent.objects.exists()
