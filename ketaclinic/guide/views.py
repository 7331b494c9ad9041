"""The patient guide: reading pages, the medical director's editor, and staff reading status."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.guide import access, actions
from ketaclinic.guide.content import LANGUAGES, TOPIC_SLUGS, TOPICS, readability
from ketaclinic.guide.content import render as render_markup
from ketaclinic.guide.models import GuidePageVersion, GuideRead
from ketaclinic.patients.access import own_patient_record, patients_visible_to
from ketaclinic.patients.actions import do_set_preferred_language
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit
from ketaclinic.web.clinic import current_clinic


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", "en")
    return wanted if wanted in LANGUAGES else "en"


@login_required
def guide_index(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    language = _language(request)
    patient = own_patient_record(request.user) if not staff_clinic_ids(request.user) else None
    due, read = ([], set())
    if patient is not None:
        due = access.pages_due(patient, timezone.now())
        read = access.read_slugs(patient)
    titles = access.page_titles(clinic, language)
    topics = [{"slug": t.slug, "title": titles[t.slug], "when": t.when, "new": t.slug in due and t.slug not in read,
               "read": t.slug in read} for t in TOPICS]
    return render(request, "guide/index.html", {
        "clinic": clinic, "topics": topics, "language": language, "patient": patient,
        "can_edit": has_perm(request.user, clinic, Perm.EDIT_PROTOCOL),
        "is_staff": bool(staff_clinic_ids(request.user)),
    })


@login_required
def guide_page(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = current_clinic(request)
    language = _language(request)
    try:
        page = access.get_guide_page(clinic, slug, language)
    except KeyError:
        raise Http404 from None
    patient = own_patient_record(request.user) if not staff_clinic_ids(request.user) else None
    if patient is not None:
        actions.do_record_guide_read(patient, slug, language, page.version_number)
    order = list(TOPIC_SLUGS)
    position = order.index(slug)
    return render(request, "guide/page.html", {
        "clinic": clinic, "page": page, "language": language,
        "next_slug": order[position + 1] if position + 1 < len(order) else None,
        "can_edit": has_perm(request.user, clinic, Perm.EDIT_PROTOCOL),
    })


@login_required
@require_http_methods(["GET", "POST"])
def edit_page(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """Edit one page for this clinic; the preview shows the reading level before saving."""
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    if slug not in TOPIC_SLUGS or language not in LANGUAGES:
        raise Http404
    page = access.get_guide_page(clinic, slug, language)
    title = request.POST.get("title", page.title)
    body = request.POST.get("body", page.body)
    reason = request.POST.get("reason", "")
    error = ""
    if request.method == "POST" and "save" in request.POST:
        try:
            actions.do_edit_guide_page(request.user, clinic, slug, language,  # type: ignore[arg-type]
                                       title=title, body=body, reason=reason)
        except actions.GuideEditInvalid as exc:
            error = str(exc)
        else:
            messages.success(request, "Saved. Patients see the new version from now on.")
            return redirect("guide:edit", slug, language)
    score = readability(title or "Untitled", body, language)
    context = {
        "clinic": clinic, "slug": slug, "language": language, "title": title, "body": body, "reason": reason,
        "score": score, "error": error,
        "preview": render_markup(body, access.placeholder_values(clinic, language)),
        "versions": GuidePageVersion.objects.filter(clinic=clinic, slug=slug, language=language)
        .select_related("created_by").order_by("-number")[:30],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "guide/partials/preview.html", context)
    return render(request, "guide/edit.html", context, status=400 if error else 200)


@login_required
def reading_status(request: HttpRequest) -> HttpResponse:
    """Who has not read the preparation page before their first visit (next 14 days)."""
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_PATIENTS)
    now = timezone.now()
    firsts = (Visit.objects.filter(clinic=clinic, status__in=ACTIVE_STATUSES)
              .values("patient_id").annotate(first=Min("starts_at"))
              .filter(first__gte=now, first__lte=now + timedelta(days=14)))
    first_by_patient = {row["patient_id"]: row["first"] for row in firsts}
    patients = list(patients_visible_to(request.user).filter(clinic=clinic, pk__in=first_by_patient)
                    .order_by("last_name"))
    reads = GuideRead.objects.filter(Q(patient__in=patients)).values_list("patient_id", "slug")
    read_map: dict[int, set[str]] = {}
    for patient_id, slug in reads:
        read_map.setdefault(patient_id, set()).add(slug)
    rows = [{"patient": p, "first_visit": first_by_patient[p.pk], "read": read_map.get(p.pk, set())}
            for p in patients]
    rows.sort(key=lambda r: r["first_visit"])
    return render(request, "guide/reading_status.html", {"clinic": clinic, "rows": rows, "topics": TOPICS})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The English/Español switch. Signed-in patients keep the choice; anyone (also on the public
    sign-in and password-reset pages) gets it for this session."""
    language = request.POST.get("language", "")
    if language not in LANGUAGES:
        messages.error(request, "Choose English or Spanish.")
        return redirect("web:home")
    patient = own_patient_record(request.user) if not staff_clinic_ids(request.user) else None
    if patient is not None:
        do_set_preferred_language(request.user, patient, language)  # type: ignore[arg-type]
    request.session["lang"] = language
    target = request.POST.get("next") or "/"
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
