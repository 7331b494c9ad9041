"""Forms of the notifications pages."""

from __future__ import annotations

from django import forms

from ketaclinic.notifications.models import ChannelChoice
from ketaclinic.patients.models import Language

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(label="How should we send you reminders?", choices=ChannelChoice.choices,
                                widget=forms.RadioSelect)
    quiet_start = forms.TimeField(label="Quiet hours start (no messages from)", widget=TIME)
    quiet_end = forms.TimeField(label="Quiet hours end (messages again from)", widget=TIME)
    language = forms.ChoiceField(label="Language", choices=Language.choices,
                                 help_text="Your messages, portal and printouts use this language.")


class DismissForm(forms.Form):
    reason = forms.CharField(label="How did you reach the patient?", max_length=200)
