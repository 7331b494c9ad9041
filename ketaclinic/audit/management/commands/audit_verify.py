from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.audit.log import first_chain_break
from ketaclinic.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link and exit 1 if there is one."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = first_chain_break()
        if broken is not None:
            raise CommandError(f"Audit chain broken at event {broken.event_id}: {broken.reason}")
        self.stdout.write(f"Audit chain intact: {AuditEvent.objects.count()} events verified.")
