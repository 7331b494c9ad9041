"""iCalendar feeds: a patient's visits, a chair's bookings, a nurse's shifts.

A feed is reached by a secret link (calendar apps cannot sign in). Only the SHA-256 of the
token is stored, so a database leak does not leak working links; the full link is shown once
when it is made. Revoking a feed makes its link answer 404 at once. Staff feeds carry
initials, never full names or diagnoses, because calendar apps sync to many devices.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, Role, has_perm, roles_at
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.models import ACTIVE_STATUSES, CalendarFeed, Chair, FeedKind, NurseShift, Visit

PAST_DAYS = 30  # how far back a feed reaches; calendar apps keep older events they already have


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("schedule:feed", args=[token])


@transaction.atomic
def do_create_feed(acting_user: User, clinic: Clinic, kind: str, *, patient: Patient | None = None,
                   chair: Chair | None = None, nurse: User | None = None,
                   now: datetime | None = None) -> tuple[CalendarFeed, str]:
    """Make a secret calendar link; returns (feed, token). The token is not stored; show it once.

    Who: a patient for their own visits; staff who may view patients for a chair; a nurse for
    their own shifts, or front desk and up for any nurse of the clinic. Writes: CalendarFeed, AuditEvent.
    """
    if kind == FeedKind.PATIENT:
        if patient is None or (patient.user_id != acting_user.pk
                               and not has_perm(acting_user, clinic, Perm.VIEW_PATIENTS)):
            raise PermissionDenied("You may not make a calendar link for this patient.")
    elif kind == FeedKind.CHAIR:
        if chair is None or chair.clinic_id != clinic.pk or not has_perm(acting_user, clinic, Perm.VIEW_PATIENTS):
            raise PermissionDenied("You may not make a calendar link for this chair.")
    elif kind == FeedKind.NURSE:
        is_self = nurse is not None and nurse.pk == acting_user.pk
        if nurse is None or Role.NURSE not in roles_at(nurse, clinic) or not (
                is_self or has_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)):
            raise PermissionDenied("You may not make a calendar link for this nurse.")
    else:
        raise ValueError(f"Unknown feed kind {kind!r}")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(clinic=clinic, kind=kind, patient=patient, chair=chair, nurse=nurse,
                                       token_hash=_digest(token), created_at=now or timezone.now(),
                                       created_by=acting_user)
    record_event(acting_user, "CALENDAR_FEED_CREATED", clinic=clinic, patient=patient, obj=feed,
                 details={"kind": kind})
    return feed, token


@transaction.atomic
def do_revoke_feed(acting_user: User, feed: CalendarFeed, *, now: datetime | None = None) -> CalendarFeed:
    """Turn a calendar link off for good. Who: whoever could make it. Writes: CalendarFeed, AuditEvent."""
    allowed = (feed.created_by_id == acting_user.pk
               or (feed.patient is not None and feed.patient.user_id == acting_user.pk)
               or has_perm(acting_user, feed.clinic, Perm.REGISTER_PATIENTS))
    if not allowed:
        raise PermissionDenied("You may not turn off this calendar link.")
    if feed.revoked_at is None:
        feed.revoked_at = now or timezone.now()
        feed.save(update_fields=["revoked_at"])
        record_event(acting_user, "CALENDAR_FEED_REVOKED", clinic=feed.clinic, patient=feed.patient, obj=feed)
    return feed


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed for a token, or None (revoked, unknown and malformed look the same)."""
    if not token or len(token) > 100:
        return None
    return (CalendarFeed.objects.select_related("clinic", "patient", "chair", "nurse")
            .filter(token_hash=_digest(token), revoked_at__isnull=True).first())


def _initials(patient: Patient) -> str:
    return f"{patient.first_name[:1]}. {patient.last_name[:1]}."


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//ketaclinic//schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(uid: str, start: datetime, end: datetime, summary: str, *, location: str = "",
           description: str = "", stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@ketaclinic")
    event.add("dtstamp", stamp)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    return event


def render_feed(feed: CalendarFeed, *, now: datetime | None = None) -> bytes:
    """The feed as iCalendar bytes (RFC 5545): upcoming and recent items of its subject."""
    now = now or timezone.now()
    since = now - timedelta(days=PAST_DAYS)
    clinic = feed.clinic
    if feed.kind == FeedKind.PATIENT and feed.patient is not None:
        # Calendar apps fetch without signing in: write it in the patient's language.
        with translation.override(feed.patient.preferred_language if feed.patient.preferred_language in ("en", "es")
                                  else "en"):
            cal = _calendar(_("My visits – %(clinic)s") % {"clinic": clinic.name})
            visits = (Visit.objects.filter(patient=feed.patient, status__in=ACTIVE_STATUSES, ends_at__gte=since)
                      .select_related("course").order_by("starts_at"))
            for v in visits:
                cal.add_component(_event(
                    f"visit-{v.pk}", v.starts_at, v.ends_at,
                    _("Infusion visit %(number)s of %(count)s") % {"number": v.number,
                                                                   "count": v.course.planned_visits},
                    location=clinic.address, stamp=now,
                    description=_("%(clinic)s. Please bring your ride with you; you cannot drive after your "
                                  "infusion. To change or cancel, use your patient page or call %(phone)s.")
                    % {"clinic": clinic.name, "phone": clinic.phone}))
    elif feed.kind == FeedKind.CHAIR and feed.chair is not None:
        cal = _calendar(f"{feed.chair.name} – {clinic.name}")
        visits = (Visit.objects.filter(chair=feed.chair, status__in=ACTIVE_STATUSES, ends_at__gte=since)
                  .select_related("patient", "course").order_by("starts_at"))
        for v in visits:
            cal.add_component(_event(f"chair-visit-{v.pk}", v.starts_at, v.ends_at,
                                     f"{_initials(v.patient)} visit {v.number}/{v.course.planned_visits}",
                                     location=feed.chair.name, stamp=now))
    elif feed.kind == FeedKind.NURSE and feed.nurse is not None:
        cal = _calendar(f"Shifts – {feed.nurse.full_name or feed.nurse.email}")
        for s in NurseShift.objects.filter(clinic=clinic, nurse=feed.nurse, ends_at__gte=since).order_by("starts_at"):
            cal.add_component(_event(f"shift-{s.pk}", s.starts_at, s.ends_at, f"On shift – {clinic.name}",
                                     location=clinic.address, stamp=now))
        # The infusions this nurse is assigned to watch: initials, visit number and chair only.
        assigned = (Visit.objects.filter(clinic=clinic, nurse=feed.nurse, status__in=ACTIVE_STATUSES,
                                         ends_at__gte=since).select_related("patient", "course", "chair")
                    .order_by("starts_at"))
        for v in assigned:
            begin = v.starts_at + timedelta(minutes=v.course.checkin_min)
            cal.add_component(_event(
                f"nurse-visit-{v.pk}", begin, begin + timedelta(minutes=v.course.infusion_min),
                f"Infusion: {_initials(v.patient)} visit {v.number}/{v.course.planned_visits}"
                f"{' – ' + v.chair.name if v.chair else ''}",
                location=v.chair.name if v.chair else clinic.address, stamp=now))
    else:
        cal = _calendar(clinic.name)
    return bytes(cal.to_ical())


def active_feeds(*, patient: Patient | None = None, clinic: Clinic | None = None) -> list[CalendarFeed]:
    qs = CalendarFeed.objects.filter(revoked_at__isnull=True).select_related("chair", "nurse")
    if patient is not None:
        qs = qs.filter(kind=FeedKind.PATIENT, patient=patient)
    if clinic is not None:
        qs = qs.filter(clinic=clinic).exclude(kind=FeedKind.PATIENT)
    return list(qs.order_by("-created_at"))
