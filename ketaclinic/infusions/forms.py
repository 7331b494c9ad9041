"""Forms of the infusion day. Validation of clinical rules stays in the actions; forms parse input."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from ketaclinic.infusions.models import AdverseEventSeverity, CheckIn, DisposalMethod, ObservationKind, PumpEventKind
from ketaclinic.infusions.readiness import ITEM_LABELS
from ketaclinic.protocol.discharge import ALDRETE_COMPONENTS, COMPONENT_LABELS, PADSS_COMPONENTS

SMALL = {"class": "small"}


class Prefixed(forms.Form):
    """Several forms share the visit page: each gets its own id prefix so every label points at its field."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _num(label: str, lo: int, hi: int, **attrs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=lo, max_value=hi,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", **SMALL, **attrs}))


def clock_today(value: time | None, zone: Any, now: datetime) -> datetime | None:
    """A clock time typed at check-in → the latest such moment not after now (today, or yesterday)."""
    if value is None:
        return None
    local_now = timezone.localtime(now, zone)
    moment = datetime.combine(local_now.date(), value, tzinfo=zone)
    if moment > now:
        moment -= timedelta(days=1)
    return moment


class CheckInForm(Prefixed):
    id_prefix = "ci"
    health_update_reviewed = forms.BooleanField(label="Health update reviewed with the patient", required=False)
    health_update_note = forms.CharField(label="Health update notes", required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    weight_kg = forms.DecimalField(label="Weight today (kg)", required=False, max_digits=5, decimal_places=1,
                                   widget=forms.NumberInput(attrs={"step": "0.1", **SMALL}))
    height_cm = forms.DecimalField(label="Height (cm)", required=False, max_digits=5, decimal_places=1,
                                   widget=forms.NumberInput(attrs={"step": "0.1", **SMALL}))
    last_solid_food = forms.TimeField(label="Last solid food (time)", required=False,
                                      widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                      help_text="A time later than now means yesterday.")
    last_clear_liquids = forms.TimeField(label="Last clear drink (time)", required=False,
                                         widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    last_alcohol_at = forms.DateTimeField(label="Last alcohol (if in the last days)", required=False,
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                     format="%Y-%m-%dT%H:%M"))
    no_alcohol_or_drugs = forms.BooleanField(label="No alcohol or recreational drugs within the window",
                                             required=False)
    medications_taken = forms.CharField(label="Medicines taken today", required=False)
    medications_confirmed = forms.BooleanField(label="Medicines checked against the plan", required=False)
    ride_name = forms.CharField(label="Ride home: name", required=False, max_length=120)
    ride_phone = forms.CharField(label="Ride home: phone", required=False, max_length=40)
    ride_confirmed = forms.BooleanField(label="Ride confirmed", required=False)
    pregnancy = forms.ChoiceField(label="Pregnancy check", choices=CheckIn.Pregnancy.choices, required=False)

    def action_values(self, zone: Any, now: datetime) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["last_solid_food_at"] = clock_today(d.pop("last_solid_food"), zone, now)
        d["last_clear_liquids_at"] = clock_today(d.pop("last_clear_liquids"), zone, now)
        d["pregnancy"] = d.get("pregnancy") or CheckIn.Pregnancy.NOT_DONE
        return d


class OverrideForm(Prefixed):
    id_prefix = "ov"
    item = forms.ChoiceField(label="Item", choices=list(ITEM_LABELS.items()))
    reason = forms.CharField(label="Clinical reason", widget=forms.Textarea(attrs={"rows": 2}))


class VitalsForm(Prefixed):
    id_prefix = "vs"
    systolic = _num("Systolic", 30, 350)
    diastolic = _num("Diastolic", 10, 250)
    heart_rate = _num("Heart rate", 0, 350)
    spo2 = _num("SpO2 %", 0, 100)
    respiratory_rate = _num("Breaths/min", 0, 100)
    temperature_c = forms.DecimalField(label="Temp °C", required=False, max_digits=4, decimal_places=1,
                                       widget=forms.NumberInput(attrs={"step": "0.1", **SMALL}))
    rass = _num("RASS", -5, 4)
    repeat = forms.BooleanField(label="Repeat BP after rest", required=False)
    symptoms = forms.BooleanField(label="Chest pain, breathless, bad headache, vision change or confusion",
                                  required=False)

    def __init__(self, *args: Any, autofocus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autofocus:  # during the infusion the cursor starts in the vitals form
            self.fields["systolic"].widget.attrs["autofocus"] = True


class AckForm(Prefixed):
    id_prefix = "ack"
    action_taken = forms.CharField(label="What was done", max_length=300)


class AmendVitalsForm(Prefixed):
    id_prefix = "am"
    systolic = _num("Systolic", 30, 350)
    diastolic = _num("Diastolic", 10, 250)
    heart_rate = _num("Heart rate", 0, 350)
    spo2 = _num("SpO2 %", 0, 100)
    respiratory_rate = _num("Breaths/min", 0, 100)
    reason = forms.CharField(label="Why the correction", max_length=300)


class DoseOrderForm(Prefixed):
    id_prefix = "id"
    dose_mg_per_kg = forms.DecimalField(label="Dose (mg/kg)", max_digits=6, decimal_places=3,
                                        widget=forms.NumberInput(attrs={"step": "0.05", **SMALL}))
    weight_basis = forms.ChoiceField(label="Weight basis", choices=[("actual", "Actual body weight"),
                                                                    ("ideal", "Ideal body weight (Devine)"),
                                                                    ("adjusted", "Adjusted body weight")])
    concentration_mg_per_ml = forms.DecimalField(label="Vial strength (mg/mL)", max_digits=6, decimal_places=2,
                                                 widget=forms.NumberInput(attrs=SMALL))
    bag_volume_ml = forms.DecimalField(label="Diluent bag (mL)", max_digits=6, decimal_places=1,
                                       widget=forms.NumberInput(attrs=SMALL))
    duration_minutes = forms.DecimalField(label="Duration (min)", max_digits=6, decimal_places=1,
                                          widget=forms.NumberInput(attrs=SMALL))
    acknowledgement_reason = forms.CharField(label="Reason for accepting the warnings", required=False,
                                             widget=forms.Textarea(attrs={"rows": 2}))
    cosigner_email = forms.EmailField(label="Co-signer's email (hard limits only)", required=False)
    cosigner_password = forms.CharField(label="Co-signer's password", required=False,
                                        widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
    cosign_reason = forms.CharField(label="Co-signer's reason", required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    amend_reason = forms.CharField(label="Why this replaces the earlier order", required=False)


class PumpForm(Prefixed):
    id_prefix = "pump"
    kind = forms.ChoiceField(label="Pump event", choices=PumpEventKind.choices)
    rate_ml_per_h = forms.DecimalField(label="Rate (mL/h)", required=False, max_digits=7, decimal_places=2,
                                       widget=forms.NumberInput(attrs={"step": "0.1", **SMALL}))
    volume_infused_ml = forms.DecimalField(label="Volume infused (mL, at stop)", required=False, max_digits=7,
                                           decimal_places=2, widget=forms.NumberInput(attrs=SMALL))
    reason = forms.CharField(label="Reason", required=False, max_length=300)


class ObservationForm(Prefixed):
    id_prefix = "obs"
    kind = forms.ChoiceField(label="Observation", choices=ObservationKind.choices)
    value = forms.IntegerField(label="Score", required=False, widget=forms.NumberInput(attrs=SMALL))
    text = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class _ChoicesMixin:
    fields: dict[str, Any]

    def _choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 — declared above as a ChoiceField
        field.choices = choices


class AdverseEventForm(_ChoicesMixin, Prefixed):
    id_prefix = "ae"
    event_type = forms.CharField(label="Event", max_length=80,
                                 help_text="For example: vomiting, emergence reaction, hypertension")
    severity = forms.ChoiceField(label="Severity", choices=AdverseEventSeverity.choices)
    action_taken = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label="Outcome", required=False, max_length=200)
    provider_notified = forms.ChoiceField(label="Provider told", required=False)

    def __init__(self, *args: Any, providers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("provider_notified", [("", "—")] + [(p.pk, p.display_name) for p in providers])


class RescueForm(_ChoicesMixin, Prefixed):
    id_prefix = "rx"
    drug = forms.CharField(label="Medicine", max_length=80)
    dose = forms.DecimalField(label="Dose", max_digits=7, decimal_places=2, widget=forms.NumberInput(attrs=SMALL))
    unit = forms.ChoiceField(label="Unit", choices=[("mg", "mg"), ("mcg", "mcg"), ("mL", "mL"), ("L/min", "L/min")])
    route = forms.ChoiceField(label="Route", choices=[(r, r) for r in ("IV", "PO", "ODT", "IM", "SL", "IN",
                                                                        "inhaled")])
    ordered_by = forms.ChoiceField(label="Ordered by")
    adverse_event = forms.ChoiceField(label="For event", required=False)

    def __init__(self, *args: Any, providers: list[Any], events: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("ordered_by", [(p.pk, p.display_name) for p in providers])
        self._choices("adverse_event", [("", "—")] + [(e.pk, f"{e.event_type} ({e.severity})")
                                                              for e in events])


class CsAdministrationForm(Prefixed):
    id_prefix = "cs"
    lot = forms.CharField(label="Vial lot", max_length=40)
    mg_drawn = forms.DecimalField(label="Drawn (mg)", max_digits=8, decimal_places=2,
                                  widget=forms.NumberInput(attrs=SMALL))
    mg_given = forms.DecimalField(label="Given (mg)", max_digits=8, decimal_places=2,
                                  widget=forms.NumberInput(attrs=SMALL))
    mg_wasted = forms.DecimalField(label="Wasted (mg)", max_digits=8, decimal_places=2,
                                   widget=forms.NumberInput(attrs=SMALL))
    witness_email = forms.EmailField(label="Witness's email (for waste)", required=False)
    witness_password = forms.CharField(label="Witness's password", required=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


def _score_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, choices=[(2, "2"), (1, "1"), (0, "0")])


class AldreteForm(Prefixed):
    id_prefix = "al"
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ALDRETE_COMPONENTS:
            self.fields[name] = _score_field(COMPONENT_LABELS[name].capitalize())


class PadssForm(Prefixed):
    id_prefix = "pa"
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PADSS_COMPONENTS:
            self.fields[name] = _score_field(COMPONENT_LABELS[name].capitalize())


class DischargeForm(Prefixed):
    id_prefix = "dc"
    escort_name = forms.CharField(label="Escort's name", max_length=120)
    escort_relationship = forms.CharField(label="Relationship to the patient", max_length=60)
    escort_phone = forms.CharField(label="Escort's phone", required=False, max_length=40)
    aftercare_given = forms.BooleanField(label="After-care sheet given and explained", required=False)
    override_reason = forms.CharField(label="Provider override reason (only if not yet ready)", required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))


class ReceiveStockForm(Prefixed):
    id_prefix = "rcv"
    lot = forms.CharField(label="Lot", max_length=40)
    expires_on = forms.DateField(label="Expiry date", widget=forms.DateInput(attrs={"type": "date"}))
    concentration_mg_per_ml = forms.DecimalField(label="Strength (mg/mL)", max_digits=6, decimal_places=2)
    mg = forms.DecimalField(label="Amount received (mg)", max_digits=8, decimal_places=2)
    note = forms.CharField(label="Supplier and invoice", required=False, max_length=300)


class DisposeStockForm(Prefixed):
    id_prefix = "dsp"
    lot = forms.CharField(label="Lot", max_length=40)
    mg = forms.DecimalField(label="Amount (mg)", max_digits=8, decimal_places=2)
    method = forms.ChoiceField(label="How it leaves the clinic", choices=DisposalMethod.choices)
    reference = forms.CharField(label="DEA Form 41 number or reverse distributor receipt", max_length=80)
    reason = forms.CharField(label="Why (for example: expired, vial cracked)", max_length=300)
    witness_email = forms.EmailField(label="Witness's email")
    witness_password = forms.CharField(label="Witness's password",
                                       widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


class CountForm(Prefixed):
    id_prefix = "cnt"
    lot = forms.CharField(label="Lot", max_length=40)
    mg_on_hand = forms.DecimalField(label="On hand (mg)", max_digits=8, decimal_places=2)
    witness_email = forms.EmailField(label="Witness's email")
    witness_password = forms.CharField(label="Witness's password",
                                       widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
