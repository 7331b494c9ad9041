"""Forms for signing the consent and for the medical director's template editor."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

LANGUAGE_CHOICES = [("en", "English"), ("es", "Español")]


class SignConsentForm(forms.Form):
    template_version = forms.IntegerField(widget=forms.HiddenInput)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False, label=_("I have read this form. My questions were answered. I agree to "
                                                        "IV ketamine treatment."))
    typed_name = forms.CharField(max_length=200, required=False, label=_("Type your full name to sign"),
                                 widget=forms.TextInput(attrs={"autocomplete": "name"}))
    signed_on = forms.DateField(required=False, label=_("Today's date"),
                                widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages={"invalid": _("Enter the date like 2026-03-14.")})


class WitnessedSignConsentForm(SignConsentForm):
    # For the staff member, so it stays English (marked as such) on a page in the patient's language.
    witness_confirmed = forms.BooleanField(required=False, label=format_html(
        '<span lang="en">{}</span>', "I am the witness: I watched the patient read this form and sign it themself."))


class ConsentTemplateForm(forms.Form):
    based_on_version = forms.IntegerField(widget=forms.HiddenInput)
    title_en = forms.CharField(max_length=200, label="Title (English)")
    body_en = forms.CharField(label="Text (English)", widget=forms.Textarea(attrs={"class": "consent-body"}),
                              help_text='"## " starts a heading, "- " a list item; a blank line ends a paragraph.')
    title_es = forms.CharField(max_length=200, label="Title (Spanish)")
    body_es = forms.CharField(label="Text (Spanish)", widget=forms.Textarea(attrs={"class": "consent-body"}))
    requires_reconsent = forms.BooleanField(
        required=False, label="Patients who signed an earlier version must sign this one before their next visit")
    change_note = forms.CharField(label="What changed and why", widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawConsentForm(forms.Form):
    reason = forms.CharField(label="What the patient said", widget=forms.Textarea(attrs={"rows": 3}))
