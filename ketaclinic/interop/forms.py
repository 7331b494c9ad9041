from __future__ import annotations

from django import forms

from ketaclinic.interop.models import TokenScope


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name",
                           help_text="Who uses it, for example “Epic referrals” or “Research export”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, label="Access", initial=TokenScope.READ,
                              widget=forms.RadioSelect,
                              help_text="Read only is enough for exports. Write lets it register referrals.")


class ReviewForm(forms.Form):
    note = forms.CharField(max_length=300, label="What was done",
                           help_text="For example “Vitals entered by hand” or “Monitor moved to chair 3”.")
