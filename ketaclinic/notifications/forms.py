"""Forms of the notifications pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.notifications.models import ChannelChoice
from ketaclinic.patients.models import Language

# The patient reads these in their language (the model's labels stay as they are for staff).
CHANNEL_CHOICES = [(ChannelChoice.EMAIL.value, _("Email only")),
                   (ChannelChoice.SMS.value, _("Text message (SMS) only")),
                   (ChannelChoice.BOTH.value, _("Both email and text message"))]

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(label=_("How should we send you reminders?"), choices=CHANNEL_CHOICES,
                                widget=forms.RadioSelect)
    quiet_start = forms.TimeField(label=_("Quiet hours start (no messages from)"), widget=TIME)
    quiet_end = forms.TimeField(label=_("Quiet hours end (messages again from)"), widget=TIME)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices,
                                 help_text=_("Your messages, portal and printouts use this language."))


class DismissForm(forms.Form):
    reason = forms.CharField(label="How did you reach the patient?", max_length=200)
