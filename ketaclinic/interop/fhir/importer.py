"""Import a referral from a FHIR R4 Bundle (Patient, Condition, MedicationStatement, AllergyIntolerance).

The bundle is checked whole before anything is written (`read_referral_bundle`); the import
then runs in one transaction through the screening and patient actions, so a bad bundle
writes nothing. Problems come back as OperationOutcome issues naming the entry and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.fhir import codes
from ketaclinic.patients.models import Patient

SUPPORTED = ("Patient", "Condition", "MedicationStatement", "AllergyIntolerance", "Practitioner", "Organization")
MAX_ENTRIES = 500


@dataclass
class Issue:
    severity: str  # fatal | error | warning | information
    code: str  # invalid | required | not-supported | duplicate | forbidden | informational
    diagnostics: str
    expression: str = ""

    def as_fhir(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            out["expression"] = [self.expression]
        return out


class BundleRejected(ValueError):
    def __init__(self, issues: list[Issue], status: int = 400) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.issues = issues
        self.status = status


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


@dataclass
class ReferralData:
    first_name: str
    last_name: str
    date_of_birth: date
    sex_at_birth: str
    email: str = ""
    phone: str = ""
    preferred_language: str = "en"
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (ICD-10-CM code, text)
    medications: list[tuple[str, str]] = field(default_factory=list)  # (name, dose)
    allergies: list[str] = field(default_factory=list)
    referring_clinician: str = ""
    referring_practice: str = ""
    notes: list[Issue] = field(default_factory=list)


def _text(concept: dict[str, Any] | None) -> str:
    if not concept:
        return ""
    if concept.get("text"):
        return str(concept["text"]).strip()
    for c in concept.get("coding") or []:
        if c.get("display"):
            return str(c["display"]).strip()
    for c in concept.get("coding") or []:
        if c.get("code"):
            return str(c["code"]).strip()
    return ""


def _name(names: list[dict[str, Any]] | None) -> tuple[str, str]:
    for n in names or []:
        given = " ".join(n.get("given") or []).strip()
        family = (n.get("family") or "").strip()
        if given or family:
            return given, family
    return "", ""


def read_referral_bundle(data: Any) -> ReferralData:
    """Check a referral Bundle completely. Raises BundleRejected listing every problem found."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleRejected([Issue("error", "invalid", "Send a FHIR Bundle (resourceType \"Bundle\").")])
    entries = data.get("entry") or []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise BundleRejected([Issue("error", "too-costly", f"A referral bundle may hold at most {MAX_ENTRIES} "
                                    "entries.", "Bundle.entry")])
    issues: list[Issue] = []
    try:
        get_fhir_model_class("Bundle").model_validate(data)
    except ValidationError as exc:
        for err in exc.errors()[:20]:
            loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
            issues.append(Issue("error", "invalid", f"{err['msg']}", f"Bundle.{loc}" if loc else "Bundle"))
        raise BundleRejected(issues) from None

    resources = [(i, e.get("fullUrl") or "", e.get("resource") or {}) for i, e in enumerate(entries)]
    patients = [(i, url, r) for i, url, r in resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise BundleRejected([Issue("error", "required", f"The bundle must hold exactly one Patient; it holds "
                                    f"{len(patients)}.", "Bundle.entry")])
    p_index, p_url, patient = patients[0]
    where = f"Bundle.entry[{p_index}].resource"
    patient_refs = {f"Patient/{patient.get('id')}", p_url} - {"", "Patient/None"}
    given, family = _name(patient.get("name"))
    if not given or not family:
        issues.append(Issue("error", "required", "The Patient needs a given and a family name.", f"{where}.name"))
    gender = patient.get("gender")
    if gender not in ("female", "male"):
        issues.append(Issue("error", "invalid", "Patient.gender must be female or male: the clinic uses sex at "
                            "birth to work out the dosing weight.", f"{where}.gender"))
    birth = patient.get("birthDate")
    dob = None
    try:
        dob = date.fromisoformat(str(birth))
    except ValueError:
        issues.append(Issue("error", "required", "Patient.birthDate must be a full date (YYYY-MM-DD).",
                            f"{where}.birthDate"))
    if dob is not None and not date(1900, 1, 1) <= dob <= timezone.localdate():
        issues.append(Issue("error", "invalid", "Patient.birthDate must be a past date after 1900.",
                            f"{where}.birthDate"))
    email = phone = ""
    for t in patient.get("telecom") or []:
        if t.get("system") == "email" and not email:
            email = str(t.get("value") or "").strip()
        elif t.get("system") == "phone" and not phone:
            phone = str(t.get("value") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        issues.append(Issue("error", "invalid", f"{email!r} is not an email address.", f"{where}.telecom"))
    language = "en"
    for c in patient.get("communication") or []:
        for coding in (c.get("language") or {}).get("coding") or []:
            if str(coding.get("code", "")).lower()[:2] in ("en", "es"):
                language = str(coding["code"]).lower()[:2]
    ref = ReferralData(first_name=given[:100], last_name=family[:100], date_of_birth=dob or date(1900, 1, 1),
                       sex_at_birth=str(gender), email=email, phone=phone[:40], preferred_language=language)

    for i, _url, r in resources:
        kind = r.get("resourceType")
        where = f"Bundle.entry[{i}].resource"
        if kind not in SUPPORTED:
            ref.notes.append(Issue("information", "not-supported", f"{kind} entries are not imported.", where))
            continue
        subject = (r.get("subject") or r.get("patient") or {}).get("reference")
        if kind in ("Condition", "MedicationStatement", "AllergyIntolerance") and subject not in patient_refs:
            field_name = "patient" if kind == "AllergyIntolerance" else "subject"
            issues.append(Issue("error", "invalid", f"This {kind} does not refer to the bundle's Patient "
                                f"(got {subject!r}).", f"{where}.{field_name}"))
            continue
        if kind == "Condition":
            icd = [c for c in (r.get("code") or {}).get("coding") or [] if c.get("system") == codes.ICD10CM]
            if not icd:
                issues.append(Issue("error", "required", "Each Condition needs an ICD-10-CM code (system "
                                    f"{codes.ICD10CM}).", f"{where}.code"))
                continue
            code = _icd(str(icd[0].get("code") or ""))
            if code is None:
                issues.append(Issue("error", "invalid", f"{icd[0].get('code')!r} is not an ICD-10-CM code.",
                                    f"{where}.code.coding"))
                continue
            ref.conditions.append((code, _text(r.get("code"))))
        elif kind == "MedicationStatement":
            name = _text(r.get("medicationCodeableConcept"))
            if not name:
                issues.append(Issue("error", "required", "Each MedicationStatement needs the medicine's name "
                                    "(medicationCodeableConcept.text or a coding display).", where))
                continue
            if r.get("status") in ("stopped", "completed", "entered-in-error", "not-taken"):
                ref.notes.append(Issue("information", "informational", f"{name}: status {r.get('status')}, not "
                                       "added to current medicines.", where))
                continue
            dose = " ".join(str(d.get("text") or "") for d in r.get("dosage") or []).strip()
            ref.medications.append((name[:200], dose[:100]))
        elif kind == "AllergyIntolerance":
            what = _text(r.get("code"))
            reactions = ", ".join(filter(None, (_text(m) for rx in r.get("reaction") or []
                                                for m in rx.get("manifestation") or [])))
            if not what:
                issues.append(Issue("error", "required", "Each AllergyIntolerance needs code.text or a coding "
                                    "display.", f"{where}.code"))
                continue
            ref.allergies.append(f"{what}: {reactions}" if reactions else what)
        elif kind == "Practitioner" and not ref.referring_clinician:
            given_p, family_p = _name(r.get("name"))
            ref.referring_clinician = f"{given_p} {family_p}".strip()[:200]
        elif kind == "Organization" and not ref.referring_practice:
            ref.referring_practice = str(r.get("name") or "")[:200]
    if issues:
        raise BundleRejected(issues)
    return ref


def _icd(raw: str) -> str | None:
    from ketaclinic.protocol.errors import InputError
    from ketaclinic.protocol.indications import normalize_code

    try:
        return normalize_code(raw)
    except InputError:
        return None


@dataclass
class ImportResult:
    patient: Patient
    issues: list[Issue]


@transaction.atomic
def do_import_referral_bundle(acting_user: User, clinic: Clinic, data: Any, *,
                              now: datetime | None = None) -> ImportResult:
    """Create a referral for review from a FHIR Bundle. Who: staff who register patients (write tokens).

    Writes (all or nothing): Patient, ScreeningCase and Referral (first Condition as the indication,
    the others in the health history), Medication rows, the allergies intake section, AuditEvent.
    Raises BundleRejected (400), DuplicatePatient (the same patient again), PermissionDenied.
    """
    from ketaclinic.screening.actions import do_add_medication, do_refer_patient, do_save_intake_section
    from ketaclinic.screening.intake import SECTION_BY_KEY, clean_section

    now = now or timezone.now()
    ref = read_referral_bundle(data)
    first_code = ref.conditions[0][0] if ref.conditions else ""
    reason = "Referral imported from a FHIR bundle."
    referral = do_refer_patient(
        acting_user, clinic, first_name=ref.first_name, last_name=ref.last_name, date_of_birth=ref.date_of_birth,
        sex_at_birth=ref.sex_at_birth, email=ref.email, phone=ref.phone, preferred_language=ref.preferred_language,
        referring_clinician=ref.referring_clinician, referring_practice=ref.referring_practice,
        indication_code=first_code, reason=reason, invite=False, now=now)
    patient = referral.patient
    for name, dose in ref.medications:
        do_add_medication(acting_user, patient, name=name, dose=dose, now=now)

    def save(section: str, values: dict[str, str]) -> None:
        post = QueryDict(mutable=True)
        post.update(values)
        cleaned, errors = clean_section(SECTION_BY_KEY[section], post)
        if errors:
            raise BundleRejected([Issue("error", "too-long", f"{section}: {msg}", f"{section}.{name}")
                                  for name, msg in errors.items()])
        do_save_intake_section(acting_user, patient, section, cleaned, now=now)

    if ref.allergies:
        save("allergies", {"details": "\n".join(ref.allergies)})
    if len(ref.conditions) > 1:
        save("history", {"other_conditions": "\n".join(f"{code} {text}".strip() for code, text in ref.conditions[1:])})
    record_event(acting_user, "FHIR_REFERRAL_IMPORTED", patient=patient, obj=referral, at=now,
                 details={"conditions": [c for c, _ in ref.conditions], "medications": len(ref.medications),
                          "allergies": len(ref.allergies)})
    return ImportResult(patient, ref.notes)
