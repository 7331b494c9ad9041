from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ketaclinic.accounts.roles import STAFF_ROLES, Role


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True,
                                                                             "autocomplete": "email"}))


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=16,
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
