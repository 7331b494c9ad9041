"""The controlled-substance (ketamine, Schedule III) log: receipt, draw/give/waste per visit, counts, disposal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.infusions.actions.common import InfusionError, is_licensed, lock_visit, now_or, require_charting
from ketaclinic.infusions.models import ControlledSubstanceEntry, CsKind, DisposalMethod
from ketaclinic.schedule.models import Visit, VisitStatus

STOCK_OUT = (CsKind.DRAWN, CsKind.DISPOSED)


def _mg(value: Any, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        mg = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        raise InfusionError("Enter mg as a number.", field) from None
    if mg < 0 or (mg == 0 and not allow_zero) or mg > 100000:
        raise InfusionError("Enter a positive amount in mg.", field)
    return mg


def lot_balance(clinic: Clinic, lot: str) -> Decimal:
    """mg of a lot in stock: received minus drawn and disposed (given and wasted come out of what was drawn)."""
    rows = (ControlledSubstanceEntry.objects.filter(clinic=clinic, lot=lot, kind__in=(CsKind.RECEIVED, *STOCK_OUT))
            .values("kind").annotate(total=Sum("mg")).order_by())
    totals = {r["kind"]: r["total"] or Decimal(0) for r in rows}
    return totals.get(CsKind.RECEIVED, Decimal(0)) - sum((totals.get(k, Decimal(0)) for k in STOCK_OUT), Decimal(0))


def check_witness(actor: User, clinic: Clinic, witness: User | None, password: str) -> User:
    if witness is None:
        raise InfusionError("A second licensed person must witness.", "witness")
    if witness.pk == actor.pk:
        raise InfusionError("The witness must be a different person.", "witness")
    if not witness.is_active or not is_licensed(witness, clinic):
        raise InfusionError("The witness must be a licensed clinician at this clinic.", "witness")
    if not password or not witness.check_password(password):
        raise InfusionError("The witness's password is not right.", "witness_password")
    return witness


@transaction.atomic
def do_receive_stock(acting_user: User, clinic: Clinic, *, lot: str, expires_on: date,
                     concentration_mg_per_ml: Any, mg: Any, note: str = "",
                     now: datetime | None = None) -> ControlledSubstanceEntry:
    """Record ketamine received into stock (supplier and invoice in the note). Who: licensed staff."""
    require_perm(acting_user, clinic, Perm.CHART)
    at = now_or(now)
    if not lot.strip():
        raise InfusionError("Enter the lot number.", "lot")
    conc = _mg(concentration_mg_per_ml, "concentration_mg_per_ml", allow_zero=False)
    entry = ControlledSubstanceEntry.objects.create(
        clinic=clinic, kind=CsKind.RECEIVED, lot=lot.strip(), expires_on=expires_on, concentration_mg_per_ml=conc,
        mg=_mg(mg, "mg", allow_zero=False), at=at, entered_by=acting_user, note=note.strip())
    record_event(acting_user, "CS_RECEIVED", clinic=clinic, obj=entry, at=at,
                 details={"lot": entry.lot, "mg": str(entry.mg), "expires_on": expires_on.isoformat()})
    return entry


@transaction.atomic
def do_record_cs_administration(acting_user: User, visit: Visit, *, lot: str, mg_drawn: Any, mg_given: Any,
                                mg_wasted: Any, witness: User | None = None, witness_password: str = "",
                                now: datetime | None = None) -> list[ControlledSubstanceEntry]:
    """Record the ketamine drawn, given and wasted for a visit, from one lot.

    drawn must equal given + wasted; waste needs a second licensed witness who re-enters their
    password (protocol cs_waste_witness_required). Refuses an expired lot, an unknown lot, or more
    than the lot holds. Who: licensed staff. Writes: up to three log rows, AuditEvent.
    """
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if visit.status not in (VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING):
        raise InfusionError("Record the drug for a patient who is in the chair.")
    if ControlledSubstanceEntry.objects.filter(visit=visit, kind=CsKind.DRAWN).exists():
        raise InfusionError("The drug for this visit is already recorded.")
    receipt = (ControlledSubstanceEntry.objects.filter(clinic=visit.clinic, lot=lot.strip(), kind=CsKind.RECEIVED)
               .order_by("at").first())
    if receipt is None:
        raise InfusionError("This lot is not in the clinic's stock.", "lot")
    if receipt.expires_on < at.astimezone(visit.clinic.zone).date():
        raise InfusionError(f"Lot {receipt.lot} expired on {receipt.expires_on:%Y-%m-%d}. Do not use it.", "lot")
    drawn = _mg(mg_drawn, "mg_drawn", allow_zero=False)
    given = _mg(mg_given, "mg_given")
    wasted = _mg(mg_wasted, "mg_wasted")
    if given + wasted != drawn:
        raise InfusionError(f"Given ({given}) plus wasted ({wasted}) must equal drawn ({drawn}).", "mg_wasted")
    if drawn > lot_balance(visit.clinic, receipt.lot):
        raise InfusionError("More than this lot holds: count the stock and tell the provider.", "mg_drawn")
    witness_user = None
    if wasted > 0 and visit.clinic.protocol().controlled_substances.cs_waste_witness_required:
        witness_user = check_witness(acting_user, visit.clinic, witness, witness_password)
    common = {"clinic": visit.clinic, "visit": visit, "lot": receipt.lot, "expires_on": receipt.expires_on,
              "concentration_mg_per_ml": receipt.concentration_mg_per_ml, "at": at, "entered_by": acting_user}
    rows = [ControlledSubstanceEntry.objects.create(kind=CsKind.DRAWN, mg=drawn, **common),
            ControlledSubstanceEntry.objects.create(kind=CsKind.GIVEN, mg=given, **common)]
    if wasted > 0:
        rows.append(ControlledSubstanceEntry.objects.create(kind=CsKind.WASTED, mg=wasted, witness=witness_user,
                                                            **common))
    record_event(acting_user, "CS_ADMINISTERED", patient=visit.patient, obj=rows[0], at=at,
                 details={"lot": receipt.lot, "drawn": str(drawn), "given": str(given), "wasted": str(wasted),
                          "witness": witness_user.email if witness_user else None})
    return rows


@transaction.atomic
def do_record_cs_count(acting_user: User, clinic: Clinic, *, lot: str, mg_on_hand: Any, witness: User | None,
                       witness_password: str, now: datetime | None = None) -> ControlledSubstanceEntry:
    """Record a physical count of one lot, witnessed. The reconciliation compares it with the log."""
    require_perm(acting_user, clinic, Perm.CHART)
    at = now_or(now)
    receipt = (ControlledSubstanceEntry.objects.filter(clinic=clinic, lot=lot.strip(), kind=CsKind.RECEIVED)
               .order_by("at").first())
    if receipt is None:
        raise InfusionError("This lot is not in the clinic's stock.", "lot")
    witness_user = check_witness(acting_user, clinic, witness, witness_password)
    entry = ControlledSubstanceEntry.objects.create(
        clinic=clinic, kind=CsKind.COUNTED, lot=receipt.lot, expires_on=receipt.expires_on,
        concentration_mg_per_ml=receipt.concentration_mg_per_ml, mg=_mg(mg_on_hand, "mg_on_hand"), at=at,
        entered_by=acting_user, witness=witness_user,
        note=f"Log balance at count: {lot_balance(clinic, receipt.lot)} mg")
    record_event(acting_user, "CS_COUNTED", clinic=clinic, obj=entry, at=at,
                 details={"lot": entry.lot, "mg_on_hand": str(entry.mg), "log_balance": entry.note})
    return entry


@transaction.atomic
def do_dispose_stock(acting_user: User, clinic: Clinic, *, lot: str, mg: Any, method: str, reference: str,
                     reason: str, witness: User | None, witness_password: str,
                     now: datetime | None = None) -> ControlledSubstanceEntry:
    """Record expired, damaged or unwanted stock leaving the clinic, witnessed by a second licensed person.

    Not for the leftover of a dose (that is waste, recorded with the visit). A reverse
    distributor's receipt or the DEA Form 41 number is required (clinical-reference §12:
    21 CFR 1317; two authorised employees witness an on-site destruction). Refuses more than
    the lot holds. Who: licensed staff. Writes: one log row, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.CHART)
    at = now_or(now)
    receipt = (ControlledSubstanceEntry.objects.select_for_update()
               .filter(clinic=clinic, lot=lot.strip(), kind=CsKind.RECEIVED).order_by("at").first())
    if receipt is None:
        raise InfusionError("This lot is not in the clinic's stock.", "lot")
    if method not in DisposalMethod.values:
        raise InfusionError("Choose how the stock leaves the clinic.", "method")
    if not reference.strip():
        raise InfusionError("Enter the DEA Form 41 number or the reverse distributor's receipt number.", "reference")
    if not reason.strip():
        raise InfusionError("Say why the stock is disposed of (for example: expired, vial cracked).", "reason")
    amount = _mg(mg, "mg", allow_zero=False)
    balance = lot_balance(clinic, receipt.lot)
    if amount > balance:
        raise InfusionError(f"The log shows {balance:.2f} mg of lot {receipt.lot} in stock. Count the lot first.", "mg")
    witness_user = check_witness(acting_user, clinic, witness, witness_password)
    entry = ControlledSubstanceEntry.objects.create(
        clinic=clinic, kind=CsKind.DISPOSED, lot=receipt.lot, expires_on=receipt.expires_on,
        concentration_mg_per_ml=receipt.concentration_mg_per_ml, mg=amount, at=at, entered_by=acting_user,
        witness=witness_user, note=reason.strip()[:300], disposal_method=method,
        disposal_reference=reference.strip()[:80])
    record_event(acting_user, "CS_DISPOSED", clinic=clinic, obj=entry, at=at,
                 details={"lot": entry.lot, "mg": str(amount), "method": method, "reference": entry.disposal_reference,
                          "reason": entry.note, "witness": witness_user.email})
    return entry
