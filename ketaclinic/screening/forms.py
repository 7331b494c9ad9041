"""Forms for referral, self-referral, decisions and clearance requests (validation and labels only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.patients.forms import RegisterPatientForm
from ketaclinic.patients.models import Sex
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import normalize_code
from ketaclinic.screening.models import ClearanceRequest, Decision


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _clean_icd(value: str) -> str:
    if not value.strip():
        return ""
    try:
        code = normalize_code(value)
    except InputError as exc:
        raise forms.ValidationError(exc.message) from None
    return code


class ReferralForm(RegisterPatientForm):
    referring_clinician = forms.CharField(max_length=200, required=False, label="Referring clinician")
    referring_practice = forms.CharField(max_length=200, required=False, label="Practice")
    referring_phone = forms.CharField(max_length=40, required=False, label="Referrer's phone")
    referring_email = forms.EmailField(required=False, label="Referrer's email")
    indication_code = forms.CharField(max_length=10, required=False, label="Indication (ICD-10-CM)",
                                      help_text="For example F33.2 (depression), F41.1, F43.10, G90.50.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Reason for referral")
    documents = MultipleFileField(required=False, label="Referral documents",
                                  help_text="PDF, JPEG, PNG or text, up to 10 MB each.")

    def clean_indication_code(self) -> str:
        return _clean_icd(self.cleaned_data.get("indication_code", ""))


class SelfReferralForm(forms.Form):
    """The public request form; its words are translated (the page offers English and Spanish)."""

    first_name = forms.CharField(max_length=100, label=_("First name"))
    last_name = forms.CharField(max_length=100, label=_("Last name"))
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Date of birth"))
    sex_at_birth = forms.ChoiceField(choices=[(Sex.FEMALE, _("Female")), (Sex.MALE, _("Male"))],
                                     label=_("Sex assigned at birth"),
                                     help_text=_("We use this only to work out medicine doses safely."))
    email = forms.EmailField(label=_("Email"), help_text=_("We will send a link to set up your account here."))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone (optional)"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000,
                             label=_("What would you like help with? (optional)"))
    # Honeypot: hidden from people with CSS and from screen readers; bots fill every field.
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        if born >= date.today() or born.year < 1900:  # noqa: DTZ011 - a birth date is a calendar date
            raise forms.ValidationError(_("Please check your date of birth."))
        return born


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect, label="Decision")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason (recorded in the chart)")
    patient_message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                      label="Message for the patient (optional)",
                                      help_text="Shown in the portal with the clinic's standard words. Plain words.")
    indication_code = forms.CharField(max_length=10, required=False, label="Indication for the course (ICD-10-CM)")
    earliest_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                  label="Earliest first infusion")
    acknowledge = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        label="Hold and caution findings not yet acknowledged",
        help_text="Tick each one you have looked at. Approval needs every one acknowledged; each tick is "
                  "recorded with your name and the time.")

    def __init__(self, *args: Any, to_acknowledge: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if to_acknowledge:
            self.fields["acknowledge"].choices = to_acknowledge  # type: ignore[attr-defined]
        else:
            del self.fields["acknowledge"]

    def clean_indication_code(self) -> str:
        return _clean_icd(self.cleaned_data.get("indication_code", ""))


class ClearanceForm(forms.Form):
    recipient_kind = forms.ChoiceField(choices=ClearanceRequest.Recipient.choices, label="Send to")
    recipient_name = forms.CharField(max_length=200, label="Clinician's name")
    recipient_email = forms.EmailField(required=False, label="Clinician's email",
                                       help_text="If given, the letter is emailed when you save.")
    recipient_fax = forms.CharField(max_length=40, required=False, label="Fax")
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What should they confirm?")


class ClearanceReplyForm(forms.Form):
    file = forms.FileField(required=False, label="Reply (file)")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note")
