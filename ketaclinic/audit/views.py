"""The audit log page: who saw and changed what, filterable."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.models import AuditEvent
from ketaclinic.web.clinic import current_clinic


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_AUDIT)
    qs = AuditEvent.objects.filter(clinic_ref=clinic.pk)
    patient = request.GET.get("patient", "").strip()
    if patient.isdigit():
        qs = qs.filter(patient_ref=int(patient))
    elif patient:
        qs = qs.filter(patient_label__icontains=patient)
    who = request.GET.get("user", "").strip()
    if who:
        qs = qs.filter(actor_label__icontains=who)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action=action.upper())
    start, end = parse_date(request.GET.get("from", "") or ""), parse_date(request.GET.get("to", "") or "")
    if start:
        qs = qs.filter(at__gte=datetime.combine(start, time.min, tzinfo=clinic.zone))
    if end:
        qs = qs.filter(at__lte=datetime.combine(end, time.max, tzinfo=clinic.zone))
    page = Paginator(qs.order_by("-id"), 100).get_page(request.GET.get("page"))
    return render(request, "audit/audit_log.html", {
        "clinic": clinic, "page": page, "filters": request.GET,
    })
