"""The clinic's controlled-substance log, stock receipt, counts, disposal and the reconciliation report."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
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


@login_required
@require_POST
def cs_receive(request: HttpRequest) -> HttpResponse:
    require_clinical_staff(request)
    clinic = current_clinic(request)
    form = ReceiveStockForm(request.POST)
    if form.is_valid():
        try:
            actions.do_receive_stock(request.user, clinic, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.InfusionError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Stock received.")
            return redirect("infusions:cs_log")
    return _page(request, status=400, receive_form=form)


@login_required
@require_POST
def cs_count(request: HttpRequest) -> HttpResponse:
    require_clinical_staff(request)
    clinic = current_clinic(request)
    form = CountForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.do_record_cs_count(request.user, clinic, lot=d["lot"], mg_on_hand=d["mg_on_hand"],  # type: ignore[arg-type]
                                       witness=user_by_email(clinic, d["witness_email"]),
                                       witness_password=d["witness_password"])
        except actions.InfusionError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Count recorded.")
            return redirect("infusions:cs_log")
    return _page(request, status=400, count_form=form)


@login_required
@require_POST
def cs_dispose(request: HttpRequest) -> HttpResponse:
    require_clinical_staff(request)
    clinic = current_clinic(request)
    form = DisposeStockForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.do_dispose_stock(request.user, clinic, lot=d["lot"], mg=d["mg"], method=d["method"],  # type: ignore[arg-type]
                                     reference=d["reference"], reason=d["reason"],
                                     witness=user_by_email(clinic, d["witness_email"]),
                                     witness_password=d["witness_password"])
        except actions.InfusionError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Disposal recorded.")
            return redirect("infusions:cs_log")
    return _page(request, status=400, dispose_form=form)
