"""The clinic's controlled-substance log, stock receipt, counts, disposal and the reconciliation report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.infusions import actions
from ketaclinic.infusions.forms import CountForm, DisposeStockForm, ReceiveStockForm
from ketaclinic.infusions.models import ControlledSubstanceEntry
from ketaclinic.infusions.records import cs_reconciliation
from ketaclinic.infusions.views.common import attach_error, require_clinical_staff, user_by_email
from ketaclinic.web.clinic import current_clinic

LOG_ROWS = 200


def _page(request: HttpRequest, status: int = 200, **forms: object) -> HttpResponse:
    clinic = current_clinic(request)
    now = timezone.now()
    days = 28
    lots, visits = cs_reconciliation(clinic.pk, now - timedelta(days=days), now + timedelta(days=1))
    entries = list(ControlledSubstanceEntry.objects.filter(clinic=clinic)
                   .select_related("visit__patient", "entered_by", "witness").order_by("-at", "-id")[:LOG_ROWS])
    return render(request, "infusions/cs_log.html", {
        "clinic": clinic, "lots": lots, "visit_lines": visits, "entries": entries, "days": days,
        "receive_form": forms.get("receive_form") or ReceiveStockForm(),
        "count_form": forms.get("count_form") or CountForm(),
        "dispose_form": forms.get("dispose_form") or DisposeStockForm(),
        "problems": sum(len(x.problems) for x in lots) + sum(len(x.problems) for x in visits),
    }, status=status)


@login_required
def cs_log(request: HttpRequest) -> HttpResponse:
    require_clinical_staff(request)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    record_event(request.user, "CS_LOG_VIEWED", clinic=clinic)
    return _page(request)


def _submit(request: HttpRequest, form_class: type[forms.Form], form_key: str,
            write: Callable[[Clinic, dict[str, Any]], object], success: str) -> HttpResponse:
    """Validate one of the log page's forms, run its write, and show the page again on any error."""
    require_clinical_staff(request)
    clinic = current_clinic(request)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(clinic, form.cleaned_data)
        except actions.InfusionError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("infusions:cs_log")
    return _page(request, status=400, **{form_key: form})


@login_required
@require_POST
def cs_receive(request: HttpRequest) -> HttpResponse:
    return _submit(request, ReceiveStockForm, "receive_form",
                   lambda clinic, d: actions.do_receive_stock(request.user, clinic, **d),  # type: ignore[arg-type]
                   "Stock received.")


@login_required
@require_POST
def cs_count(request: HttpRequest) -> HttpResponse:
    return _submit(request, CountForm, "count_form", lambda clinic, d: actions.do_record_cs_count(
        request.user, clinic, lot=d["lot"], mg_on_hand=d["mg_on_hand"],  # type: ignore[arg-type]
        witness=user_by_email(clinic, d["witness_email"]), witness_password=d["witness_password"]),
        "Count recorded.")


@login_required
@require_POST
def cs_dispose(request: HttpRequest) -> HttpResponse:
    return _submit(request, DisposeStockForm, "dispose_form", lambda clinic, d: actions.do_dispose_stock(
        request.user, clinic, lot=d["lot"], mg=d["mg"], method=d["method"],  # type: ignore[arg-type]
        reference=d["reference"], reason=d["reason"], witness=user_by_email(clinic, d["witness_email"]),
        witness_password=d["witness_password"]), "Disposal recorded.")
