"""Forms for messages, symptom reports, triage and office hours."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.messaging.files import MAX_ATTACHMENT_BYTES
from ketaclinic.messaging.hours import WEEKDAY_NAMES
from ketaclinic.messaging.models import ConversationStatus, Topic, TriageOutcome
from ketaclinic.messaging.symptom_text import (
    ONSET_LABELS,
    SELF_HARM_LABELS,
    SEVERITY_LABELS,
    SYMPTOM_LABELS,
)
from ketaclinic.protocol.symptoms import Severity, Symptom

ATTACH_HELP = format_lazy(_("Optional: a photo (JPEG or PNG) or a PDF document, up to {size} MB."),
                          size=MAX_ATTACHMENT_BYTES // 1024 // 1024)


def new_token() -> str:
    return uuid.uuid4().hex


class _TokenForm(forms.Form):
    # One token per form shown: a double submit finds the first record instead of writing a second.
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("client_token", new_token())


class ComposeForm(_TokenForm):
    topic = forms.ChoiceField(label=_("What is it about?"),
                              choices=[(v, label) for v, label in Topic.choices if v != Topic.SYMPTOMS])
    subject = forms.CharField(max_length=200, label=_("Subject"))
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    attachment = forms.FileField(required=False, label=_("Add a photo or document"), help_text=ATTACH_HELP)


class StaffComposeForm(ComposeForm):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)


class ReplyForm(_TokenForm):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    attachment = forms.FileField(required=False, label=_("Add a photo or document"), help_text=ATTACH_HELP)


class StaffReplyForm(ReplyForm):
    then_status = forms.ChoiceField(label="After sending", choices=[
        (ConversationStatus.WAITING, "Waiting on patient"), (ConversationStatus.OPEN, "Keep open"),
        (ConversationStatus.CLOSED, "Close the conversation")], initial=ConversationStatus.WAITING)


class TriageForm(forms.Form):
    outcome = forms.ChoiceField(label="What you did", choices=TriageOutcome.choices)
    note = forms.CharField(label="What you found and why", widget=forms.Textarea(attrs={"rows": 3}))
    is_adverse_event = forms.BooleanField(required=False, label="This is an adverse event of treatment")


class LinkVisitForm(forms.Form):
    visit = forms.TypedChoiceField(label="The infusion it followed", coerce=int, empty_value=None, required=False)
    note = forms.CharField(label="Note", required=False)

    def __init__(self, *args: Any, visits: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"].choices = [("", "Not related to an infusion")] + [  # type: ignore[attr-defined]
            (v.pk, v.label) for v in visits]


class SettingsForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(label="Days the inbox is read", coerce=int,
                                              choices=list(enumerate(WEEKDAY_NAMES)),
                                              widget=forms.CheckboxSelectMultiple)
    opens_at = forms.TimeField(label="Opens", widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(label="Closes", widget=forms.TimeInput(attrs={"type": "time"}))
    reply_within_hours = forms.IntegerField(label="We answer within (office hours)", min_value=1, max_value=168)


class SymptomForm(_TokenForm):
    """One severity (and when it started) per symptom; the field names are <symptom>_severity/_onset."""

    note = forms.CharField(label=_("Anything else you want us to know?"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The labels are English constants marked with gettext_noop: translated here, for the patient.
        onset_choices = [("", gettext("When did it start?"))] + [(o.value, gettext(label))
                                                                  for o, label in ONSET_LABELS.items()]
        for symptom in Symptom:
            labels = SELF_HARM_LABELS if symptom is Symptom.SELF_HARM else SEVERITY_LABELS
            self.fields[f"{symptom.value}_severity"] = forms.TypedChoiceField(
                label=gettext(SYMPTOM_LABELS[symptom]), coerce=int, initial=0, widget=forms.RadioSelect,
                choices=[(int(s), gettext(labels[s])) for s in Severity])
            if symptom is not Symptom.SELF_HARM:
                self.fields[f"{symptom.value}_onset"] = forms.ChoiceField(
                    label=gettext("%(symptom)s: when did it start?") % {"symptom": gettext(SYMPTOM_LABELS[symptom])},
                    choices=onset_choices, required=False)

    def rows(self) -> list[dict[str, Any]]:
        return [{"symptom": s, "severity": self[f"{s.value}_severity"],
                 "onset": self[f"{s.value}_onset"] if s is not Symptom.SELF_HARM else None,
                 "self_harm": s is Symptom.SELF_HARM} for s in Symptom]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for symptom in Symptom:
            if symptom is Symptom.SELF_HARM:
                continue
            if (data.get(f"{symptom.value}_severity") or 0) > 0 and not data.get(f"{symptom.value}_onset"):
                self.add_error(f"{symptom.value}_onset", gettext("Please say when it started."))
        return data

    def answers(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"symptom": s.value, "severity": data.get(f"{s.value}_severity") or 0,
                 "onset": data.get(f"{s.value}_onset") or None} for s in Symptom]
