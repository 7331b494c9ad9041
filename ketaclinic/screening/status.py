"""What a patient is told about their screening: plain words, 6th-8th grade, written by us.

Translated (ketaclinic/screening/locale): the portal shows the patient's preferred language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ketaclinic.screening.models import CaseStatus, ScreeningCase, ScreeningDecision


@dataclass(frozen=True)
class PatientStatus:
    headline: str
    next_step: str
    action_label: str = ""  # a link to the intake when the patient has something to do
    tone: str = "info"  # info | todo | good | sorry


def patient_status(case: ScreeningCase | None, decision: ScreeningDecision | None, clinic_phone: str) -> PatientStatus:
    phone = clinic_phone or _("the number on your letter")
    extra = f" {decision.patient_message}" if decision and decision.patient_message else ""
    if case is None or case.status in (CaseStatus.REFERRED, CaseStatus.INTAKE):
        return PatientStatus(
            _("We need your health history."),
            _("Please fill in your health history. It saves as you go, so you can stop and come back later."),
            _("Fill in my health history") if case is None or case.status == CaseStatus.REFERRED
            else _("Keep going with my health history"), "todo")
    if case.status == CaseStatus.READY:
        return PatientStatus(
            _("Thank you. Your health history is with our care team."),
            _("A provider will look at it, usually within 3 business days. We will let you know what happens next. "
              "If something about your health changes, you can update your history any time."),
            _("Update my health history"))
    if case.status == CaseStatus.CLEARANCE:
        return PatientStatus(
            _("We asked another doctor for information."),
            _("Before we decide, we asked one of your doctors to tell us more about your health. This can take a "
              "week or two. You do not need to do anything. Questions? Call us at %(phone)s.") % {"phone": phone})
    if case.status == CaseStatus.DEFERRED:
        return PatientStatus(
            _("We need a little more before we decide."),
            _("Our provider needs more information before making a decision.") + extra + " "
            + _("We will contact you, or you can call us at %(phone)s.") % {"phone": phone},
            _("Update my health history"), "todo")
    if case.status == CaseStatus.APPROVED:
        return PatientStatus(
            _("Good news: you can start treatment."),
            _("Our team will contact you to book your first visits. If your health or your medicines change "
              "before then, please update your health history or call us."),
            _("Update my health history"), "good")
    return PatientStatus(
        _("Ketamine treatment here is not the right fit for you right now."),
        _("We looked carefully at your health history. Our provider decided that ketamine infusions at our clinic "
          "are not safe or right for you at this time.") + extra + " "
        + _("This is not the end of your care: please talk with your own doctor or the person who referred you "
            "about other choices. To ask questions, call us at %(phone)s.") % {"phone": phone},
        "", "sorry")
