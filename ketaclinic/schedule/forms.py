"""Forms of the schedule pages. Dates and times are clinic-local; views make them aware."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ketaclinic.accounts.models import User
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.schedule.models import WEEKDAY_NAMES, Chair

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 600})


def aware(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


class SlotForm(forms.Form):
    """A chair, a day and a start time (front desk booking and moving)."""

    chair: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=Chair.objects.none(), empty_label=None)
    day = forms.DateField(widget=DATE_WIDGET, label="Date")
    start = forms.TimeField(widget=TIME_WIDGET, label="Start time", help_text="On the 10-minute grid, e.g. 09:30")
    reason = forms.CharField(max_length=200, required=False, label="Reason (kept in the audit log)")

    def __init__(self, *args: Any, chairs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs  # type: ignore[attr-defined]


class BookForm(SlotForm):
    course: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=TreatmentCourse.objects.none(),
                                                                 label="Patient and course")

    field_order = ["course", "chair", "day", "start", "reason"]

    def __init__(self, *args: Any, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        self.fields["course"].label_from_instance = lambda c: (  # type: ignore[attr-defined]
            f"{c.patient.last_name}, {c.patient.first_name} – {c.get_kind_display()} ({c.planned_visits} visits)")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason", widget=forms.TextInput())


class HoursForm(forms.Form):
    """Regular weekly hours: one open/close pair per weekday; leave both empty for closed."""

    def __init__(self, *args: Any, current: dict[int, tuple[time, time]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for d, name in enumerate(WEEKDAY_NAMES):
            opens, closes = current.get(d, (None, None))
            self.fields[f"open_{d}"] = forms.TimeField(required=False, label=f"{name} opens", initial=opens,
                                                       widget=TIME_WIDGET)
            self.fields[f"close_{d}"] = forms.TimeField(required=False, label=f"{name} closes", initial=closes,
                                                        widget=TIME_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for d, name in enumerate(WEEKDAY_NAMES):
            opens, closes = data.get(f"open_{d}"), data.get(f"close_{d}")
            if (opens is None) != (closes is None):
                self.add_error(f"close_{d}", f"Give both times for {name}, or neither to close that day.")
            elif opens is not None and closes is not None and closes <= opens:
                self.add_error(f"close_{d}", f"{name}: closing must be after opening.")
        return data


class ClosedDayForm(forms.Form):
    date = forms.DateField(widget=DATE_WIDGET, label="Closed on")
    reason = forms.CharField(max_length=100, label="Reason", help_text="For example: New Year's Day")


class ChairForm(forms.Form):
    name = forms.CharField(max_length=40, label="Chair name")
    monitor_device_id = forms.CharField(max_length=64, required=False, label="Monitor id (optional)")


class ChairEditForm(ChairForm):
    active = forms.BooleanField(required=False, label="In use (bookable)",
                                help_text="A chair out of use keeps its past visits but takes no new ones.")


class ShiftForm(forms.Form):
    nurse: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=User.objects.none(), label="Nurse")
    day = forms.DateField(widget=DATE_WIDGET, label="Date")
    start = forms.TimeField(widget=TIME_WIDGET, label="From")
    end = forms.TimeField(widget=TIME_WIDGET, label="Until")
    repeat_weeks = forms.IntegerField(min_value=1, max_value=12, initial=1, label="Repeat weekly for (weeks)")

    def __init__(self, *args: Any, nurses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nurse"].queryset = nurses  # type: ignore[attr-defined]
        self.fields["nurse"].label_from_instance = lambda u: u.full_name or u.email  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The shift must end after it starts.")
        return data


# A context of our own: the plain day names also serve Django's date formatting ("lunes", lower case).
WEEKDAY_LABELS = (pgettext_lazy("availability checkbox", "Monday"), pgettext_lazy("availability checkbox", "Tuesday"),
                  pgettext_lazy("availability checkbox", "Wednesday"),
                  pgettext_lazy("availability checkbox", "Thursday"), pgettext_lazy("availability checkbox", "Friday"),
                  pgettext_lazy("availability checkbox", "Saturday"), pgettext_lazy("availability checkbox", "Sunday"))


class AvailabilityForm(forms.Form):
    """When the patient can come and, optionally, when their ride can pick them up (patient words)."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_LABELS)), coerce=int, widget=forms.CheckboxSelectMultiple,
        label=_("Days you can come"))
    from_time = forms.TimeField(widget=TIME_WIDGET, label=_("From"), help_text=_("The earliest you can arrive"))
    until_time = forms.TimeField(widget=TIME_WIDGET, label=_("Until"),
                                 help_text=_("When you must leave. A visit takes about 2 hours."))
    escort_weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_LABELS)), coerce=int, widget=forms.CheckboxSelectMultiple, required=False,
        label=_("Days your ride can pick you up (optional)"))
    escort_from = forms.TimeField(widget=TIME_WIDGET, required=False, label=_("Ride can pick you up from"),
                                  help_text=_("Leave the ride times empty if your ride can come any time you can."))
    escort_until = forms.TimeField(widget=TIME_WIDGET, required=False, label=_("Ride can pick you up until"))
    note = forms.CharField(max_length=200, required=False, label=_("Anything else (optional)"),
                           help_text=_("For example: my ride can only come after 10 on Fridays."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_time") and data.get("until_time") and data["until_time"] <= data["from_time"]:
            self.add_error("until_time", _("This must be later than the start time."))
        ride = [data.get("escort_weekdays"), data.get("escort_from"), data.get("escort_until")]
        if any(ride) and not all(ride):
            self.add_error("escort_from", _("For your ride, pick the days and both times, or leave them all empty."))
        elif all(ride) and data["escort_until"] <= data["escort_from"]:
            self.add_error("escort_until", _("This must be later than the start time."))
        return data


def availability_initial(row: Any) -> dict[str, Any]:
    """The availability form's starting values from a saved Availability (or the weekdays when none)."""
    if row is None:
        return {"weekdays": [0, 1, 2, 3, 4]}
    return {"weekdays": row.weekday_list, "from_time": row.from_time, "until_time": row.until_time,
            "note": row.note, "escort_weekdays": row.escort_weekday_list, "escort_from": row.escort_from,
            "escort_until": row.escort_until}


def availability_args(data: dict[str, Any]) -> dict[str, Any]:
    """do_set_availability keyword arguments from the form's cleaned data."""
    return {"weekdays": data["weekdays"], "from_time": data["from_time"], "until_time": data["until_time"],
            "note": data["note"], "escort_weekdays": data.get("escort_weekdays") or [],
            "escort_from": data.get("escort_from"), "escort_until": data.get("escort_until")}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
