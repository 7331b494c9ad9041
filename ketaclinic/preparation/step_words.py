"""The preparation timeline and visit-day lists in the patient's language (the portal page and
its printout).

The reviewed wording is `protocol.patient_text` (English, no Django). This module says the
same sentences through gettext, from the same instants of the same timeline, so Spanish
comes from ketaclinic/locale. A test renders every step in English here and checks it is
exactly the protocol's text, so the two can never drift apart: change one, the test fails
until the other (and its Spanish) follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ketaclinic.notifications.wording import Fmt
from ketaclinic.protocol.config import Preparation
from ketaclinic.protocol.preparation import MedicationInstruction, PreparationTimeline, TimelineStep


def _before(moment: datetime, hours: float, fmt: Fmt) -> datetime:
    """As the protocol computes it: real elapsed time before `moment`, in the clinic zone."""
    return (moment.astimezone(UTC) - timedelta(hours=hours)).astimezone(fmt.zone)


def no_driving(rule: str) -> str:
    if rule == "next_day_after_sleep":
        return _("Do not drive until the next day, after a good night's sleep.")
    raise ValueError(f"unknown no-driving rule {rule!r}")


def _medication(instruction: str, name: str, agreed_by: str, fmt: Fmt, visit: datetime) -> str:
    agreed = _("You agreed on this with %(person)s.") % {"person": agreed_by}
    if instruction == "hold_evening_before":
        day = fmt.day(visit.astimezone(fmt.zone).date() - timedelta(days=1))
        return _("Do not take your evening dose of %(medicine)s on %(day)s.") % {"medicine": name, "day": day} \
            + " " + agreed
    day = fmt.day(visit)
    if instruction == "hold_morning_of":
        return _("Do not take your morning dose of %(medicine)s on %(day)s, the day of your visit.") % {
            "medicine": name, "day": day} + " " + agreed
    if instruction == "take_as_usual":
        return (_("Take your %(medicine)s as usual on %(day)s, the day of your visit.") % {"medicine": name, "day": day}
                + " " + _("Use only a small sip of water.") + " " + agreed)
    raise ValueError(f"unknown medication instruction {instruction!r}")


def step_text(step: TimelineStep, timeline: PreparationTimeline, prep: Preparation, fmt: Fmt,
              medications: Iterable[MedicationInstruction] = ()) -> str:
    """One timeline step's sentence in the active language (call under translation.override)."""
    visit, w = timeline.appointment_start, fmt.when
    kind = step.kind
    if kind == "health_update":
        return " ".join([_("Please fill in your health update for your visit at %(when)s.") % {"when": w(visit)},
                         _("Tell us about any new illness, surgery or symptoms."),
                         _("Also tell us if any of your medicines have changed.")])
    if kind == "ride_confirmation":
        if prep.escort_required:
            return " ".join([_("Please confirm your ride home from your visit at %(when)s.") % {"when": w(visit)},
                             _("An adult you know must take you home."), _("Tell us their name and phone number."),
                             _("A taxi or rideshare driver alone is not enough.")])
        return " ".join([_("Please confirm how you will get home from your visit at %(when)s.") % {"when": w(visit)},
                         _("You must not drive yourself.")])
    if kind == "no_alcohol_or_drugs":
        keep = _("Keep it up until your visit is over.")
        if step.subject == "alcohol":
            first = _("Starting at %(when)s, do not drink any alcohol.")
        elif step.subject == "recreational_drugs":
            first = _("Starting at %(when)s, do not use recreational drugs.")
        else:
            first = _("Starting at %(when)s, do not drink any alcohol or use recreational drugs.")
        return f"{first % {'when': w(step.at)}} {keep}"
    if kind == "morning_reminder":
        return " ".join([_("Reminder: your visit is at %(when)s.") % {"when": w(visit)},
                         _("Stop eating solid food by %(when)s.") % {"when": w(timeline.last_solid_food)}])
    if kind == "caffeine":
        day = fmt.day(visit)
        if prep.caffeine_limit_cups == 0:
            return _("On %(day)s, the day of your visit, please have no coffee, tea, soda or energy drinks "
                     "with caffeine.") % {"day": day}
        amount = ngettext("%(count)d cup", "%(count)d cups", prep.caffeine_limit_cups) % {
            "count": prep.caffeine_limit_cups}
        return " ".join([
            _("On %(day)s, the day of your visit, have no more than %(amount)s of coffee or tea.")
            % {"day": day, "amount": amount},
            _("Drink it black, with no milk or cream, and finish it by %(when)s.")
            % {"when": w(timeline.last_clear_liquids)},
            _("Skip energy drinks."),
        ])
    if kind == "last_solid_food":
        parts = [_("Stop eating solid food by %(when)s.") % {"when": w(step.at)},
                 _("This includes snacks and candy.")]
        if prep.fast_nonhuman_milk_h > prep.fast_solids_h:
            parts.append(_("Have your last milk or drinks with milk by %(when)s.")
                         % {"when": w(_before(visit, prep.fast_nonhuman_milk_h, fmt))})
        else:
            parts.append(_("Treat milk and drinks with milk like food."))
        if prep.fast_fatty_meal_h > prep.fast_solids_h:
            parts.append(_("Have your last fried or fatty food or meat by %(when)s.")
                         % {"when": w(_before(visit, prep.fast_fatty_meal_h, fmt))})
        parts.append(_("Make your last meal a light one, like toast."))
        return " ".join(parts)
    if kind == "last_clear_liquids":
        return " ".join([
            _("Stop drinking clear liquids by %(when)s.") % {"when": w(step.at)},
            _("Clear liquids are water, juice with no pulp, soda, clear sports drinks, clear tea, and black coffee "
              "with no milk or cream."),
            _("Alcohol is not a clear liquid."), _("After this time, do not eat or drink anything."),
            _("You may take your usual medicines with a small sip of water, unless we told you not to."),
        ])
    if kind == "medication":
        for med in medications:
            if med.medication.strip() == step.subject:
                return _medication(med.instruction, med.medication.strip(), med.agreed_by.strip(), fmt, visit)
        return step.text  # the instruction ended since the page was built: keep the protocol's words
    if kind == "arrive":
        return " ".join([_("Please arrive at the clinic by %(when)s.") % {"when": w(step.at)},
                         _("We will check your blood pressure and ask how you feel.")])
    if kind == "infusion_start":
        return " ".join([_("Your visit starts at %(when)s.") % {"when": w(step.at)},
                         _("After a short check-in, you will get your infusion.")])
    if kind == "expected_end":
        parts = [_("Plan to leave the clinic around %(when)s.") % {"when": w(step.at)}]
        if prep.escort_required:
            parts.append(_("The adult taking you home should be ready then."))
        parts += [_("Take it easy for the rest of the day."), no_driving(prep.no_driving_until)]
        return " ".join(parts)
    raise ValueError(f"unknown step kind {kind!r}")


@dataclass(frozen=True)
class DayLists:
    bring: list[str]
    leave_at_home: list[str]
    getting_home: str
    no_driving: str


def day_lists(prep: Preparation) -> DayLists:
    """What to bring, what to leave at home, getting home: in the active language."""
    bring = [_("Headphones and a calm playlist you like. Music can help you relax."),
             _("An eye mask, if you like to rest in the dark."),
             _("A soft blanket. Some people feel cold while they rest."),
             _("Loose, comfy clothes. Pick a top with sleeves that roll up, for the IV.")]
    if prep.escort_required:
        bring.append(_("The adult who will take you home. If they will pick you up later, bring their name and "
                       "phone number."))
    if prep.escort_required:
        home = " ".join([_("An adult you know must take you home after your visit."),
                         _("A taxi or rideshare driver alone is not enough.")])
    else:
        home = " ".join([_("You must not drive yourself home."), _("Plan your ride before your visit.")])
    leave = [_("Your laptop."), _("Work papers and other tasks. This time is for rest.")]
    return DayLists(bring=bring, leave_at_home=leave, getting_home=home, no_driving=no_driving(prep.no_driving_until))
