"""Messaging test helpers: conversations and reports built through the real actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def start() -> Any:
    """start(patient, subject="Question", body="Hello", author=None, **kw) -> Conversation."""
    from ketaclinic.messaging.actions import do_start_conversation

    def do(patient: Any, *, subject: str = "A question", body: str = "Hello, a question about my visit.",
           author: Any = None, topic: str = "question", **kw: Any) -> Any:
        return do_start_conversation(author or patient.user, patient, topic=topic, subject=subject, body=body, **kw)

    return do


@pytest.fixture
def infused_visit(provider: Any, front_desk: Any, nurse: Any) -> Any:
    """infused_visit(patient, starts_at) -> a discharged Visit (booked, then moved through the status action)."""
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_visit_status
    from ketaclinic.schedule.models import Chair

    def do(patient: Any, starts_at: datetime) -> Any:
        chair = Chair.objects.filter(clinic=patient.clinic).first() or do_create_chair(None, patient.clinic, "Chair 1")
        course = patient.courses.first() or do_create_course(provider, patient, indication_code="F33.2",
                                                             earliest_on=date(2026, 1, 1),
                                                             now=starts_at - timedelta(days=10))
        visit = do_book_visit(front_desk, course, chair, starts_at, now=starts_at - timedelta(days=7))
        return do_set_visit_status(nurse, visit, "discharged", now=starts_at + timedelta(hours=2), historical=True)

    return do


def answers(**severities: Any) -> list[dict[str, Any]]:
    """answers(nausea=(2, "infusion_day"), self_harm_thoughts=1) -> the action's answer list."""
    from ketaclinic.protocol.symptoms import Symptom

    rows = []
    for symptom in Symptom:
        value = severities.get(symptom.value, 0)
        severity, onset = value if isinstance(value, tuple) else (value, None)
        rows.append({"symptom": symptom.value, "severity": severity, "onset": onset})
    return rows
