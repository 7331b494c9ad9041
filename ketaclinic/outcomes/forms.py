"""Forms of the outcomes stage. They only parse and check shape; actions validate the rest."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.outcomes.instrument_text import wording
from ketaclinic.outcomes.models import (
    CustomQuestion,
    CustomQuestionKind,
    JournalTag,
    ReviewDecision,
    SafetyOutcome,
    Source,
)
from ketaclinic.outcomes.patient_dates import patient_fmt
from ketaclinic.schedule.models import Visit


def new_key() -> str:
    return uuid.uuid4().hex


class KeyedForm(forms.Form):
    """A form that carries a one-time submission key, so a double submit makes one record."""

    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", new_key())


class QuestionnaireForm(KeyedForm):
    """One radio group per item (q1..qn). Portal: every item required; staff: blanks allowed
    (a paper form with a missing item is stored with no total, as the scoring rules say)."""

    def __init__(self, *args: Any, instrument: str, custom_question: CustomQuestion | None = None,
                 staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        if custom_question is not None:
            items: list[str] = [custom_question.text]
            options = custom_question.options
            self.instructions = ""
        else:
            read = wording(instrument, get_language() or "en")  # the patient's language; scoring is the same
            items = list(read.items)
            options = list(read.options)
            self.instructions = read.instructions
            if read.supplementary_item:
                self.fields["supplementary"] = forms.ChoiceField(
                    label=read.supplementary_item, required=False, widget=forms.RadioSelect,
                    choices=list(read.supplementary_options))
        for i, text in enumerate(items, start=1):
            self.fields[f"q{i}"] = forms.TypedChoiceField(
                label=text, choices=[(str(v), label) for v, label in options], coerce=int, required=not staff,
                widget=forms.RadioSelect, empty_value=None,
                error_messages={"required": _("Please choose an answer.")})
        self.item_count = len(items)
        if staff:
            self.fields["source"] = forms.ChoiceField(
                label="How the answers were given", choices=[(s.value, s.label) for s in
                                                           (Source.STAFF, Source.PAPER, Source.PHONE)])
            self.fields["answered_at"] = forms.DateTimeField(
                label="When the patient answered", required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                help_text="Leave empty for now. Clinic time.")

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"q{i}"] for i in range(1, self.item_count + 1)]

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(f"q{i}") for i in range(1, self.item_count + 1)]


class AmendForm(QuestionnaireForm):
    reason = forms.CharField(label="Why are the answers being corrected?", widget=forms.Textarea(attrs={"rows": 2}))


class SafetyCloseForm(forms.Form):
    contacted_by_name = forms.CharField(label="Who did the follow-up", max_length=200)
    contacted_at = forms.DateTimeField(label="When (clinic time)",
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    action_taken = forms.CharField(label="What was done", widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text="For example: called the patient, risk assessment, safety plan, "
                                   "who else was informed.")
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose…"), *SafetyOutcome.choices])


class JournalForm(KeyedForm):
    text = forms.CharField(label=_("What would you like to write down?"), widget=forms.Textarea(attrs={"rows": 6}))
    mood = forms.TypedChoiceField(label=_("How is your mood right now? (0 = very low, 10 = very good)"),
                                  choices=[("", _("Skip"))] + [(str(n), str(n)) for n in range(11)], coerce=int,
                                  required=False, empty_value=None)
    tags = forms.MultipleChoiceField(label=_("Tags"), choices=JournalTag.choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    visit = forms.ModelChoiceField(label=_("About a visit (optional)"), queryset=Visit.objects.none(), required=False)
    shared = forms.BooleanField(label=_("Share this entry with my care team"), required=False,
                                help_text=_("If you leave this unticked, only you can read it."))

    def __init__(self, *args: Any, visits: Any = None, zone: ZoneInfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if visits is not None:
            field = self.fields["visit"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 — declared above
            field.queryset = visits
            local_zone = zone

            def label(v: Visit) -> str:
                return gettext("Visit %(number)s on %(day)s") % {
                    "number": v.number, "day": patient_fmt(local_zone).day(v.starts_at)}

            field.label_from_instance = label  # type: ignore[method-assign,assignment]


class SleepDiaryForm(forms.Form):
    """Consensus Sleep Diary core items. Times after noon belong to the evening of `night_of`,
    times before noon to the next morning."""

    night_of = forms.DateField(label=_("The night that began on"), widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Usually yesterday's date."))
    in_bed = forms.TimeField(label=_("What time did you get into bed?"), widget=forms.TimeInput(attrs={"type": "time"}))
    tried_to_sleep = forms.TimeField(label=_("What time did you try to go to sleep?"),
                                     widget=forms.TimeInput(attrs={"type": "time"}))
    sleep_onset_minutes = forms.IntegerField(label=_("How many minutes did it take you to fall asleep?"), min_value=0,
                                             max_value=720)
    awakenings = forms.IntegerField(label=_("How many times did you wake up, not counting your final awakening?"),
                                    min_value=0, max_value=50)
    wake_after_sleep_onset_minutes = forms.IntegerField(label=_("In total, how many minutes were you awake during "
                                                                  "those times?"), min_value=0, max_value=720)
    final_wake = forms.TimeField(label=_("What time was your final awakening?"),
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    out_of_bed = forms.TimeField(label=_("What time did you get out of bed for the day?"),
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    quality = forms.TypedChoiceField(label=_("How would you rate the quality of your sleep?"), coerce=int,
                                     choices=[("1", _("Very poor")), ("2", _("Poor")), ("3", _("Fair")),
                                              ("4", _("Good")), ("5", _("Very good"))], widget=forms.RadioSelect)

    def moments(self, zone: ZoneInfo) -> dict[str, datetime]:
        night: date = self.cleaned_data["night_of"]

        def place(clock: time) -> datetime:
            day = night if clock >= time(12, 0) else night + timedelta(days=1)
            return datetime.combine(day, clock, tzinfo=zone)

        return {name: place(self.cleaned_data[name]) for name in ("in_bed", "tried_to_sleep", "final_wake",
                                                                  "out_of_bed")}


class CourseReviewForm(KeyedForm):
    decision = forms.ChoiceField(label="Decision", choices=[("", "Choose…"), *ReviewDecision.choices])
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))
    maintenance_start_on = forms.DateField(label="First maintenance booster on or after", required=False,
                                           widget=forms.DateInput(attrs={"type": "date"}),
                                           help_text="Needed when the decision is maintenance.")


class CustomQuestionForm(forms.Form):
    text = forms.CharField(label="Question", max_length=300)
    kind = forms.ChoiceField(label="Answer", choices=CustomQuestionKind.choices)
    risk_values = forms.CharField(label="Answers that need a same-day clinician call", required=False,
                                  help_text="Numbers separated by commas. For a yes/no question, 1 means yes.")

    def clean_risk_values(self) -> list[int]:
        raw = self.cleaned_data.get("risk_values", "")
        try:
            return [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError:
            raise forms.ValidationError("Use whole numbers separated by commas, for example 1 or 8,9,10.") from None


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start date is after the end date.")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3 * 366:
            raise forms.ValidationError("Choose a period of at most three years.")
        return data
