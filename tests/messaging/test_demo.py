"""The demo clinic's consent and messaging data: every state present, and a second run adds nothing."""

from __future__ import annotations

import pytest

from ketaclinic.consent.access import consent_statuses
from ketaclinic.consent.models import ConsentSignature
from ketaclinic.messaging.models import Conversation, Message, SymptomReport

pytestmark = pytest.mark.django_db


def test_demo_has_every_state_and_is_idempotent(monkeypatch):
    from ketaclinic.demo import seed as demo_seed

    # Only the core and our two hooks: other stages are tested by their own owners.
    monkeypatch.setattr(demo_seed, "DEMO_HOOKS", ["ketaclinic.consent.demo", "ketaclinic.messaging.demo"])
    ctx = demo_seed.seed(log=lambda *_: None)
    statuses = set(Conversation.objects.filter(clinic=ctx.clinic).values_list("status", flat=True))
    assert statuses == {"open", "waiting", "closed"}
    levels = set(SymptomReport.objects.values_list("level", flat=True))
    assert levels == {"urgent", "routine"}
    urgent = SymptomReport.objects.get(level="urgent")
    assert urgent.conversation.task_pending and urgent.followed_visit is not None
    assert Conversation.objects.exclude(assigned_to=None).exists()
    approved = ctx.patients["approved"]
    status = consent_statuses(approved)
    assert [s.valid for s in status.values()].count(False) >= 1  # somebody still needs to sign
    assert ConsentSignature.objects.filter(method="tablet").exists()
    assert ConsentSignature.objects.filter(method="portal").exists()
    counts = (Conversation.objects.count(), Message.objects.count(), ConsentSignature.objects.count())
    demo_seed.seed(log=lambda *_: None)
    assert (Conversation.objects.count(), Message.objects.count(), ConsentSignature.objects.count()) == counts
