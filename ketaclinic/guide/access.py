"""Reading guide pages: the clinic's current version (or our default) and read status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ketaclinic.clinics.models import Clinic
from ketaclinic.guide.content import TOPIC_SLUGS, TOPICS, default_page, render
from ketaclinic.guide.models import GuidePageVersion, GuideRead
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit, VisitStatus


@dataclass(frozen=True)
class GuidePage:
    slug: str
    language: str
    title: str
    body: str
    version_number: int  # 0 = our default text
    html: SafeString


def placeholder_values(clinic: Clinic, language: str = "en") -> dict[str, str]:
    """The clinic's facts for a guide page in `language` (our words where the clinic left one blank)."""
    protocol = clinic.protocol()
    course = protocol.course
    minutes = course.checkin_min + course.infusion_min + course.recovery_min
    hours, rest = divmod(minutes, 60)
    length = f"{hours} h {rest} min" if rest else f"{hours} h"
    with translation.override(language if language in ("en", "es") else "en"):
        # Stands in for a phone number: "call {clinic_phone}" / "llame al {clinic_phone}".
        the_clinic = pgettext("in place of a phone number", "the clinic")
        return {
            "clinic_name": clinic.name,
            "clinic_phone": clinic.phone or the_clinic,
            "on_call_phone": clinic.on_call_phone or clinic.phone or the_clinic,
            "parking": clinic.parking_info or _("Ask the front desk about parking."),
            "support_person_policy": clinic.support_person_policy or _("Ask the front desk about bringing someone."),
            "visit_length": length,
            "crisis_line": protocol.outcomes.crisis_line,
            "emergency_number": protocol.outcomes.emergency_number,
        }


def current_version(clinic: Clinic, slug: str, language: str) -> GuidePageVersion | None:
    return GuidePageVersion.objects.filter(clinic=clinic, slug=slug, language=language).order_by("-number").first()


def get_guide_page(clinic: Clinic, slug: str, language: str) -> GuidePage:
    """The page a patient of `clinic` reads: the clinic's latest edit, else our default. KeyError if unknown."""
    if slug not in TOPIC_SLUGS:
        raise KeyError(slug)
    language = language if language in ("en", "es") else "en"
    version = current_version(clinic, slug, language)
    if version is not None:
        title, body, number = version.title, version.body, version.number
    else:
        default = default_page(slug, language)
        title, body, number = default.title, default.body, 0
    return GuidePage(slug, language, title, body, number, render(body, placeholder_values(clinic, language)))


def page_titles(clinic: Clinic, language: str) -> dict[str, str]:
    """Titles of every page for the index, in 1 query."""
    edited = {v.slug: v.title for v in GuidePageVersion.objects.filter(clinic=clinic, language=language)
              .order_by("slug", "-number")}
    return {t.slug: edited.get(t.slug) or default_page(t.slug, language).title for t in TOPICS}


def read_slugs(patient: Patient) -> set[str]:
    return set(GuideRead.objects.filter(patient=patient).values_list("slug", flat=True))


def pages_due(patient: Patient, now: datetime) -> list[str]:
    """Pages that matter for this patient now, in reading order (ARCHITECTURE: right page, right moment)."""
    due: list[str] = []
    if patient.stage in (Stage.APPROVED, Stage.INDUCTION, Stage.MAINTENANCE, Stage.DISCHARGED):
        due += ["about", "course"]
    visits = Visit.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
    if visits.filter(starts_at__gte=now).exists():
        due.append("before")
    today_start = now - timedelta(hours=12)
    if visits.filter(starts_at__gte=today_start, starts_at__lte=now + timedelta(hours=1),
                     status__in=[VisitStatus.ARRIVED, VisitStatus.IN_CHAIR, VisitStatus.INFUSING,
                                 VisitStatus.RECOVERING]).exists():
        due.append("during")
    first_done = visits.filter(status=VisitStatus.DISCHARGED).aggregate(first=Min("starts_at"))["first"]
    if first_done is not None:
        due.append("after")
        if now - first_done >= timedelta(days=7):
            due.append("sleep")
    return due
