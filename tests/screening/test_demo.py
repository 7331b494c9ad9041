"""The demo clinic has patients in every screening state (only the screening hook runs here)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.demo import seed as demo_seed
from ketaclinic.screening.access import open_review_flags
from ketaclinic.screening.models import CaseStatus, ClearanceRequest, ReviewFlag, ScreeningCase, ScreeningDecision


@pytest.mark.django_db
def test_the_demo_shows_every_screening_state_once(settings: Any, monkeypatch: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(demo_seed, "DEMO_HOOKS", ["ketaclinic.screening.demo"])
    demo_seed.seed(log=lambda *_: None)
    statuses = set(ScreeningCase.objects.values_list("status", flat=True))
    assert statuses == {CaseStatus.REFERRED, CaseStatus.INTAKE, CaseStatus.READY, CaseStatus.CLEARANCE,
                        CaseStatus.DEFERRED, CaseStatus.APPROVED, CaseStatus.DECLINED}
    assert ClearanceRequest.objects.filter(status="requested").exists()
    declined = ScreeningDecision.objects.filter(decision="decline")
    assert declined.count() == 2 and all(d.reason for d in declined)
    approved = ScreeningDecision.objects.filter(decision="approve")
    assert approved.count() == 4 and all(d.course_id for d in approved)
    assert len(set(ReviewFlag.objects.values_list("patient", flat=True))) == 1
    patient = ReviewFlag.objects.first().patient  # type: ignore[union-attr]
    assert patient.stage == "induction" and open_review_flags(patient).filter(visit__isnull=False).exists()
    assert not ScreeningCase.objects.filter(patient=patient).exists()  # in treatment: no screening reopened
    counts = (ScreeningCase.objects.count(), ScreeningDecision.objects.count(), ReviewFlag.objects.count())
    demo_seed.seed(log=lambda *_: None)
    assert (ScreeningCase.objects.count(), ScreeningDecision.objects.count(), ReviewFlag.objects.count()) == counts
