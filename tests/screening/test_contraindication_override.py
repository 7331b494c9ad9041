"""A contraindication blocks approval unless a provider's written override is co-signed by another prescriber."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.screening import actions
from ketaclinic.screening.models import ContraindicationOverride, FindingAcknowledgement
from tests.factories import make_staff
from tests.screening.conftest import fill_intake, submitted

pytestmark = pytest.mark.django_db
REASON = "Aneurysm repaired in 2019; vascular surgeon cleared treatment in writing."


@pytest.fixture
def contraindicated(patient: Any) -> Any:
    return submitted(patient, conditions=["aneurysmal_vascular_disease"])


@pytest.fixture
def provider2(clinic: Any) -> Any:
    return make_staff(clinic, "provider", email="second.provider@example.org")


def _latest(patient: Any) -> Any:
    return patient.eligibility_assessments.order_by("-version").first()


def _approve(client: Any, patient: Any) -> Any:
    latest = _latest(patient)
    done = set(FindingAcknowledgement.objects.filter(assessment=latest).values_list("finding_index", flat=True))
    boxes = [str(i) for i, _ in latest.findings_to_acknowledge() if i not in done]
    return client.post(reverse("screening:decide", args=[patient.pk]), {
        "assessment_version": latest.version, "decision": "approve", "reason": "Benefit outweighs the risk",
        "acknowledge": boxes})


def test_an_override_needs_a_reason_and_a_second_prescribers_signature(
        login: Any, contraindicated: Any, provider: Any, provider2: Any) -> None:
    patient = contraindicated
    version = _latest(patient).version
    client = login(provider)
    page = client.get(reverse("screening:review", args=[patient.pk])).content.decode()
    assert "Treat despite the contraindication" in page and "Propose the override" in page
    propose = reverse("screening:propose_override", args=[patient.pk])
    client.post(propose, {"assessment_version": version, "reason": "ok"})  # too short: refused, nothing saved
    assert not ContraindicationOverride.objects.exists()
    client.post(propose, {"assessment_version": version, "reason": REASON})
    client.post(propose, {"assessment_version": version, "reason": REASON})  # double submit
    override = ContraindicationOverride.objects.get()
    assert override.status == "pending" and override.proposed_by == provider
    assert [f["code"] for f in override.findings] and all(f["severity"] == "contraindicated" for f in override.findings)
    # Still blocked while waiting; the proposer cannot co-sign their own override.
    assert _approve(client, patient).status_code == 400
    client.post(reverse("screening:cosign_override", args=[override.pk]), {"approve": "yes"})
    override.refresh_from_db()
    assert override.status == "pending"
    # The second prescriber sees the buttons and co-signs.
    second = login(provider2)
    assert "Co-sign the override" in second.get(reverse("screening:review", args=[patient.pk])).content.decode()
    assert second.post(reverse("screening:cosign_override", args=[override.pk]), {"approve": "yes"}).status_code == 302
    override.refresh_from_db()
    assert override.status == "approved" and override.cosigned_by == provider2 and override.cosigned_at
    assert _approve(client, patient).status_code == 302
    assert TreatmentCourse.objects.filter(patient=patient).count() == 1
    decided = AuditEvent.objects.get(action="SCREENING_DECIDED")
    assert decided.details["override"] == override.pk
    actions_seen = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert {"CONTRAINDICATION_OVERRIDE_PROPOSED", "CONTRAINDICATION_OVERRIDE_COSIGNED"} <= actions_seen


def test_a_refusal_needs_a_note_and_keeps_approval_blocked(contraindicated: Any, provider: Any,
                                                           provider2: Any) -> None:
    patient = contraindicated
    override = actions.do_propose_contraindication_override(provider, patient, assessment_version=_latest(patient)
                                                            .version, reason=REASON)
    with pytest.raises(actions.ScreeningError, match="why you refuse"):
        actions.do_cosign_contraindication_override(provider2, override, approve=False)
    refused = actions.do_cosign_contraindication_override(provider2, override, approve=False,
                                                          note="Needs a cardiology opinion first")
    assert refused.status == "refused"
    with pytest.raises(actions.ScreeningError, match="already"):
        actions.do_cosign_contraindication_override(provider2, override, approve=True)
    with pytest.raises(actions.ScreeningError, match="blocked by a contraindication"):
        actions.do_decide_screening(provider, patient, decision="approve", reason="x",
                                    assessment_version=_latest(patient).version)
    # After a refusal a new, better-argued proposal is possible.
    again = actions.do_propose_contraindication_override(provider, patient, assessment_version=_latest(patient)
                                                         .version, reason=REASON + " Cardiology agrees.")
    assert again.pk != override.pk and again.status == "pending"


def test_an_override_belongs_to_one_rules_run(contraindicated: Any, patient: Any, provider: Any,
                                              provider2: Any) -> None:
    override = actions.do_propose_contraindication_override(provider, patient, assessment_version=_latest(patient)
                                                            .version, reason=REASON)
    fill_intake(patient.user, patient, conditions=["aneurysmal_vascular_disease", "glaucoma"])
    actions.do_run_eligibility(provider, patient, reason="history changed")
    with pytest.raises(actions.ScreeningError, match="changed"):
        actions.do_cosign_contraindication_override(provider2, override, approve=True)
    with pytest.raises(actions.ScreeningError, match="changed"):
        actions.do_propose_contraindication_override(provider, patient, assessment_version=override.assessment
                                                     .version, reason=REASON)


def test_nothing_to_override_without_a_contraindication(submitted_patient: Any, provider: Any) -> None:
    with pytest.raises(actions.ScreeningError, match="no contraindication"):
        actions.do_propose_contraindication_override(provider, submitted_patient,
                                                     assessment_version=_latest(submitted_patient).version,
                                                     reason=REASON)


def test_override_urls_as_each_persona(login: Any, contraindicated: Any, provider: Any, provider2: Any, nurse: Any,
                                       front_desk: Any, other_clinic_nurse: Any, other_patient: Any,
                                       anon: Any) -> None:
    patient = contraindicated
    version = _latest(patient).version
    propose = reverse("screening:propose_override", args=[patient.pk])
    data = {"assessment_version": version, "reason": REASON}
    assert anon.post(propose, data).status_code == 302 and "login" in anon.post(propose, data)["Location"]
    assert login(other_patient.user).post(propose, data).status_code == 404
    assert login(patient.user).post(propose, data).status_code == 404
    assert login(other_clinic_nurse).post(propose, data).status_code == 404
    assert login(front_desk).post(propose, data).status_code == 403
    assert login(nurse).post(propose, data).status_code == 403  # sees the review, cannot prescribe
    assert not ContraindicationOverride.objects.exists()
    assert login(provider).post(propose, data).status_code == 302
    override = ContraindicationOverride.objects.get()
    cosign = reverse("screening:cosign_override", args=[override.pk])
    for user, status in ((other_patient.user, 404), (patient.user, 404), (other_clinic_nurse, 404),
                         (front_desk, 403), (nurse, 403)):
        assert login(user).post(cosign, {"approve": "yes"}).status_code == status, user
    assert anon.post(cosign, {"approve": "yes"}).status_code == 302
    override.refresh_from_db()
    assert override.status == "pending"
    assert login(provider2).post(cosign, {"approve": "yes"}).status_code == 302
    override.refresh_from_db()
    assert override.status == "approved"
