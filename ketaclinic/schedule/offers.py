"""Cancellation fills: a freed slot is offered to waiting patients; the first to accept gets it.

Who is offered: every waiting course (status "waiting to be scheduled") whose whole plan can
start in that slot: a single booster when the slot is inside its date range and fits the
patient's availability, an induction series when first-fit can place all its other visits
around it. Accepting books the whole course through the rule-checked booking action; the
offer row is locked, so two patients accepting at once cannot both get it.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.schedule.actions import RuleBroken, SlotTaken, do_book_course
from ketaclinic.schedule.models import OfferStatus, SlotOffer, SlotOfferRecipient, Visit
from ketaclinic.schedule.notify import queue_slot_offer_message
from ketaclinic.schedule.planning import plan_course_around, waiting_courses
from ketaclinic.schedule.rules import Placement, Problem, blocking, check_course_plan

MAX_RECIPIENTS = 10  # enough to fill the slot quickly without messaging the whole waitlist


class OfferGone(ValueError):
    """Someone else accepted first, or the offer was withdrawn."""


def plan_for_offer(course: TreatmentCourse, offer: SlotOffer) -> list[Placement] | None:
    """The whole plan `course` would get by taking `offer`, or None if it does not fit.

    Offers go to patients, so the patient's stated availability is a hard rule here.
    """
    if course.planned_visits == 1:
        plan: list[Placement] | None = [Placement(offer.chair, offer.starts_at)]
    else:
        plan = plan_course_around(course, offer.chair, offer.starts_at)
    if plan is None:
        return None
    problems = check_course_plan(course, plan)
    if blocking(problems) or any(p.rule == "availability" for p in problems):
        return None
    return plan


def offer_freed_slot(visit: Visit, *, now: datetime) -> SlotOffer | None:
    """Called inside do_cancel_visit: open an offer for the freed slot if anyone waiting fits.

    Writes: SlotOffer, SlotOfferRecipient rows, AuditEvent. Returns None when nobody fits.
    """
    if visit.chair is None:
        return None
    offer = SlotOffer(clinic=visit.clinic, chair=visit.chair, starts_at=visit.starts_at, ends_at=visit.ends_at,
                      freed_visit=visit, created_at=now)
    fits = []
    for course in waiting_courses(visit.clinic):
        if course.patient_id == visit.patient_id:
            continue
        if plan_for_offer(course, offer) is not None:
            fits.append(course)
        if len(fits) >= MAX_RECIPIENTS:
            break
    if not fits:
        return None
    offer.save()
    SlotOfferRecipient.objects.bulk_create(
        [SlotOfferRecipient(offer=offer, course=c, patient=c.patient) for c in fits])
    for course in fits:
        # Rows join this transaction: no cancellation, no message.
        queue_slot_offer_message(course.patient, offer, planned_visits=course.planned_visits, now=now)
    record_event(None, "SLOT_OFFERED", clinic=visit.clinic, obj=offer, at=now,
                 details={"chair": visit.chair.name, "starts_at": visit.starts_at.isoformat(),
                          "recipients": [c.pk for c in fits]})
    return offer


@transaction.atomic
def do_accept_offer(acting_user: User, recipient: SlotOfferRecipient, *, now: datetime | None = None) -> list[Visit]:
    """Take an offered slot: book the recipient's whole course starting there.

    Who: the patient it was offered to, or staff who may view patients (booking on the
    patient's behalf after a phone call). Steps:
    1. lock the offer row, so concurrent accepts queue up;
    2. if it is no longer open, someone else was first (OfferGone);
    3. plan the course around the slot and book it with every rule re-checked;
    4. mark the offer filled.
    Writes: Visits, SlotOffer, AuditEvent.
    """
    now = now or timezone.now()
    offer = (SlotOffer.objects.select_for_update(of=("self",))
        .select_related("clinic", "chair").get(pk=recipient.offer_id))
    recipient = SlotOfferRecipient.objects.get(pk=recipient.pk)  # fresh: it may have been declined meanwhile
    course = TreatmentCourse.objects.select_related("clinic", "patient").get(pk=recipient.course_id)
    is_staff = has_perm(acting_user, offer.clinic, Perm.VIEW_PATIENTS)
    if not is_staff and course.patient.user_id != acting_user.pk:
        raise PermissionDenied("This offer is not yours.")
    if offer.status != OfferStatus.OPEN or recipient.declined_at is not None:
        raise OfferGone(_("Sorry, someone else took this time first."))
    if offer.starts_at <= now:
        raise OfferGone(_("Sorry, this time has passed."))
    plan = plan_for_offer(course, offer)
    if plan is None:
        raise OfferGone(_("Sorry, this time no longer works for your visits. The front desk will help you."))
    try:
        visits = do_book_course(acting_user, course, plan, source=f"offer {offer.pk}", now=now)
    except (RuleBroken, SlotTaken) as exc:
        raise OfferGone(_("Sorry, this time was just taken.")) from exc
    offer.status = OfferStatus.FILLED
    offer.filled_visit = visits[0]
    offer.closed_at = now
    offer.save(update_fields=["status", "filled_visit", "closed_at"])
    record_event(acting_user, "SLOT_OFFER_ACCEPTED", patient=course.patient, obj=offer, at=now,
                 details={"course": course.pk, "visits": len(visits)})
    return visits


@transaction.atomic
def do_decline_offer(acting_user: User, recipient: SlotOfferRecipient, *, now: datetime | None = None) -> None:
    """Say no to an offered slot (it stays open for the others). Who: the patient, or staff."""
    now = now or timezone.now()
    recipient = (SlotOfferRecipient.objects.select_for_update(of=("self",))
        .select_related("offer__clinic", "patient").get(pk=recipient.pk))
    if not has_perm(acting_user, recipient.offer.clinic, Perm.VIEW_PATIENTS) \
            and recipient.patient.user_id != acting_user.pk:
        raise PermissionDenied("This offer is not yours.")
    if recipient.declined_at is None:
        recipient.declined_at = now
        recipient.save(update_fields=["declined_at"])
        record_event(acting_user, "SLOT_OFFER_DECLINED", patient=recipient.patient, obj=recipient.offer, at=now)


@transaction.atomic
def do_withdraw_offer(acting_user: User, offer: SlotOffer, *, now: datetime | None = None) -> SlotOffer:
    """Stop offering a slot (for example the chair is needed). Who: staff who may view patients."""
    if not has_perm(acting_user, offer.clinic, Perm.VIEW_PATIENTS):
        raise PermissionDenied("Only staff can withdraw an offer.")
    offer = SlotOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.status == OfferStatus.OPEN:
        offer.status = OfferStatus.WITHDRAWN
        offer.closed_at = now or timezone.now()
        offer.save(update_fields=["status", "closed_at"])
        record_event(acting_user, "SLOT_OFFER_WITHDRAWN", clinic=offer.clinic, obj=offer)
    return offer


def open_offers_for_patient(patient_id: int, *, now: datetime) -> list[SlotOfferRecipient]:
    """Open offers a patient may still accept, soonest first."""
    return list(SlotOfferRecipient.objects.filter(
        patient_id=patient_id, declined_at__isnull=True, offer__status=OfferStatus.OPEN, offer__starts_at__gt=now,
        course__status=CourseStatus.REQUESTED)  # a course booked meanwhile needs no offer
        .select_related("offer", "offer__chair", "course").order_by("offer__starts_at"))


def taken_offers_for_patient(patient_id: int, *, now: datetime) -> list[SlotOfferRecipient]:
    """Offers this patient did not answer that someone else took (still ahead): "that time was taken"."""
    return list(SlotOfferRecipient.objects.filter(
        patient_id=patient_id, declined_at__isnull=True, offer__status=OfferStatus.FILLED, offer__starts_at__gt=now)
        .exclude(offer__filled_visit__patient_id=patient_id)
        .select_related("offer").order_by("offer__starts_at"))


__all__ = ["OfferGone", "Problem", "do_accept_offer", "do_decline_offer", "do_withdraw_offer", "offer_freed_slot",
           "open_offers_for_patient", "plan_for_offer", "taken_offers_for_patient"]
