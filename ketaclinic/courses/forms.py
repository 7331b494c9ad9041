"""Course plan forms (provider overrides, maintenance plan, stopping a course)."""

from __future__ import annotations

from typing import Any

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})


class AmendCourseForm(forms.Form):
    planned_visits = forms.IntegerField(min_value=1, max_value=20, label="Number of visits")
    window_days = forms.IntegerField(min_value=1, max_value=90, label="All visits within (days)")
    max_per_7_days = forms.IntegerField(min_value=1, max_value=7, label="At most this many visits in any 7 days")
    min_gap_hours = forms.IntegerField(min_value=0, max_value=168, label="Hours between visit starts, at least")
    checkin_min = forms.IntegerField(min_value=0, max_value=240, label="Check-in (minutes)")
    infusion_min = forms.IntegerField(min_value=5, max_value=480, label="Infusion (minutes)")
    recovery_min = forms.IntegerField(min_value=0, max_value=480, label="Recovery in the chair (minutes)")
    earliest_on = forms.DateField(widget=DATE, label="First visit not before")
    latest_start_on = forms.DateField(widget=DATE, required=False, label="First visit not after (optional)")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason for the change",
                             help_text="Kept with the change. Loosening a spacing limit needs a second prescriber.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("earliest_on") and data.get("latest_start_on") and data["latest_start_on"] < data["earliest_on"]:
            self.add_error("latest_start_on", "This must be on or after the first possible date.")
        return data


class MaintenanceForm(forms.Form):
    intervals = forms.CharField(max_length=100, label="Days between boosters",
                                help_text="Comma-separated, counted from the last induction visit, e.g. 7, 7, 14")

    def clean_intervals(self) -> list[int]:
        raw = self.cleaned_data["intervals"]
        try:
            values = [int(x) for x in raw.replace(" ", "").split(",") if x]
        except ValueError:
            raise forms.ValidationError("Use whole numbers of days separated by commas.") from None
        if not values or any(v < 1 or v > 180 for v in values):
            raise forms.ValidationError("Each interval must be 1 to 180 days.")
        return values


class StopCourseForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why is the course stopping?")
