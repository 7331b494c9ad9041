"""List pages use a bounded number of queries: 1 row and 20 rows cost the same."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.log import record_event
from tests.factories import make_patient


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_patient_list_queries_do_not_grow_with_rows(login: Any, nurse: Any, clinic: Any) -> None:
    client = login(nurse)
    make_patient(clinic)
    one = queries_for(client, reverse("patients:list"))
    for _ in range(19):
        make_patient(clinic)
    assert queries_for(client, reverse("patients:list")) == one


@pytest.mark.django_db
def test_audit_page_queries_do_not_grow_with_rows(login: Any, medical_director: Any, clinic: Any,
                                                  patient: Any) -> None:
    client = login(medical_director)
    record_event(medical_director, "CHART_VIEWED", patient=patient)
    one = queries_for(client, reverse("audit:log"))
    for _ in range(20):
        record_event(medical_director, "CHART_VIEWED", patient=patient)
    assert queries_for(client, reverse("audit:log")) == one
