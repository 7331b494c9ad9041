from __future__ import annotations

from django.urls import URLPattern, path

from ketaclinic.messaging import staff_views, views

app_name = "messaging"

urlpatterns: list[URLPattern] = [
    # patient portal
    path("", views.my_messages, name="my_messages"),
    path("new/", views.compose, name="compose"),
    path("mine/<int:conversation_id>/", views.my_conversation, name="my_conversation"),
    path("how-i-feel/", views.report_symptoms, name="report"),
    path("how-i-feel/<int:report_id>/", views.report_done, name="report_done"),
    # both sides, access-checked
    path("attachment/<int:message_id>/", views.attachment, name="attachment"),
    # staff
    path("inbox/", staff_views.inbox, name="inbox"),
    path("inbox/<int:conversation_id>/", staff_views.conversation_detail, name="conversation"),
    path("inbox/<int:conversation_id>/assign/", staff_views.assign, name="assign"),
    path("inbox/<int:conversation_id>/status/", staff_views.set_status, name="status"),
    path("inbox/<int:conversation_id>/triage/", staff_views.triage, name="triage"),
    path("inbox/<int:conversation_id>/link-visit/", staff_views.link_visit, name="link_visit"),
    path("patient/<int:patient_id>/new/", staff_views.staff_compose, name="staff_compose"),
    path("settings/", staff_views.settings_view, name="settings"),
]
