"""Demo messages: conversations in every state, a routine and an urgent symptom report.

Idempotent: does nothing once the demo clinic has any conversation. Uses actions only.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from ketaclinic.messaging.actions import (
    do_assign_conversation,
    do_link_report_to_visit,
    do_read_conversation,
    do_report_symptoms,
    do_send_message,
    do_start_conversation,
    do_triage_symptom_report,
    do_update_messaging_settings,
    last_infusion_before,
)
from ketaclinic.messaging.models import Conversation
from ketaclinic.patients.models import Stage
from ketaclinic.protocol.symptoms import Symptom


def _answers(**given: tuple[int, str | None]) -> list[dict[str, Any]]:
    return [{"symptom": s.value, "severity": given.get(s.value, (0, None))[0],
             "onset": given.get(s.value, (0, None))[1]} for s in Symptom]


def _morning_after(ctx: Any, patient: Any) -> tuple[Any, datetime]:
    visit = last_infusion_before(patient, ctx.now)
    if visit is None:
        return None, ctx.now - timedelta(hours=3)
    local = visit.starts_at.astimezone(ctx.clinic.zone).date() + timedelta(days=1)
    return visit, min(ctx.at(local, time(7, 40)), ctx.now - timedelta(minutes=30))


def seed(ctx: Any) -> None:
    clinic = ctx.clinic
    if Conversation.objects.filter(clinic=clinic).exists():
        return
    staff, now = ctx.staff, ctx.now
    do_update_messaging_settings(staff["director"], clinic, weekdays=[0, 1, 2, 3, 4], opens_at=time(8, 30),
                                 closes_at=time(17, 0), reply_within_hours=8, now=now - timedelta(days=60))
    induction = ctx.patients.get(Stage.INDUCTION, [])
    maintenance = ctx.patients.get(Stage.MAINTENANCE, [])
    approved = ctx.patients.get(Stage.APPROVED, [])
    if len(induction) < 4 or len(maintenance) < 2 or not approved:
        return

    # Open, unread: a question waiting for the care team.
    p = approved[0]
    do_start_conversation(p.user, p, topic="appointment", subject="Can I bring my husband?",
                          body="Hi, can my husband stay with me during the first infusion? He will drive me home.",
                         now=now - timedelta(hours=2))

    # Waiting on patient: a nurse answered and asked something back.
    p = maintenance[0]
    c = do_start_conversation(p.user, p, topic="medicine", subject="New sleep medicine",
                              body="My doctor started me on trazodone 50 mg at night. Is that OK with my booster?",
                             now=now - timedelta(days=1, hours=5))
    do_read_conversation(staff["nurse"], c, now=now - timedelta(days=1, hours=4))
    do_assign_conversation(staff["nurse"], c, staff["provider"], now=now - timedelta(days=1, hours=4))
    do_send_message(staff["provider"], c, then_status="waiting",
                    body="Thanks for telling us. Trazodone is usually fine. What time do you take it, and has it "
                         "made you sleepy in the morning?", now=now - timedelta(days=1, hours=2))

    # Closed: answered and done.
    p = maintenance[1]
    c = do_start_conversation(p.user, p, topic="question", subject="Parking",
                              body="Where should I park on Thursday?",
                              now=now - timedelta(days=3))
    do_read_conversation(staff["front_desk"], c, now=now - timedelta(days=3) + timedelta(minutes=20))
    do_send_message(staff["front_desk"], c, then_status="closed",
                    body="Free parking is behind the building. The entrance is by the blue awning. See you Thursday!",
                    now=now - timedelta(days=3) + timedelta(minutes=25))
    do_read_conversation(p.user, c, now=now - timedelta(days=3) + timedelta(hours=1))

    # Open, assigned, staff wrote first.
    p = induction[3]
    c = do_start_conversation(staff["nurse2"], p, topic="appointment", subject="Moving Friday's visit",
                              body="We need to move Friday's visit to 10:30. Does that work for you?",
                             now=now - timedelta(hours=20))
    do_send_message(p.user, c, body="10:30 is fine, thank you.",
                    now=now - timedelta(hours=18))
    do_assign_conversation(staff["nurse2"], c, staff["front_desk"], now=now - timedelta(hours=17))

    # Routine symptom report, triaged and linked to the infusion it followed.
    p = induction[1]
    visit, at = _morning_after(ctx, p)
    report = do_report_symptoms(p.user, p, answers=_answers(nausea=(1, "infusion_day"), headache=(2, "infusion_day")),
                                note="A bit queasy last night, better now.", now=at)
    do_read_conversation(staff["nurse"], report.conversation, now=at + timedelta(hours=1))
    do_triage_symptom_report(staff["nurse"], report, outcome="advice", now=at + timedelta(hours=1),
                             note="Expected after-effects, settling. Advised fluids and rest; ondansetron at next "
                                  "visit if it happens again.")
    if visit is not None:
        do_link_report_to_visit(staff["nurse"], report, visit, note="Nausea and headache after this infusion.",
                                now=at + timedelta(hours=1))
    do_send_message(staff["nurse"], report.conversation, then_status="closed",
                    body="Thank you for letting us know. This is common and should pass today. Drink water and rest. "
                         "Call us if it gets worse.", now=at + timedelta(hours=1, minutes=5))

    # Urgent symptom report, not yet triaged: perceptual changes still there the next morning.
    p = induction[2]
    visit, at = _morning_after(ctx, p)
    do_report_symptoms(p.user, p, answers=_answers(perceptual_changes=(1, "infusion_day"),
                                                   dizziness=(1, "infusion_day")),
                       note="Things still look a bit far away this morning.", now=at)
