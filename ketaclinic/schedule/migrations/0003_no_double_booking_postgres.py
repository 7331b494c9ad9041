"""No double booking, guaranteed by PostgreSQL: exclusion constraints on chair and patient time ranges.

Two active visits (any status that holds a chair; cancelled and no-show free it) may not
overlap in time on the same chair, nor for the same patient. Needs btree_gist for the `=` on
the id columns. SQLite has no exclusion constraints; there the booking action's check inside
an IMMEDIATE transaction (one writer at a time) does the same job.
"""

from django.db import migrations

ACTIVE = "('booked', 'confirmed', 'arrived', 'in_chair', 'infusing', 'recovering', 'discharged')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    # used by every booking: no two active visits in one chair at once
    "ALTER TABLE schedule_visit ADD CONSTRAINT visit_no_chair_overlap EXCLUDE USING gist "
    "(chair_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    f"WHERE (chair_id IS NOT NULL AND status IN {ACTIVE})",
    # and no patient in two places at once
    "ALTER TABLE schedule_visit ADD CONSTRAINT visit_no_patient_overlap EXCLUDE USING gist "
    "(patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE})",
]
BACKWARD = [
    "ALTER TABLE schedule_visit DROP CONSTRAINT IF EXISTS visit_no_patient_overlap",
    "ALTER TABLE schedule_visit DROP CONSTRAINT IF EXISTS visit_no_chair_overlap",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite: the booking action serialises and checks
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("schedule", "0002_availability_proposals_offers_feeds"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
