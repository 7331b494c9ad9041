"""Writes for the patient guide."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.guide.access import current_version
from ketaclinic.guide.content import LANGUAGES, TOPIC_SLUGS, readability
from ketaclinic.guide.models import GuidePageVersion, GuideRead
from ketaclinic.patients.models import Patient


class GuideEditInvalid(ValueError):
    pass


@transaction.atomic
def do_record_guide_read(patient: Patient, slug: str, language: str, version_number: int,
                         *, now: datetime | None = None) -> GuideRead:
    """Note that the patient opened a page (first time kept, latest time updated).

    Who: the patient themself (the view only calls it for the signed-in patient's own record).
    """
    now = now or timezone.now()
    read = GuideRead.objects.filter(patient=patient, slug=slug).first()
    if read is None:
        try:
            with transaction.atomic():
                read = GuideRead.objects.create(patient=patient, slug=slug, language=language,
                                                version_number=version_number, first_read_at=now, last_read_at=now)
        except IntegrityError:  # a double click raced us: keep the first row
            read = GuideRead.objects.get(patient=patient, slug=slug)
        record_event(patient.user, "GUIDE_PAGE_READ", patient=patient, obj=read,
                     details={"slug": slug, "language": language, "version": version_number})
        return read
    read.last_read_at = now
    read.language = language
    read.version_number = version_number
    read.save(update_fields=["last_read_at", "language", "version_number"])
    return read


@transaction.atomic
def do_edit_guide_page(acting_user: User, clinic: Clinic, slug: str, language: str, *, title: str, body: str,
                       reason: str, now: datetime | None = None) -> GuidePageVersion:
    """Save a clinic's new version of a page. Who: the medical director.

    Refuses an empty title, body or reason, and text above the reading-level bar (the editor
    shows the score before saving). Writes: GuidePageVersion, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    if slug not in TOPIC_SLUGS or language not in LANGUAGES:
        raise GuideEditInvalid("Unknown page.")
    title, body, reason = title.strip(), body.strip(), reason.strip()
    if not title or not body:
        raise GuideEditInvalid("A page needs a title and some text.")
    if not reason:
        raise GuideEditInvalid("Say why the page changes; the reason is kept with the version.")
    score = readability(title, body, language)
    if not score.passes:
        raise GuideEditInvalid(f"This text reads at {score.label}; patient pages need {score.target}. "
                               "Use shorter sentences and everyday words.")
    latest = current_version(clinic, slug, language)
    version = GuidePageVersion.objects.create(
        clinic=clinic, slug=slug, language=language, number=(latest.number + 1) if latest else 1, title=title,
        body=body, readability=score.score, reason=reason, created_by=acting_user, created_at=now or timezone.now())
    record_event(acting_user, "GUIDE_PAGE_EDITED", clinic=clinic, obj=version,
                 details={"slug": slug, "language": language, "version": version.number, "reason": reason})
    return version
