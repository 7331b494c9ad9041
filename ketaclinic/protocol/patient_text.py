"""Plain-language wording for the patient's preparation timeline and visit-day lists.

Written for patients at a 6th-8th grade reading level: short sentences, everyday words, one
idea per sentence. Every time is shown as a clock time in the clinic's time zone, with the
weekday and date, e.g. "3:00 AM on Sunday, March 14". The wording is ours; the clinical
content follows shared/clinical-reference.md §5. No Django import (see ARCHITECTURE.md).

`preparation.py` does the time arithmetic and calls these functions with datetimes that are
already in the clinic's zone. Keep the wording here so it can be reviewed in one place.
"""

from __future__ import annotations

from datetime import date, datetime, time

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def day_phrase(day: date) -> str:
    """'Sunday, March 14' (English names, independent of the machine's locale)."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def _is_ambiguous(local: datetime) -> bool:
    """True when this wall-clock time happens twice (the hour when clocks go back)."""
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset()


def clock_phrase(local: datetime) -> str:
    """'3:00 AM', '12:00 noon'; when the hour repeats (clocks go back) it says which one."""
    if local.hour == 12 and local.minute == 0:
        text = "12:00 noon"
    else:
        hour = local.hour % 12 or 12
        text = f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    if _is_ambiguous(local):
        which = "the second one, after clocks go back" if local.fold else "the first one, before clocks go back"
        text = f"{text} ({which})"
    return text


def when(local: datetime) -> str:
    """'3:00 AM on Sunday, March 14'. Midnight names both days, to avoid any doubt."""
    if local.time() == time(0) and not _is_ambiguous(local):
        previous = date.fromordinal(local.date().toordinal() - 1)
        return f"midnight, the night between {day_phrase(previous)} and {day_phrase(local.date())}"
    return f"{clock_phrase(local)} on {day_phrase(local.date())}"


# --- timeline steps ----------------------------------------------------------------------


def health_update(visit: datetime) -> str:
    return (
        f"Please fill in your health update for your visit at {when(visit)}. "
        "Tell us about any new illness, surgery or symptoms. "
        "Also tell us if any of your medicines have changed."
    )


def ride_confirmation(visit: datetime, escort_required: bool) -> str:
    if escort_required:
        return (
            f"Please confirm your ride home from your visit at {when(visit)}. "
            "An adult you know must take you home. "
            "Tell us their name and phone number. "
            "A taxi or rideshare driver alone is not enough."
        )
    return (
        f"Please confirm how you will get home from your visit at {when(visit)}. "
        "You must not drive yourself."
    )


def no_alcohol_or_drugs(start: datetime) -> str:
    return (
        f"Starting at {when(start)}, do not drink any alcohol or use recreational drugs. "
        "Keep it up until your visit is over."
    )


def no_alcohol(start: datetime) -> str:
    return f"Starting at {when(start)}, do not drink any alcohol. Keep it up until your visit is over."


def no_recreational_drugs(start: datetime) -> str:
    return f"Starting at {when(start)}, do not use recreational drugs. Keep it up until your visit is over."


def morning_reminder(visit: datetime, last_solid_food: datetime) -> str:
    return (
        f"Reminder: your visit is at {when(visit)}. "
        f"Stop eating solid food by {when(last_solid_food)}."
    )


def caffeine(visit_day: date, cups: int, last_clear_liquids: datetime) -> str:
    day = f"{day_phrase(visit_day)}, the day of your visit"
    if cups == 0:
        return f"On {day}, please have no coffee, tea, soda or energy drinks with caffeine."
    amount = "1 cup" if cups == 1 else f"{cups} cups"
    return (
        f"On {day}, have no more than {amount} of coffee or tea. "
        f"Drink it black, with no milk or cream, and finish it by {when(last_clear_liquids)}. "
        "Skip energy drinks."
    )


def last_solid_food(at: datetime, *, milk_by: datetime | None, fatty_food_by: datetime | None) -> str:
    """The solid-food cut-off. `milk_by` / `fatty_food_by`: their own, earlier cut-off, or None
    when the solid-food one already covers them."""
    milk = (
        "Treat milk and drinks with milk like food. "
        if milk_by is None
        else f"Have your last milk or drinks with milk by {when(milk_by)}. "
    )
    fatty = "" if fatty_food_by is None else f"Have your last fried or fatty food or meat by {when(fatty_food_by)}. "
    return (
        f"Stop eating solid food by {when(at)}. "
        f"This includes snacks and candy. {milk}{fatty}"
        "Make your last meal a light one, like toast."
    )


def last_clear_liquids(at: datetime) -> str:
    return (
        f"Stop drinking clear liquids by {when(at)}. "
        "Clear liquids are water, juice with no pulp, soda, clear sports drinks, clear tea, "
        "and black coffee with no milk or cream. "
        "Alcohol is not a clear liquid. "
        "After this time, do not eat or drink anything. "
        "You may take your usual medicines with a small sip of water, unless we told you not to."
    )


def medication(instruction: str, medication_name: str, agreed_by: str, day: date) -> str:
    """Wording for one agreed medication instruction; `instruction` is a kind code."""
    agreed = f"You agreed on this with {agreed_by}."
    if instruction == "hold_evening_before":
        return f"Do not take your evening dose of {medication_name} on {day_phrase(day)}. {agreed}"
    if instruction == "hold_morning_of":
        return (
            f"Do not take your morning dose of {medication_name} on {day_phrase(day)}, "
            f"the day of your visit. {agreed}"
        )
    if instruction == "take_as_usual":
        return (
            f"Take your {medication_name} as usual on {day_phrase(day)}, the day of your visit. "
            f"Use only a small sip of water. {agreed}"
        )
    raise ValueError(f"unknown medication instruction {instruction!r}")


def arrive(at: datetime) -> str:
    return (
        f"Please arrive at the clinic by {when(at)}. "
        "We will check your blood pressure and ask how you feel."
    )


def infusion_start(visit: datetime) -> str:
    return f"Your visit starts at {when(visit)}. After a short check-in, you will get your infusion."


def expected_end(at: datetime, escort_required: bool) -> str:
    ride = "The adult taking you home should be ready then. " if escort_required else ""
    return (
        f"Plan to leave the clinic around {when(at)}. {ride}"
        "Take it easy for the rest of the day. " + no_driving()
    )


# --- visit-day lists ---------------------------------------------------------------------

BRING: tuple[tuple[str, str], ...] = (
    ("headphones", "Headphones and a calm playlist you like. Music can help you relax."),
    ("eye_mask", "An eye mask, if you like to rest in the dark."),
    ("blanket", "A soft blanket. Some people feel cold while they rest."),
    ("comfortable_clothes", "Loose, comfy clothes. Pick a top with sleeves that roll up, for the IV."),
)

ESCORT_ITEM: tuple[str, str] = (
    "escort",
    "The adult who will take you home. If they will pick you up later, bring their name and phone number.",
)

LEAVE_AT_HOME: tuple[tuple[str, str], ...] = (
    ("laptop", "Your laptop."),
    ("work", "Work papers and other tasks. This time is for rest."),
)


def getting_home(escort_required: bool) -> str:
    if escort_required:
        return (
            "An adult you know must take you home after your visit. "
            "A taxi or rideshare driver alone is not enough."
        )
    return "You must not drive yourself home. Plan your ride before your visit."


def no_driving(until: str = "next_day_after_sleep") -> str:
    """The driving rule; `until` is the protocol's `preparation.no_driving_until` choice."""
    if until == "next_day_after_sleep":
        return "Do not drive until the next day, after a good night's sleep."
    raise ValueError(f"unknown no-driving rule {until!r}")
