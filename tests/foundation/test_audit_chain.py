"""The audit log is append-only in effect: any edit or deletion breaks the hash chain."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ketaclinic.audit.log import first_chain_break, record_event
from ketaclinic.audit.models import AuditEvent


@pytest.fixture
def chain(clinic: Any, nurse: Any, patient: Any) -> list[AuditEvent]:
    for n in range(5):
        record_event(nurse, "CHART_VIEWED", patient=patient, details={"n": n})
    return list(AuditEvent.objects.order_by("id"))


def test_an_untouched_chain_verifies(chain: list[AuditEvent]) -> None:
    assert first_chain_break() is None
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


def test_editing_a_row_in_sql_is_reported_at_that_row(chain: list[AuditEvent]) -> None:
    victim = chain[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["NOTHING_TO_SEE", victim.pk])
    broken = first_chain_break()
    assert broken is not None and broken.event_id == victim.pk and "edited" in broken.reason
    with pytest.raises(CommandError, match=f"event {victim.pk}"):
        call_command("audit_verify")


def test_deleting_a_row_in_sql_is_reported_at_the_next_row(chain: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    broken = first_chain_break()
    assert broken is not None and broken.event_id == chain[2].pk


def test_rewriting_a_row_and_its_hash_still_breaks_the_next_link(chain: list[AuditEvent]) -> None:
    victim = chain[1]
    victim.details = {"n": "forged"}
    forged_hash = victim.compute_hash()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET details = %s, hash = %s WHERE id = %s",
                       ['{"n": "forged"}', forged_hash, victim.pk])
    broken = first_chain_break()
    assert broken is not None and broken.event_id == chain[2].pk


def test_events_keep_names_in_plain_columns(chain: list[AuditEvent], nurse: Any, patient: Any) -> None:
    event = next(e for e in chain if e.action == "CHART_VIEWED")
    assert event.actor_label == nurse.email
    assert event.patient_label == patient.display_name
    assert event.clinic_ref == patient.clinic_id


def test_rows_written_with_local_times_and_rich_details_still_verify(clinic: Any, nurse: Any) -> None:
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    local = datetime(2027, 3, 14, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    record_event(nurse, "DOSE_ORDERED", clinic=clinic, at=local,
                 details={"mg": Decimal("40.00"), "at": local, 3: ("a", "b")})
    assert first_chain_break() is None
