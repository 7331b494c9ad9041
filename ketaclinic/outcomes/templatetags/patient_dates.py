"""Template filters for dates on patient pages (see `ketaclinic.outcomes.patient_dates`)."""

from __future__ import annotations

from datetime import datetime

from django import template

from ketaclinic.outcomes.patient_dates import patient_fmt

register = template.Library()


@register.filter
def patient_day(value: datetime | None) -> str:
    """'Monday, January 4' / 'lunes 4 de enero'."""
    return patient_fmt().day(value) if value else ""


@register.filter
def patient_day_time(value: datetime | None) -> str:
    """'Monday, January 4, 2:30 PM' / 'lunes 4 de enero, 2:30 p. m.'."""
    if not value:
        return ""
    fmt = patient_fmt()
    return f"{fmt.day(value)}, {fmt.clock(value)}"
