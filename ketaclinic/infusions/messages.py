"""Words the patient takes home, and the messages the infusion day sends.

The after-care sheet is printed at discharge (in the patient's language: the sheet's strings
are lazy and the template wraps them in `{% language patient.preferred_language %}`) and also
sent as the "aftercare" message in the patient's language through
`notifications.actions.queue_patient_message`. The wording is ours: plain, kind, about
6th–8th grade; Spanish in ketaclinic/locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketaclinic.notifications.actions import queue_patient_message
from ketaclinic.notifications.wording import Fmt, Values, patient_message

Text = str | Promise


def _sections(phone: str, crisis: str, emergency: str) -> list[tuple[Text, list[Text]]]:
    """The sheet as (heading, lines) of lazy strings: shown in the language active when rendered."""
    return [
        (gettext_lazy("For the rest of today"), [
            gettext_lazy("Go home with your escort and rest. Someone should stay with you this evening if possible."),
            gettext_lazy("Drink water. Start with light food, like toast, soup or crackers."),
            gettext_lazy("Do not drive, ride a bike or use machines until tomorrow, after a night's sleep."),
            gettext_lazy("Do not sign papers or make big decisions until tomorrow."),
            gettext_lazy("Do not drink alcohol or take sleeping pills or other sedating drugs today, "
                         "unless your doctor said so."),
        ]),
        (gettext_lazy("What you may feel — this is common and usually passes within hours"), [
            gettext_lazy("Sleepy, groggy or a little unsteady. Take your time getting up."),
            gettext_lazy("Upset stomach or feeling sick."),
            gettext_lazy("A mild headache."),
            gettext_lazy("Lights and sounds may feel too strong. A quiet, dim room helps."),
            gettext_lazy("Your mood may go up and down, or you may feel emotional. This is common after an infusion."),
            gettext_lazy("Feeling far away or 'not quite real' usually fades within an hour or so."),
        ]),
        (format_lazy(gettext_lazy("Call the clinic at {phone}"), phone=phone), [
            gettext_lazy("If you keep throwing up for more than 6 hours."),
            gettext_lazy("If strange feelings, or seeing or hearing things, are still there tomorrow morning."),
            gettext_lazy("If it hurts to pass urine, or you see blood in your urine."),
            gettext_lazy("If your mood is getting worse, or you are worried about anything."),
        ]),
        (format_lazy(gettext_lazy("Call {emergency} right away"), emergency=emergency), [
            gettext_lazy("Chest pain, trouble breathing, a sudden very bad headache, loss of vision, a seizure, "
                         "fainting, or new confusion."),
        ]),
        (format_lazy(gettext_lazy("Call or text {crisis}"), crisis=crisis), [
            format_lazy(gettext_lazy("If you have thoughts of hurting yourself or ending your life, call or text "
                                     "{crisis} (Suicide & Crisis Lifeline) any time, day or night."), crisis=crisis),
        ]),
        (gettext_lazy("Tomorrow"), [
            gettext_lazy("We will send you a short check-in. It takes about a minute and helps us look after you."),
        ]),
    ]


def aftercare_values(clinic: Any) -> dict[str, str]:
    protocol = clinic.protocol()
    return {"clinic": clinic.name, "phone": clinic.on_call_phone or clinic.phone,
            "crisis_line": protocol.outcomes.crisis_line, "emergency_number": protocol.outcomes.emergency_number}


def aftercare_sections(clinic: Any) -> list[tuple[Text, list[Text]]]:
    """The after-care sheet as (heading, lines). Used by the print views and the message."""
    v = aftercare_values(clinic)
    return _sections(v["phone"], v["crisis_line"], v["emergency_number"])


def _sheet_text(v: Values) -> str:
    parts = [_("After your infusion at %(clinic)s") % {"clinic": v["clinic"]}]
    for heading, lines in _sections(v["phone"], v["crisis_line"], v["emergency_number"]):
        parts += ["", str(heading), *(f"- {line}" for line in lines)]
    return "\n".join(parts)


def aftercare_text(clinic: Any) -> str:
    """The sheet as plain text, in the active language."""
    return _sheet_text(aftercare_values(clinic))


_SAMPLE = {"clinic": "Harbor Clinic", "phone": "555-0100", "crisis_line": "988", "emergency_number": "911"}


@patient_message("aftercare", sample=_SAMPLE)
def aftercare_message(f: Fmt, v: Values) -> tuple[str, str]:
    return _("After your infusion today"), _sheet_text(v)


@patient_message("next_day_checkin", sample=_SAMPLE)
def next_day_checkin_message(f: Fmt, v: Values) -> tuple[str, str]:
    body = " ".join([
        _("Please answer a short check-in about how you feel after yesterday's infusion."),
        _("It takes about a minute. Sign in to your patient portal to answer."),
        (_("If you feel very unwell, call the clinic at %(phone)s.") % {"phone": v["phone"]} if v["phone"]
         else _("If you feel very unwell, call the clinic.")),
        _("In an emergency call %(emergency_number)s.") % {"emergency_number": v["emergency_number"]},
    ])
    return _("How are you feeling today?"), body


def queue_discharge_messages(visit: Any, *, follow_up_due_at: datetime, now: datetime) -> None:
    """Queue the after-care message (now) and the next-day check-in, in the patient's language.

    Called inside the discharge transaction.
    """
    values = aftercare_values(visit.clinic)
    queue_patient_message(patient=visit.patient, kind="aftercare", values=values, visit=visit, due_at=now,
                          dedupe_key=f"infusions:aftercare:{visit.pk}", now=now)
    queue_patient_message(patient=visit.patient, kind="next_day_checkin", values=values, visit=visit,
                          due_at=follow_up_due_at.astimezone(UTC), dedupe_key=f"infusions:next_day:{visit.pk}",
                          now=now)
