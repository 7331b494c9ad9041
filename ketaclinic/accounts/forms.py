from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ketaclinic.accounts.roles import STAFF_ROLES, Role


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True,
                                                                                "autocomplete": "email"}))


class PatientLanguagePasswordResetForm(PasswordResetForm):
    """Django's reset form; a patient's email is in the language they chose for the portal."""

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:
        from ketaclinic.patients.access import own_patient_record

        patient = own_patient_record(context["user"])
        language = patient.preferred_language if patient and patient.preferred_language in ("en", "es") else None
        with translation.override(language or translation.get_language()):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("Choose a password"),
                               help_text=_("At least 10 characters. Not a common password."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Type it again"),
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords do not match."))
        return data


class InviteStaffForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES])
