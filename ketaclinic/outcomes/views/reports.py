"""The medical director's outcome reports, with CSV and de-identified research exports."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.accounts.roles import Perm, require_perm, staff_clinic_ids
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.outcomes.charts import survival_chart
from ketaclinic.outcomes.forms import PeriodForm
from ketaclinic.outcomes.reports import Report, build_report, research_csv_rows, summary_csv_rows
from ketaclinic.web.clinic import current_clinic

DEFAULT_DAYS = 90


def _report(request: HttpRequest) -> tuple[Clinic, PeriodForm, Report | None]:
    if not staff_clinic_ids(request.user):
        raise Http404
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_REPORTS)
    today = timezone.localdate(timezone=clinic.zone)
    form = PeriodForm(request.GET or None)
    start: date = today - timedelta(days=DEFAULT_DAYS)
    end: date = today
    if form.is_bound:
        if not form.is_valid():
            return clinic, form, None
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
    else:
        form = PeriodForm(initial={"start": start, "end": end})
    return clinic, form, build_report(clinic, start, end, timezone.now())


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    clinic, form, report = _report(request)
    survival = None
    if report is not None and report.survival:
        survival = survival_chart(report.survival, title="Share of responders still responding",
                                  desc=f"{report.responders_followed} responders followed; {report.relapses} relapsed.",
                                  until=report.longest_follow_up_days)
    return render(request, "outcomes/reports.html", {"clinic": clinic, "form": form, "report": report,
                                                     "survival": survival, "query": request.GET.urlencode()})


def _csv(rows: list[list[object]], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, lineterminator="\r\n")  # RFC 4180: CRLF line ends, quoted as needed
    writer.writerows(rows)
    return response


@login_required
def reports_csv(request: HttpRequest) -> HttpResponse:
    clinic, _form, report = _report(request)
    if report is None:
        return HttpResponse("Invalid period.", status=400, content_type="text/plain")
    with transaction.atomic():
        record_event(request.user, "REPORT_EXPORTED", clinic=clinic,
                     details={"start": report.start.isoformat(), "end": report.end.isoformat()})
    return _csv(summary_csv_rows(report), f"outcomes-{report.start}-{report.end}.csv")


@login_required
def research_csv(request: HttpRequest) -> HttpResponse:
    clinic, _form, report = _report(request)
    if report is None:
        return HttpResponse("Invalid period.", status=400, content_type="text/plain")
    with transaction.atomic():
        record_event(request.user, "RESEARCH_EXPORTED", clinic=clinic,
                     details={"start": report.start.isoformat(), "end": report.end.isoformat(),
                              "rows": len(report.summaries)})
    return _csv(research_csv_rows(report), f"outcomes-research-{report.start}-{report.end}.csv")
