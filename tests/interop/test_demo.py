"""The interop demo seeder files monitor readings through the real path and is idempotent."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from django.utils import timezone

from ketaclinic.audit.log import first_chain_break
from ketaclinic.infusions.models import VitalSign
from ketaclinic.interop import demo
from ketaclinic.interop.models import MonitorMessage

pytestmark = pytest.mark.django_db


def test_the_demo_seed_runs_once(clinic, visit_in_chair):
    ctx = SimpleNamespace(clinic=clinic, now=timezone.now(), rng=random.Random(1))
    demo.seed(ctx)
    demo.seed(ctx)
    assert dict(MonitorMessage.objects.values_list("device_id", "status")) == {"MON-0001": "accepted",
                                                                              "MON-99": "error"}
    assert VitalSign.objects.filter(source="monitor", confirmed_at=None).count() == 1
    assert first_chain_break() is None
