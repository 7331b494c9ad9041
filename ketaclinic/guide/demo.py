"""Demo: patients who have (and have not) read their guide pages, in English and Spanish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ketaclinic.guide.actions import do_record_guide_read
from ketaclinic.guide.models import GuideRead


def seed(ctx: Any) -> None:
    if GuideRead.objects.filter(patient__clinic=ctx.clinic).exists():
        return
    readers = ctx.patients.get("induction", [])[:6] + ctx.patients.get("maintenance", [])[:4]
    for i, patient in enumerate(readers):
        slugs = ["about", "course", "before"] + (["during", "after"] if i % 2 == 0 else [])
        for n, slug in enumerate(slugs):
            do_record_guide_read(patient, slug, patient.preferred_language, 0,
                                 now=ctx.now - timedelta(days=10 - n, hours=i))
