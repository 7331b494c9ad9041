"""Interop pages: API tokens (admins) and the bedside-monitor inbox (clinical staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.interop import actions
from ketaclinic.interop.access import (
    api_tokens_visible_to,
    get_api_token_for_user,
    get_monitor_message_for_user,
    monitor_messages_visible_to,
)
from ketaclinic.interop.forms import ApiTokenForm, ReviewForm
from ketaclinic.interop.models import InboxStatus
from ketaclinic.web.clinic import current_clinic

INBOX_PAGE = 100


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the clinic's tokens and create one; the new token is shown once on this response."""
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.MANAGE_STAFF)
    raw_token = None
    people = actions.token_people(clinic)
    if request.method == "POST":
        form = ApiTokenForm(request.POST, people=people)
        if form.is_valid():
            try:
                _, raw_token = actions.do_create_api_token(
                    request.user, clinic, name=form.cleaned_data["name"],  # type: ignore[arg-type]
                    scope=form.cleaned_data["scope"], person=form.cleaned_data["person"])
            except actions.TokenInvalid as exc:
                form.add_error("name", str(exc))
            else:
                form = ApiTokenForm(people=people)
    else:
        form = ApiTokenForm(people=people)
    tokens = (api_tokens_visible_to(request.user).filter(clinic=clinic)
              .select_related("created_by", "revoked_by", "person"))
    return render(request, "interop/api_tokens.html",
                  {"clinic": clinic, "form": form, "tokens": tokens, "raw_token": raw_token},
                  status=422 if request.method == "POST" and raw_token is None else 200)


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_api_token_for_user(request.user, token_id)
    actions.do_revoke_api_token(request.user, token)  # type: ignore[arg-type]
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("interop:api_tokens")


@login_required
def monitor_inbox(request: HttpRequest) -> HttpResponse:
    """Messages from bedside monitors that could not be stored, for a nurse to review."""
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    show = request.GET.get("show", "open")
    qs = monitor_messages_visible_to(request.user).filter(clinic=clinic).select_related("visit", "reviewed_by")
    if show == "open":
        qs = qs.exclude(status=InboxStatus.ACCEPTED).filter(reviewed_at=None)
    return render(request, "interop/monitor_inbox.html",
                  {"clinic": clinic, "messages_list": list(qs[:INBOX_PAGE]), "show": show})


@login_required
@require_http_methods(["GET", "POST"])
def monitor_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_monitor_message_for_user(request.user, message_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_review_monitor_message(request.user, message,  # type: ignore[arg-type]
                                              note=form.cleaned_data["note"])
        except ValueError as exc:
            form.add_error("note", str(exc))
        else:
            messages.success(request, "Marked as reviewed.")
            return redirect("interop:monitor_inbox")
    return render(request, "interop/monitor_message.html", {"message": message, "form": form},
                  status=422 if request.method == "POST" else 200)

