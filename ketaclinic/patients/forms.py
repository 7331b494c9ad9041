from __future__ import annotations

from django import forms

from ketaclinic.patients.models import Language, Sex


class RegisterPatientForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                                    help_text="Year-month-day, for example 1984-03-21.")
    sex_at_birth = forms.ChoiceField(choices=Sex.choices, help_text="Used only for dose-weight formulas.")
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    preferred_language = forms.ChoiceField(choices=Language.choices)
    send_invitation = forms.BooleanField(required=False, initial=True,
                                         label="Email the patient a link to set up their portal account")
