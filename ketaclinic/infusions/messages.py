"""Words the patient takes home, and the messages the infusion day sends.

The after-care sheet is printed at discharge and also sent through the notifications app's
`queue_message`. The wording is ours: plain, kind, about 6th–8th grade.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketaclinic.notifications.actions import queue_message


def aftercare_sections(clinic: Any) -> list[tuple[str, list[str]]]:
    """The after-care sheet as (heading, lines). Used by the print view and the message."""
    protocol = clinic.protocol()
    crisis = protocol.outcomes.crisis_line
    emergency = protocol.outcomes.emergency_number
    phone = clinic.on_call_phone or clinic.phone
    return [
        ("For the rest of today", [
            "Go home with your escort and rest. Someone should stay with you this evening if possible.",
            "Drink water. Start with light food, like toast, soup or crackers.",
            "Do not drive, ride a bike or use machines until tomorrow, after a night's sleep.",
            "Do not sign papers or make big decisions until tomorrow.",
            "Do not drink alcohol or take sleeping pills or other sedating drugs today, unless your doctor said so.",
        ]),
        ("What you may feel — this is common and usually passes within hours", [
            "Sleepy, groggy or a little unsteady. Take your time getting up.",
            "Upset stomach or feeling sick.",
            "A mild headache.",
            "Lights and sounds may feel too strong. A quiet, dim room helps.",
            "Your mood may go up and down, or you may feel emotional. This is common after an infusion.",
            "Feeling far away or 'not quite real' usually fades within an hour or so.",
        ]),
        (f"Call the clinic at {phone}", [
            "If you keep throwing up for more than 6 hours.",
            "If strange feelings, or seeing or hearing things, are still there tomorrow morning.",
            "If it hurts to pass urine, or you see blood in your urine.",
            "If your mood is getting worse, or you are worried about anything.",
        ]),
        (f"Call {emergency} right away", [
            "Chest pain, trouble breathing, a sudden very bad headache, loss of vision, a seizure, "
            "fainting, or new confusion.",
        ]),
        (f"Call or text {crisis}", [
            f"If you have thoughts of hurting yourself or ending your life, call or text {crisis} "
            "(Suicide & Crisis Lifeline) any time, day or night.",
        ]),
        ("Tomorrow", [
            "We will send you a short check-in. It takes about a minute and helps us look after you.",
        ]),
    ]


def aftercare_text(clinic: Any) -> str:
    parts = [f"After your infusion at {clinic.name}"]
    for heading, lines in aftercare_sections(clinic):
        parts.append("")
        parts.append(heading)
        parts.extend(f"- {line}" for line in lines)
    return "\n".join(parts)


def queue(patient: Any, *, kind: str, subject: str, body: str, visit: Any, due_at: datetime, dedupe_key: str,
          now: datetime | None = None) -> None:
    """Queue a message through the notifications app, inside the caller's transaction."""
    queue_message(patient=patient, kind=kind, due_at=due_at, subject=subject, body=body, visit=visit,
                  dedupe_key=dedupe_key, now=now)
