"""Set-up and inspection steps for the real-worker tests, run as a separate process against a
file database: `python -m tests.notifications.worker_scenario seed 12` (DATABASE_URL set).

Kept apart from the test so the worker under test and the data it reads live in their own
process and database, exactly as in production.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.db.models import F
    from django.utils import timezone

    from ketaclinic.notifications.actions import queue_message
    from ketaclinic.notifications.models import MessagePreference, OutboundMessage

    command = argv[0]
    if command == "seed":
        from tests.factories import make_clinic, make_patient

        count = int(argv[1])
        # quiet hours off for this clinic's patients: the test runs at any hour of the day
        clinic = make_clinic(name="Worker Test Clinic", slug="worker-test", tz="UTC")
        now = timezone.now()
        for i in range(count):
            patient = make_patient(clinic, with_account=False, first_name=f"P{i}", last_name="Test",
                                   email=f"p{i}@example.org")
            MessagePreference.objects.create(patient=patient, channel="email", quiet_start="00:00",
                                             quiet_end="00:00", updated_at=now)
            queue_message(patient=patient, kind="test.worker", due_at=now - timedelta(seconds=1),
                          subject=f"Message {i}", body=f"Body {i}", dedupe_key=f"worker-test-{i}", now=now)
        print(json.dumps({"queued": OutboundMessage.objects.count()}))
    elif command == "age_claims":
        # Move unsent claims back in time: the same as the clock passing the claim timeout.
        seconds = int(argv[1])
        aged = OutboundMessage.objects.filter(sent_at__isnull=True, claimed_at__isnull=False).update(
            claimed_at=F("claimed_at") - timedelta(seconds=seconds))
        print(json.dumps({"aged": aged}))
    elif command == "report":
        rows = list(OutboundMessage.objects.order_by("id").values("subject", "status", "attempts", "claimed_by",
                                                                   "sent_at"))
        for row in rows:
            row["sent_at"] = row["sent_at"].isoformat() if row["sent_at"] else None
        print(json.dumps(rows))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
