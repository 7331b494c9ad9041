from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.accounts.models import User
from ketaclinic.interop.models import TokenScope


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name",
                           help_text="Who uses it, for example “Epic referrals” or “Research export”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, label="Access", initial=TokenScope.READ,
                              widget=forms.RadioSelect,
                              help_text="Read only is enough for exports. Write lets it register referrals.")
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Acts as",
        empty_label="Nobody: an integration with its own account",
        help_text="Pick a staff member for a personal token. It can do only what that person can do at this "
                  "clinic, and stops working if their role here is removed.")

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["person"].label_from_instance = lambda u: f"{u.display_name} ({u.email})"  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    note = forms.CharField(max_length=300, label="What was done",
                           help_text="For example “Vitals entered by hand” or “Monitor moved to chair 3”.")
