"""The demo clinic's outcomes: realistic numbers in the reports, idempotent seeding."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.seed import DEMO_SLUG
from ketaclinic.outcomes.models import JournalEntry, QuestionnaireResponse, SafetyTask, SleepDiaryEntry
from ketaclinic.outcomes.reports import build_report


@pytest.mark.django_db(transaction=True)
def test_demo_outcomes_show_responders_remitters_and_a_relapse(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    counts = (QuestionnaireResponse.objects.count(), JournalEntry.objects.count(), SleepDiaryEntry.objects.count(),
              SafetyTask.objects.count())
    assert counts[0] > 150 and counts[1] >= 5 and counts[2] >= 20
    assert SafetyTask.objects.filter(closed_at__isnull=True).count() == 1
    assert SafetyTask.objects.filter(closed_at__isnull=False).count() == 1
    clinic = Clinic.objects.get(slug=DEMO_SLUG)
    now = timezone.now()
    today = timezone.localdate(now, timezone=clinic.zone)
    report = build_report(clinic, today.replace(day=1).replace(year=today.year - 1), today, now)
    responders = sum(r.responders for r in report.by_indication)
    remitters = sum(r.remitters for r in report.by_indication)
    assessed = sum(r.assessed for r in report.by_indication)
    assert assessed >= 10 and 0 < remitters < responders < assessed
    assert report.relapses >= 1 and report.survival
    assert report.visits_booked > 0 and report.chair_minutes_open > 0
    call_command("seed_demo", stdout=StringIO())
    assert (QuestionnaireResponse.objects.count(), JournalEntry.objects.count(), SleepDiaryEntry.objects.count(),
            SafetyTask.objects.count()) == counts
