from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.demo import seed as demo


class Command(BaseCommand):
    help = "Create the demo clinic (idempotent: running it again adds nothing twice) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = demo.seed(log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"\nDemo clinic ready: {ctx.clinic.name}"))
        self.stdout.write(f"Password for every demo account: {demo.DEMO_PASSWORD}")
        self.stdout.write("Staff sign in with two-step sign-in. Add this key to an authenticator app,")
        self.stdout.write(f"  {demo.totp_key_base32()}")
        self.stdout.write("or print the current code with:  .venv/bin/ketaclinic demo_code\n")
        for _key, role, name, _credentials, email in demo.STAFF:
            self.stdout.write(f"  {role.label:<18} {email:<34} {name}")
        first_patients = [p for stage in ctx.patients.values() for p in stage[:1]]
        self.stdout.write("\nPatients (no two-step sign-in unless they turn it on):")
        for patient in first_patients:
            self.stdout.write(f"  {patient.get_stage_display():<18} {patient.email:<34} {patient.display_name}")
