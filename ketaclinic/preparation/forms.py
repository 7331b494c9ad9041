"""Forms of the preparation pages. Labels are the patient's words; errors say how to fix it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.preparation.models import RideKind
from ketaclinic.protocol.preparation import MEDICATION_INSTRUCTIONS

YES_NO = [("no", _("No")), ("yes", _("Yes"))]
# The patient reads these in their language (the model's labels stay as they are for staff lists).
RIDE_CHOICES = [(RideKind.ADULT.value, _("An adult I know will drive me home")),
                (RideKind.CAR_SERVICE.value, _("A taxi, rideshare or car service"))]
LOCAL_DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RideForm(forms.Form):
    kind = forms.ChoiceField(label=_("How will you get home?"), choices=RIDE_CHOICES, widget=forms.RadioSelect)
    escort_name = forms.CharField(label=_("Name of the adult taking you home"), max_length=120, required=False)
    escort_phone = forms.CharField(label=_("Their phone number"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    relationship = forms.CharField(label=_("How do you know them? (for example: partner, friend)"), max_length=60,
                                   required=False)
    car_service_name = forms.CharField(label=_("Car service or company (if you use one)"), max_length=120,
                                       required=False)
    confirm = forms.BooleanField(label=_("I confirm this person will take me home after this visit."), required=False)


class HealthUpdateForm(forms.Form):
    new_illness = forms.TypedChoiceField(label=_("Since your last visit, have you been sick (for example a cold, flu "
                                               "or fever)?"), choices=YES_NO, coerce=lambda v: v == "yes",
                                         widget=forms.RadioSelect)
    new_illness_details = forms.CharField(label=_("If yes, tell us about it"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))
    surgery = forms.TypedChoiceField(label=_("Have you had surgery or a hospital stay?"), choices=YES_NO,
                                     coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    surgery_details = forms.CharField(label=_("If yes, what and when?"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    new_symptoms = forms.TypedChoiceField(label=_("Do you have any new symptoms (for example chest pain, headaches, "
                                                "trouble breathing)?"), choices=YES_NO,
                                          coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    new_symptoms_details = forms.CharField(label=_("If yes, tell us about them"), required=False,
                                           widget=forms.Textarea(attrs={"rows": 2}))
    new_medications = forms.TypedChoiceField(label=_("Have you started, stopped or changed any medicines, vitamins "
                                                   "or supplements?"), choices=YES_NO,
                                             coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    new_medications_details = forms.CharField(label=_("If yes, which ones? (one per line)"), required=False,
                                              widget=forms.Textarea(attrs={"rows": 2}))
    pregnant = forms.ChoiceField(label=_("Could you be pregnant?"), widget=forms.RadioSelect,
                                 choices=[("no", _("No")), ("yes", _("Yes")), ("not_sure", _("Not sure")),
                                          ("na", _("Does not apply to me"))])
    bp_systolic = forms.IntegerField(label=_("If you check your blood pressure at home: top number"), required=False,
                                     min_value=60, max_value=260)
    bp_diastolic = forms.IntegerField(label=_("Bottom number"), required=False, min_value=30, max_value=160)


class AttestationForm(forms.Form):
    last_solid_food_at = forms.DateTimeField(label=_("When did you last eat solid food?"), widget=LOCAL_DT)
    last_clear_liquids_at = forms.DateTimeField(label=_("When did you last drink anything?"), widget=LOCAL_DT)
    no_alcohol_or_drugs = forms.TypedChoiceField(
        label=_("Have you had no alcohol and no recreational drugs in the last 24 hours?"),
        choices=[("yes", _("Yes, none at all")), ("no", _("No, I had some"))], coerce=lambda v: v == "yes",
        widget=forms.RadioSelect)
    last_alcohol_at = forms.DateTimeField(label=_("If you had alcohol, when was your last drink?"), required=False,
                                          widget=LOCAL_DT)
    medications_taken = forms.CharField(label=_("Which medicines did you take today, and when?"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))


class IntentionForm(forms.Form):
    text = forms.CharField(label=_("My intention for this visit"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=4000)
    shared = forms.BooleanField(label=_("Share this with my care team"), required=False)


class MedicationInstructionForm(forms.Form):
    medication = forms.CharField(label="Medicine", max_length=120)
    instruction = forms.ChoiceField(label="Instruction", choices=[
        (c, {"hold_evening_before": "Skip the evening dose the day before",
             "hold_morning_of": "Skip the morning dose on the visit day",
             "take_as_usual": "Take as usual with a sip of water"}[c]) for c in MEDICATION_INSTRUCTIONS])
    agreed_by_name = forms.CharField(label="Agreed by (name the patient knows)", max_length=120, required=False,
                                     help_text="Leave empty to use your own name.")
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, label: str = "Note", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].label = label
