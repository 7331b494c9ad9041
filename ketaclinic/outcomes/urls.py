from __future__ import annotations

from django.urls import URLPattern, path

from ketaclinic.outcomes.views import portal, reports, staff

app_name = "outcomes"

urlpatterns: list[URLPattern] = [
    # patient portal
    path("my-progress/", portal.my_progress, name="my_progress"),
    path("answer/<str:instrument>/", portal.answer, name="answer"),
    path("answer-question/<int:question_id>/", portal.answer_custom, name="answer_custom"),
    path("answered/<int:response_id>/", portal.answered, name="answered"),
    path("journal/", portal.journal, name="journal"),
    path("journal/<int:entry_id>/share/", portal.journal_share, name="journal_share"),
    path("sleep/new/", portal.sleep_new, name="sleep_new"),
    # staff
    path("", staff.worklist, name="worklist"),
    path("safety/<int:task_id>/", staff.safety_task, name="safety_task"),
    path("patient/<int:patient_id>/", staff.patient_outcomes, name="patient"),
    path("patient/<int:patient_id>/enter/<str:instrument>/", staff.staff_entry, name="staff_entry"),
    path("response/<int:response_id>/amend/", staff.amend, name="amend"),
    path("course/<int:course_id>/review/", staff.course_review, name="course_review"),
    path("questions/", staff.custom_questions, name="custom_questions"),
    path("questions/<int:question_id>/retire/", staff.retire_custom_question, name="retire_custom_question"),
    # medical director
    path("reports/", reports.reports, name="reports"),
    path("reports.csv", reports.reports_csv, name="reports_csv"),
    path("reports/research.csv", reports.research_csv, name="research_csv"),
]
