"""Two workers syncing the same visit at the same moment build one plan and one set of
reminders (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.preparation.models import PreparationPlan
from ketaclinic.preparation.plans import ensure_preparation_for_visit
from ketaclinic.schedule.models import Visit
from tests.preparation.conftest import BOOKED_AT


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_build_one_plan_and_one_set_of_reminders(visit: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent transactions")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            ensure_preparation_for_visit(Visit.objects.select_related("clinic", "patient").get(pk=visit.pk),
                                         now=BOOKED_AT)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert PreparationPlan.objects.filter(visit=visit).count() == 1
    kinds = list(OutboundMessage.objects.filter(visit=visit).values_list("kind", flat=True))
    assert sorted(kinds) == sorted(set(kinds)) and len(kinds) == 4
